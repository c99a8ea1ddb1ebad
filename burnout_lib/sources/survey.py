"""The published survey tables in `data/survey/` as tidy DataFrames, with benchmarks built on them.

What real surveys say about healthcare-worker burnout grounds the product: the stressors the mock
hospital hands out, the coping behaviours and support resources that alerts suggest, and the NHS
rates a unit's own rate is put next to. Each loader reads one CSV file, checks it (columns, numbers,
ranges) and returns one row per published item with snake_case columns:

- `distress_contributors()`, `coping()`, `helpful_resources()`: Shechter et al. 2020, NYC, n = 657;
  `percent` as published (int) and `share` (0–1).
- `mha_causes()`, `mha_progression()`: Mental Health America 2020, n = 1,119; `count` and `share`.
- `unverified_reasons()`: a news summary whose primary source is not confirmed; every row carries
  `UNVERIFIED_CAVEAT`, and it must never be shown without it.
- `nhs_burnout()`: the NHS Staff Survey 2021–2023 by trust type and religion group;
  `nhs_benchmark()` pools religion groups per trust type and year, with Wilson 95% intervals.

Every loader takes an optional `folder`; by default the project's `data/survey/`, or
`BURNOUT_SURVEY_DIR` when set. A malformed file raises `InvalidInput` naming the file and what is
wrong with it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from burnout_lib.errors import InvalidInput

__all__ = [
    "FILES",
    "MHA_N",
    "MHA_SOURCE",
    "NHS_SOURCE",
    "NHS_TRUST_TYPES",
    "SHECHTER_N",
    "SHECHTER_SOURCE",
    "SURVEY_DIR_ENV",
    "TRUST_TYPES",
    "UNIT_BENCHMARK",
    "UNVERIFIED_CAVEAT",
    "UNVERIFIED_SOURCE",
    "Indicator",
    "benchmark_table",
    "coping",
    "distress_contributors",
    "helpful_resources",
    "indicators",
    "indicators_frame",
    "mha_causes",
    "mha_progression",
    "nhs_benchmark",
    "nhs_burnout",
    "nhs_weighting",
    "reference_rate",
    "survey_dir",
    "unit_benchmarks",
    "unverified_reasons",
    "wilson_interval",
]

#: Environment variable naming another folder of survey tables.
SURVEY_DIR_ENV = "BURNOUT_SURVEY_DIR"
DEFAULT_SURVEY_DIR = Path(__file__).resolve().parents[2] / "data" / "survey"

SHECHTER_N = 657
SHECHTER_SOURCE = "Shechter et al. 2020, NYC, n = 657"
SHECHTER_CITATION = (
    "Shechter A. et al., Gen Hosp Psychiatry 2020;66:1–8 (PMC7297159); "
    "web survey of NYC healthcare workers, 9–24 April 2020, n = 657"
)
MHA_N = 1119
MHA_SOURCE = "Mental Health America 2020, online survey Jun–Sep 2020, n = 1,119"
NHS_SOURCE = "NHS Staff Survey 2021–2023, NHS England (tabulated by ebmgt/NHS-Religion)"
UNVERIFIED_SOURCE = "2020 news article citing a survey of 1,119 workers"
#: Must accompany every use of `unverified_reasons()`.
UNVERIFIED_CAVEAT = (
    "Unverified: these figures come from a 2020 news summary citing a survey of 1,119 "
    "workers; the primary source is not confirmed."
)

#: NHS benchmarking group, as published → short trust-type name.
NHS_TRUST_TYPES: dict[str, str] = {
    "Acute and Acute & Community Trusts": "Acute",
    "Mental Health & Learning Disability and Mental Health, Learning Disability & Community "
    "Trusts": "Mental health & learning disability",
    "Community Trusts": "Community",
    "Ambulance Trusts": "Ambulance",
    "Acute Specialist Trusts": "Acute specialist",
}
#: Trust types in display order.
TRUST_TYPES: tuple[str, ...] = tuple(NHS_TRUST_TYPES.values())

#: Weightings in order of preference when a year offers several for every trust type: the most
#: detailed adjustment of the sample to the NHS workforce first.
WEIGHTING_PREFERENCE: tuple[str, ...] = (
    "Organisation Size and Occupation Group",
    "Organisation Size",
    "Trust Size",
)

#: Unit of the mock hospital (`burnout_lib.mock.hospital.UNITS`) → the NHS trust type whose staff do
#: comparable work. The mock hospital is an acute hospital, so its units — the emergency department
#: included — are compared with acute trusts; ambulance trusts cover pre-hospital care, not the
#: emergency department. The mental-health unit is compared with mental health & learning
#: disability trusts, the closest published group, although a ward inside an acute hospital is
#: not a mental-health trust.
UNIT_BENCHMARK: dict[str, str] = {
    "Emergency department": "Acute",
    "Intensive care": "Acute",
    "Medical-surgical": "Acute",
    "Oncology": "Acute",
    "Paediatrics": "Acute",
    "Operating theatres": "Acute",
    "Mental health": "Mental health & learning disability",
    "Outpatient clinics": "Acute",
}


#: Loader name → the CSV file it reads from the survey folder.
FILES: dict[str, str] = {
    "distress_contributors": "shechter2020_distress_contributors.csv",
    "coping": "shechter2020_coping.csv",
    "helpful_resources": "shechter2020_helpful_resources.csv",
    "mha_causes": "mha2020_causes.csv",
    "mha_progression": "mha2020_progression.csv",
    "unverified_reasons": "unverified_burnout_reasons.csv",
    "nhs_burnout": "nhs_staff_survey_2021_2023_burnout.csv",
}


def survey_dir(folder: str | Path | None = None) -> Path:
    """The folder holding the survey tables: `folder`, else `BURNOUT_SURVEY_DIR`, else the
    project's `data/survey/` (an empty string counts as not given)."""
    if folder:
        return Path(folder)
    override = os.environ.get(SURVEY_DIR_ENV, "").strip()
    return Path(override) if override else DEFAULT_SURVEY_DIR


