"""Privacy rules: consent and complete erasure, and small-group suppression of team figures.
May import store and the base modules (config, errors, emotions), nothing that uses it.
"""
