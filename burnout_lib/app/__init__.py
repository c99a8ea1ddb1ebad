"""The Voilà app: the pages per role, their widgets (check-in form, camera) and serving.
May import readouts, plots and everything below them; never report, demo, testing or cli.
"""
