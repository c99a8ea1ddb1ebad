"""The weekly report's words, tables and chart, written for people rather than analysts."""

from __future__ import annotations

import html
from collections import Counter
from datetime import UTC, datetime

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from burnout_lib.plots import weekly_plots
from burnout_lib.privacy.suppression import ALL, TOTAL, shown, shown_share
from burnout_lib.report.figures import TREND_WEEKS, WeeklyReport
from burnout_lib.risk.advice import what_colleagues_found_helpful
from burnout_lib.risk.feature_choice import live_model_sentence
from burnout_lib.store import db


def styled(frame: pd.DataFrame, name: str, prose: tuple[str, ...] = ()) -> Styler:
    """A table for reading: no row numbers, prose columns left-aligned and wrapped. The name
    keeps the HTML the same from one run to the next."""
    columns = [c for c in prose if c in frame.columns]
    return (
        frame.style.set_uuid(name)
        .hide(axis="index")
        .set_properties(subset=columns, **{"text-align": "left", "white-space": "normal"})
        .set_table_styles([{"selector": "th", "props": [("text-align", "left")]}])
    )


def headline(report: WeeklyReport) -> str:
    """The week in three sentences."""
    now = report.headline.loc[report.week]
    before = report.headline.iloc[0] if len(report.headline) > 1 else None
    groups = report.groups.loc[ALL]
    lines = [
        f"# {report.scope[0].upper()}{report.scope[1:]}: week of {report.week:%d %B %Y}",
        "",
        f"- **{shown(now[TOTAL])} staff** had a risk score this week{_left_out(report)}.",
        _completion_line(groups),
    ]
    if pd.isna(now["high"]):
        high = "- The number of staff at high risk is hidden (too few people)"
    else:
        high = (
            f"- **{shown(now['high'])} staff ({shown_share(now['high share'])}) are at high risk**"
        )
    if before is not None and not pd.isna(now["high share"]) and not pd.isna(before["high share"]):
        change = (float(now["high share"]) - float(before["high share"])) * 100
        direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
        points = f" {abs(change):.0f} points" if change else ""
        high += f", {direction}{points} from last week ({shown_share(before['high share'])})."
    else:
        high += "."
    lines.append(high)
    lines.append(f"- Moderate risk: {shown(now['moderate'])}; low risk: {shown(now['low'])}.")
    return "\n".join(lines)


def _left_out(report: WeeklyReport) -> str:
    if not report.small_units:
        return ""
    units = "1 unit" if report.small_units == 1 else f"{report.small_units} units"
    return (
        f" ({units} with fewer than {report.floor} people scored this week are left out of the "
        "hospital's figures)"
    )


def _completion_line(groups: pd.Series) -> str:
    if pd.isna(groups["completion"]):
        return "- Check-in completion is hidden (too few people answered, or too few did not)."
    return (
        f"- **{shown(groups['check-ins answered'])} of {shown(groups['consenting'])}** staff "
        f"who take part answered the weekly check-in ({shown_share(groups['completion'])})."
    )


def groups_intro(report: WeeklyReport) -> str:
    kind = "role" if report.unit else "unit"
    return (
        f"Staff at each risk level by {kind}. *Hidden* means the number would describe fewer "
        f"than {report.floor} people, or would let such a number be worked out."
    )


def groups_table(report: WeeklyReport) -> Styler:
    """The per-unit (or per-role) table, with hidden numbers spelled out."""
    table = report.groups
    kind = "role" if report.unit else "unit"
    table_shown = pd.DataFrame(
        {
            kind: [("all" if g == ALL else g) for g in table.index],
            "staff scored": table[TOTAL].map(shown),
            **{f"{level} risk": table[level].map(shown) for level in db.RISK_LEVELS},
            "high-risk share": table["high share"].map(shown_share),
            "check-in completion": table["completion"].map(shown_share),
        }
    )
    return styled(table_shown, "groups", (kind,))


def groups_chart(report: WeeklyReport) -> Figure:
    kind = "role" if report.unit else "unit"
    title = f"Risk levels by {kind}, week of {report.week:%d %b %Y}"
    return weekly_plots.group_levels_chart(report.groups.drop(index=ALL), title)


