"""Small-group suppression: no published team figure tells anything about fewer than the floor.

A week's counts (unit × role rows, categories such as risk levels as columns, each row with its
total) are published together with a margin row per unit and one for the hospital. Every view
(a unit, a role in it, the hospital report) is a row of this one table, so the rules below hold
for any combination of views a reader puts side by side. The reader is assumed to know every
shown number, that counts are whole and never negative, and every sum that links them (the
categories of a row add up to its total, a unit's roles to the unit, the units to the hospital).

1. **No small number.** Every shown count is 0 or at least the floor; a group smaller than the
   floor has its whole row hidden, zeros included.
2. **No small number by subtraction.** For every published sum, no hidden figure and no
   combination of hidden figures inside it ("every role but nurses, at high risk") can be pinned
   to between 1 and floor − 1 people: each such combination could be 0 or could be the floor or
   more, as far as the reader can tell.
3. **No group disclosure.** For no group (a team, a unit, the hospital) can the reader conclude
   that all its members are in one category (all at high risk, all burnt out): the group's size
   stays shown, its breakdown is hidden.

Cells hidden by rule 1 are hidden first; then, while a reader could break rule 2 or 3, the
smallest shown figure that gives the hidden ones room to move is hidden too. A final pass shows
again every hidden figure that no rule needs hidden.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from threadpoolctl import threadpool_limits

ALL = "all"
TOTAL = "total"

Cell = tuple[int, int]

#: Beyond this many small hidden figures in one sum, their combinations are not all tried (2^n
#: linear programmes); a sum that large has its smallest shown figure hidden instead.
MAX_COMBINED = 10


def suppress_nested(
    counts: pd.DataFrame,
    floor: int,
    *,
    additive: bool = True,
    totals: pd.Series | None = None,
    hidden_totals: pd.Series | None = None,
    sensitive: list[tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Suppress a whole hospital at once: rows (unit, role) of `counts`, plus a margin row
    (unit, "all") per unit and ("all", "all") for the hospital, each with a `total` column.

    With `additive=False` the categories may overlap (people with each kind of alert) and
    `totals` gives each team's head count. `hidden_totals` (True where hidden, indexed like the
    result) says which of those head counts another published table already hides: they stay
    hidden, the others are taken as known to the reader, and none is hidden anew.
    """
    if floor < 1:
        raise ValueError("the floor must be at least 1")
    full, members, counted_units = _hierarchy(counts, additive, totals, floor)
    values = full.to_numpy()
    frozen = np.zeros(values.shape, bool)
    hidden = (values > 0) & (values < floor)
    small_group = (values[:, -1] > 0) & (values[:, -1] < floor)
    hidden[small_group, :] = True
    if hidden_totals is not None:
        known = hidden_totals.reindex(full.index).fillna(True).to_numpy(bool)
        hidden[:, -1] = known
        frozen[:, -1] = True
    position = {key: k for k, key in enumerate(full.index)}
    columns = list(full.columns)
    groups = sensitive if sensitive is not None else [(c,) for c in columns[:-1]]
    tables = _Sums(
        values=values,
        equations=_equations(full, position, members, additive, counted_units),
        caps=[] if additive else _caps(values),
        floor=floor,
        frozen=frozen,
        sensitive=[[columns.index(c) for c in group] for group in groups],
    )
    primary = hidden.copy()
    with threadpool_limits(1):  # tiny problems: threads only add overhead here
        tables.protect(hidden)
        tables.show_unneeded(hidden, primary)
    return full.astype("Int64").mask(hidden)


def _hierarchy(counts, additive, totals, floor):
    """The full table (roles, unit margins, hospital), which rows belong to each unit, and the
    units counted in the hospital's row (those below the floor are left out, so they never force
    another unit's figures to be hidden)."""
    table = counts.astype("int64").copy()
    if additive:
        table[TOTAL] = table.sum(axis=1)
    elif totals is not None:
        table[TOTAL] = totals.reindex(table.index).fillna(0).astype("int64")
    else:
        table[TOTAL] = table.max(axis=1)
    units = list(dict.fromkeys(table.index.get_level_values(0)))
    parts = []
    for unit in units:
        rows = table.xs(unit, level=0, drop_level=False)
        margin = rows.sum(axis=0).to_frame().T
        if not additive and totals is None:
            margin[TOTAL] = rows[TOTAL].sum()
        margin.index = pd.MultiIndex.from_tuples([(unit, ALL)])
        parts += [rows, margin]
    full = pd.concat(parts) if parts else table
    margins = full[full.index.get_level_values(1) == ALL]
    counted = margins[(margins[TOTAL] == 0) | (margins[TOTAL] >= floor)]
    hospital = counted.sum(axis=0).to_frame().T
    hospital.index = pd.MultiIndex.from_tuples([(ALL, ALL)])
    full = pd.concat([full, hospital]).astype("int64")
    members = {
        unit: [k for k, key in enumerate(full.index) if key[0] == unit and key[1] != ALL]
        for unit in units
    }
    return full, members, set(counted.index.get_level_values(0))


