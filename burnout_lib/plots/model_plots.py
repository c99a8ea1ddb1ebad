"""Figures of the modelling notebooks: the mock hospital (notebook 02: staff, consent, check-in
scores, trajectories against the latent truth), a recording's expression traces (notebook 03), and
the risk model's training and evaluation (notebook 04: people held out of training, later weeks no
model saw).

Check-ins are blue, recordings orange, the latent truth black and fatigue expressions vermillion.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from burnout_lib import channels as registry
from burnout_lib.plots.style import CATEGORICAL, OKABE_ITO, empty, new_figure
from burnout_lib.sources.instruments import BURNOUT_CUTOFF

#: The plots' part of each channel: its colour (a channel added later takes the next free one).
CHANNEL_COLOURS: dict[str, str] = {
    "checkin": OKABE_ITO["blue"],
    "face": OKABE_ITO["orange"],
}
TRUTH_COLOUR = OKABE_ITO["black"]
CHECKIN_COLOUR = OKABE_ITO["blue"]
FATIGUE_COLOUR = OKABE_ITO["vermillion"]
BELOW_CUTOFF_COLOUR = OKABE_ITO["sky_blue"]
ABOVE_CUTOFF_COLOUR = OKABE_ITO["vermillion"]
CUTOFF_COLOUR = OKABE_ITO["black"]

CBI_LABEL = "CBI personal burnout score (0–100)"
FATIGUE_LABEL = "fatigue expressions, mean Hume score (0–1)"


def roster_by_unit(staff: pd.DataFrame) -> Figure:
    """Staff per unit as horizontal bars stacked by role: who works where.

    `staff` needs `unit` and `role` columns. Units are ordered by size, largest at the top.
    """
    title = "Staff per unit, by role"
    counts = pd.crosstab(staff["unit"], staff["role"]) if len(staff) else pd.DataFrame()
    fig = new_figure(10, 0.45 * max(len(counts), 4) + 1.6)
    if counts.empty:
        return empty(fig, title)
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    counts = counts[counts.sum().sort_values(ascending=False).index]
    ax = fig.subplots()
    left = np.zeros(len(counts))
    for k, role in enumerate(counts.columns):
        values = counts[role].to_numpy()
        ax.barh(
            counts.index,
            values,
            left=left,
            color=CATEGORICAL[k % len(CATEGORICAL)],
            edgecolor="white",
            linewidth=0.5,
            label=role,
        )
        left += values
    for y, total in enumerate(left):
        ax.text(total, y, f" {int(total)}", va="center", fontsize="small")
    ax.set_xlim(0, left.max() * 1.08)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{title} ({int(left.sum()):,} staff)")
    ax.set_xlabel("staff (people)")
    ax.set_ylabel("unit")
    fig.legend(title="role", loc="outside right upper", fontsize="small", frameon=False)
    return fig


def consent_rates(staff: pd.DataFrame, consent: pd.DataFrame) -> Figure:
    """Share of each unit's staff who granted each channel (check-in, facial recording).

    `staff` needs `pseudonym` and `unit`; `consent` needs `pseudonym`, `channel` and `granted`.
    Staff without a consent decision count as not granted, because nothing may be collected
    without one.
    """
    title = "Consent by unit and channel"
    fig = new_figure(9, 0.5 * max(staff["unit"].nunique() if len(staff) else 0, 4) + 1.6)
    if staff.empty:
        return empty(fig, title)
    channels = list(registry.names())
    spare = [c for c in OKABE_ITO.values() if c not in CHANNEL_COLOURS.values()]
    colours = {**dict(zip(channels, spare, strict=False)), **CHANNEL_COLOURS}
    granted = (
        consent[consent["granted"].astype(bool)]
        .assign(value=True)
        .pivot_table(index="pseudonym", columns="channel", values="value", aggfunc="any")
        .reindex(columns=channels)
    )
    per_person = (
        staff[["pseudonym", "unit"]]
        .merge(granted, left_on="pseudonym", right_index=True, how="left")
        .fillna({c: False for c in channels})
    )
    per_person[channels] = per_person[channels].astype(bool)
    shares = per_person.groupby("unit")[channels].mean() * 100
    overall = per_person[channels].mean() * 100
    sizes = per_person.groupby("unit").size().sort_values()
    shares = shares.loc[sizes.index]

    ax = fig.subplots()
    height = 0.76 / len(channels)
    y = np.arange(len(shares))
    for k, channel in enumerate(channels):
        offset = ((len(channels) - 1) / 2 - k) * height
        bars = ax.barh(
            y + offset,
            shares[channel],
            height=height,
            color=colours[channel],
            label=f"{registry.get(channel).label} (all units {overall[channel]:.0f}%)",
        )
        ax.bar_label(bars, fmt="%.0f%%", padding=2, fontsize="small")
    ax.set_yticks(y, [f"{unit} (n={sizes[unit]})" for unit in shares.index])
    ax.set_xlim(0, 112)
    ax.xaxis.set_major_formatter(PercentFormatter(100))
    ax.set_title(title)
    ax.set_xlabel("staff who granted consent (% of unit)")
    ax.set_ylabel("unit")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig


def checkin_score_distribution(checkins: pd.DataFrame) -> Figure:
    """Histogram of weekly CBI personal scores, split at the burnout cut-off of 50.

    `checkins` needs a `score` column (0–100; missing scores are left out).
    """
    title = "Weekly check-in scores"
    fig = new_figure(8, 4.5)
    scores = pd.to_numeric(checkins["score"], errors="coerce").dropna() if len(checkins) else []
    if len(scores) == 0:
        return empty(fig, title, "no scored check-ins")
    above = float((scores >= BURNOUT_CUTOFF).mean())
    ax = fig.subplots()
    bins = np.arange(0, 100 + 5, 5)
    for low, high, colour, label in (
        (0, BURNOUT_CUTOFF, BELOW_CUTOFF_COLOUR, f"below {BURNOUT_CUTOFF:.0f}"),
        (BURNOUT_CUTOFF, 101, ABOVE_CUTOFF_COLOUR, f"{BURNOUT_CUTOFF:.0f} or more ({above:.0%})"),
    ):
        part = scores[(scores >= low) & (scores < high)]
        ax.hist(part, bins=bins, color=colour, edgecolor="white", linewidth=0.5, label=label)
    ax.axvline(
        BURNOUT_CUTOFF,
        color=CUTOFF_COLOUR,
        linestyle="--",
        linewidth=1.5,
        label=f"burnout cut-off ({BURNOUT_CUTOFF:.0f})",
    )
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{title}: {above:.0%} of {len(scores):,} at or above the burnout cut-off")
    ax.set_xlabel(CBI_LABEL)
    ax.set_ylabel("check-ins (count)")
    ax.legend(frameon=False)
    return fig


def trajectories(people: pd.DataFrame, columns: int = 2) -> Figure:
    """One panel per person: latent burnout, check-in scores and fatigue expressions by week.

    `people` has one row per person and week with `pseudonym`, `week`, `true_cbi` (0–100),
    `score` (check-in, may be missing) and `fatigue_mean` (the week's mean fatigue-expression
    score, may be missing); an optional `trajectory` column is shown in each panel's title.
    The left axis is the CBI scale shared by truth and check-ins; the right axis is the
    expression score, so the eye can judge how closely the face follows the truth.
    """
    title = "Latent burnout against check-ins and facial expressions"
    names = list(dict.fromkeys(people["pseudonym"])) if len(people) else []
    if not names:
        return empty(new_figure(8, 4), title)
    columns = max(1, min(columns, len(names)))
    rows = math.ceil(len(names) / columns)
    fig = new_figure(6 * columns, 3.4 * rows + 0.8)
    axes = np.atleast_1d(fig.subplots(rows, columns, sharex=True, squeeze=False)).ravel()
    fatigue = pd.to_numeric(people["fatigue_mean"], errors="coerce")
    top = fatigue.max()
    fatigue_limit = (0, max(0.05, float(top) * 1.15)) if pd.notna(top) else (0, 1)
    for ax, name in zip(axes, names, strict=False):
        person = people[people["pseudonym"] == name].sort_values("week")
        ax.axhline(BURNOUT_CUTOFF, color=CUTOFF_COLOUR, linestyle=":", linewidth=1)
        ax.plot(person["week"], person["true_cbi"], color=TRUTH_COLOUR, linewidth=2)
        ax.scatter(person["week"], person["score"], color=CHECKIN_COLOUR, s=22, zorder=3)
        ax.set_ylim(0, 100)
        ax.set_ylabel(CBI_LABEL, fontsize="small")
        right = ax.twinx()
        right.plot(
            person["week"],
            pd.to_numeric(person["fatigue_mean"], errors="coerce"),
            color=FATIGUE_COLOUR,
            linewidth=1.5,
            linestyle="--",
            marker="o",
            markersize=3,
        )
        right.set_ylim(*fatigue_limit)
        right.set_ylabel(FATIGUE_LABEL, fontsize="small", color=FATIGUE_COLOUR)
        right.tick_params(axis="y", colors=FATIGUE_COLOUR)
        label = name
        if "trajectory" in person and person["trajectory"].notna().any():
            label += f" ({person['trajectory'].dropna().iloc[0]})"
        ax.set_title(label, fontsize="medium")
        ax.set_xlabel("week of the period (1 = first)")
        ax.tick_params(axis="x", labelbottom=True)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    fig.suptitle(title)
    fig.legend(
        handles=[
            Line2D([], [], color=TRUTH_COLOUR, linewidth=2, label="latent burnout (CBI scale)"),
            Line2D([], [], color=CHECKIN_COLOUR, marker="o", linestyle="", label="check-in score"),
            Line2D(
                [],
                [],
                color=FATIGUE_COLOUR,
                linestyle="--",
                marker="o",
                markersize=3,
                label="fatigue expressions (right axis)",
            ),
            Line2D([], [], color=CUTOFF_COLOUR, linestyle=":", label="burnout cut-off (50)"),
        ],
        loc="outside lower center",
        ncols=4,
        frameon=False,
        fontsize="small",
    )
    return fig


def expression_traces(frames: pd.DataFrame, face_id: str | None, title: str) -> Figure:
    """One face's expression scores over a recording: the fatigue and protective group means,
    and the three expressions that were strongest on average."""
    from burnout_lib.emotions import GROUPS, slug

    fig = new_figure(9, 4)
    mine = frames[frames["face_id"] == face_id].sort_values("time_s") if face_id else frames[:0]
    if mine.empty:
        return empty(fig, title, "no face in this recording")
    step = mine["time_s"].diff().median()
    if pd.notna(step) and step > 0:  # break the lines where the face was out of view
        gaps = mine["time_s"].diff() > 3 * step
        breaks = mine[gaps].assign(time_s=lambda f: f["time_s"] - step / 2)
        numbers = breaks.select_dtypes("number").columns.drop("time_s")
        breaks[numbers] = float("nan")
        mine = pd.concat([mine, breaks]).sort_values("time_s", kind="stable")
    ax = fig.subplots()
    group_colours = {"fatigue": FATIGUE_COLOUR, "protective": OKABE_ITO["bluish_green"]}
    for group, names in GROUPS.items():
        series = mine[[slug(n) for n in names]].mean(axis=1)
        ax.plot(mine["time_s"], series, color=group_colours[group], linewidth=2.5,
                label=f"{group} group mean")  # fmt: skip
    group_slugs = {slug(n) for names in GROUPS.values() for n in names}
    scores = mine.drop(columns=[c for c in mine.columns if c in group_slugs])
    numeric = scores.select_dtypes("number").drop(
        columns=["frame", "time_s", "bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1", "confidence"],
        errors="ignore",
    )
    strongest = numeric.mean().nlargest(3).index
    colours = (OKABE_ITO["blue"], OKABE_ITO["reddish_purple"], OKABE_ITO["orange"])
    for colour, name in zip(colours, strongest, strict=False):
        ax.plot(mine["time_s"], mine[name], color=colour, linewidth=1, linestyle="--",
                label=name.replace("_", " "))  # fmt: skip
    ax.set_ylim(0, 1)
    ax.set_xlabel("time in recording (s)")
    ax.set_ylabel("Hume score (0–1)")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


# --- the risk model: people held out of training (`risk.model`) and later weeks no model saw
# (`risk.evaluation`) ---------------------------------------------------------------------------

#: What the early warning's positive weeks are, for axis labels.
WARNING_OUTCOME = "a check-in ≥ 50 within the horizon"
#: Markers for the methods, so curves differ by more than colour.
METHOD_MARKERS = ("o", "s", "^", "D", "v", "P")
#: Bars of how far ahead a warning came: darker is earlier.
LEAD_CMAP = "Blues"
NOT_WARNED_COLOUR = "#BBBBBB"
#: Whether a difference's 95% interval lies above zero, below it, or spans it.
DIFFERENCE_STYLES: dict[str, tuple[str, str]] = {
    "model better": (OKABE_ITO["bluish_green"], "^"),
    "no clear difference": (OKABE_ITO["black"], "o"),
    "model worse": (OKABE_ITO["vermillion"], "v"),
}
MEASURE_NAMES: dict[str, str] = {
    "recall": "recall",
    "precision": "precision",
    "f1": "F1",
    "average_precision": "average precision",
}


def method_colours(names) -> dict[str, str]:
    """A colour per evaluation method, the same on every chart: the model (with the facial
    channel) reddish purple, the check-in-only model blue like check-ins, the check-in rules
    sky blue and bluish green; any other method the next unused palette colour."""
    from burnout_lib.risk.evaluation import CHECKIN_AT_40, CHECKIN_MODEL, MODEL, TREND

    fixed = {
        MODEL: OKABE_ITO["reddish_purple"],
        CHECKIN_MODEL: OKABE_ITO["blue"],
        CHECKIN_AT_40: OKABE_ITO["sky_blue"],
        TREND: OKABE_ITO["bluish_green"],
    }
    spare = [c for c in CATEGORICAL if c not in fixed.values() and c != OKABE_ITO["yellow"]]
    colours, k = {}, 0
    for name in names:
        if name in fixed:
            colours[name] = fixed[name]
        else:
            colours[name] = spare[k % len(spare)]
            k += 1
    return colours


def precision_recall(
    predictions: pd.DataFrame,
    threshold: float,
    title: str = "Precision and recall",
    outcome: str = WARNING_OUTCOME,
) -> Figure:
    """The precision–recall trade-off of predictions for people the model never saw, with the
    chosen threshold marked: the price in false alarms of missing fewer people at risk.

    `predictions` needs `label` (1 for a week followed by `outcome`) and `probability`, such as
    `TrainedModel.held_out` (people held out of fitting, calibration and thresholds).
    """
    from sklearn.metrics import precision_recall_curve

    fig = new_figure(6.5, 4.5)
    if predictions["label"].nunique() < 2:
        return empty(fig, title, "needs weeks with and without the outcome")
    ax = fig.subplots()
    precision, recall, thresholds = precision_recall_curve(
        predictions["label"], predictions["probability"]
    )
    ax.plot(recall, precision, color=OKABE_ITO["blue"], linewidth=2, label="model")
    chosen = np.searchsorted(thresholds, threshold)
    chosen = min(chosen, len(thresholds) - 1)
    ax.scatter([recall[chosen]], [precision[chosen]], color=OKABE_ITO["vermillion"], zorder=3,
               label=f"threshold {threshold:.2f}: recall {recall[chosen]:.0%}, "
                     f"precision {precision[chosen]:.0%}")  # fmt: skip
    base = predictions["label"].mean()
    ax.axhline(base, color=OKABE_ITO["black"], linestyle=":", label=f"base rate {base:.0%}")
    ax.set_xlabel(f"recall (share of weeks followed by\n{outcome} that were flagged)")
    ax.set_ylabel("precision (share of flagged weeks\nthat were followed by it)")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.set_title(title)
    ax.legend(loc="lower left", frameon=False)
    return fig


def confusion_matrix_chart(
    predictions: pd.DataFrame, threshold: float, outcome: str = WARNING_OUTCOME
) -> Figure:
    """Weeks flagged or not against weeks followed by `outcome` or not, at the chosen threshold.

    `predictions` needs `label` and `probability`, such as `TrainedModel.held_out` (people held
    out of fitting, calibration and thresholds).
    """
    fig = new_figure(5.5, 4.5)
    ax = fig.subplots()
    flagged = predictions["probability"] >= threshold
    actual = predictions["label"] == 1
    cells = np.array(
        [[(~flagged & ~actual).sum(), (flagged & ~actual).sum()],
         [(~flagged & actual).sum(), (flagged & actual).sum()]]
    )  # fmt: skip
    ax.imshow(cells, cmap="Blues")
    names = [["true negatives", "false alarms"], ["missed", "caught"]]
    for i in range(2):
        for j in range(2):
            colour = "white" if cells[i, j] > cells.max() / 2 else "black"
            ax.text(j, i, f"{names[i][j]}\n{cells[i, j]:,}", ha="center", va="center",
                    color=colour)  # fmt: skip
    ax.set_xticks([0, 1], ["not flagged", "flagged"])
    ax.set_yticks([0, 1], ["no", "yes"])
    ax.set_xlabel("model, on people held out of training")
    ax.set_ylabel(f"followed by {outcome}?")
    ax.set_title(f"Weeks at threshold {threshold:.2f}")
    return fig


def calibration_chart(
    predictions: pd.DataFrame,
    bins: int = 10,
    title: str = "Calibration on people held out of training",
    outcome: str = WARNING_OUTCOME,
) -> Figure:
    """Predicted probability against the observed share of weeks followed by `outcome`, by
    probability bin, with the diagonal of perfect calibration.

    `predictions` needs `label` and `probability`, such as `TrainedModel.held_out`: people held
    out of fitting *and* calibration, so the curve does not grade the calibrator on its own data.
    """
    fig = new_figure(5.5, 4.8)
    ax = fig.subplots()
    binned = pd.cut(predictions["probability"], np.linspace(0, 1, bins + 1), include_lowest=True)
    table = predictions.groupby(binned, observed=True).agg(
        predicted=("probability", "mean"), observed=("label", "mean"), weeks=("label", "size")
    )
    ax.plot([0, 1], [0, 1], color=OKABE_ITO["black"], linestyle=":", label="perfect calibration")
    ax.plot(table["predicted"], table["observed"], marker="o", color=OKABE_ITO["blue"],
            label=f"model ({len(predictions):,} weeks)")  # fmt: skip
    ax.set_xlabel(f"predicted probability of {outcome}")
    ax.set_ylabel("observed share of weeks followed by it")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False)
    return fig


def group_recall_chart(card: dict) -> Figure:
    """Recall by unit and by role from the model card (measured on people held out of training),
    so a group the model misses stands out; each group's label says how many weeks at risk its
    recall rests on."""
    fig = new_figure(10, 4.8)
    axes = fig.subplots(1, 2, sharex=True)
    for ax, kind in zip(axes, ("unit", "role"), strict=True):
        groups = card[f"recall_by_{kind}"]
        recall = {g: _or_zero(v["recall"]) for g, v in groups.items()}
        names = sorted(groups, key=recall.__getitem__)
        ax.barh(np.arange(len(names)), [recall[g] for g in names], color=CATEGORICAL[0])
        labels = [f"{g} ({groups[g]['positives']} weeks)" for g in names]
        ax.set_yticks(np.arange(len(names)), labels, fontsize="small")
        ax.axvline(card["target_recall"], color=OKABE_ITO["vermillion"], linestyle="--",
                   label=f"recall target {card['target_recall']:.0%}")  # fmt: skip
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1))
        ax.set_xlabel("recall (share of weeks at risk flagged)")
        ax.set_ylabel(kind)
        ax.set_title(f"By {kind}", fontsize="medium")
    fig.suptitle("Recall by group at the chosen threshold (people held out of training)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", frameon=False)
    return fig


def _or_zero(value) -> float:
    return 0.0 if value is None or pd.isna(value) else float(value)


def method_comparison_chart(methods: pd.DataFrame, target_recall: float | None = None) -> Figure:
    """Recall, precision and F1 of each method on the later weeks, as grouped bars labelled with
    their values; the recall target, when given, is a dashed line over the recall bars.

    `methods` is `Evaluation.methods` (indexed by method, with `recall`, `precision`, `f1`).
    """
    title = "The early warning and its baselines on later weeks no model saw"
    fig = new_figure(9, 4.8)
    if methods.empty:
        return empty(fig, title)
    measures = ["recall", "precision", "f1"]
    names = list(methods.index)
    colours = method_colours(names)
    ax = fig.subplots()
    x = np.arange(len(measures))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        values = methods.loc[name, measures].to_numpy(dtype=float)
        bars = ax.bar(x + (k - (len(names) - 1) / 2) * width, np.nan_to_num(values),
                      width=width * 0.92, color=colours[name], label=name)  # fmt: skip
        ax.bar_label(bars, labels=[_percent(v) for v in values], padding=2, fontsize="x-small",
                     bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})  # fmt: skip
    if target_recall is not None:
        ax.hlines(target_recall, -0.45, 0.45, color=OKABE_ITO["black"], linestyle="--",
                  label=f"recall target {target_recall:.0%}", zorder=1)  # fmt: skip
    ax.set_xticks(x, [MEASURE_NAMES[m] for m in measures])
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(PercentFormatter(1))
    ax.set_xlabel("measure, at each method's decision threshold")
    ax.set_ylabel("share of person-weeks (%)")
    ax.set_title(title)
    fig.legend(title="method", loc="outside right upper", fontsize="small", frameon=False)
    return fig


def lead_time_chart(lead_times: pd.DataFrame, horizon: int) -> Figure:
    """How far ahead each method warned before a check-in first crossed 50: per method, the share
    of first crossings warned 1 to `horizon` weeks ahead (darker: earlier) and the share it never
    warned of (grey).

    `lead_times` is `Evaluation.lead_times`: one row per first crossing and method, `lead_weeks`
    missing when the method gave no warning in the `horizon` weeks before.
    """
    from matplotlib import colormaps

    title = "How far ahead each method warned before a check-in first crossed 50"
    if lead_times.empty:
        return empty(new_figure(9, 3.5), title, "no first crossings after the cut-off")
    names = list(dict.fromkeys(lead_times["method"]))
    fig = new_figure(10, 0.6 * len(names) + 2.4)
    ax = fig.subplots()
    shades = colormaps[LEAD_CMAP](np.linspace(0.95, 0.4, horizon))
    y = np.arange(len(names))[::-1]
    left = np.zeros(len(names))
    counts = lead_times.groupby("method", sort=False).size().reindex(names)
    segments = [(k, f"warned {k} week{'s' if k > 1 else ''} ahead", shades[horizon - k])
                for k in range(horizon, 0, -1)]  # fmt: skip
    for k, label, colour in [*segments, (None, "not warned", NOT_WARNED_COLOUR)]:
        shares = np.array([_lead_share(lead_times, name, k) for name in names])
        ax.barh(y, shares, left=left, color=colour, edgecolor="white", linewidth=0.5, label=label)
        dark = k is not None and k > horizon / 2
        for yy, share, start in zip(y, shares, left, strict=True):
            if share >= 0.06:
                ax.text(start + share / 2, yy, f"{share:.0%}", ha="center", va="center",
                        fontsize="small", color="white" if dark else "black")  # fmt: skip
        left += shares
    ax.set_yticks(y, [f"{name}\n({counts[name]:,} crossings)" for name in names])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1))
    ax.set_xlabel(
        "share of first crossings of 50 after the cut-off (earliest warning per crossing)"
    )
    ax.set_ylabel("method")
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=horizon + 1, fontsize="small", frameon=False)
    return fig


def _lead_share(lead_times: pd.DataFrame, method: str, weeks: int | None) -> float:
    lead = lead_times.loc[lead_times["method"] == method, "lead_weeks"]
    if lead.empty:
        return 0.0
    hit = lead.isna() if weeks is None else lead.round() == weeks
    return float(hit.mean())


def difference_interval_chart(differences: pd.DataFrame) -> Figure:
    """The model's figure minus each comparator's on the later weeks, one panel per measure: a
    point with its 95% interval (from resampling people) and a line at zero. Recall, precision
    and F1 are in percentage points, average precision on its own 0–1 scale; a triangle up
    (green) is an interval above zero, down (vermillion) below it, a dot (black) one that
    spans zero.

    `differences` is `Evaluation.differences`: comparator, measure, difference, low, high.
    """
    title = "The model minus each comparator on later weeks, with 95% intervals"
    if differences.empty:
        return empty(new_figure(9, 3.5), title, "too few later weeks to compare")
    measures = [m for m in MEASURE_NAMES if m in set(differences["measure"])]
    comparators = list(dict.fromkeys(differences["comparator"]))
    fig = new_figure(3.4 * len(measures) + 2.2, 0.55 * len(comparators) + 2.4)
    axes = np.atleast_1d(fig.subplots(1, len(measures), sharey=True))
    y_of = {name: len(comparators) - 1 - k for k, name in enumerate(comparators)}
    shown = set()
    for ax, measure in zip(axes, measures, strict=True):
        scale = 1.0 if measure == "average_precision" else 100.0
        rows = differences[differences["measure"] == measure]
        ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.8)
        for row in rows.itertuples():
            value, low, high = (scale * v for v in (row.difference, row.low, row.high))
            verdict = ("model better" if low > 0 else "model worse" if high < 0
                       else "no clear difference")  # fmt: skip
            colour, marker = DIFFERENCE_STYLES[verdict]
            y = y_of[row.comparator]
            ax.errorbar(value, y, xerr=[[max(value - low, 0)], [max(high - value, 0)]],
                        fmt=marker, color=colour, ecolor=colour, elinewidth=1.5, capsize=3,
                        label=None if verdict in shown else verdict)  # fmt: skip
            shown.add(verdict)
            digits = 3 if scale == 1.0 else 1
            ax.annotate(f"{value:+.{digits}f}", (value, y), xytext=(0, 7),
                        textcoords="offset points", ha="center", fontsize="x-small")  # fmt: skip
        ax.set_title(MEASURE_NAMES[measure], fontsize="medium")
        ax.set_xlabel("difference (percentage points)" if scale == 100.0 else "difference")
        ax.margins(x=0.25)
    axes[0].set_yticks(list(y_of.values()), [f"vs {name}" for name in y_of])
    axes[0].set_ylim(-0.6, len(comparators) - 0.4)
    axes[0].set_ylabel("comparator")
    fig.suptitle(f"{title}\n(model minus comparator; intervals from resampling people)")
    handles = {}
    for ax in axes:
        handles.update(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
    order = [v for v in DIFFERENCE_STYLES if v in handles]
    fig.legend([handles[v] for v in order], order, loc="outside lower center", ncols=3,
               fontsize="small", frameon=False)  # fmt: skip
    return fig


def held_out_calibration_chart(calibration: pd.DataFrame, outcome: str = WARNING_OUTCOME) -> Figure:
    """Each model's reliability curve on the later weeks no model saw: mean predicted probability
    against the observed share of weeks followed by `outcome`, per probability bin, beside the
    diagonal of perfect calibration.

    `calibration` is `Evaluation.calibration`: method, predicted, observed, weeks.
    """
    title = "Calibration on later weeks no model saw"
    fig = new_figure(6.5, 5.2)
    if calibration.empty:
        return empty(fig, title)
    names = list(dict.fromkeys(calibration["method"]))
    colours = method_colours(names)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color=OKABE_ITO["black"], linestyle=":", label="perfect calibration")
    for k, name in enumerate(names):
        part = calibration[calibration["method"] == name]
        ax.plot(part["predicted"], part["observed"], marker=METHOD_MARKERS[k % len(METHOD_MARKERS)],
                color=colours[name], linewidth=1.5,
                label=f"{name} ({int(part['weeks'].sum()):,} weeks)")  # fmt: skip
    ax.set_xlabel(f"predicted probability of {outcome}")
    ax.set_ylabel("observed share of weeks followed by it")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    return fig


def method_recall_by_group_chart(
    recall_by_group: pd.DataFrame, target_recall: float | None = None
) -> Figure:
    """Each method's recall by unit and by role on the later weeks, as grouped horizontal bars,
    so a group a method serves badly stands out; each group's label says how many weeks at risk
    its recall rests on.

    `recall_by_group` is `Evaluation.recall_by_group`: kind (unit or role), group, positives and
    one recall column per method.
    """
    title = "Recall by unit and role on later weeks no model saw"
    if recall_by_group.empty:
        return empty(new_figure(9, 3.5), title, "no weeks at risk after the cut-off")
    names = [c for c in recall_by_group.columns if c not in ("kind", "group", "positives")]
    colours = method_colours(names)
    kinds = [k for k in ("unit", "role") if k in set(recall_by_group["kind"])]
    most = recall_by_group.groupby("kind").size().max()
    fig = new_figure(12, 0.22 * len(names) * most + 2.4)
    axes = np.atleast_1d(fig.subplots(1, len(kinds), sharex=True))
    height = 0.8 / len(names)
    for ax, kind in zip(axes, kinds, strict=True):
        rows = recall_by_group[recall_by_group["kind"] == kind].reset_index(drop=True)
        y = np.arange(len(rows))[::-1]
        for k, name in enumerate(names):
            ax.barh(y + ((len(names) - 1) / 2 - k) * height, rows[name].fillna(0),
                    height=height * 0.92, color=colours[name],
                    label=name if kind == kinds[0] else None)  # fmt: skip
        if target_recall is not None:
            target = f"recall target {target_recall:.0%}" if kind == kinds[0] else None
            ax.axvline(target_recall, color=OKABE_ITO["black"], linestyle="--", label=target)
        groups = zip(rows["group"], rows["positives"], strict=True)
        ax.set_yticks(y, [f"{g}\n({n} weeks)" for g, n in groups])
        ax.tick_params(axis="y", labelsize="small")
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1))
        ax.set_xlabel("recall (share of weeks at risk flagged)")
        ax.set_ylabel(kind)
        ax.set_title(f"By {kind}", fontsize="medium")
    fig.suptitle(title)
    fig.legend(title="method", loc="outside lower center", ncols=len(names) + 1,
               fontsize="small", frameon=False)  # fmt: skip
    return fig


def _percent(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.0%}"