def alerts_text(report: WeeklyReport) -> str:
    lines = []
    if report.unit_alerts:
        units = ", ".join(report.unit_alerts)
        lines.append(
            f"**Unit alert:** the share of staff at high risk is well above its usual level in "
            f"{units}. Look at workload and staffing across the unit and consider a team debrief."
        )
    if not report.show_pseudonyms:
        lines.append(
            "People are not named in this edition of the report; occupational health can see "
            "who is alerted in the dashboard or in the named edition."
        )
    return "\n\n".join(lines)


def alert_tables(report: WeeklyReport) -> list[tuple[str, Styler]]:
    """The alerts, each with what may help. Named edition: one row per person (their alerts,
    since when, their levels over the last weeks) and the advice once per kind of alert; the
    other edition: new and still-open alerts counted by kind."""
    if report.show_pseudonyms:
        return _people_tables(report)
    tables = []
    for name, title, frame in (
        ("new-alerts", "### New this week", report.new_alerts),
        ("open-alerts", "### Still open from the previous weeks (not acknowledged, still at risk)",
         report.open_alerts),
    ):  # fmt: skip
        frame = frame.copy()
        if "people" in frame:
            frame["people"] = frame["people"].map(shown)
        if frame.empty:
            frame = pd.DataFrame({"": ["none"]})
        prose = ("alert", "reason", "what may help", "pseudonym", "unit")
        tables.append((title, styled(frame.reset_index(drop=True), name, prose)))
    return tables


#: One mark per week of a person's level; the words are in the mark's label for screen readers.
LEVEL_MARKS = {"low": "▁", "moderate": "▄", "high": "█"}
NO_SCORE_MARK = "·"


def sparkline(levels: list[str | None]) -> str:
    """A person's risk levels, oldest week first, as a line of marks with its words attached."""
    marks = "".join(LEVEL_MARKS.get(level, NO_SCORE_MARK) for level in levels)
    words = ", ".join(level or "no score" for level in levels)
    label = html.escape(f"risk level by week, oldest first: {words}")
    return f'<span class="sparkline" role="img" aria-label="{label}" title="{label}">{marks}</span>'


#: Tighter rows for the lists of people, which can be long.
COMPACT = [{"selector": "td, th", "props": [("padding", "2px 8px")]}]


def _people_tables(report: WeeklyReport) -> list[tuple[str, Styler | HTML]]:
    """New alerts in a table; alerts still open from earlier weeks in one closed section per
    unit, its size in its summary; what may help once per kind. Each person has one row, with
    every alert of theirs and their levels over the last weeks."""
    people = report.people
    marks = ", ".join(f"{mark} {level}" for level, mark in LEVEL_MARKS.items())
    legend = (
        f"Levels over the last {TREND_WEEKS} weeks, oldest first: {marks}, "
        f"{NO_SCORE_MARK} no score."
    )
    if people.empty:
        return [("### People with a new or open alert", styled(pd.DataFrame({"": ["none"]}),
                                                                  "people-alerts"))]  # fmt: skip
    week = report.week
    rows = pd.DataFrame({
        "pseudonym": people["pseudonym"],
        "unit": people["unit"],
        "alerts": people["alerts"].map(lambda alerts: "; ".join(
            f"{kind} ({'new' if raised == week else f'since {raised:%d %b}'})"
            for kind, raised, _ in alerts)),
        "levels": people["levels"].map(sparkline),
    })  # fmt: skip
    new = people["alerts"].map(lambda alerts: any(raised == week for _, raised, _ in alerts))
    parts: list[tuple[str, Styler | HTML]] = [
        (f"### New this week ({int(new.sum())})\n\n{legend}",
         _people_table(rows[new], "new-people", with_unit=True)),
    ]  # fmt: skip
    earlier = rows[~new]
    sections = []
    for unit, theirs in earlier.groupby("unit", sort=True):
        table = _people_table(theirs, f"open-{len(sections)}", with_unit=False).to_html()
        sections.append(
            f"<details><summary>{html.escape(str(unit))}: {len(theirs)} "
            f"{'person' if len(theirs) == 1 else 'people'}</summary>{table}</details>"
        )
    parts.append((
        f"### Still open from earlier weeks ({len(earlier)}), by unit\n\nNot acknowledged and "
        "still at risk. Open a unit to see its people.",
        HTML("".join(sections) or "<p>none</p>"),
    ))  # fmt: skip
    advice, shared = _advice(people)
    title = "### What may help, by kind of alert"
    if shared:
        title += f"\n\nFor everyone alerted, what colleagues found helpful: {'; '.join(shared)}."
    parts.append((title, styled(advice, "alert-advice", ("alert", "what may help"))))
    return parts


