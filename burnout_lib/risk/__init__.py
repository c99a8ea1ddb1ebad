"""Risk: features, model training, weekly scoring, alerts, and the original prototypes as baselines.
May import mock (for baselines), sources, privacy, store and the base modules; never app or report.
"""
