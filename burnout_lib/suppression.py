"""Small-group suppression for team figures: no number may describe fewer people than the floor.

A table of counts (groups × categories, e.g. roles × risk levels) is published with its row totals
and an "all" row (the whole unit). Every shown number is either 0 or at least the floor:
- primary suppression hides every count between 1 and floor − 1, and the whole row of a group
  with fewer people than the floor (even its zeros say something about those few people);
- complementary suppression then hides more cells wherever a single hidden cell could be worked
  out by subtraction: in any row (categories add up to the total) or any column (groups add up to
  the "all" row) with exactly one hidden cell, the smallest other non-zero cell is hidden too,
  repeated until no such row or column is left.

The unit view and each role view are rows of the same suppressed table, so comparing them never
reveals a hidden group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ALL = "all"
TOTAL = "total"


def suppress_table(
    counts: pd.DataFrame, floor: int, *, additive: bool = True, totals: pd.Series | None = None
) -> pd.DataFrame:
    """`counts` with a `total` column and an `all` row added, and unsafe cells set to NA.

    `additive=False` is for categories that overlap (a person can have two kinds of alert): then
    rows have no total to subtract from, and the total of a group must be given in `totals` (the
    group's head count) to apply the small-group rule.
    """
    if floor < 1:
        raise ValueError("the floor must be at least 1")
    table = counts.astype("int64").copy()
    if additive:
        table[TOTAL] = table.sum(axis=1)
    else:
        table[TOTAL] = (
            totals.reindex(table.index).fillna(0).astype("int64")
            if totals is not None
            else table.max(axis=1)
        )
    table.loc[ALL] = table.sum(axis=0)
    values = table.to_numpy()
    hidden = (values > 0) & (values < floor)
    small_group = (values[:, -1] > 0) & (values[:, -1] < floor)
    hidden[small_group, :] = True
    _complement(values, hidden, additive)
    return table.astype("Int64").mask(hidden)


def _complement(values: np.ndarray, hidden: np.ndarray, additive: bool) -> None:
    """Hide more cells until no row or column equation has exactly one unknown."""
    rows, columns = values.shape
    equations: list[list[tuple[int, int]]] = []
    # each column: the groups add up to the "all" row (the last row)
    for j in range(columns):
        equations.append([(i, j) for i in range(rows)])
    if additive:
        # each row: the categories add up to the total (the last column)
        for i in range(rows):
            equations.append([(i, j) for j in range(columns)])
    changed = True
    while changed:
        changed = False
        for cells in equations:
            unknown = [cell for cell in cells if hidden[cell]]
            if len(unknown) != 1:
                continue
            visible = [cell for cell in cells if not hidden[cell]]
            nonzero = [cell for cell in visible if values[cell] > 0]
            chosen = min(nonzero or visible, key=lambda cell: values[cell], default=None)
            if chosen is None:
                continue
            hidden[chosen] = True
            changed = True


def shown(value: object) -> str:
    """A suppressed count as readers see it."""
    return "hidden" if pd.isna(value) else f"{int(value):,}"
