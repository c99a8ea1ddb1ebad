"""Small-group suppression for team figures: no number may describe fewer people than the floor.

The hospital's counts (unit × role rows, categories such as risk levels as columns) are published
with row totals, a margin row per unit and one for the hospital. Every shown number is either 0
or at least the floor:
- primary suppression hides every count between 1 and floor − 1, and the whole row of a group
  with fewer people than the floor (even its zeros say something about those few people);
- complementary suppression then hides more cells wherever a single hidden cell could be worked
  out by subtraction, in any row (categories add up to the total) or column (roles add up to
  their unit, units to the hospital), alone or in combination: the smallest shown cell next to
  it is hidden too, until no hidden cell can be pinned down.

Every view (a unit, a role in it, the hospital report) is a row of the same suppressed table, so
comparing views never reveals a hidden group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

ALL = "all"
TOTAL = "total"


def suppress_nested(
    counts: pd.DataFrame,
    floor: int,
    *,
    additive: bool = True,
    totals: pd.Series | None = None,
) -> pd.DataFrame:
    """Suppress a whole hospital at once: rows (unit, role) of `counts`, plus a margin row
    (unit, "all") per unit and ("all", "all") for the hospital, each with a `total` column.

    Suppressing the hierarchy together keeps every published view consistent: a unit's total in
    a hospital-wide report and the same unit's total in its own team view are hidden alike, so
    no hidden group can be worked out by putting two views side by side. Units below the floor
    are left out of the hospital row, so they never force another unit's figures to be hidden.
    """
    if floor < 1:
        raise ValueError("the floor must be at least 1")
    table = counts.astype("int64").copy()
    if additive:
        table[TOTAL] = table.sum(axis=1)
    elif totals is not None:
        table[TOTAL] = totals.reindex(table.index).fillna(0).astype("int64")
    else:
        table[TOTAL] = table.max(axis=1)
    units = list(dict.fromkeys(table.index.get_level_values(0)))
    parts, members = [], {}
    for unit in units:
        rows = table.xs(unit, level=0, drop_level=False)
        margin = rows.sum(axis=0).to_frame().T
        margin.index = pd.MultiIndex.from_tuples([(unit, ALL)])
        parts += [rows, margin]
    full = pd.concat(parts) if parts else table
    margins = full[full.index.get_level_values(1) == ALL]
    counted = margins[(margins[TOTAL] == 0) | (margins[TOTAL] >= floor)]
    hospital = counted.sum(axis=0).to_frame().T
    hospital.index = pd.MultiIndex.from_tuples([(ALL, ALL)])
    full = pd.concat([full, hospital]).astype("int64")
    position = {key: k for k, key in enumerate(full.index)}
    for unit in units:
        members[unit] = [position[key] for key in full.index if key[0] == unit and key[1] != ALL]

    values = full.to_numpy()
    hidden = (values > 0) & (values < floor)
    small_group = (values[:, -1] > 0) & (values[:, -1] < floor)
    hidden[small_group, :] = True
    counted_units = set(counted.index.get_level_values(0))
    equations = _equations(full, position, members, additive, counted_units)
    _complement(values, hidden, equations)
    return full.astype("Int64").mask(hidden)


def _equations(full, position, members, additive: bool, counted_units: set) -> list[list[tuple]]:
    """Every sum a reader knows: parts first, their sum last."""
    columns = full.shape[1]
    equations = []
    # units below the floor are not part of the hospital's row
    unit_rows = [position[(unit, ALL)] for unit in members if unit in counted_units]
    hospital = position[(ALL, ALL)]
    for j in range(columns):
        equations.append([(i, j) for i in unit_rows] + [(hospital, j)])
        for unit, rows in members.items():
            equations.append([(i, j) for i in rows] + [(position[(unit, ALL)], j)])
    if additive:
        for i in range(full.shape[0]):
            equations.append([(i, j) for j in range(columns)])
    return equations


def _complement(values: np.ndarray, hidden: np.ndarray, equations: list[list[tuple]]) -> None:
    """Hide more cells until no hidden cell can be worked out from the sums a reader knows.

    First the quick rule (no sum with exactly one hidden cell), then an exact check: a hidden
    cell is determined when the sums pin it down in combination (its coordinate vanishes from
    every solution of the homogeneous system); each such cell gets one more hidden partner.
    """
    with threadpool_limits(1):  # tiny matrices: threads only add overhead here
        while True:
            _single_unknowns(values, hidden, equations)
            determined = _determined(values, hidden, equations)
            partners = {_nearest_visible(values, hidden, equations, cell) for cell in determined}
            partners.discard(None)
            if not partners:  # nothing pinned down, or nothing left that could be hidden
                return
            for partner in partners:
                hidden[partner] = True


def _nearest_visible(values, hidden, equations, start: tuple) -> tuple | None:
    """The smallest shown cell in a sum with `start`, or else in a sum with a hidden cell linked
    to it: hiding it gives `start` room to move."""
    seen, frontier = {start}, [start]
    while frontier:
        sums = [cells for cells in equations if any(cell in cells for cell in frontier)]
        visible = {c for cells in sums for c in cells if not hidden[c]}
        if visible:
            return _smallest(values, visible)
        frontier = [c for cells in sums for c in cells if c not in seen]
        seen.update(frontier)
    return None


def _smallest(values: np.ndarray, cells) -> tuple:
    """The partner to hide: the smallest non-zero cell (a zero only when there is no other)."""
    nonzero = [cell for cell in cells if values[cell] > 0]
    return min(nonzero or cells, key=lambda cell: (values[cell], cell))


def _single_unknowns(values: np.ndarray, hidden: np.ndarray, equations: list[list[tuple]]) -> None:
    changed = True
    while changed:
        changed = False
        for cells in equations:
            unknown = [cell for cell in cells if hidden[cell]]
            if len(unknown) != 1:
                continue
            visible = [cell for cell in cells if not hidden[cell]]
            if visible:
                hidden[_smallest(values, visible)] = True
                changed = True


def _determined(values: np.ndarray, hidden: np.ndarray, equations: list[list[tuple]]) -> list:
    """Hidden cells whose value follows from the shown cells, the sums and counts being ≥ 0.

    A hidden cell can change without changing anything shown exactly when some direction d in
    the null space of the sums has d ≠ 0 on it and d ≥ 0 on the hidden cells that are 0 (they
    cannot go lower). Most cells pass a quick test (a direction that moves only cells above
    zero); the rest get a small linear programme. The sums of these tables have ±1 cycle bases,
    so a fractional direction means a whole-number one too.
    """
    cells = [tuple(int(x) for x in cell) for cell in np.argwhere(hidden)]
    if not cells:
        return []
    index = {cell: k for k, cell in enumerate(cells)}
    rows = []
    for equation in equations:
        *parts, whole = equation
        row = np.zeros(len(cells))
        for cell, sign in [(c, 1.0) for c in parts] + [(whole, -1.0)]:
            if cell in index:
                row[index[cell]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return []
    matrix = np.array(rows)
    zeros = np.array([values[cell] == 0 for cell in cells])
    # directions that move only cells above zero: those cells can go up or down a little
    positive = matrix[:, ~zeros]
    movable = np.zeros(len(cells), bool)
    movable[np.flatnonzero(~zeros)] = _moving(positive)
    # a zero cell can go up if the cells above zero can make up for it: its column lies in
    # the span of theirs
    movable[np.flatnonzero(zeros)] = _in_span(positive, matrix[:, zeros])
    if movable.all():
        return []
    basis = _null_space(matrix)
    if not len(basis):
        return [cell for k, cell in enumerate(cells) if not movable[k]]
    movable |= _zeros_that_can_rise(basis, zeros, movable)
    determined = []
    for k, cell in enumerate(cells):
        if movable[k]:
            continue
        if not (np.abs(basis[:, k]) > 1e-9).any():
            determined.append(cell)
        elif zeros[k] or not (_can_move(basis, zeros, k, 1.0) or _can_move(basis, zeros, k, -1.0)):
            determined.append(cell)
    return determined


def _zeros_that_can_rise(basis: np.ndarray, zeros: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Zero cells some direction raises while no zero cell falls, found a batch at a time: each
    linear programme raises as many of the undecided ones as it can (each by at most 1)."""
    from scipy.optimize import linprog

    rising = np.zeros(len(zeros), bool)
    undecided = zeros & ~known
    while undecided.any():
        weights = np.zeros(len(zeros))
        weights[undecided] = -1.0  # maximise their total rise
        directions = basis.T
        found = linprog(
            weights @ directions,
            A_ub=np.vstack([-directions[zeros], directions[undecided]]),
            b_ub=np.concatenate([np.zeros(int(zeros.sum())), np.ones(int(undecided.sum()))]),
            bounds=(None, None),
            method="highs",
        )
        if found.status != 0:
            break
        rise = directions @ found.x
        raised = undecided & (rise > 1e-7)
        if not raised.any():
            break
        rising |= raised
        undecided &= ~raised
    return rising


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """Rows spanning the directions that change none of the sums."""
    if matrix.shape[1] == 0:
        return np.zeros((0, 0))
    _, singular, vt = np.linalg.svd(matrix)
    return vt[int((singular > 1e-9).sum()) :]