def _equations(full, position, members, additive: bool, counted_units: set) -> list[list[Cell]]:
    """Every sum a reader knows: parts first, their sum last."""
    columns = full.shape[1]
    equations = []
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


def _caps(values: np.ndarray) -> list[tuple[Cell, Cell]]:
    """Overlapping categories: each is at most the row's head count."""
    last = values.shape[1] - 1
    return [((i, j), (i, last)) for i in range(values.shape[0]) for j in range(last)]


@dataclass
class _Sums:
    """What a reader knows about a table, and the three rules checked against it."""

    values: np.ndarray
    equations: list[list[Cell]]
    caps: list[tuple[Cell, Cell]]
    floor: int
    frozen: np.ndarray
    #: column numbers of the categories no group may be seen to be entirely in
    sensitive: list[list[int]]

    def protect(self, hidden: np.ndarray) -> None:
        """Hide more figures until no rule can be broken."""
        while True:
            self._single_unknowns(hidden)
            partners = {self._partner(hidden, cells) for cells in self.disclosures(hidden)}
            partners.discard(None)
            if not partners:
                return
            for partner in partners:
                hidden[partner] = True

    def show_unneeded(self, hidden: np.ndarray, primary: np.ndarray) -> None:
        """Show again each figure hidden only as a partner that no rule needs hidden after all,
        largest first (the figures people most want to see)."""
        extra = [tuple(int(x) for x in c) for c in np.argwhere(hidden & ~primary & ~self.frozen)]
        for cell in sorted(extra, key=lambda c: (-self.values[c], c)):
            hidden[cell] = False
            if self.disclosures(hidden, first_only=True):
                hidden[cell] = True

    # --- the rules ---------------------------------------------------------------------------

    def disclosures(self, hidden: np.ndarray, first_only: bool = False) -> list[list[Cell]]:
        """Sets of cells a reader could learn too much about (each needs a shown partner)."""
        found = []
        reader = _Reader(self, hidden)
        for cells in self._small_sums(reader, hidden):
            found.append(cells)
            if first_only:
                return found
        for cells in self._whole_groups(reader, hidden):
            found.append(cells)
            if first_only:
                return found
        return found

    def _small_sums(self, reader: _Reader, hidden: np.ndarray):
        """Rule 2: hidden figures, alone or combined within one sum, pinned to 1..floor − 1."""
        small = self.floor - 1
        for cell in reader.cells:
            low, high = reader.range({cell: 1.0})
            if low >= 1 and high <= small:
                yield [cell]
        for equation in self.equations:
            parts = [
                c
                for c in equation[:-1]
                if hidden[c] and 1 <= reader.range({c: 1.0})[1] <= small
            ]
            if len(parts) > MAX_COMBINED:
                yield parts
                continue
            too_big: list[frozenset] = []
            for size in range(2, len(parts) + 1):
                for combination in itertools.combinations(parts, size):
                    if any(group <= set(combination) for group in too_big):
                        continue
                    weights = dict.fromkeys(combination, 1.0)
                    high = reader.high(weights)
                    if high > small:
                        too_big.append(frozenset(combination))
                        continue
                    if reader.low(weights) >= 1:
                        yield list(combination)

    def _whole_groups(self, reader: _Reader, hidden: np.ndarray):
        """Rule 3: a group whose members could all be read as being in sensitive categories."""
        last = self.values.shape[1] - 1
        for i in range(self.values.shape[0]):
            if self.values[i, last] < 1:
                continue
            for group in self.sensitive:
                # the members outside these categories: could there be any?
                outside = {(i, last): 1.0, **{(i, j): -1.0 for j in group}}
                if reader.high(outside) < 1:
                    row = [(i, k) for k in range(last)]
                    yield row if any(not hidden[c] for c in row) else [(i, last)]

    # --- choosing partners -------------------------------------------------------------------

    def _single_unknowns(self, hidden: np.ndarray) -> None:
        """The quick rule: a sum with exactly one hidden figure gives it away."""
        changed = True
        while changed:
            changed = False
            for cells in self.equations:
                unknown = [cell for cell in cells if hidden[cell]]
                if len(unknown) != 1 or not 0 < self.values[unknown[0]] < self.floor:
                    continue
                partner = self._smallest([c for c in cells if not hidden[c]])
                if partner is not None:
                    hidden[partner] = True
                    changed = True

    def _partner(self, hidden: np.ndarray, cells: list[Cell]) -> Cell | None:
        """The cell to hide for a disclosure about `cells`: the smallest shown one among them,
        else in a sum with them, else in a sum linked to those through hidden cells."""
        own = self._smallest([c for c in cells if not hidden[c]])
        if own is not None:
            return own
        seen, frontier = set(cells), list(cells)
        while frontier:
            sums = [eq for eq in self.equations if any(cell in eq for cell in frontier)]
            visible = [c for eq in sums for c in eq if not hidden[c]]
            partner = self._smallest(visible)
            if partner is not None:
                return partner
            frontier = [c for eq in sums for c in eq if c not in seen]
            seen.update(frontier)
        return None

    def _smallest(self, cells: list[Cell]) -> Cell | None:
        """The partner to hide: the smallest non-zero cell (a zero only when there is no other);
        never a figure another table has already published."""
        cells = [c for c in cells if not self.frozen[c]]
        if not cells:
            return None
        nonzero = [cell for cell in cells if self.values[cell] > 0]
        return min(nonzero or cells, key=lambda cell: (self.values[cell], cell))


