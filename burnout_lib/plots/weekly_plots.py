"""Figures of a person's or a team's recent weeks, shared by the dashboard and the weekly report.

They take the frames of `burnout_lib.readouts.views` and use the colours of
`burnout_lib.plots.style`, so a risk level has the same colour everywhere. Suppressed team
numbers (NA) are drawn as grey hatched "hidden" bars, never as zero.
"""

from __future__ import annotations

import textwrap

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from burnout_lib.plots.style import OKABE_ITO, RISK_COLOURS, empty, new_figure
from burnout_lib.privacy.suppression import ALL, TOTAL
from burnout_lib.sources.instruments import BURNOUT_CUTOFF
from burnout_lib.store.db import RISK_LEVELS

#: Characters a chart title may take on one line of a 7.5-inch figure with its legend beside.
TITLE_WIDTH = 60

HIDDEN_COLOUR = "#BBBBBB"
BASELINE_STYLE = {"linestyle": "--", "linewidth": 1.2}
GROUP_COLOURS = {"fatigue": OKABE_ITO["vermillion"], "protective": OKABE_ITO["bluish_green"]}


def _week_axis(ax, weeks) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_xlabel("week starting")
    if len(weeks):
        ax.set_xlim(min(weeks) - pd.Timedelta(days=5), max(weeks) + pd.Timedelta(days=5))


