"""Burnout Monitor: early, consent-based signs of burnout in healthcare workers."""

__version__ = "0.1.0"