# --- Reading and checking one table --------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """One published column: its header, tidy name, type, allowed range or allowed values."""

    published: str
    name: str
    kind: Literal["text", "int", "float"] = "text"
    low: float | None = None
    high: float | None = None
    values: Mapping[str, str] | None = None


def _percent(published: str) -> _Column:
    return _Column(published, "percent", "int", 0, 100)


def _read_table(file: str, columns: tuple[_Column, ...], folder: str | Path | None) -> pd.DataFrame:
    """Read `file` from the survey folder, check every listed column and return them renamed and
    typed; other columns of the file are ignored. Any problem raises `InvalidInput` naming the file
    and, for a bad value, its row (1 = the first row under the header) and line."""
    path = survey_dir(folder) / file
    if not path.is_file():
        raise InvalidInput(
            f"{path}: file not found (survey tables are read from {path.parent}; "
            f"set {SURVEY_DIR_ENV} to use another folder)"
        )
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not a readable CSV table ({exc})") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    expected = ", ".join(repr(c.published) for c in columns)
    for column in columns:
        if column.published not in raw.columns:
            found = ", ".join(repr(c) for c in raw.columns)
            raise InvalidInput(
                f"{path}: column {column.published!r} is missing; "
                f"expected columns: {expected} (found: {found})"
            )
    if raw.empty:
        raise InvalidInput(f"{path}: no data rows under the header")

    def fail(position: int, problem: str) -> InvalidInput:
        return InvalidInput(f"{path}: row {position + 1} (line {position + 2}): {problem}")

    tidy: dict[str, Any] = {}
    for column in columns:
        text = raw[column.published].str.strip()
        if column.kind == "text":
            for position, value in enumerate(text):
                if not value:
                    raise fail(position, f"{column.published} is empty")
                if column.values is not None and value not in column.values:
                    known = ", ".join(repr(v) for v in column.values)
                    raise fail(position, f"{column.published} {value!r} is not one of {known}")
            tidy[column.name] = text.map(column.values) if column.values is not None else text
            continue
        numbers = pd.to_numeric(text, errors="coerce")
        for position, (value, number) in enumerate(zip(text, numbers, strict=True)):
            if not np.isfinite(number):
                raise fail(position, f"{column.published} is not a number ({value!r})")
            if column.kind == "int" and number != round(number):
                raise fail(position, f"{column.published} is not a whole number ({value!r})")
            low = -np.inf if column.low is None else column.low
            high = np.inf if column.high is None else column.high
            if not low <= number <= high:
                allowed = f"{low:g}–{high:g}" if np.isfinite(high) else f"at least {low:g}"
                raise fail(position, f"{column.published} {value} is outside {allowed}")
        tidy[column.name] = numbers.astype("int64" if column.kind == "int" else "float64")
    return pd.DataFrame(tidy)


