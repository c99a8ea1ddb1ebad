"""Hume AI's expression measurement: frames, client, parsing and extraction (its local stand-in
is `burnout_lib.testing.hume_server`)."""
