"""Mock survey of NYC healthcare workers, used as a burnout-screening benchmark.

The frame mirrors the 1,000-row "NYC healthcare workers burnout" mock survey: one row per
healthcare worker (HCW) with demographics, 24 binary COVID-19 stressors, 9 binary coping
behaviours, a "no coping methods" flag and the rule-based ``burntout`` label. Stressor and
coping prevalences follow the percentages published by Shechter et al. (2020) for NYC
healthcare workers, so that the benchmark data has realistic marginal rates.

Every value is drawn independently of every other value, as in the original generated
data: there are no real correlations between answers, and the only structure a model can
learn is the deterministic labelling rule implemented by :func:`label`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "COLUMNS",
    "COPING_COLUMNS",
    "COPING_PREVALENCE",
    "COPING_SURVEY_ITEMS",
    "DEFAULT_PREVALENCE",
    "FEATURE_COLUMNS",
    "LABEL_COLUMN",
    "STRESSOR_COLUMNS",
    "STRESSOR_PREVALENCE",
    "STRESSOR_SURVEY_ITEMS",
    "generate_mock_survey",
    "label",
    "write_mock_survey",
]

ID_COLUMN = "HCW No"
AGE_COLUMN = "Age"
HOUSEHOLD_COLUMN = "No Household members including HCW"
ROLE_COLUMN = "clinical role"
SETTING_COLUMN = "practice setting"
NO_COPING_COLUMN = "no coping methods"
LABEL_COLUMN = "burntout"

DEMOGRAPHIC_COLUMNS: tuple[str, ...] = (
    AGE_COLUMN,
    "Gender",
    "Race",
    "Ethnicity",
    HOUSEHOLD_COLUMN,
    "living with another HCW",
    ROLE_COLUMN,
    SETTING_COLUMN,
)
"""Demographic and work-context columns, in survey order."""

STRESSOR_COLUMNS: tuple[str, ...] = (
    "lack of control",
    "uncertain clinician status",
    "patient emotional support",
    "contracting COVID-19",
    "redeployed outside specialty",
    "triage/rationing decisions",
    "contact with COVID-19 patients",
    "working with symptoms",
    "patient deaths",
    "treating HCW with COVID-19",
    "redeployed within speciality",
    "transmitting COVID-19 to HCW",
    "transmitting COVID-19 to patients",
    "sleep disturbances",
    "clinical hours",
    "transmitting COVID-19 to family",
    "health of family/friends",
    "social distance from family",
    "childcare/family responsibilities",
    "personal finance/advanced care",
    "lack of testing",
    "lack of PPE",
    "lack of treatment guidelines",
    "lack of discharge guidelines",
)
"""The 24 binary stressors (1 = the worker reports it as a source of distress)."""

COPING_COLUMNS: tuple[str, ...] = (
    "physical exercise",
    "yoga",
    "faith-based practice",
    "meditation",
    "self-guided counseling with access to therapist",
    "individual counseling/therapy",
    "online clinician support group",
    "mental wellness video",
    "other coping methods",
)
"""The 9 binary coping behaviours (1 = used); "no coping methods" is kept separate."""

FEATURE_COLUMNS: tuple[str, ...] = (
    ID_COLUMN,
    *DEMOGRAPHIC_COLUMNS,
    *STRESSOR_COLUMNS,
    *COPING_COLUMNS,
    NO_COPING_COLUMN,
)
"""The 43 survey columns: the ``HCW No`` row id followed by the 42 answer columns."""

COLUMNS: tuple[str, ...] = (*FEATURE_COLUMNS, LABEL_COLUMN)
"""All 44 columns of the mock survey.