# --- Loaders -------------------------------------------------------------------------------------


def _shechter(
    file: str, item_header: str, item: str, percent_header: str, folder: str | Path | None
) -> pd.DataFrame:
    frame = _read_table(file, (_Column(item_header, item), _percent(percent_header)), folder)
    return frame.assign(share=frame["percent"] / 100, n=SHECHTER_N, source=SHECHTER_SOURCE)


def distress_contributors(folder: str | Path | None = None) -> pd.DataFrame:
    """Contributors to distress named by NYC healthcare workers in April 2020 (24 items): the
    stressors the mock hospital hands out. Columns `contributor`, `percent`, `share`, `n`,
    `source`, in published order."""
    return _shechter(
        FILES["distress_contributors"],
        "Contributors to Burnout",
        "contributor",
        "Percentage",
        folder,
    )


#: Evident misprints in published item wording, corrected wherever a reader sees the item; the
#: tables keep the wording as published.
READABLE_WORDING = {"mediation": "meditation"}


def readable(item: str) -> str:
    """An item's wording for readers: as published, evident misprints corrected."""
    return READABLE_WORDING.get(item, item)


def coping(folder: str | Path | None = None) -> pd.DataFrame:
    """Coping behaviours the same NYC workers used (item wording as published, "mediation"
    included). Columns `behaviour`, `percent`, `share`, `n`, `source`."""
    return _shechter(FILES["coping"], "coping behaviors", "behaviour", "percent", folder)


def helpful_resources(folder: str | Path | None = None) -> pd.DataFrame:
    """Support resources the same NYC workers would find helpful. Columns `resource`, `percent`,
    `share`, `n`, `source`."""
    return _shechter(
        FILES["helpful_resources"],
        "potential helpful resources",
        "resource",
        "percent",
        folder,
    )


def mha_causes(folder: str | Path | None = None) -> pd.DataFrame:
    """How many of 1,119 healthcare workers reported stress, anxiety, frustration or feeling
    overwhelmed (Mental Health America, Jun–Sep 2020). Columns `cause`, `count`, `n`, `share`,
    `source`."""
    frame = _read_table(
        FILES["mha_causes"],
        (_Column("Causes", "cause"), _Column("Count", "count", "int", 0, MHA_N)),
        folder,
    )
    return frame.assign(n=MHA_N, share=frame["count"] / MHA_N, source=MHA_SOURCE)


def mha_progression(folder: str | Path | None = None) -> pd.DataFrame:
    """Changes the same 1,119 workers reported over three months (June–September 2020), from
    emotional exhaustion to questioning their career, most reported first. Columns `symptom`,
    `percent` (as published), `count`, `n`, `share` (count / n, which the confidence intervals
    use), `source`."""
    frame = _read_table(
        FILES["mha_progression"],
        (
            _Column("Progression-changes in sentiment over 3 months (June - Sept)", "symptom"),
            _percent("Percent"),
            _Column("Count", "count", "int", 0, MHA_N),
        ),
        folder,
    )
    frame = frame.sort_values("count", ascending=False, kind="stable", ignore_index=True)
    return frame.assign(n=MHA_N, share=frame["count"] / MHA_N, source=MHA_SOURCE)


def unverified_reasons(folder: str | Path | None = None) -> pd.DataFrame:
    """Reasons for burnout from a news summary whose primary source is not confirmed. Columns
    `reason`, `percent`, `share`, `source`, `caveat` (`UNVERIFIED_CAVEAT` on every row, so the
    caveat travels with the numbers)."""
    frame = _read_table(
        FILES["unverified_reasons"],
        (_Column("Top Reasons for Burnout", "reason"), _percent("Percentage")),
        folder,
    )
    return frame.assign(
        share=frame["percent"] / 100, source=UNVERIFIED_SOURCE, caveat=UNVERIFIED_CAVEAT
    )


_NHS_FILE = FILES["nhs_burnout"]


