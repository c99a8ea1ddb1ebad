"""The weekly report: its figures, its sections in words, and the papermill runner that archives it.
May import app (it prints the app's team views) and everything below it; never demo or cli.
"""