The first 43 are the row id and the survey answers (the model features), in the order of
the original dataset; the 44th, ``burntout``, is the label produced by :func:`label`.
"""

# Percent of NYC healthcare workers endorsing each item (Shechter et al., 2020).
DISTRESS_CONTRIBUTORS_PERCENT: dict[str, int] = {
    "lack of control": 70,
    "uncertain clinician status": 60,
    "patient emotional support": 59,
    "contracting COVID-19": 57,
    "redeployed outside specialty": 55,
    "triage/rationing decisions": 53,
    "contact with COVID-19 patients": 52,
    "working with symptoms": 50,
    "patient deaths": 50,
    "treating healthcare worker with COVID-19": 49,
    "redeployed within specialty": 48,
    "transmitting COVID-19 to healthcare worker": 48,
    "transmitting COVID-19 to patients": 45,
    "sleep disturbances": 43,
    "clinical hours": 34,
    "transmitting COVID-19 to family": 74,
    "health of family/friends": 71,
    "social distance from family": 64,
    "childcare/family responsibilities": 40,
    "personal finance/advanced care": 36,
    "lack of testing": 68,
    "lack of PPE": 68,
    "lack of treatment guidelines": 58,
    "lack of discharge guidelines": 45,
}
"""Contributors to distress: percent of workers endorsing each item."""

COPING_PERCENT: dict[str, int] = {
    "physical exercise/activity": 59,
    "talk therapy": 26,
    "yoga": 25,
    "faith-based practice/spirituality": 23,
    "mediation": 23,
    "virtual support group": 16,
    "other": 16,
    "none": 14,
}
"""Coping behaviours actually used: percent of workers (item wording as published)."""

HELPFUL_RESOURCES_PERCENT: dict[str, int] = {
    "none": 49,
    "self-guided counseling with access to therapist": 33,
    "individual counseling/therapy": 28,
    "online clinician support group": 24,
    "mental wellness video": 15,
    "online general wellness group": 14,
}
"""Resources workers judged potentially helpful: percent of workers."""

SURVEY_TABLES: dict[str, dict[str, int]] = {
    "distress contributors": DISTRESS_CONTRIBUTORS_PERCENT,
    "coping": COPING_PERCENT,
    "helpful resources": HELPFUL_RESOURCES_PERCENT,
}
"""Published survey tables by name, as referenced by the survey-item mappings."""

DEFAULT_PREVALENCE = 0.5
"""Probability used for a column with no published figure."""

STRESSOR_SURVEY_ITEMS: dict[str, str | None] = {
    "lack of control": "lack of control",
    "uncertain clinician status": "uncertain clinician status",
    "patient emotional support": "patient emotional support",
    "contracting COVID-19": "contracting COVID-19",
    "redeployed outside specialty": "redeployed outside specialty",
    "triage/rationing decisions": "triage/rationing decisions",
    "contact with COVID-19 patients": "contact with COVID-19 patients",
    "working with symptoms": "working with symptoms",
    "patient deaths": "patient deaths",
    "treating HCW with COVID-19": "treating healthcare worker with COVID-19",
    "redeployed within speciality": "redeployed within specialty",
    "transmitting COVID-19 to HCW": "transmitting COVID-19 to healthcare worker",
    "transmitting COVID-19 to patients": "transmitting COVID-19 to patients",
    "sleep disturbances": "sleep disturbances",
    "clinical hours": "clinical hours",
    "transmitting COVID-19 to family": "transmitting COVID-19 to family",
    "health of family/friends": "health of family/friends",
    "social distance from family": "social distance from family",
    "childcare/family responsibilities": "childcare/family responsibilities",
    "personal finance/advanced care": "personal finance/advanced care",
    "lack of testing": "lack of testing",
    "lack of PPE": "lack of PPE",
    "lack of treatment guidelines": "lack of treatment guidelines",
    "lack of discharge guidelines": "lack of discharge guidelines",
}
"""Stressor column -> item of the distress-contributors table (``None``: no figure)."""

COPING_SURVEY_ITEMS: dict[str, tuple[str, str] | None] = {
    "physical exercise": ("coping", "physical exercise/activity"),
    "yoga": ("coping", "yoga"),
    "faith-based practice": ("coping", "faith-based practice/spirituality"),
    "meditation": ("coping", "mediation"),
    "self-guided counseling with access to therapist": (
        "helpful resources",
        "self-guided counseling with access to therapist",
    ),
    "individual counseling/therapy": ("coping", "talk therapy"),
    "online clinician support group": ("coping", "virtual support group"),
    "mental wellness video": ("helpful resources", "mental wellness video"),
    "other coping methods": ("coping", "other"),
}
"""Coping column -> (survey table, item) giving its prevalence (``None``: no figure).