def nhs_burnout(folder: str | Path | None = None) -> pd.DataFrame:
    """NHS Staff Survey share of staff who often or always feel burnt out because of their work,
    per year, trust type and religion group. Columns `year`, `trust_type` (see `TRUST_TYPES`),
    `religion`, `weighting`, `respondents` (who answered the question), `burnout_rate` (0–1, as
    weighted by NHS England), `source`."""
    frame = _read_table(
        _NHS_FILE,
        (
            _Column("Year", "year", "int", 2000, 2100),
            _Column("Benchmarking group", "trust_type", values=NHS_TRUST_TYPES),
            _Column("Religion", "religion"),
            _Column("Weighting", "weighting"),
            _Column("Burned_out_base", "respondents", "int", 0),
            _Column("Burned_out_rate", "burnout_rate", "float", 0, 100),
        ),
        folder,
    )
    keys = ["year", "trust_type", "religion", "weighting"]
    repeated = frame.duplicated(keys)
    if repeated.any():
        position = int(np.flatnonzero(repeated)[0])
        row = frame.iloc[position]
        raise InvalidInput(
            f"{survey_dir(folder) / _NHS_FILE}: row {position + 1} (line {position + 2}) repeats "
            f"{row['year']}, {row['trust_type']}, {row['religion']}, {row['weighting']}"
        )
    return frame.assign(burnout_rate=frame["burnout_rate"] / 100, source=NHS_SOURCE)


# --- Confidence intervals and the NHS benchmark --------------------------------------------------


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InvalidInput(f"confidence must be between 0 and 1 (got {confidence})")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval (low, high) for the proportion successes / n, element-wise.

    Unlike the normal approximation it stays inside 0–1 and behaves at 0 and n, which matters for
    small groups. Takes scalars, numpy arrays or pandas Series (returned as Series on the same
    index); `successes` may be fractional, as for a weighted rate × its base. n = 0 gives NaN.
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if np.any(k < 0) or np.any(m < 0) or np.any(k > m):
        raise InvalidInput("wilson_interval needs 0 <= successes <= n")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denominator = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denominator
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denominator
    low = np.where((k == 0) & (m > 0), 0.0, np.clip(centre - half, 0, 1))
    high = np.where((k == m) & (m > 0), 1.0, np.clip(centre + half, 0, 1))
    for series in (successes, n):
        if isinstance(series, pd.Series):
            return pd.Series(low, index=series.index), pd.Series(high, index=series.index)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def nhs_weighting(folder: str | Path | None = None) -> dict[int, str]:
    """The weighting `nhs_benchmark` uses for each year: one present for every trust type that
    year, the most detailed first (see `WEIGHTING_PREFERENCE`).

    The published file carries one weighting per year — NHS England's standard one for that
    year's results: by trust size in 2021, by organisation size in 2022, by organisation size and
    occupation group in 2023 — the same for every trust type. No weighting spans all years, so
    trust types are compared like for like within a year, while part of a change between years
    may come from the change of weighting.
    """
    frame = nhs_burnout(folder)
    chosen: dict[int, str] = {}
    for year, rows in frame.groupby("year"):
        per_type = [set(w) for _, w in rows.groupby("trust_type")["weighting"]]
        common = set.intersection(*per_type)
        ranked = [w for w in WEIGHTING_PREFERENCE if w in common] + sorted(
            common - set(WEIGHTING_PREFERENCE)
        )
        if not ranked:
            raise InvalidInput(
                f"{survey_dir(folder) / _NHS_FILE}: no weighting is present for every trust "
                f"type in {year}"
            )
        chosen[int(year)] = ranked[0]
    return chosen


def _check_trust_type(trust_type: str) -> None:
    if trust_type not in TRUST_TYPES:
        known = ", ".join(repr(t) for t in TRUST_TYPES)
        raise InvalidInput(f"unknown trust type {trust_type!r}; known trust types: {known}")