def risk_timeline(log: pd.DataFrame, week, threshold: float | None = None) -> Figure:
    """A person's weekly early-warning probability, each week coloured by its risk level (which
    is never below what their own answer said)."""
    title = "Your early warning, week by week"
    fig = new_figure(7.5, 3.4)
    if log.empty:
        return empty(fig, title, "no scored weeks yet")
    ax = fig.subplots()
    weeks = pd.to_datetime(log["week_start"])
    ax.plot(weeks, log["probability"], color=OKABE_ITO["black"], linewidth=1, zorder=1)
    for level in RISK_LEVELS:
        mine = log["level"] == level
        ax.scatter(weeks[mine], log.loc[mine, "probability"], color=RISK_COLOURS[level], s=60,
                   edgecolor="black", linewidth=0.5, zorder=2, label=f"{level} risk")  # fmt: skip
    ax.axvline(pd.Timestamp(week), color=OKABE_ITO["blue"], linewidth=1, linestyle=":",
               label="chosen week")  # fmt: skip
    if threshold is not None:
        ax.axhline(threshold, color=OKABE_ITO["black"], linestyle=":", linewidth=1,
                   label=f"moderate risk from {threshold:.0%}")  # fmt: skip
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_ylabel("early-warning probability")
    _week_axis(ax, weeks)
    _title(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")
    return fig


def expression_trends(expressions: pd.DataFrame) -> Figure:
    """A person's weekly fatigue and calm/content expression scores against their own baseline."""
    title = "Your facial expression scores against your own baseline"
    fig = new_figure(7.5, 3.4)
    if expressions.empty:
        return empty(fig, title, "no recordings in these weeks")
    ax = fig.subplots()
    weeks = pd.to_datetime(expressions["week_start"])
    labels = {"fatigue": "fatigue-related", "protective": "calm and content"}
    for group, colour in GROUP_COLOURS.items():
        ax.plot(weeks, expressions[group], color=colour, marker="o", linewidth=2,
                label=f"{labels[group]}: this week")  # fmt: skip
        ax.plot(weeks, expressions[f"{group}_baseline"], color=colour, **BASELINE_STYLE,
                label=f"{labels[group]}: your baseline")  # fmt: skip
    top = float(np.nanmax(expressions[["fatigue", "protective"]].to_numpy(dtype=float)))
    ax.set_ylim(0, max(0.1, top * 1.2))
    ax.set_ylabel("mean Hume score (0–1)")
    _week_axis(ax, weeks)
    _title(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")
    return fig


def team_levels_chart(levels: pd.DataFrame, title: str) -> Figure:
    """Share of the team's scored staff at each risk level per week; hidden weeks and cells grey."""
    fig = new_figure(7.5, 3.6)
    if levels.empty:
        return empty(fig, title)
    ax = fig.subplots()
    weeks = pd.to_datetime(pd.Series(levels.index))
    width = pd.Timedelta(days=5)
    bottom = np.zeros(len(levels))
    total = levels[TOTAL].astype("Float64")
    for level in RISK_LEVELS:
        share = (levels[level].astype("Float64") / total).fillna(0).to_numpy(dtype=float)
        ax.bar(weeks, share, width, bottom=bottom, color=RISK_COLOURS[level],
               edgecolor="white", label=f"{level} risk")  # fmt: skip
        bottom += share
    # what the visible levels do not cover: hidden cells, or the whole week when its total is
    # hidden; weeks with nobody scored stay empty
    no_one = total.fillna(1).eq(0).to_numpy()
    hidden = np.where(no_one, 0.0, 1.0 - bottom)
    ax.bar(weeks, hidden, width, bottom=bottom, color=HIDDEN_COLOUR, hatch="//",
           edgecolor="white", label="hidden (too few people)")  # fmt: skip
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_ylabel("share of staff scored")
    _week_axis(ax, weeks)
    _title(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")
    return fig


def group_trend_chart(trend: pd.DataFrame, title: str) -> Figure:
    """The share at high risk per group (columns) over weeks (rows); a hidden week is a gap."""
    fig = new_figure(7.5, 3.4)
    groups = [g for g in trend.columns if g != ALL]
    if trend.empty or not groups:
        return empty(fig, title)
    ax = fig.subplots()
    weeks = pd.to_datetime(pd.Series(trend.index))
    palette = [c for name, c in OKABE_ITO.items() if name not in ("black", "yellow")]  # on white
    for k, group in enumerate(groups):
        values = trend[group].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        ax.plot(weeks, values, marker="o", markersize=3, linewidth=1.5,
                color=palette[k % len(palette)], linestyle=["-", "--", ":"][k // len(palette) % 3],
                label=str(group))  # fmt: skip
    if ALL in trend.columns:
        values = trend[ALL].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        ax.plot(weeks, values, color=OKABE_ITO["black"], linewidth=2.5, label="all")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_ylabel("share at high risk")
    _week_axis(ax, weeks)
    _title(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")
    return fig


def _title(ax, title: str) -> None:
    """A chart's title, wrapped to the figure so that a long unit or role name is never cut."""
    ax.set_title("\n".join(textwrap.wrap(title, TITLE_WIDTH)), loc="left")


def team_burnout_chart(rate: pd.Series, benchmark: dict | None, title: str) -> Figure:
    """The team's weekly share of check-ins at or above the CBI cut-off, next to the NHS rate."""
    fig = new_figure(7.5, 3.4)
    if rate.empty:
        return empty(fig, title)
    ax = fig.subplots()
    weeks = pd.to_datetime(pd.Series(rate.index))
    values = rate.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ax.plot(weeks, values, color=OKABE_ITO["blue"], marker="o", linewidth=2,
            label=f"this team (CBI ≥ {BURNOUT_CUTOFF:.0f})")  # fmt: skip
    missing = np.isnan(values)
    if missing.any():
        ax.scatter(weeks[missing], np.zeros(missing.sum()), marker="x", color=HIDDEN_COLOUR,
                   label="hidden or no check-ins")  # fmt: skip
    if benchmark is not None:
        ax.axhspan(benchmark["ci_low"], benchmark["ci_high"], color=OKABE_ITO["orange"], alpha=0.3)
        ax.axhline(benchmark["rate"], color=OKABE_ITO["orange"], linewidth=2,
                   label=f"NHS {benchmark['trust_type']} trusts, {benchmark['year']}")  # fmt: skip
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_ylabel("share burnt out")
    _week_axis(ax, weeks)
    _title(ax, title)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
              fontsize="small")  # fmt: skip
    return fig


def group_levels_chart(table: pd.DataFrame, title: str) -> Figure:
    """One week's share of staff at each risk level per unit (or role); hidden numbers grey."""
    fig = new_figure(7.5, 0.45 * max(len(table), 3) + 1.4)
    if table.empty:
        return empty(fig, title)
    ax = fig.subplots()
    names = list(table.index)[::-1]
    rows = table.loc[names]
    total = rows[TOTAL].astype("Float64")
    left = np.zeros(len(rows))
    for level in RISK_LEVELS:
        share = (rows[level].astype("Float64") / total).fillna(0).to_numpy(dtype=float)
        ax.barh(names, share, left=left, color=RISK_COLOURS[level], edgecolor="white",
                label=f"{level} risk")  # fmt: skip
        left += share
    no_one = total.fillna(1).eq(0).to_numpy()
    ax.barh(names, np.where(no_one, 0.0, 1.0 - left), left=left, color=HIDDEN_COLOUR,
            hatch="//", edgecolor="white", label="hidden (too few people)")  # fmt: skip
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    ax.set_xlabel("share of staff scored")
    _title(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize="small")
    return fig