def _advice(people: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """What may help, each suggestion once: per kind of alert, the suggestions its alerts make
    from the people's own drivers (most often made first); and apart, what colleagues found
    helpful, which every alert quotes. An alert states its suggestions in one line, separated
    by semicolons."""
    stated = [
        (kind, [part.strip() for part in str(helps).split(";") if part.strip()])
        for alerts in people["alerts"]
        for kind, _, helps in alerts
    ]
    colleagues = set(what_colleagues_found_helpful())
    quoted = list(dict.fromkeys(p for _, parts in stated for p in parts if p in colleagues))
    rows = []
    for kind in sorted({kind for kind, _ in stated}):
        made = Counter(p for k, parts in stated if k == kind for p in parts if p not in colleagues)
        ordered = sorted(made, key=lambda part: -made[part])  # ties: in the order first made
        rows.append({"alert": kind, "what may help": "; ".join(ordered) or "see above"})
    return pd.DataFrame(rows), quoted


def _people_table(rows: pd.DataFrame, name: str, with_unit: bool) -> Styler:
    shown = rows if with_unit else rows.drop(columns="unit")
    if shown.empty:
        shown = pd.DataFrame({"": ["none"]})
    return styled(shown.reset_index(drop=True), name, ("alerts", "unit")).set_table_styles(
        COMPACT, overwrite=False
    )


def trend_parts(report: WeeklyReport) -> list:
    """The anonymous edition's look back: a heading and the share at high risk per unit (or per
    role of the unit) over the last weeks. The named edition has each person's levels instead."""
    if report.show_pseudonyms:
        return []
    return [Markdown(f"## The last {len(report.trend)} weeks"), trend_chart(report)]


def trend_chart(report: WeeklyReport) -> Figure:
    """The share at high risk per unit (or per role of the unit) over the last weeks."""
    kind = "role" if report.unit else "unit"
    weeks = len(report.trend)
    title = f"Share at high risk by {kind}, the last {weeks} weeks"
    return weekly_plots.group_trend_chart(report.trend, title)


def benchmark_text(report: WeeklyReport) -> str:
    mine = (
        "hidden (too few check-ins)"
        if report.burnout_rate is None
        else f"{report.burnout_rate:.0%}"
    )
    text = (
        f"Share of this week's check-ins at or above the Copenhagen Burnout Inventory cut-off "
        f"of 50 in {report.scope}: **{mine}**."
    )
    bench = report.benchmark
    if bench is not None:
        text += (
            f" In the NHS Staff Survey {bench['year']}, **{bench['rate']:.1%}** of staff in "
            f"{bench['trust_type']} trusts said they often or always feel burnt out (95% CI "
            f"{bench['ci_low']:.1%}–{bench['ci_high']:.1%}). The two ask different questions, "
            "so compare the level rather than the decimals."
        )
    return text


def _channels(model: dict) -> str:
    """Which channels the model uses and what its evaluation found, when its card says."""
    sentence = live_model_sentence(model.get("channels"), subject="It")
    return f" {sentence}" if sentence else ""


def about(report: WeeklyReport) -> str:
    model = report.model

    def pct(value: object) -> str:
        return "n/a" if value is None else f"{float(value):.0%}"

    horizon = model.get("horizon_weeks") or 4
    return "\n".join(
        [
            "- A week's risk level is the highest of what the person's own check-in says (a "
            "fact: 50–74 at least moderate, 75 or more high; never shown as low) or, in a week "
            "they skipped, the model's estimate, and the model's early warning: the chance of "
            f"a check-in of 50 or more within the next {horizon} weeks.",
            f"- Risk scores from model version {model['id']} (`{model['name']}`, trained "
            f"{model['trained_at']} on {model['weeks_labelled'] or 0:,} labelled weeks of "
            f"{model['people'] or 0:,} people). On people held out of its training, its early "
            f"warning found {pct(model['recall'])} of the weeks followed by burnout; "
            f"{pct(model['precision'])} of the weeks it flagged were. It is tuned to miss few "
            "people, at the price of some false alarms; `burnout evaluate` measures it on later "
            "weeks." + _channels(model),
            "- Expression scores measure facial movement as a model perceives it, not what "
            "anyone feels. A risk level is a prompt for a conversation, not a diagnosis.",
            f"- Privacy floor: {report.floor} people. Data fingerprint (SHA-256 of the counts "
            f"read): `{report.data_hash[:16]}…`.",
            f"- Produced {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        ]
    )
