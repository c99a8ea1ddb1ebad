"""Hume AI's expression measurement: frames, client, parsing, and a local stand-in for its API."""