def nhs_benchmark(
    trust_type: str | None = None,
    year: int | None = None,
    *,
    folder: str | Path | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """NHS burnout rate per trust type and year, pooled over religion groups.

    Uses each year's weighting from `nhs_weighting`. The pooled `burnout_rate` is the
    respondent-weighted mean of the groups' rates and `respondents` their sum; `ci_low`/`ci_high`
    is the Wilson interval on rate × respondents (it ignores the survey's design effect, so read
    it as a lower bound on the uncertainty). Columns `year`, `trust_type`, `weighting`,
    `respondents`, `groups` (religion groups pooled), `burnout_rate`, `ci_low`, `ci_high`,
    `source`; rows by year, then `TRUST_TYPES` order. Optionally one trust type and/or one year.
    """
    if trust_type is not None:
        _check_trust_type(trust_type)
    frame = nhs_burnout(folder)
    weighting = nhs_weighting(folder)
    if year is not None and year not in weighting:
        known = ", ".join(str(y) for y in weighting)
        raise InvalidInput(f"no NHS Staff Survey results for {year}; years available: {known}")
    frame = frame[frame["weighting"] == frame["year"].map(weighting)]
    frame = frame.assign(burnt_out=frame["burnout_rate"] * frame["respondents"])
    pooled = (
        frame.groupby(["year", "trust_type", "weighting"], sort=False)
        .agg(
            respondents=("respondents", "sum"),
            groups=("religion", "nunique"),
            burnt_out=("burnt_out", "sum"),
        )
        .reset_index()
    )
    pooled["burnout_rate"] = pooled["burnt_out"] / pooled["respondents"]
    pooled["ci_low"], pooled["ci_high"] = wilson_interval(
        pooled["burnt_out"], pooled["respondents"], confidence
    )
    pooled["source"] = NHS_SOURCE
    if trust_type is not None:
        pooled = pooled[pooled["trust_type"] == trust_type]
    if year is not None:
        pooled = pooled[pooled["year"] == year]
    order = pooled["trust_type"].map({t: k for k, t in enumerate(TRUST_TYPES)})
    pooled = pooled.assign(_order=order).sort_values(["year", "_order"], kind="stable")
    return pooled.drop(columns=["burnt_out", "_order"]).reset_index(drop=True)


def reference_rate(
    trust_type: str, year: int | None = None, *, folder: str | Path | None = None
) -> float:
    """The published NHS burnout rate (0–1) of `trust_type` in `year` (latest when None), to put
    next to a unit's own rate."""
    _check_trust_type(trust_type)
    rows = nhs_benchmark(trust_type, year, folder=folder)
    if rows.empty:
        raise InvalidInput(f"no NHS Staff Survey results for {trust_type!r} in {year}")
    return float(rows.sort_values("year")["burnout_rate"].iloc[-1])


def unit_benchmarks(year: int | None = None, *, folder: str | Path | None = None) -> pd.DataFrame:
    """Each mock-hospital unit with its comparable trust type (`UNIT_BENCHMARK`) and that type's
    published rate and interval in `year` (latest when None). Columns `unit`, `trust_type`, `year`,
    `reference_rate`, `ci_low`, `ci_high`."""
    benchmark = nhs_benchmark(year=year, folder=folder)
    latest = benchmark[benchmark["year"] == benchmark["year"].max()]
    units = pd.DataFrame(UNIT_BENCHMARK.items(), columns=["unit", "trust_type"])
    merged = units.merge(
        latest[["trust_type", "year", "burnout_rate", "ci_low", "ci_high"]],
        on="trust_type",
        how="left",
    )
    return merged.rename(columns={"burnout_rate": "reference_rate"})


def benchmark_table(benchmark: pd.DataFrame) -> pd.DataFrame:
    """`nhs_benchmark()` as a table to read: one row per trust type, and per year the respondents
    and the rate with its interval in percent."""
    parts = []
    for year, rows in benchmark.groupby("year"):
        rows = rows.set_index("trust_type")
        parts.append(
            pd.DataFrame(
                {
                    f"{year} respondents": rows["respondents"].map("{:,}".format),
                    f"{year} burnt out (%)": (rows["burnout_rate"] * 100).round(1),
                    f"{year} 95% CI (%)": [
                        f"{low * 100:.1f}–{high * 100:.1f}"
                        for low, high in zip(rows["ci_low"], rows["ci_high"], strict=True)
                    ],
                }
            )
        )
    table = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    order = [t for t in TRUST_TYPES if t in table.index]
    table = table.loc[order]
    table.index.name = "trust type"
    return table


# --- The indicator catalogue ---------------------------------------------------------------------

MOCK_GENERATOR = "mock generator"
ALERT_SUGGESTIONS = "alert suggestions"
Kind = Literal["stressor", "symptom", "coping", "resource"]


@dataclass(frozen=True)
class Indicator:
    """One published item the product carries forward.

    `name` is the item as published in `table` (the loader's name); `share` its published share
    (0–1); `used_for` says where it goes: the mock generator (a stressor prevalence in
    `burnout_lib.mock.hospital`, a coping prevalence in `burnout_lib.mock.nyc_survey`) and/or alert
    suggestions (what to ask about, what support to offer).
    """

    name: str
    kind: Kind
    share: float
    source: str
    used_for: tuple[str, ...]
    table: str


_BOTH = (MOCK_GENERATOR, ALERT_SUGGESTIONS)
_TABLES: dict[str, tuple[Kind, str, Any]] = {
    "distress_contributors": ("stressor", "contributor", distress_contributors),
    "mha_progression": ("symptom", "symptom", mha_progression),
    "coping": ("coping", "behaviour", coping),
    "helpful_resources": ("resource", "resource", helpful_resources),
}
_SELECTION: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    *(
        ("distress_contributors", name, (MOCK_GENERATOR,))
        for name in (
            "lack of control",
            "redeployed outside specialty",
            "patient deaths",
            "triage/rationing decisions",
            "sleep disturbances",
            "clinical hours",
            "childcare/family responsibilities",
            "lack of PPE",
        )
    ),
    *(
        ("mha_progression", name, (ALERT_SUGGESTIONS,))
        for name in (
            "emotional exhaustion",
            "sleep trouble",
            "physical exhaustion",
            "work-related dread",
        )
    ),
    ("coping", "physical exercise/activity", _BOTH),
    ("coping", "talk therapy", _BOTH),
    ("coping", "yoga", _BOTH),
    ("coping", "faith-based practice/spirituality", _BOTH),
    ("coping", "mediation", _BOTH),
    ("coping", "virtual support group", _BOTH),
    ("helpful_resources", "self-guided counseling with access to therapist", _BOTH),
    ("helpful_resources", "individual counseling/therapy", (ALERT_SUGGESTIONS,)),
    ("helpful_resources", "online clinician support group", (ALERT_SUGGESTIONS,)),
    ("helpful_resources", "mental wellness video", _BOTH),
    ("helpful_resources", "online general wellness group", (ALERT_SUGGESTIONS,)),
)


