"""Privacy rules: consent and complete erasure, accounts and what each role may read, small-group
suppression of team figures. May import store and the base modules, nothing that uses it.
"""
