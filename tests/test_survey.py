"""The published survey tables load as tidy frames, reject malformed files and feed the benchmarks
and the indicator catalogue."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from burnout_lib.errors import InvalidInput
from burnout_lib.mock import hospital, nyc_survey
from burnout_lib.plots import survey_plots as plots
from burnout_lib.sources import survey

from helpers.paths import SURVEY_DIR

NHS_FILE = "nhs_staff_survey_2021_2023_burnout.csv"


@pytest.fixture(autouse=True)
def _no_survey_dir_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(survey.SURVEY_DIR_ENV, raising=False)


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) and series.map(lambda v: isinstance(v, str)).all()


# --- Loaders -------------------------------------------------------------------------------------

SHECHTER = [
    (survey.distress_contributors, "contributor", 24),
    (survey.coping, "behaviour", 8),
    (survey.helpful_resources, "resource", 6),
]


@pytest.mark.parametrize(("load", "item", "rows"), SHECHTER)
def test_shechter_tables_are_tidy(load, item, rows) -> None:
    frame = load()
    assert list(frame.columns) == [item, "percent", "share", "n", "source"]
    assert len(frame) == rows
    assert _is_text(frame[item])
    assert frame["percent"].dtype == np.int64
    assert frame["share"].dtype == np.float64
    assert frame["n"].dtype == np.int64
    assert (frame["n"] == 657).all()
    assert np.allclose(frame["share"], frame["percent"] / 100)
    assert frame["share"].between(0, 1).all()
    assert (frame["source"] == "Shechter et al. 2020, NYC, n = 657").all()


def test_known_shechter_values() -> None:
    contributors = survey.distress_contributors().set_index("contributor")
    assert contributors.loc["lack of control", "percent"] == 70
    assert contributors.loc["transmitting COVID-19 to family", "percent"] == 74
    assert contributors.loc["clinical hours", "share"] == pytest.approx(0.34)
    coping = survey.coping().set_index("behaviour")
    assert coping.loc["physical exercise/activity", "percent"] == 59
    assert coping.loc["none", "percent"] == 14
    resources = survey.helpful_resources().set_index("resource")
    assert resources.loc["none", "percent"] == 49


def test_shechter_tables_match_the_figures_embedded_in_the_mock_survey() -> None:
    for frame, item, embedded in (
        (survey.distress_contributors(), "contributor", nyc_survey.DISTRESS_CONTRIBUTORS_PERCENT),
        (survey.coping(), "behaviour", nyc_survey.COPING_PERCENT),
        (survey.helpful_resources(), "resource", nyc_survey.HELPFUL_RESOURCES_PERCENT),
    ):
        assert dict(zip(frame[item], frame["percent"], strict=True)) == embedded


def test_mha_causes() -> None:
    frame = survey.mha_causes()
    assert list(frame.columns) == ["cause", "count", "n", "share", "source"]
    assert len(frame) == 4
    assert frame["count"].dtype == np.int64
    assert (frame["n"] == 1119).all()
    causes = frame.set_index("cause")
    assert causes.loc["Stress", "count"] == 1040
    assert causes.loc["Stress", "share"] == pytest.approx(1040 / 1119)


def test_mha_progression() -> None:
    frame = survey.mha_progression()
    assert list(frame.columns) == ["symptom", "percent", "count", "n", "share", "source"]
    assert len(frame) == 11
    assert frame["percent"].dtype == np.int64 and frame["count"].dtype == np.int64
    row = frame.set_index("symptom").loc["emotional exhaustion"]
    assert (row["percent"], row["count"], row["n"]) == (82, 917, 1119)
    assert row["share"] == pytest.approx(917 / 1119)
    assert "Mental Health America" in row["source"]
    assert frame["count"].is_monotonic_decreasing, "most reported first"
    assert frame.set_index("symptom").index.get_loc("too tired") == 3  # 67%, after 68%


def test_unverified_reasons_carry_the_caveat() -> None:
    frame = survey.unverified_reasons()
    assert list(frame.columns) == ["reason", "percent", "share", "source", "caveat"]
    assert len(frame) == 10
    assert (frame["caveat"] == survey.UNVERIFIED_CAVEAT).all()
    assert "primary source is not confirmed" in survey.UNVERIFIED_CAVEAT
    assert frame.set_index("reason").loc["heavy/increased workload", "percent"] == 49


def test_nhs_burnout() -> None:
    frame = survey.nhs_burnout()
    assert list(frame.columns) == [
        "year",
        "trust_type",
        "religion",
        "weighting",
        "respondents",
        "burnout_rate",
        "source",
    ]
    assert len(frame) == 135
    assert sorted(frame["year"].unique()) == [2021, 2022, 2023]
    assert frame["year"].dtype == np.int64 and frame["respondents"].dtype == np.int64
    assert set(frame["trust_type"]) == set(survey.TRUST_TYPES)
    assert set(survey.TRUST_TYPES) == {
        "Acute",
        "Mental health & learning disability",
        "Community",
        "Ambulance",
        "Acute specialist",
    }
    assert frame["religion"].nunique() == 9
    assert frame["burnout_rate"].between(0, 1).all()
    first = frame.iloc[0]
    assert (first["year"], first["trust_type"], first["religion"]) == (2021, "Acute", "No religion")
    assert first["respondents"] == 156326
    assert first["burnout_rate"] == pytest.approx(0.379211123333757)


def test_survey_dir_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(SURVEY_DIR / "shechter2020_coping.csv", tmp_path)
    monkeypatch.setenv(survey.SURVEY_DIR_ENV, str(tmp_path))
    assert survey.survey_dir() == tmp_path
    assert len(survey.coping()) == 8
    assert survey.survey_dir("") == tmp_path
    with pytest.raises(InvalidInput, match="shechter2020_distress_contributors.csv"):
        survey.distress_contributors()


# --- Malformed files -----------------------------------------------------------------------------


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    text = (SURVEY_DIR / file).read_text()
    assert old in text
    (tmp_path / file).write_text(text.replace(old, new, 1))
    return tmp_path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"shechter2020_coping\.csv: file not found"):
        survey.coping(tmp_path)


def test_renamed_column(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path, "shechter2020_distress_contributors.csv", "Percentage", "Percent share"
    )
    with pytest.raises(InvalidInput) as error:
        survey.distress_contributors(folder)
    message = str(error.value)
    assert "shechter2020_distress_contributors.csv" in message
    assert "'Percentage' is missing" in message
    assert "expected columns: 'Contributors to Burnout', 'Percentage'" in message


def test_non_numeric_percent(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path,
        "shechter2020_distress_contributors.csv",
        "patient deaths,50",
        "patient deaths,n/a",
    )
    with pytest.raises(InvalidInput) as error:
        survey.distress_contributors(folder)
    message = str(error.value)
    assert "shechter2020_distress_contributors.csv" in message
    assert "row 9 (line 10)" in message
    assert "Percentage is not a number ('n/a')" in message


def test_percent_out_of_range(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, "shechter2020_coping.csv", "yoga,25", "yoga,140")
    with pytest.raises(InvalidInput) as error:
        survey.coping(folder)
    message = str(error.value)
    assert "shechter2020_coping.csv" in message
    assert "row 3" in message
    assert "percent 140 is outside 0–100" in message


def test_count_above_the_base(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, "mha2020_progression.csv", "82,917", "82,1917")
    with pytest.raises(InvalidInput, match=r"mha2020_progression\.csv: row 1 .*Count 1917"):
        survey.mha_progression(folder)


def test_unknown_nhs_benchmarking_group(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, NHS_FILE, ",Community Trusts,", ",Primary Care Trusts,")
    with pytest.raises(InvalidInput, match=r"nhs_staff_survey.*row \d+ .*'Primary Care Trusts'"):
        survey.nhs_burnout(folder)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "mha2020_causes.csv").write_text("Causes,Count\n")
    with pytest.raises(InvalidInput, match=r"mha2020_causes\.csv: no data rows"):
        survey.mha_causes(tmp_path)


# --- Wilson interval -----------------------------------------------------------------------------


def test_wilson_interval_by_hand() -> None:
    k, n, z = 917, 1119, 1.959963984540054
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low, high = survey.wilson_interval(k, n)
    assert low == pytest.approx(centre - half, abs=1e-12)
    assert high == pytest.approx(centre + half, abs=1e-12)
    assert (round(low, 4), round(high, 4)) == (0.7959, 0.8409)


def test_wilson_interval_edges_and_vectors() -> None:
    low, high = survey.wilson_interval(np.array([0, 10, 5]), np.array([10, 10, 10]))
    assert low[0] == 0 and high[1] == 1
    assert high[0] == pytest.approx(0.2775, abs=1e-4)
    assert low[1] == pytest.approx(1 - 0.2775, abs=1e-4)
    assert low[2] < 0.5 < high[2]
    counts = pd.Series([1, 2], index=["a", "b"])
    low, high = survey.wilson_interval(counts, 4)
    assert isinstance(low, pd.Series) and list(low.index) == ["a", "b"]
    narrow, wide = survey.wilson_interval(50, 100, 0.5), survey.wilson_interval(50, 100, 0.99)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]
    assert all(math.isnan(v) for v in survey.wilson_interval(0, 0))
    with pytest.raises(InvalidInput):
        survey.wilson_interval(11, 10)


# --- NHS benchmark -------------------------------------------------------------------------------


def test_weighting_is_the_one_present_for_every_trust_type_each_year() -> None:
    assert survey.nhs_weighting() == {
        2021: "Trust Size",
        2022: "Organisation Size",
        2023: "Organisation Size and Occupation Group",
    }


def test_nhs_benchmark_pools_religion_groups_as_by_hand() -> None:
    with (SURVEY_DIR / NHS_FILE).open(newline="") as handle:
        rows = [
            row
            for row in csv.DictReader(handle)
            if row["Year"] == "2021" and row["Benchmarking group"] == "Community Trusts"
        ]
    assert len(rows) == 9
    bases = [int(row["Burned_out_base"]) for row in rows]
    rates = [float(row["Burned_out_rate"]) / 100 for row in rows]
    respondents = sum(bases)
    rate = sum(b * r for b, r in zip(bases, rates, strict=True)) / respondents

    result = survey.nhs_benchmark("Community", 2021)
    assert len(result) == 1
    row = result.iloc[0]
    assert row["respondents"] == respondents == 24927
    assert row["groups"] == 9
    assert row["weighting"] == "Trust Size"
    assert row["burnout_rate"] == pytest.approx(rate)
    low, high = survey.wilson_interval(rate * respondents, respondents)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["ci_low"] < row["burnout_rate"] < row["ci_high"]


def test_nhs_benchmark_covers_every_type_and_year() -> None:
    frame = survey.nhs_benchmark()
    assert len(frame) == 15
    assert list(frame.columns) == [
        "year",
        "trust_type",
        "weighting",
        "respondents",
        "groups",
        "burnout_rate",
        "ci_low",
        "ci_high",
        "source",
    ]
    assert list(frame["trust_type"][:5]) == list(survey.TRUST_TYPES)
    assert frame["year"].is_monotonic_increasing
    ambulance = frame[frame["trust_type"] == "Ambulance"]
    assert (ambulance["burnout_rate"] > 0.38).all()


def test_reference_rate() -> None:
    latest = survey.nhs_benchmark("Acute", 2023)["burnout_rate"].iloc[0]
    assert survey.reference_rate("Acute") == pytest.approx(latest)
    assert survey.reference_rate("Acute", 2021) == pytest.approx(0.3528, abs=1e-4)
    with pytest.raises(InvalidInput) as error:
        survey.reference_rate("Hospice")
    message = str(error.value)
    assert "'Hospice'" in message
    assert all(trust_type in message for trust_type in survey.TRUST_TYPES)
    with pytest.raises(InvalidInput, match="2019"):
        survey.nhs_benchmark(year=2019)


def test_every_mock_unit_has_a_benchmark() -> None:
    assert set(survey.UNIT_BENCHMARK) == set(hospital.UNITS)
    assert set(survey.UNIT_BENCHMARK.values()) <= set(survey.TRUST_TYPES)
    assert survey.UNIT_BENCHMARK["Mental health"] == "Mental health & learning disability"
    assert survey.UNIT_BENCHMARK["Emergency department"] == "Acute"
    units = survey.unit_benchmarks()
    assert len(units) == len(hospital.UNITS) and (units["year"] == 2023).all()
    assert units["reference_rate"].notna().all()


# --- Indicators ----------------------------------------------------------------------------------


def test_indicators_refer_to_real_table_rows() -> None:
    loaders = {
        "distress_contributors": (survey.distress_contributors, "contributor"),
        "mha_progression": (survey.mha_progression, "symptom"),
        "coping": (survey.coping, "behaviour"),
        "helpful_resources": (survey.helpful_resources, "resource"),
    }
    assert survey.INDICATORS == survey.indicators()
    for item in survey.INDICATORS:
        load, column = loaders[item.table]
        frame = load()
        row = frame[frame[column] == item.name]
        assert len(row) == 1, item
        assert item.share == pytest.approx(row["share"].iloc[0])
        assert item.source == row["source"].iloc[0]
        assert item.kind in {"stressor", "symptom", "coping", "resource"}
        assert item.used_for and set(item.used_for) <= {"mock generator", "alert suggestions"}


def test_indicators_cover_the_mock_generators() -> None:
    stressors = {i.name for i in survey.INDICATORS if i.kind == "stressor"}
    assert set(hospital.STRESSORS) <= stressors
    mock_items = {item for _, item in nyc_survey.COPING_SURVEY_ITEMS.values()}
    for item in survey.INDICATORS:
        if "mock generator" in item.used_for:
            assert item.name in set(hospital.STRESSORS) | mock_items, item
    suggestions = {i.kind for i in survey.INDICATORS if "alert suggestions" in i.used_for}
    assert {"coping", "resource"} <= suggestions


def test_indicators_frame() -> None:
    frame = survey.indicators_frame()
    assert len(frame) == len(survey.INDICATORS)
    assert {"name", "kind", "share", "used_for", "source"} <= set(frame.columns)
    lack_of_control = frame.set_index("name").loc["lack of control"]
    assert lack_of_control["share"] == pytest.approx(0.70)
    assert lack_of_control["used_for"] == "mock generator"
    names = set(frame["name"])
    assert "meditation" in names and "mediation" not in names  # the published misprint
    assert "mediation" in set(survey.coping()["behaviour"])  # the table keeps it as published


def test_indicators_fail_on_a_missing_item(tmp_path: Path) -> None:
    for file in SURVEY_DIR.glob("*.csv"):
        shutil.copy(file, tmp_path)
    _broken_copy(tmp_path, "shechter2020_coping.csv", "yoga,25", "pilates,25")
    with pytest.raises(InvalidInput, match=r"shechter2020_coping\.csv: coping 'yoga' is missing"):
        survey.indicators(tmp_path)


# --- Figures -------------------------------------------------------------------------------------


def _texts(fig: Figure) -> str:
    return " ".join(text.get_text() for text in fig.findobj(lambda a: hasattr(a, "get_text")))


def test_survey_figures_cite_their_sources() -> None:
    figures = {
        "Shechter et al. 2020, NYC, n = 657": [
            plots.distress_contributors_chart(survey.distress_contributors(), top=5),
            plots.coping_and_resources_chart(survey.coping(), survey.helpful_resources()),
        ],
        "Mental Health America": [plots.symptom_progression_chart(survey.mha_progression())],
        "NHS Staff Survey": [plots.nhs_burnout_chart(survey.nhs_benchmark())],
        survey.UNVERIFIED_CAVEAT: [plots.unverified_reasons_chart(survey.unverified_reasons())],
    }
    for source, made in figures.items():
        for fig in made:
            assert isinstance(fig, Figure)
            texts = _texts(fig)
            assert f"Source: {source}" in texts or source in texts
            for ax in fig.axes:
                assert ax.get_xlabel() and ax.get_ylabel()
    contributors = plots.distress_contributors_chart(survey.distress_contributors(), top=5)
    assert len(contributors.axes[0].patches) == 5
    assert "Source: Shechter et al. 2020, NYC, n = 657" in _texts(contributors)
    assert "UNVERIFIED" in _texts(plots.unverified_reasons_chart(survey.unverified_reasons()))