def indicators(folder: str | Path | None = None) -> tuple[Indicator, ...]:
    """The indicator catalogue with shares read from the survey tables: the stressors of the mock
    hospital, the symptoms alerts ask about, and the coping behaviours and resources they
    suggest. An item missing from its table raises `InvalidInput`."""
    frames = {table: load(folder) for table, (_, _, load) in _TABLES.items()}
    catalogue = []
    for table, name, used_for in _SELECTION:
        kind, column, _ = _TABLES[table]
        rows = frames[table][frames[table][column] == name]
        if rows.empty:
            raise InvalidInput(
                f"{survey_dir(folder) / FILES[table]}: {kind} {name!r} is missing from the table"
            )
        row = rows.iloc[0]
        catalogue.append(
            Indicator(name, kind, float(row["share"]), str(row["source"]), used_for, table)
        )
    return tuple(catalogue)


@functools.cache
def _default_indicators(folder: Path) -> tuple[Indicator, ...]:
    return indicators(folder)


def indicators_frame(folder: str | Path | None = None) -> pd.DataFrame:
    """The indicator catalogue as a table for readers: `name` (misprints corrected), `kind`,
    `percent`, `share`, `used_for` (joined with " + "), `table`, `source`."""
    rows = [
        {
            "name": readable(item.name),
            "kind": item.kind,
            "percent": round(item.share * 100, 1),
            "share": item.share,
            "used_for": " + ".join(item.used_for),
            "table": item.table,
            "source": item.source,
        }
        for item in indicators(folder)
    ]
    return pd.DataFrame(rows)


def __getattr__(name: str) -> Any:
    # INDICATORS is read on first use, so importing the module never touches the files.
    if name == "INDICATORS":
        return _default_indicators(survey_dir())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
