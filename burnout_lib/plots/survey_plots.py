"""Figures of the published surveys (`burnout_lib.sources.survey`), for notebook 01: each cites
its source under the axes, and the unverified news summary is grey, hatched and says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from burnout_lib.plots.style import CATEGORICAL, OKABE_ITO, empty, new_figure
from burnout_lib.sources import survey

SURVEY_COLOUR = OKABE_ITO["blue"]
RESOURCE_COLOUR = OKABE_ITO["bluish_green"]
NONE_COLOUR = "#999999"
UNVERIFIED_COLOUR = "#BBBBBB"


def _caption(fig: Figure, text: str) -> None:
    """Cite the source as a small caption under the axes."""
    fig.supxlabel(text, x=0.01, ha="left", fontsize="small", color="#444444", wrap=True)


def _source(frame: pd.DataFrame) -> str:
    sources = list(dict.fromkeys(frame["source"])) if "source" in frame else []
    return "Source: " + "; ".join(sources) if sources else "Source: not given"


def _percent_bars(ax, labels, percents, colours, errors=None, hatch=None) -> None:
    """Horizontal bars in percent, first label at the top, each bar labelled with its value."""
    y = np.arange(len(labels))[::-1]
    bars = ax.barh(
        y,
        percents,
        color=colours,
        xerr=errors,
        error_kw={"ecolor": OKABE_ITO["black"], "elinewidth": 1, "capsize": 3},
        hatch=hatch,
        edgecolor="white" if hatch is None else "#666666",
        linewidth=0.5,
    )
    offset = errors[1] if errors is not None else np.zeros(len(labels))
    for bar, value, extra in zip(bars, percents, offset, strict=True):
        ax.text(
            bar.get_width() + extra + 1,
            bar.get_y() + bar.get_height() / 2,
            f"{value:.0f}%",
            va="center",
            fontsize="small",
        )
    ax.set_yticks(y, [survey.readable(str(label)) for label in labels])
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100))


def distress_contributors_chart(frame: pd.DataFrame, top: int = 12) -> Figure:
    """The `top` contributors to distress NYC healthcare workers named (Shechter et al. 2020), as
    horizontal bars in percent, most named at the top.

    `frame` is `survey.distress_contributors()`: `contributor`, `percent`, optionally `n` and
    `source`.
    """
    title = "What NYC healthcare workers named as contributors to distress, April 2020"
    shown = frame.sort_values("percent", ascending=False, kind="stable").head(max(top, 1))
    fig = new_figure(9, 0.36 * max(len(shown), 4) + 1.8)
    if shown.empty:
        return empty(fig, title)
    ax = fig.subplots()
    _percent_bars(ax, shown["contributor"], shown["percent"], SURVEY_COLOUR)
    if len(shown) < len(frame):
        title += f"\n(top {len(shown)} of {len(frame)})"
    fig.suptitle(title)
    ax.set_xlabel("healthcare workers naming it (%)")
    ax.set_ylabel("contributor to distress")
    _caption(fig, _source(frame))
    return fig


def symptom_progression_chart(frame: pd.DataFrame) -> Figure:
    """What healthcare workers reported over June–September 2020 (Mental Health America), as
    horizontal bars in percent with 95% Wilson intervals from each item's count and base.

    `frame` is `survey.mha_progression()`: `symptom`, `count`, `n`, optionally `source`.
    """
    from burnout_lib.sources.survey import wilson_interval

    title = "What healthcare workers reported over three months, June–September 2020"
    fig = new_figure(9, 0.36 * max(len(frame), 4) + 1.8)
    if frame.empty:
        return empty(fig, title)
    shown = frame.assign(share=frame["count"] / frame["n"]).sort_values(
        "share", ascending=False, kind="stable"
    )
    low, high = wilson_interval(shown["count"].to_numpy(), shown["n"].to_numpy())
    share = shown["share"].to_numpy()
    errors = np.vstack([share - low, high - share]) * 100
    ax = fig.subplots()
    _percent_bars(ax, shown["symptom"], share * 100, OKABE_ITO["vermillion"], errors=errors)
    fig.suptitle(title)
    base = " / ".join(f"{n:,}" for n in dict.fromkeys(shown["n"]))
    ax.set_xlabel(f"healthcare workers reporting it (% of {base}; bars: 95% Wilson interval)")
    ax.set_ylabel("reported change")
    _caption(fig, _source(frame))
    return fig


def coping_and_resources_chart(coping: pd.DataFrame, resources: pd.DataFrame) -> Figure:
    """Coping behaviours NYC healthcare workers used next to the support resources they would
    find helpful (Shechter et al. 2020), as two panels of horizontal bars in percent; "none" is
    grey.

    `coping` is `survey.coping()` (`behaviour`, `percent`); `resources` is
    `survey.helpful_resources()` (`resource`, `percent`).
    """
    title = "Coping used and support wanted by NYC healthcare workers, April 2020"
    rows = max(len(coping), len(resources), 4)
    fig = new_figure(13, 0.38 * rows + 2.0)
    if coping.empty and resources.empty:
        return empty(fig, title)
    axes = fig.subplots(1, 2)
    panels = (
        (coping, "behaviour", SURVEY_COLOUR, "Coping behaviours used", "coping behaviour"),
        (resources, "resource", RESOURCE_COLOUR, "Resources they would find helpful", "resource"),
    )
    for ax, (frame, column, colour, panel_title, ylabel) in zip(axes, panels, strict=True):
        shown = frame.sort_values("percent", ascending=False, kind="stable")
        colours = [NONE_COLOUR if item == "none" else colour for item in shown[column]]
        _percent_bars(ax, shown[column], shown["percent"], colours)
        ax.set_title(panel_title, fontsize="medium")
        ax.set_xlabel("healthcare workers (%)")
        ax.set_ylabel(ylabel)
    fig.suptitle(title)
    _caption(fig, _source(pd.concat([coping, resources])))
    return fig


def nhs_burnout_chart(benchmark: pd.DataFrame) -> Figure:
    """NHS staff who often or always feel burnt out because of their work, by trust type, one
    bar per year with its 95% Wilson interval.

    `benchmark` is `survey.nhs_benchmark()`: `year`, `trust_type`, `respondents`, `burnout_rate`,
    `ci_low`, `ci_high`, optionally `weighting` and `source`.
    """
    from burnout_lib.sources.survey import TRUST_TYPES

    title = "NHS staff who often or always feel burnt out because of their work"
    fig = new_figure(11, 5.2)
    if benchmark.empty:
        return empty(fig, title)
    types = [t for t in TRUST_TYPES if t in set(benchmark["trust_type"])]
    types += sorted(set(benchmark["trust_type"]) - set(types))
    years = sorted(benchmark["year"].unique())
    ax = fig.subplots()
    width = 0.8 / len(years)
    x = np.arange(len(types))
    for k, year in enumerate(years):
        rows = benchmark[benchmark["year"] == year].set_index("trust_type").reindex(types)
        rate = rows["burnout_rate"].to_numpy() * 100
        errors = np.vstack([rate - rows["ci_low"] * 100, rows["ci_high"] * 100 - rate])
        bars = ax.bar(
            x + (k - (len(years) - 1) / 2) * width,
            rate,
            width=width * 0.95,
            color=CATEGORICAL[k % len(CATEGORICAL)],
            yerr=errors,
            error_kw={"ecolor": OKABE_ITO["black"], "elinewidth": 1, "capsize": 2},
            label=str(year),
        )
        ax.bar_label(bars, fmt="%.0f", padding=4, fontsize="x-small")
    bases = benchmark.groupby("trust_type")["respondents"].agg(["min", "max"])
    labels = []
    for trust_type in types:
        low, high = bases.loc[trust_type, "min"] / 1000, bases.loc[trust_type, "max"] / 1000
        name = trust_type.replace(" & ", " &\n")
        labels.append(f"{name}\n({low:,.0f}k–{high:,.0f}k / year)")
    ax.set_xticks(x, labels, fontsize="small")
    top = float((benchmark["ci_high"] * 100).max())
    ax.set_ylim(0, max(10.0, math.ceil(top / 10) * 10 + 5))
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    ax.set_title(title)
    ax.set_xlabel("trust type (respondents per year)")
    ax.set_ylabel("staff burnt out often or always (%)")
    ax.legend(title="survey year", frameon=False, ncols=len(years), loc="upper left")
    caption = _source(benchmark) + "; religion groups pooled, weighted by respondents"
    if "weighting" in benchmark:
        weightings = "; ".join(
            f"{year}: {w}" for year, w in benchmark.groupby("year")["weighting"].first().items()
        )
        caption += f"\nNHS England weighting by year ({weightings})"
    caption += "; error bars: 95% Wilson interval"
    _caption(fig, caption)
    return fig


def unverified_reasons_chart(frame: pd.DataFrame) -> Figure:
    """Reasons for burnout from a news summary whose primary source is not confirmed, as grey
    hatched bars in percent, with the caveat in the title and the caption.

    `frame` is `survey.unverified_reasons()`: `reason`, `percent`, `caveat`, optionally `source`.
    """
    title = "UNVERIFIED — reasons for burnout reported in a 2020 news summary"
    fig = new_figure(9, 0.36 * max(len(frame), 4) + 2.0)
    if frame.empty:
        return empty(fig, title)
    shown = frame.sort_values("percent", ascending=False, kind="stable")
    ax = fig.subplots()
    _percent_bars(ax, shown["reason"], shown["percent"], UNVERIFIED_COLOUR, hatch="//")
    fig.suptitle(f"{title}\nprimary source not confirmed: do not use as evidence")
    ax.set_xlabel("workers giving the reason (%, as reported)")
    ax.set_ylabel("reason for burnout")
    caveat = str(frame["caveat"].iloc[0]) if "caveat" in frame else "Unverified source."
    _caption(fig, f"{caveat}\n{_source(frame)}")
    return fig
