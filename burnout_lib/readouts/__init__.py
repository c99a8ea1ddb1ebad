"""The read side: the numbers the app's pages and the weekly report show (one person's weeks, one
team's, the published team tables), computed by the database and suppressed before anyone sees them.
May import risk and everything below it; never plots, app, report, demo, testing or cli.
"""