def _in_span(basis_columns: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Which of `columns` are combinations of `basis_columns`."""
    if columns.shape[1] == 0:
        return np.zeros(0, bool)
    if basis_columns.shape[1] == 0:
        return np.zeros(columns.shape[1], bool)
    u, singular, _ = np.linalg.svd(basis_columns, full_matrices=False)
    span = u[:, singular > 1e-9]
    residual = columns - span @ (span.T @ columns)
    return np.abs(residual).max(axis=0) < 1e-9


def _moving(matrix: np.ndarray) -> np.ndarray:
    """Which columns some null-space direction moves."""
    basis = _null_space(matrix)
    if not len(basis):
        return np.zeros(matrix.shape[1], bool)
    return (np.abs(basis) > 1e-9).any(axis=0)


def _can_move(basis: np.ndarray, zeros: np.ndarray, k: int, sign: float) -> bool:
    """Is there d = basis.T @ w with d[k] = sign and d ≥ 0 on the zero cells?"""
    from scipy.optimize import linprog

    found = linprog(
        np.zeros(len(basis)),
        A_ub=-basis.T[zeros],
        b_ub=np.zeros(int(zeros.sum())),
        A_eq=basis.T[[k]],
        b_eq=[sign],
        bounds=(None, None),
        method="highs",
    )
    return found.status == 0


def shown(value: object) -> str:
    """A suppressed count as readers see it."""
    return "hidden" if pd.isna(value) else f"{int(value):,}"


def shown_share(value: object) -> str:
    """A share of suppressed counts as readers see it."""
    return "hidden" if pd.isna(value) else f"{float(value):.0%}"
