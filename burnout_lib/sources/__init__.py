"""What comes in: the check-in instrument and import, published surveys, Hume's expression scores.
May import privacy (consent is checked before any processing), store and the base modules.
"""
