"""A determined reader of published team figures, written independently of the suppression.

The reader knows every shown number, that counts are whole and never negative, and every sum
that links published figures (in any table). With integer programmes (scipy's `milp`) it
looks for what the privacy rules forbid:
- a hidden figure, or a combination of hidden figures inside one sum (say every role of a unit
  but the nurses, at high risk), whose value it can pin to between 1 and floor − 1;
- a group whose members it can prove all to be in one sensitive category.
The true figures only narrow the search (a pinned value must be the true one); every finding is
proved by the integer programmes alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from burnout_lib.privacy.suppression import ALL, TOTAL

Cell = tuple  # (table name, row key, column)


@dataclass
class Published:
    """Everything published for one week: per table the true figures and what is shown."""

    floor: int
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)
    shown: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: sums a reader knows: all cells but the last add up to the last
    sums: list[list[Cell]] = field(default_factory=list)
    #: (part, whole): the part is at most the whole (overlapping categories)
    caps: list[tuple[Cell, Cell]] = field(default_factory=list)
    #: (cell, same cell in another table): one number published in two places
    same: list[tuple[Cell, Cell]] = field(default_factory=list)
    #: per table, the category groups no group may be seen to be entirely in
    sensitive: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def add_table(
        self,
        name: str,
        truth: pd.DataFrame,
        shown: pd.DataFrame,
        sensitive: list[tuple[str, ...]],
        additive: bool = True,
    ) -> None:
        """A hierarchical table (rows (unit, role), (unit, "all"), ("all", "all"); a `total`
        column last) and the sums a reader knows about it."""
        assert list(truth.index) == list(shown.index) and list(truth.columns) == list(shown.columns)
        self.truth[name], self.shown[name] = truth, shown
        self.sensitive[name] = sensitive
        units = [u for u, r in truth.index if r == ALL and u != ALL]
        sizes = {unit: int(truth.at[(unit, ALL), TOTAL]) for unit in units}
        counted = [unit for unit, size in sizes.items() if size == 0 or size >= self.floor]
        for column in truth.columns:
            self.sums.append([(name, (u, ALL), column) for u in counted]
                             + [(name, (ALL, ALL), column)])  # fmt: skip
            for unit in units:
                roles = [key for key in truth.index if key[0] == unit and key[1] != ALL]
                self.sums.append([(name, key, column) for key in roles]
                                 + [(name, (unit, ALL), column)])  # fmt: skip
        for key in truth.index:
            categories = [(name, key, c) for c in truth.columns if c != TOTAL]
            if additive:
                self.sums.append([*categories, (name, key, TOTAL)])
            else:
                self.caps += [(cell, (name, key, TOTAL)) for cell in categories]

    def value(self, cell: Cell) -> int:
        name, key, column = cell
        return int(self.truth[name].at[key, column])

    def hidden(self, cell: Cell) -> bool:
        name, key, column = cell
        return bool(pd.isna(self.shown[name].at[key, column]))


class Attacker:
    """Integer programmes over the hidden figures of everything published for one week."""

    def __init__(self, published: Published) -> None:
        self.published = published
        cells = [
            (name, key, column)
            for name, frame in published.shown.items()
            for key in frame.index
            for column in frame.columns
        ]
        self.hidden = [cell for cell in cells if published.hidden(cell)]
        self.index = {cell: k for k, cell in enumerate(self.hidden)}
        equal, upper = [], []
        for cells_of_sum in published.sums:
            *parts, whole = cells_of_sum
            equal.append(self._row([(c, 1.0) for c in parts] + [(whole, -1.0)]))
        for a, b in published.same:
            equal.append(self._row([(a, 1.0), (b, -1.0)]))
        for part, whole in published.caps:
            upper.append(self._row([(part, 1.0), (whole, -1.0)]))
        self.equal = [r for r in equal if r[0].any()]
        self.upper = [r for r in upper if r[0].any()]
        biggest = max(int(frame.to_numpy().max()) for frame in published.truth.values())
        self.most = max(biggest, 1) * 2
        self.part = self._parts()
        #: whole tables that fit everything published (found by earlier programmes), with the
        #: hidden cells each covers
        self.witnesses: list[tuple[np.ndarray, np.ndarray]] = []

    def _parts(self) -> np.ndarray:
        """Hidden cells linked by a sum share a part; parts are independent of each other, so
        each question is asked of the part(s) it involves only."""
        part = np.arange(len(self.hidden))

        def root(k: int) -> int:
            while part[k] != k:
                k = part[k]
            return k

        for row, _ in self.equal + self.upper:
            first, *others = np.flatnonzero(row)
            for k in others:
                part[root(k)] = root(first)
        return np.array([root(k) for k in range(len(self.hidden))])

    def _row(self, terms) -> tuple[np.ndarray, float]:
        """Coefficients over hidden cells, and the right-hand side from the shown ones."""
        row, constant = np.zeros(len(self.hidden)), 0.0
        for cell, sign in terms:
            if cell in self.index:
                row[self.index[cell]] += sign
            else:
                constant += sign * self.published.value(cell)
        return row, -constant

    def pinned(self, weights: dict[Cell, float], truth: int, below: bool = True) -> bool:
        """Is Σ weight × cell certainly `truth` (its true value) for the reader? Every table an
        earlier programme found is a witness: one giving another value settles it. Otherwise
        the largest value is tried first (most sums are not pinned), then the smallest."""
        objective, constant = self._objective(weights)
        for mask, solution in self.witnesses:
            if mask[objective != 0].all() and round(objective @ solution + constant) != truth:
                return False
        return self._end(weights, 1.0) == truth and (not below or self._end(weights, -1.0) == truth)

    def _objective(self, weights: dict[Cell, float]) -> tuple[np.ndarray, float]:
        objective = np.zeros(len(self.hidden))
        constant = 0.0
        for cell, weight in weights.items():
            if cell in self.index:
                objective[self.index[cell]] += weight
            else:
                constant += weight * self.published.value(cell)
        return objective, constant

    def range_of(self, weights: dict[Cell, float]) -> tuple[int, int]:
        """Smallest and largest value of Σ weight × cell the reader cannot rule out."""
        return self._end(weights, -1.0), self._end(weights, 1.0)

    def _end(self, weights: dict[Cell, float], sign: float) -> int:
        """The largest (sign 1) or smallest (sign −1) value of Σ weight × cell."""
        objective, constant = self._objective(weights)
        if not objective.any():
            return round(constant)
        variables = np.isin(self.part, np.unique(self.part[objective != 0]))
        constraints = []
        for rows, lower in ((self.equal, True), (self.upper, False)):
            rows = [(row[variables], bound) for row, bound in rows if row[variables].any()]
            if rows:
                bounds = np.array([bound for _, bound in rows])
                matrix = np.array([row for row, _ in rows])
                constraints.append(LinearConstraint(matrix, bounds if lower else -np.inf, bounds))
        found = milp(-sign * objective[variables], constraints=constraints, integrality=1,
                     bounds=Bounds(0, self.most))  # fmt: skip
        assert found.success, found.message
        solution = np.zeros(len(self.hidden))
        solution[variables] = np.round(found.x)
        self.witnesses.append((variables, solution))
        return round(-sign * found.fun + constant)

    # --- what the rules forbid ---------------------------------------------------------------

    def small_sums(self) -> list[list[Cell]]:
        """Hidden figures, alone or combined inside one sum, pinned to 1..floor − 1."""
        floor, found = self.published.floor, []
        candidates: Iterable[Sequence[Cell]] = itertools.chain(
            ([cell] for cell in self.hidden),
            *(self._combinations(s[:-1]) for s in self.published.sums),
        )
        for cells in candidates:
            truth = sum(self.published.value(c) for c in cells)
            if not 1 <= truth <= floor - 1:
                continue  # a pinned sum is pinned to its true value
            if self.pinned(dict.fromkeys(cells, 1.0), truth):
                found.append(list(cells))
        return found

    def _combinations(self, parts: list[Cell]) -> Iterable[tuple[Cell, ...]]:
        floor = self.published.floor
        hidden = [c for c in parts if c in self.index and self.published.value(c) < floor]
        for size in range(2, len(hidden) + 1):
            yield from itertools.combinations(hidden, size)

    def whole_groups(self) -> list[tuple[str, tuple, tuple[str, ...]]]:
        """Groups whose members the reader can prove all to be in sensitive categories."""
        found = []
        for name, truth in self.published.truth.items():
            for key in truth.index:
                size = int(truth.at[key, TOTAL])
                for group in self.published.sensitive[name]:
                    if size < 1 or size != sum(int(truth.at[key, c]) for c in group):
                        continue
                    outside = {(name, key, TOTAL): 1.0, **{(name, key, c): -1.0 for c in group}}
                    if self.pinned(outside, 0, below=False):  # it cannot be below 0
                        found.append((name, key, group))
        return found


def hierarchy(counts: pd.DataFrame, floor: int, totals: pd.Series | None = None) -> pd.DataFrame:
    """The true figures as published: (unit, role) rows, a margin per unit and the hospital
    (counting the units of at least the floor, or none), with a `total` column."""
    table = counts.astype("int64").copy()
    table[TOTAL] = table.sum(axis=1) if totals is None else totals.reindex(table.index).fillna(0)
    parts = []
    for unit in dict.fromkeys(table.index.get_level_values(0)):
        rows = table.xs(unit, level=0, drop_level=False)
        margin = rows.sum().to_frame().T
        margin.index = pd.MultiIndex.from_tuples([(unit, ALL)])
        parts += [rows, margin]
    full = pd.concat(parts)
    margins = full[full.index.get_level_values(1) == ALL]
    counted = margins[(margins[TOTAL] == 0) | (margins[TOTAL] >= floor)]
    hospital = counted.sum().to_frame().T
    hospital.index = pd.MultiIndex.from_tuples([(ALL, ALL)])
    return pd.concat([full, hospital]).astype("int64")
