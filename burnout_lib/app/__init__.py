"""The Voilà app: team and personal views (SQL aggregates), their charts, the pages and serving.
May import plots, risk and everything below it; never report, demo or cli.
"""
