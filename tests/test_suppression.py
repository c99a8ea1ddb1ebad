"""Small-group suppression: no shown number below the floor, and no hidden one recoverable."""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from burnout_lib.privacy.suppression import ALL, TOTAL, suppress_nested

FLOOR = 5
LEVELS = ["low", "moderate", "high"]


def suppress_table(
    counts: pd.DataFrame, floor: int, additive: bool = True, totals: pd.Series | None = None
) -> pd.DataFrame:
    """One unit's roles, suppressed within the hospital hierarchy: the role rows and the unit's
    "all" row."""
    nested = counts.copy()
    nested.index = pd.MultiIndex.from_product([["unit"], counts.index])
    if totals is not None:
        totals = totals.copy()
        totals.index = nested.index
    published = suppress_nested(nested, floor, additive=additive, totals=totals)
    return published.xs("unit", level=0)


def table(rows: dict[str, list[int]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=LEVELS)


def flat_equations(rows: int, columns: int, additive: bool = True) -> list[list[tuple]]:
    """Groups add up to the last row; with `additive`, categories add up to the last column."""
    equations = [[(i, j) for i in range(rows)] for j in range(columns)]
    if additive:
        equations += [[(i, j) for j in range(columns)] for i in range(rows)]
    return equations


def recoverable(published: pd.DataFrame, truth: pd.DataFrame, additive: bool = True) -> set:
    """Hidden cells of a flat table (groups plus an "all" row) an attacker can pin down."""
    return solve(published, truth, flat_equations(*truth.shape, additive=additive))


def solve(published: pd.DataFrame, truth: pd.DataFrame, equations: list[list[tuple]]) -> set:
    """Hidden cells whose value an attacker can pin down from what is shown.

    The attacker knows every shown number, that counts are whole and not negative, and every
    sum in `equations` (all cells but the last add up to the last). For each hidden cell, integer
    programs find its smallest and largest value consistent with that; a cell whose smallest
    and largest agree is recoverable.
    """
    values = truth.to_numpy().astype(float)
    hidden = [tuple(cell) for cell in np.argwhere(published.isna().to_numpy())]
    if not hidden:
        return set()
    index = {cell: k for k, cell in enumerate(hidden)}
    matrix, target = [], []
    for cells in equations:
        *parts, whole = cells
        coefficients = np.zeros(len(hidden))
        constant = 0.0
        for cell, sign in [(c, 1.0) for c in parts] + [(whole, -1.0)]:
            if cell in index:
                coefficients[index[cell]] += sign
            else:
                constant += sign * values[cell]
        if coefficients.any():
            matrix.append(coefficients)
            target.append(-constant)
    constraints = LinearConstraint(np.array(matrix), target, target) if matrix else ()
    found = set()
    bounds = Bounds(0, values.max())
    for cell, k in index.items():
        objective = np.zeros(len(hidden))
        objective[k] = 1.0
        low = milp(objective, constraints=constraints, integrality=1, bounds=bounds)
        high = milp(-objective, constraints=constraints, integrality=1, bounds=bounds)
        assert low.success and high.success
        if round(low.fun) == round(-high.fun):
            found.add(cell)
    return found


def truth_of(counts: pd.DataFrame) -> pd.DataFrame:
    full = counts.copy()
    full[TOTAL] = full.sum(axis=1)
    full.loc[ALL] = full.sum(axis=0)
    return full


def test_a_large_table_is_shown_whole() -> None:
    counts = table({"Nurse": [10, 6, 7], "Resident": [8, 5, 9]})
    published = suppress_table(counts, FLOOR)
    assert published.notna().all().all()
    assert published.loc[ALL].tolist() == [18, 11, 16, 45]
    assert published.loc["Nurse", TOTAL] == 23


def test_a_small_count_is_hidden_with_a_partner_in_its_row_and_column() -> None:
    counts = table({"Nurse": [10, 6, 2], "Resident": [8, 5, 9]})
    published = suppress_table(counts, FLOOR)
    assert pd.isna(published.loc["Nurse", "high"])
    assert published.loc["Nurse"].isna().sum() >= 2
    assert published["high"].isna().sum() >= 2
    assert recoverable(published, truth_of(counts)) == set()


def test_a_group_below_the_floor_is_hidden_whole_even_its_zeros() -> None:
    counts = table({"Nurse": [10, 6, 7], "Porter": [3, 0, 0], "Resident": [8, 5, 9]})
    published = suppress_table(counts, FLOOR)
    assert published.loc["Porter"].isna().all()
    assert recoverable(published, truth_of(counts)) == set()


def test_a_unit_below_the_floor_shows_nothing() -> None:
    counts = table({"Nurse": [2, 1, 1]})
    published = suppress_table(counts, FLOOR)
    assert published.isna().all().all()


def test_subtracting_visible_roles_from_the_unit_reveals_nothing() -> None:
    # the classic attack: unit high (11) − nurses' high (5) − residents' high (5) = the one
    # technician at high risk
    counts = table({"Nurse": [10, 6, 5], "Resident": [8, 5, 5], "Technician": [6, 3, 1]})
    published = suppress_table(counts, FLOOR)
    assert pd.isna(published.loc["Technician", "high"])
    assert recoverable(published, truth_of(counts)) == set()


def test_zeros_are_shown() -> None:
    counts = table({"Nurse": [10, 0, 7], "Resident": [8, 0, 9]})
    published = suppress_table(counts, FLOOR)
    assert published.loc["Nurse", "moderate"] == 0
    assert published.loc[ALL, "moderate"] == 0


def test_overlapping_categories_use_the_head_count_for_small_groups() -> None:
    alerts = pd.DataFrame(
        {"sustained": [6, 2, 0], "rising_fast": [5, 0, 1]}, index=["Nurse", "Resident", "Porter"]
    )
    heads = pd.Series({"Nurse": 20, "Resident": 9, "Porter": 3})
    published = suppress_table(alerts, FLOOR, additive=False, totals=heads)
    assert published.loc["Porter"].isna().all()
    assert pd.isna(published.loc["Resident", "sustained"])
    assert published.loc[ALL, TOTAL] == 32
    full = alerts.copy()
    full[TOTAL] = heads
    full.loc[ALL] = full.sum(axis=0)
    assert recoverable(published, full, additive=False) == set()


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_never_show_a_small_count_or_leak_a_hidden_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    groups = int(rng.integers(1, 4))
    counts = pd.DataFrame(
        rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8], size=(groups, 3)),
        index=[f"role {k}" for k in range(groups)],
        columns=LEVELS,
    )
    published = suppress_table(counts, FLOOR)
    shown = published.stack().dropna().astype(int)
    assert ((shown == 0) | (shown >= FLOOR)).all()
    small = truth_of(counts)[TOTAL].between(1, FLOOR - 1)
    assert published[small.to_numpy()].isna().all().all()
    assert recoverable(published, truth_of(counts)) == set()