class _Reader:
    """The best a reader can do: the smallest and largest value of a sum of figures that fits
    everything shown (linear programmes over the hidden cells linked to those figures)."""

    def __init__(self, sums: _Sums, hidden: np.ndarray) -> None:
        self.values = sums.values
        self.hidden = hidden
        self.cells = [tuple(int(x) for x in c) for c in np.argwhere(hidden)]
        self.index = {cell: k for k, cell in enumerate(self.cells)}
        equalities, inequalities = [], []
        for equation in sums.equations:
            *parts, whole = equation
            equalities.append([(c, 1.0) for c in parts] + [(whole, -1.0)])
        for part, total in sums.caps:
            inequalities.append([(part, 1.0), (total, -1.0)])
        self.eq = [self._row(terms) for terms in equalities]
        self.ub = [self._row(terms) for terms in inequalities]
        self.eq = [row for row in self.eq if row[0]]
        self.ub = [row for row in self.ub if row[0]]
        self.component = self._components()
        self._memo: dict = {}

    def _row(self, terms):
        """A sum as {hidden cell index: coefficient} and the constant the shown cells add."""
        coefficients, constant = {}, 0.0
        for cell, sign in terms:
            if self.hidden[cell]:
                k = self.index[cell]
                coefficients[k] = coefficients.get(k, 0.0) + sign
            else:
                constant += sign * self.values[cell]
        return {k: v for k, v in coefficients.items() if v}, constant

    def _components(self) -> np.ndarray:
        """Hidden cells linked through a sum share a component; nothing else constrains them."""
        parent = list(range(len(self.cells)))

        def find(k):
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for coefficients, _ in self.eq + self.ub:
            ks = list(coefficients)
            for k in ks[1:]:
                parent[find(k)] = find(ks[0])
        return np.array([find(k) for k in range(len(self.cells))])

    def range(self, weights: dict[Cell, float]) -> tuple[float, float]:
        return self.low(weights), self.high(weights)

    def low(self, weights: dict[Cell, float]) -> float:
        return -self._most({c: -w for c, w in weights.items()})

    def high(self, weights: dict[Cell, float]) -> float:
        return self._most(weights)

    def _most(self, weights: dict[Cell, float]) -> float:
        """The largest value of Σ weight × cell that fits what is shown."""
        constant = sum(w * self.values[c] for c, w in weights.items() if not self.hidden[c])
        terms = {self.index[c]: w for c, w in weights.items() if self.hidden[c]}
        if not terms:
            return float(constant)
        key = tuple(sorted(terms.items()))
        if key not in self._memo:
            self._memo[key] = self._solve(terms)
        return constant + self._memo[key]

    def _solve(self, terms: dict[int, float]) -> float:
        groups = {self.component[k] for k in terms}
        variables = np.flatnonzero(np.isin(self.component, list(groups)))
        column = {k: n for n, k in enumerate(variables)}

        def matrix(rows):
            picked = [(c, b) for c, b in rows if self.component[next(iter(c))] in groups]
            a = np.zeros((len(picked), len(variables)))
            for r, (coefficients, _) in enumerate(picked):
                for k, v in coefficients.items():
                    a[r, column[k]] = v
            return a, np.array([-b for _, b in picked])

        a_eq, b_eq = matrix(self.eq)
        a_ub, b_ub = matrix(self.ub)
        objective = np.zeros(len(variables))
        for k, w in terms.items():
            objective[column[k]] = -w
        found = linprog(
            objective,
            A_eq=a_eq if len(a_eq) else None,
            b_eq=b_eq if len(b_eq) else None,
            A_ub=a_ub if len(a_ub) else None,
            b_ub=b_ub if len(b_ub) else None,
            bounds=(0, None),
            method="highs",
        )
        if found.status == 3:  # unbounded: nothing shown limits these figures
            return np.inf
        if found.status != 0:
            raise RuntimeError(f"suppression: the shown figures do not fit ({found.message})")
        # the sums of these tables have whole-number corners: round off solver noise
        return float(np.floor(-found.fun + 1e-6))


def shown(value: object) -> str:
    """A suppressed count as readers see it."""
    return "hidden" if pd.isna(value) else f"{int(value):,}"


def shown_share(value: object) -> str:
    """A share of suppressed counts as readers see it."""
    return "hidden" if pd.isna(value) else f"{float(value):.0%}"
