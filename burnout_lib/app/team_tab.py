"""A team's weeks, as the dashboard's *Team* tab draws them for managers, analysts and occupational
health: the week's levels, the weekly counts and check-ins, alerts by type, and burnout against
the NHS Staff Survey, for a unit or one role in it. Never a person.

Every figure comes from `readouts.views.team_weeks`, protected together by the privacy floor; the
page says when a group is hidden and why, and how the hiding works.
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
from burnout_lib.plots import weekly_plots
from burnout_lib.privacy.accounts import Viewer
from burnout_lib.privacy.suppression import TOTAL, shown, shown_share
from burnout_lib.readouts import views
from burnout_lib.store import db


def render(
    engine: Engine,
    viewer: Viewer,
    unit: str,
    role: str | None,
    week: date,
    *,
    model_version_id: int,
    scored: set[date],
    floor: int,
) -> str:
    """The Team page of `unit` (or its `role` staff) in the week of `week`, scored by the live
    model `model_version_id` (`scored` its scored weeks); groups below `floor` people are hidden."""
    name = unit if role is None else f"{role} staff in {unit}"
    with engine.connect() as connection:
        team = views.team_weeks(connection, viewer, unit, role, week, model_version_id, floor)
    parts = ['<section data-view="team">', f"<h2>{escape(name)}: week of {week_label(week)}</h2>"]
    total = team.levels.at[week, TOTAL]
    if week not in scored or (not pd.isna(total) and total == 0):
        parts.append(notice(f"No one in {name} has a risk score for the week of "
                            f"{week_label(week)}.", "no-score"))  # fmt: skip
    elif not team.shown:
        parts.append(
            notice(
                f"The figures for {name} this week are hidden to protect privacy: they would "
                f"describe fewer than {floor} people, directly or by subtraction from the "
                "unit's figures.",
                "suppressed",
            )
        )
        parts.append("</section>")
        return "".join(parts)
    else:
        parts.append(_headline(team, week))
    title = f"Risk levels in {name}, by week"
    parts.append(figure_html(weekly_plots.team_levels_chart(team.levels, title), "team-levels"))
    parts.append(_team_tables(team))
    parts.append(_burnout_chart(team, name))
    parts.append(_benchmark_text(team))
    parts.append(
        f'<p class="muted" data-rule="suppression">Numbers describing fewer than {floor} '
        "people are hidden, as are numbers from which such a number could be worked out, "
        "alone or added together, and a group whose members are all at the same level shows "
        "its size but not its breakdown.</p></section>"
    )
    return "".join(parts)


def _headline(team: views.TeamWeeks, week: date) -> str:
    """How many were scored (and how many of them are estimates), the count at each level, and
    the unit alert when the unit's share at high risk is well above its usual level."""
    counts = " · ".join(
        f"{level_badge(level)} {shown(team.levels.at[week, level])}" for level in db.RISK_LEVELS
    )
    estimated = team.estimated.get(week)
    if estimated is None or pd.isna(estimated):
        of_them = " (some may be the model's estimates for a week they skipped)"
    elif estimated == 0:
        of_them = " (all from their own check-ins)"
    else:
        of_them = f" ({int(estimated):,} of them estimates for a week they skipped)"
    headline = (
        f'<p class="headline" data-headline="team">{team.scored:,} staff scored{of_them} · '
        f"{counts}</p>"
    )
    if not team.unit_alerts:
        return headline
    return headline + notice(
        "Unit alert: the share of staff at high risk this week is well above "
        "this unit's usual level. Look at workload and staffing across the unit "
        "and consider offering a team debrief.",
        "unit-alert",
    )


def _team_tables(team: views.TeamWeeks) -> str:
    """The weekly counts (levels, estimates, check-ins answered, completion) and this week's
    alerts by type, every number as the privacy floor lets it be shown."""
    levels = team.levels.iloc[::-1]
    checkins = team.checkins.reindex(levels.index)
    completion = team.completion.reindex(levels.index)
    table = pd.DataFrame(
        {
            "week starting": [week_label(w) for w in levels.index],
            "staff scored": levels[TOTAL].map(shown),
            "of them estimates": team.estimated.reindex(levels.index).map(shown),
            **{f"{level} risk": levels[level].map(shown) for level in db.RISK_LEVELS},
            "check-ins answered": [
                "hidden" if pd.isna(n) or pd.isna(t) else f"{int(t - n):,} of {int(t):,}"
                for n, t in zip(checkins["not answered"], checkins[TOTAL], strict=True)
            ],
            "completion": completion.map(shown_share),
        }
    )
    alerts = pd.DataFrame(
        {"alert": team.alerts.index, "people this week": team.alerts.map(shown).to_numpy()}
    )
    return (
        "<h3>Weekly counts</h3>"
        + table_html(table, "team-levels")
        + "<h3>Alerts this week, by type</h3>"
        + table_html(alerts, "team-alerts", ("alert",))
    )


def _burnout_chart(team: views.TeamWeeks, name: str) -> str:
    """The weekly share of check-ins in the burnout range, against the NHS Staff Survey when a
    figure compares; one line saying so when there is neither."""
    if team.benchmark is None and team.burnout_rate.dropna().empty:
        return notice(
            f"No NHS Staff Survey figure compares with {name}, and its weekly "
            "burnout shares are hidden (too few people) or not there yet: nothing to chart.",
            "no-benchmark",
        )
    title = (
        f"Burnout in {name}'s check-ins, by week"
        if team.benchmark is None
        else f"Burnout in {name}'s check-ins against the NHS Staff Survey"
    )
    fig = weekly_plots.team_burnout_chart(team.burnout_rate, team.benchmark, title)
    return figure_html(fig, "team-burnout")


def _benchmark_text(team: views.TeamWeeks) -> str:
    """This week's burnout share in words, and the NHS Staff Survey's figure beside it."""
    rate = team.burnout_rate.get(team.week)
    mine = (
        "this week's share of check-ins at or above the CBI burnout cut-off of 50 is hidden "
        "(too few people) or there were no check-ins."
        if rate is None or pd.isna(rate)
        else f"this week {float(rate):.0%} of answered check-ins were at or above the CBI "
        "burnout cut-off of 50."
    )
    if team.benchmark is None:
        return f"<p>In this team, {mine}</p>"
    bench = team.benchmark
    return (
        f'<p data-benchmark="nhs">In this team, {mine} '
        f"NHS Staff Survey {bench['year']}, {escape(bench['trust_type'])} trusts: "
        f"{bench['rate']:.1%} of staff often or always burnt out (95% CI "
        f"{bench['ci_low']:.1%}–{bench['ci_high']:.1%}).</p>"
        '<p class="muted">The two measures ask different questions (CBI personal burnout '
        "against the Staff Survey's burnout item), so compare the level, not the decimals.</p>"
    )
