"""The weekly report: its figures, its sections in words, and the papermill runner that archives it.
May import readouts (the numbers it prints), plots and everything below them; never app, demo,
testing or cli.
"""
