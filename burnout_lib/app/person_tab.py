"""A person's week, as the dashboard draws it: the staff member's own *My week* and the *Person*
tab occupational health opens from an alert (the same page, in the third person, with what
occupational health may do), and "where to get help now" above a page whose own check-in is high.

The week's fact (their own answer and its band) and the model's early warning are always said
apart, and an estimate for a skipped week is labelled as one. The controller (`app.dashboard`)
passes what the page needs; the data come from `readouts.views.person_weeks`, which refuses a
viewer who may not see this person.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from burnout_lib.app.page_parts import (
    escape,
    figure_html,
    level_badge,
    notice,
    table_html,
    week_label,
)
from burnout_lib.config import Settings
from burnout_lib.plots import weekly_plots
from burnout_lib.privacy.accounts import STAFF, Viewer
from burnout_lib.readouts import views
from burnout_lib.risk.advice import for_person, signposting
from burnout_lib.risk.scoring import what_scores_mean
from burnout_lib.sources.instruments import BAND_WORDS, band_words
from burnout_lib.sources.instruments import level as cbi_band

#: Said after the shared description of the scores.
MEANING_AFTER = (
    "Expression scores measure facial movement as a model perceives it, not what you feel. A "
    "level is a prompt for a conversation, not a diagnosis; only you and occupational health "
    "see this page's personal view."
)


def render(
    engine: Engine,
    viewer: Viewer,
    pseudonym: str | None,
    week: date | None,
    *,
    model_version_id: int | None,
    scored: set[date],
    threshold: float | None,
    horizon: int,
    card: dict | None,
) -> str:
    """The page of `pseudonym`'s week of `week`, scored by the live model `model_version_id`
    (`scored` its scored weeks, `threshold` its alert cut-off, `horizon` its early warning's weeks
    ahead, `card` its model card); own page when `viewer` is staff."""
    if model_version_id is None or week is None:
        return notice(
            "No weeks have been scored yet: your early warning appears here once a model is "
            "live. You can already answer this week's check-in.",
            "empty",
        )
    if not pseudonym:
        return (
            '<section data-view="my-week">'
            + notice("Open a person's page from the Alerts tab.", "choose")
            + f'<p class="muted">{escape(meaning(horizon, card))}</p></section>'
        )
    with engine.connect() as connection:
        person = views.person_weeks(connection, viewer, pseudonym, week, model_version_id)
    own = viewer.role == STAFF
    now = person.this_week
    title = "Your week" if own else f"{escape(pseudonym)}: week"
    parts = [
        '<section data-view="my-week">',
        f"<h2>{title} of {week_label(week)}</h2>",
        _headline(now, week, week in scored, horizon, own),
        figure_html(weekly_plots.risk_timeline(person.log, week, threshold), "risk-timeline"),
        _weekly_log(person.log, pseudonym, horizon, own),
        figure_html(weekly_plots.expression_trends(person.expressions), "expression-trends"),
        _alerts(person.alerts, pseudonym, own),
    ]
    if own:
        parts.append(_what_may_help(now))
    parts.append(
        f"<h3>What these scores mean</h3><p>{escape(meaning(horizon, card))}</p></section>"
    )
    return "".join(parts)


def meaning(horizon: int, card: dict | None) -> str:
    """What the scores mean, for the live model's horizon and the channels its card uses."""
    return f"{what_scores_mean(horizon, card)} {MEANING_AFTER}"


def _headline(now: pd.Series | None, week: date, scored: bool, horizon: int, own: bool) -> str:
    """The week's level, fact or estimate, early warning and drivers; or why there is none."""
    if now is None:
        reason = (
            "this week has not been scored yet"
            if not scored
            else "there is no check-in or shared recording that week"
        )
        return notice(f"No risk score for the week of {week_label(week)}: {reason}.", "no-score")
    return (
        f'<p class="headline" data-headline="person">{level_badge(now["level"])} risk · '
        f"{_this_week(now, horizon, own)} · what raises the early warning: "
        f"{escape(now['drivers'])}</p>"
    )