Columns describe coping actually used, so the coping-behaviour table is preferred,
including where its wording differs ("talk therapy", "virtual support group"). Two columns
have no coping-behaviour counterpart and take the share of workers who named that resource
as helpful, the closest published figure.
"""


def _prevalence(table: dict[str, int], item: str | None) -> float:
    """Published share (0-1) of ``item`` in ``table``, or the default without a figure."""
    if item is None or item not in table:
        return DEFAULT_PREVALENCE
    return table[item] / 100.0


STRESSOR_PREVALENCE: dict[str, float] = {
    column: _prevalence(DISTRESS_CONTRIBUTORS_PERCENT, STRESSOR_SURVEY_ITEMS.get(column))
    for column in STRESSOR_COLUMNS
}
"""Probability that each stressor column is 1."""

COPING_PREVALENCE: dict[str, float] = {
    column: (
        DEFAULT_PREVALENCE
        if (source := COPING_SURVEY_ITEMS.get(column)) is None
        else _prevalence(SURVEY_TABLES[source[0]], source[1])
    )
    for column in COPING_COLUMNS
}
"""Probability that each coping column is 1."""

AGE_RANGE = (20, 70)
"""Inclusive age range, drawn uniformly."""

HOUSEHOLD_RANGE = (1, 6)
"""Inclusive household-size range (including the worker), drawn uniformly."""

RACE_CODES = (1, 2, 3, 4, 5, 6, 7)
"""1 White, 2 Asian, 3 Black, 4 Hawaiian/Pacific Islander, 5 American Indian/Native
American, 6 Other, 7 More than one race."""

ETHNICITY_CODES = (1, 2, 3)
"""1 Non-Hispanic or Latino, 2 Hispanic or Latino, 3 Prefer not to answer."""

ETHNICITY_MISSING_CODE = 0
ETHNICITY_MISSING_RATE = 0.019
"""Share of workers with no ethnicity answer (19/1000 in the original), coded 0."""

CLINICAL_ROLE_CODES = (1, 2, 3, 4, 5)
"""1 Attending physician, 2 Resident or fellow, 3 Nurse, 4 Advanced practice provider,
5 Other."""

PRACTICE_SETTING_CODES = (1, 2, 3, 4, 5, 6, 7)
"""1 Emergency department, 2 ICU, 3 Inpatient non-ICU COVID, 4 Inpatient non-ICU
non-COVID, 5 Outpatient COVID, 6 Outpatient non-COVID, 7 Other."""

MAX_AGE_AT_RISK = 32
HOUSEHOLD_GREATER_THAN = 2
MIN_CLINICAL_ROLE = 1
MAX_SETTING_AT_RISK = 2
SCORE_GREATER_THAN = 6


def label(frame: pd.DataFrame) -> pd.Series:
    """Apply the benchmark's burnout rule to every row of ``frame``.

    A worker is labelled burnt out (1) iff Age <= 32, household size > 2, clinical
    role >= 1, practice setting <= 2 (emergency department or ICU) and the distress score
    exceeds 6. The score is the number of stressors endorsed, minus one per coping
    behaviour used, plus the "no coping methods" flag. Kept separate from generation so
    that the label can be re-derived for any frame with the survey columns.
    """
    stressors = frame.loc[:, list(STRESSOR_COLUMNS)].to_numpy(dtype=np.int64).sum(axis=1)
    coping = frame.loc[:, list(COPING_COLUMNS)].to_numpy(dtype=np.int64).sum(axis=1)
    no_coping = frame[NO_COPING_COLUMN].to_numpy(dtype=np.int64)
    score = stressors - coping + no_coping
    burnt_out = (
        (frame[AGE_COLUMN].to_numpy() <= MAX_AGE_AT_RISK)
        & (frame[HOUSEHOLD_COLUMN].to_numpy() > HOUSEHOLD_GREATER_THAN)
        & (frame[ROLE_COLUMN].to_numpy() >= MIN_CLINICAL_ROLE)
        & (frame[SETTING_COLUMN].to_numpy() <= MAX_SETTING_AT_RISK)
        & (score > SCORE_GREATER_THAN)
    )
    return pd.Series(burnt_out.astype(np.int64), index=frame.index, name=LABEL_COLUMN)


def _check_rows(rows: int) -> None:
    """Reject row counts that cannot form a survey."""
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)):
        raise TypeError(f"rows must be an integer, got {type(rows).__name__}")
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")


def generate_mock_survey(rows: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Generate the mock NYC healthcare-worker survey with its ``burntout`` label.

    Columns are :data:`COLUMNS`, all int64. ``HCW No`` runs 1..rows. Demographics are
    uniform over their documented codes: Age 20-70, household size 1-6, gender, race,
    living with another HCW, clinical role and practice setting; ethnicity is uniform
    over 1-3 with about 1.9 % of answers missing and coded 0. Each stressor and coping
    column is 1 with the published Shechter et al. (2020) prevalence of its item
    (:data:`STRESSOR_PREVALENCE`, :data:`COPING_PREVALENCE`), and "no coping methods" is 1
    exactly when no coping behaviour is used.

    As in the original generated dataset, all values are drawn independently, so the
    only signal is the labelling rule. With the survey prevalences the distress score
    exceeds 6 for about 93 % of workers, so the positive rate is driven by the demographic
    gates: P(Age <= 32) * P(household >= 3) * P(setting <= 2) = 13/51 * 4/6 * 2/7 (about
    4.9 %), giving roughly 4.5 % positives, close to the original 3.6 % (36/1000). The
    uniform ranges are therefore kept as documented. The same ``seed`` always yields an
    identical frame.
    """
    _check_rows(rows)
    rng = np.random.default_rng(seed)

    def uniform_codes(codes: tuple[int, ...]) -> np.ndarray:
        return rng.choice(np.asarray(codes, dtype=np.int64), size=rows)

    def uniform_range(bounds: tuple[int, int]) -> np.ndarray:
        return rng.integers(bounds[0], bounds[1], size=rows, endpoint=True, dtype=np.int64)

    def binary(probabilities: list[float]) -> np.ndarray:
        draws = rng.random((rows, len(probabilities)))
        return (draws < np.asarray(probabilities)).astype(np.int64)

    age = uniform_range(AGE_RANGE)
    gender = rng.integers(0, 1, size=rows, endpoint=True, dtype=np.int64)
    race = uniform_codes(RACE_CODES)
    ethnicity = uniform_codes(ETHNICITY_CODES)
    ethnicity[rng.random(rows) < ETHNICITY_MISSING_RATE] = ETHNICITY_MISSING_CODE
    household = uniform_range(HOUSEHOLD_RANGE)
    with_hcw = rng.integers(0, 1, size=rows, endpoint=True, dtype=np.int64)
    role = uniform_codes(CLINICAL_ROLE_CODES)
    setting = uniform_codes(PRACTICE_SETTING_CODES)
    stressors = binary([STRESSOR_PREVALENCE[column] for column in STRESSOR_COLUMNS])
    coping = binary([COPING_PREVALENCE[column] for column in COPING_COLUMNS])
    no_coping = (coping.sum(axis=1) == 0).astype(np.int64)

    data: dict[str, np.ndarray] = {
        ID_COLUMN: np.arange(1, rows + 1, dtype=np.int64),
        AGE_COLUMN: age,
        "Gender": gender,
        "Race": race,
        "Ethnicity": ethnicity,
        HOUSEHOLD_COLUMN: household,
        "living with another HCW": with_hcw,
        ROLE_COLUMN: role,
        SETTING_COLUMN: setting,
    }
    data.update(zip(STRESSOR_COLUMNS, stressors.T, strict=True))
    data.update(zip(COPING_COLUMNS, coping.T, strict=True))
    data[NO_COPING_COLUMN] = no_coping

    frame = pd.DataFrame(data, columns=list(FEATURE_COLUMNS))
    frame[LABEL_COLUMN] = label(frame)
    return frame


def write_mock_survey(path: str | Path, rows: int = 1000, seed: int = 0) -> Path:
    """Write the mock survey to ``path`` as CSV (no index) and return the path.

    Parent directories are created as needed, so benchmark runs can target fresh output
    folders. Raises ``ValueError`` if ``rows`` is below 1.
    """
    _check_rows(rows)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    generate_mock_survey(rows=rows, seed=seed).to_csv(target, index=False)
    return target
