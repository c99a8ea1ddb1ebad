"""Figures, one module per audience: `survey_plots` (the published surveys: notebook 01),
`model_plots` (the mock hospital, a recording's expression traces, the risk model's training and
evaluation: notebooks 02–04) and `weekly_plots` (a person's or a team's recent weeks: the
dashboard and the weekly report), with what they share in `style` (the palette, the colours with
a fixed meaning, a new figure and the "no data" figure). Callers import the module they draw with
(`from burnout_lib.plots import weekly_plots`); this package re-exports nothing.

Every function takes DataFrames and returns a `matplotlib.figure.Figure` built without pyplot, so
callers decide how to show or save it and nothing is left registered in a global figure manager.
Colours come from the Okabe–Ito palette, which stays distinguishable with the common forms of
colour blindness; the same meaning always gets the same colour (check-ins blue, recordings orange,
latent truth black, fatigue expressions vermillion).
May import risk (the evaluation's method names), sources (survey tables, the CBI cut-off) and
everything below them; never readouts (figures take computed frames), app, report, demo or cli.
"""