def _weekly_log(log: pd.DataFrame, pseudonym: str, horizon: int, own: bool) -> str:
    """Every scored week up to the chosen one, newest first (nothing when there is none)."""
    if log.empty:
        return ""
    table = pd.DataFrame(
        {
            "week starting": log["week_start"].map(week_label),
            "risk level": log["level"].map(level_badge),
            "this week": log.apply(_measured_or_estimate, axis=1, own=own),
            f"early warning (next {horizon} weeks)": log["probability"].map("{:.0%}".format),
            "what raises it": log["drivers"],
        }
    ).iloc[::-1]
    heading = "<h3>Your weekly log</h3>" if own else f"<h3>Weekly log of {escape(pseudonym)}</h3>"
    return heading + table_html(table, "risk-log", ("this week", "what raises it"))


def _alerts(alerts: pd.DataFrame, pseudonym: str, own: bool) -> str:
    """The person's recent and open alerts; occupational health's actions only on their tab."""
    heading = (
        "<h3>Your alerts</h3>"
        if own
        else f"<h3>Alerts about {escape(pseudonym)} and what occupational health may do</h3>"
    )
    if alerts.empty:
        return heading + notice("No alerts in the last four weeks, and none open.", "no-alerts")
    columns = {
        "week starting": alerts["week_start"].map(week_label),
        "alert": alerts["rule"].map(views.RULE_NAMES),
        "why": alerts["reason"],
        "status": alerts["status"],
    }
    if not own:  # occupational health's actions, never on the person's own page
        columns["what occupational health may do"] = alerts["suggested_action"]
    prose = ("why", "what occupational health may do")
    return heading + table_html(pd.DataFrame(columns), "person-alerts", prose)


def _what_may_help(now: pd.Series | None) -> str:
    """Advice written for the person, in the second person, for this week's drivers."""
    drivers = [] if now is None else now["driver_list"]
    helps = "".join(f"<li>{escape(item)}</li>" for item in for_person(drivers))
    return f'<h3>What may help you</h3><ul data-help="week">{helps}</ul>'


def _this_week(row: pd.Series, horizon: int, own: bool = True) -> str:
    """The week's fact (their own answer and its band) or, without one, the model's estimate, then
    the early warning: never one mistaken for the other."""
    warning = (
        f"early warning: {row['probability']:.0%} chance of a check-in of 50 or more within the "
        f"next {horizon} weeks"
    )
    return f"{_measured_or_estimate(row, own)} · {warning}"


def _measured_or_estimate(row: pd.Series, own: bool = True) -> str:
    """A week's own check-in score and its band, or the model's estimate labelled as one."""
    if pd.isna(row["checkin_score"]):
        estimate = row.get("estimate_probability")
        if estimate is None or pd.isna(estimate):
            return "no check-in this week (no estimate)"
        return (
            f"no check-in this week: estimate, not {'your' if own else 'their'} answer: "
            f"{estimate:.0%} likely in the burnout range"
        )
    return (
        f"this week, measured: {_score(row['checkin_score'])} ({BAND_WORDS[row['measured_band']]})"
    )


def _score(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0f}"


def help_now_html(settings: Settings, score: float) -> str:
    """Where to get help now, for a person whose own check-in is in the high or severe range:
    shown above everything else on their page, and announced to screen readers."""
    band = cbi_band(pd.Series([score])).iloc[0]
    items = "".join(
        f"<li><strong>{escape(c.name)}</strong> ({escape(c.when)}): "
        f'<span data-contact="{"set" if c.configured else "unset"}">{escape(c.how)}</span></li>'
        for c in signposting(settings)
    )
    return (
        '<section class="help-now" data-help="now" role="alert" aria-labelledby="help-now">'
        '<h2 id="help-now">Where to get help now</h2>'
        f"<p>Your check-in scored {score:.0f}, {band_words(band)}. You do not have to wait for "
        "anything, or cope with this alone. Occupational health has been told, and will contact "
        "you in confidence; you can also reach out yourself:</p>"
        f"<ul>{items}</ul></section>"
    )
