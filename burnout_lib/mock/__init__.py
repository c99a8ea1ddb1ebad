"""The mock hospital (its latent truth kept apart) and the mock NYC survey used as a benchmark.
May import sources (it writes what real sources write), privacy, store and the base modules.
"""