def nested_truth(counts: pd.DataFrame) -> tuple[pd.DataFrame, list[list[tuple]]]:
    """The full hierarchy (roles, unit margins, hospital) and every sum a reader knows."""
    counts = counts.copy()
    counts[TOTAL] = counts.sum(axis=1)
    parts = []
    for unit in dict.fromkeys(counts.index.get_level_values(0)):
        rows = counts.xs(unit, level=0, drop_level=False)
        margin = rows.sum().to_frame().T
        margin.index = pd.MultiIndex.from_tuples([(unit, ALL)])
        parts += [rows, margin]
    full = pd.concat(parts)
    margins = full[full.index.get_level_values(1) == ALL]
    # the hospital row counts the units of at least the floor (or none)
    counted = margins[(margins[TOTAL] == 0) | (margins[TOTAL] >= FLOOR)]
    hospital = counted.sum().to_frame().T
    hospital.index = pd.MultiIndex.from_tuples([(ALL, ALL)])
    full = pd.concat([full, hospital])
    at = {key: k for k, key in enumerate(full.index)}
    columns = full.shape[1]
    equations = [[(i, j) for j in range(columns)] for i in range(len(full))]
    margins = [at[key] for key in counted.index]
    for j in range(columns):
        equations.append([(i, j) for i in margins] + [(at[(ALL, ALL)], j)])
        for unit in dict.fromkeys(counts.index.get_level_values(0)):
            rows = [at[key] for key in full.index if key[0] == unit and key[1] != ALL]
            equations.append([(i, j) for i in rows] + [(at[(unit, ALL)], j)])
    return full, equations


@pytest.mark.parametrize("seed", range(30))
def test_unit_team_views_and_the_hospital_report_together_reveal_nothing(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    keys = [
        (f"unit {u}", f"role {r}")
        for u in range(int(rng.integers(2, 4)))
        for r in range(int(rng.integers(1, 4)))
    ]
    counts = pd.DataFrame(
        rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9], size=(len(keys), 3)),
        index=pd.MultiIndex.from_tuples(keys),
        columns=LEVELS,
    )
    published = suppress_nested(counts, FLOOR)
    truth, equations = nested_truth(counts)
    assert list(published.index) == list(truth.index)
    shown = published.stack().dropna().astype(int)
    assert ((shown == 0) | (shown >= FLOOR)).all()
    assert (shown == truth.stack()[shown.index]).all()
    assert solve(published, truth, equations) == set()


def test_a_small_unit_is_left_out_of_the_hospital_row_not_worked_out_from_it() -> None:
    # with the 3 porters in the hospital's total, Ward A's total would have to go too (21 − 18
    # gives the 3 away); leaving them out keeps Ward A's own view whole
    counts = pd.DataFrame(
        [[11, 5, 2], [3, 0, 0]],
        index=pd.MultiIndex.from_tuples([("Ward A", "Nurse"), ("Tiny", "Porter")]),
        columns=LEVELS,
    )
    published = suppress_nested(counts, FLOOR)
    assert published.loc[(ALL, ALL), TOTAL] == 18
    assert published.loc[("Ward A", ALL), TOTAL] == 18
    assert published.loc[("Tiny", ALL)].isna().all()
