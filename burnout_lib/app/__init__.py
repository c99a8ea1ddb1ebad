"""The Voilà app: the pages per role, their widgets (check-in form, camera) and serving.
May import readouts, plots, risk and everything below it; never report, demo or cli.
"""
