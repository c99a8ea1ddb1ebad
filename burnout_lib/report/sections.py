"""The weekly report's words, tables and chart, written for people rather than analysts."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from burnout_lib.app import weekly_plots
from burnout_lib.privacy.suppression import ALL, TOTAL, shown, shown_share
from burnout_lib.report.figures import WeeklyReport
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
    """New alerts this week, and earlier ones still open, each with what may help."""
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
            "weeks.",
            "- Expression scores measure facial movement as a model perceives it, not what "
            "anyone feels. A risk level is a prompt for a conversation, not a diagnosis.",
            f"- Privacy floor: {report.floor} people. Data fingerprint (SHA-256 of the counts "
            f"read): `{report.data_hash[:16]}…`.",
            f"- Produced {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        ]
    )
