"""Small-group suppression: no published team figure tells anything about fewer than the floor.

A week's counts (unit × role rows, categories such as risk levels as columns, each row with its
total) are published together with a margin row per unit and one for the hospital. Every view
(a unit, a role in it, the hospital report) is a row of this one table, so the rules below hold
for any combination of views a reader puts side by side. The reader is assumed to know every
shown number, that counts are whole and never negative, and every sum that links them (the
categories of a row add up to its total, a unit's roles to the unit, the units to the hospital).

1. **No small number.** Every shown count is 0 or at least the floor; a group smaller than the
   floor has its whole row hidden, zeros included (a zero can still follow from a larger
   group's: when no one in a unit has an alert, no one in its small teams has one).
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


def full_table(
    counts: pd.DataFrame, floor: int, *, additive: bool = True, totals: pd.Series | None = None
) -> pd.DataFrame:
    """The table `suppress_nested` publishes, before anything is hidden (same rows, columns)."""
    return _hierarchy(counts, additive, totals, floor)[0].astype("Int64")


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
    _links: dict | None = None

    def protect(self, hidden: np.ndarray) -> None:
        """Hide more figures until no rule can be broken."""
        while True:
            self._single_unknowns(hidden)
            disclosed = self.disclosures(hidden)
            partners = {self._partner(hidden, cells) for cells in disclosed}
            partners.discard(None)
            if disclosed and not partners:  # nothing linked is left to hide: the smallest of all
                everything = [tuple(int(x) for x in c) for c in np.argwhere(~hidden)]
                partners = {self._smallest(everything)} - {None}
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
            # showing it changes only what a reader knows about the cells linked to it
            if self.disclosures(hidden, first_only=True, near=cell):
                hidden[cell] = True

    # --- the rules ---------------------------------------------------------------------------

    def disclosures(
        self, hidden: np.ndarray, first_only: bool = False, near: Cell | None = None
    ) -> list[list[Cell]]:
        """Sets of cells a reader could learn too much about (each needs a shown partner); with
        `near`, only those linked to that cell by a sum."""
        equations, rows, linked = self.equations, None, None
        if near is not None:
            linked = self._linked(hidden, near)
            equations = [eq for eq in equations if any(c in linked for c in eq)]
            rows = {c[0] for c in linked}
        reader = _Reader(self, hidden, linked)
        cells = reader.cells
        # for one disclosure, first look for sums the published sums alone pin: no programme
        for reader.certain_only in (True, False) if first_only else (False,):
            found = []
            for disclosed in itertools.chain(
                self._small_sums(reader, cells, equations), self._whole_groups(reader, hidden, rows)
            ):
                found.append(disclosed)
                if first_only:
                    return found
        return found

    def _linked(self, hidden: np.ndarray, start: Cell) -> set[Cell]:
        """`start` and the hidden figures it can be traded against through published sums."""
        if self._links is None:  # each cell's sums and head-count limits, looked up once
            self._links = {}
            for cells in [*self.equations, *self.caps]:
                for cell in cells:
                    self._links.setdefault(cell, []).append(cells)
        linked, frontier = {start}, [start]
        while frontier:
            reached = {c for f in frontier for cells in self._links.get(f, []) for c in cells}
            frontier = [c for c in reached if hidden[c] and c not in linked]
            linked.update(frontier)
        return linked

    def _small_sums(self, reader: _Reader, cells: list[Cell], equations: list[list[Cell]]):
        """Rule 2: hidden figures, alone or combined within one sum, that a reader can pin to
        1..floor − 1."""
        small = self.floor - 1
        alone = [c for c in cells if 1 <= self.values[c] <= small]
        for k in np.flatnonzero(reader.pinned_sums([[c] for c in alone])):
            yield [alone[k]]
        for equation in equations:
            parts = [c for c in equation[:-1] if c in reader.index and self.values[c] <= small]
            if len(parts) < 2:
                continue
            if len(parts) > MAX_COMBINED:
                yield parts
                continue
            # every combination of two or more parts whose true total is 1..floor − 1
            chosen = (np.arange(2 ** len(parts))[:, None] >> np.arange(len(parts))) & 1
            totals = chosen @ np.array([self.values[c] for c in parts])
            chosen = chosen[(chosen.sum(axis=1) >= 2) & (totals >= 1) & (totals <= small)]
            combinations = [[parts[k] for k in np.flatnonzero(row)] for row in chosen]
            for k in np.flatnonzero(reader.pinned_sums(combinations)):
                yield combinations[k]

    def _whole_groups(self, reader: _Reader, hidden: np.ndarray, rows: set | None):
        """Rule 3: a group whose members could all be read as being in sensitive categories."""
        last = self.values.shape[1] - 1
        for i in range(self.values.shape[0]) if rows is None else sorted(rows):
            total = self.values[i, last]
            for group in self.sensitive:
                if total < 1 or total != sum(self.values[i, j] for j in group):
                    continue  # the true figures already show room for someone outside
                # the members outside these categories: could there be any?
                outside = {(i, last): 1.0, **{(i, j): -1.0 for j in group}}
                if reader.pinned(outside):
                    yield [(i, k) for k in range(last)]  # its breakdown, or what pins it

    # --- choosing partners -------------------------------------------------------------------

    def _single_unknowns(self, hidden: np.ndarray) -> None:
        """The quick rule: a sum with exactly one hidden small figure gives it away."""
        changed = True
        while changed:
            changed = False
            for cells in self.equations:
                unknown = [cell for cell in cells if hidden[cell]]
                if len(unknown) != 1:
                    continue
                if not 0 < self.values[unknown[0]] < self.floor:
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
    """What a reader can work out: whether a sum of figures has one value only, given every
    shown figure, every published sum and that counts are never negative.

    A sum of figures is pinned exactly when no way of changing the hidden figures that keeps
    every published sum moves it. Such changes form a cone: directions in the null space of the
    sums that do not lower a hidden zero (nor push an overlapping category above its head count
    where it equals it). Most sums are moved by a direction that touches only figures free to go
    either way (one projection); the rest get a small linear programme. The sums of these tables
    have whole-number corners, so what holds for fractions holds for whole counts.
    """

    def __init__(self, sums: _Sums, hidden: np.ndarray, only: set[Cell] | None = None) -> None:
        """With `only` (hidden figures closed under the sums linking them), look at those alone:
        nothing else can move them."""
        self.values = sums.values
        self.hidden = hidden
        self.cells = [tuple(int(x) for x in c) for c in np.argwhere(hidden)]
        if only is not None:
            self.cells = [c for c in self.cells if c in only]
        self.index = {cell: k for k, cell in enumerate(self.cells)}
        n = len(self.cells)
        equations = [eq for eq in sums.equations if any(c in self.index for c in eq)]
        equal = [self._row([(c, 1.0) for c in eq[:-1]] + [(eq[-1], -1.0)]) for eq in equations]
        # a head count met by an overlapping category: that category cannot rise alone
        tight = [
            self._row([(part, 1.0), (total, -1.0)])
            for part, total in sums.caps
            if self.values[part] == self.values[total]
            and (part in self.index or total in self.index)
        ]
        self.equal = np.array([r for r in equal if r.any()] or np.zeros((0, n)))
        self.tight = np.array([r for r in tight if r.any()] or np.zeros((0, n)))
        self.zeros = np.array([self.values[c] == 0 for c in self.cells] or [], bool)
        limits = np.vstack([np.eye(n)[self.zeros], self.tight])
        #: directions that move only figures free to go either way: whatever they move is
        #: certainly not pinned (the quick answer to most questions)
        self.free = _null_space(np.vstack([self.equal, limits]))
        self._moves: np.ndarray | None = None
        self._basis: np.ndarray | None = None
        #: answer only "pinned by the sums alone", never solving a programme (a quick search)
        self.certain_only = False

    def _row(self, terms) -> np.ndarray:
        row = np.zeros(len(self.cells))
        for cell, sign in terms:
            if cell in self.index:
                row[self.index[cell]] += sign
        return row

    def pinned_sums(self, sums: list[list[Cell]]) -> np.ndarray:
        """For each list of figures, is their sum pinned?"""
        return self.pinned_all([dict.fromkeys(cells, 1.0) for cells in sums])

    def pinned(self, weights: dict[Cell, float]) -> bool:
        """Does Σ weight × figure have a single value for the reader?"""
        return bool(self.pinned_all([weights])[0])

    def pinned_all(self, weights: list[dict[Cell, float]]) -> np.ndarray:
        """`pinned`, for many weighted sums at once."""
        if not weights:
            return np.zeros(0, bool)
        w = np.array([self._row(terms.items()) for terms in weights])
        pinned = np.ones(len(weights), bool)
        for directions in self._tests():
            if not pinned.any():
                break
            if len(directions):
                pinned[pinned] = ~(np.abs(w[pinned] @ directions.T) > 1e-9).any(axis=1)
        return pinned

    def _tests(self):
        """Ever finer sets of directions: moved by any of them means not pinned."""
        yield self.free
        if self.certain_only:
            if self._basis is None:
                self._basis = _null_space(self.equal)
            yield self._basis  # nothing moves it even ignoring the signs: surely pinned
        else:
            yield self.moves()

    def moves(self) -> np.ndarray:
        """Directions spanning every allowed change (d with equal·d = 0 that lowers no zero
        and raises no category past a head count it meets): a sum is pinned when none moves
        it. Worked out once, when a question needs more than the quick answer."""
        if self._moves is None:
            zeros, n = self.zeros, len(self.cells)
            limits = np.vstack([np.eye(n)[zeros], -self.tight])
            # quick: a zero can rise alone when figures free to go either way make up for it
            free = ~zeros & ~(np.abs(self.tight) > 0).any(axis=0)
            rises = np.concatenate(
                [
                    _in_span(self.equal[:, free], self.equal[:, zeros]),
                    np.zeros(len(self.tight), bool),
                ]  # fmt: skip
            )
            stuck = limits[_never_moving(self.equal, limits, ~rises)]
            self._moves = _null_space(np.vstack([self.equal, stuck]))
        return self._moves


def _in_span(basis_columns: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """Which of `columns` are combinations of `basis_columns`."""
    if columns.shape[1] == 0:
        return np.zeros(0, bool)
    if basis_columns.shape[1] == 0 or basis_columns.shape[0] == 0:
        return ~(np.abs(columns) > 1e-9).any(axis=0)
    u, singular, _ = np.linalg.svd(basis_columns, full_matrices=False)
    span = u[:, singular > 1e-9]
    residual = columns - span @ (span.T @ columns)
    return np.abs(residual).max(axis=0) < 1e-9


def _never_moving(equal: np.ndarray, limits: np.ndarray, undecided: np.ndarray) -> np.ndarray:
    """Which limits (rows g with g·d ≥ 0) hold with equality for every allowed direction d
    (equal·d = 0).

    A cone's span is cut out by those limits alone, so once they are known every question is a
    projection. Each linear programme (sparse, over the cells themselves) pushes as many
    undecided limits above zero as it can; the ones no programme can push are the answer.
    Limits already known to move are not `undecided`.
    """
    stuck = undecided.copy()
    if not stuck.any():
        return stuck
    # deferred: SciPy is heavy, and a staff page that only formats shown figures never needs it
    from scipy import sparse
    from scipy.optimize import linprog

    a_eq = sparse.csr_matrix(equal) if len(equal) else None
    g = sparse.csr_matrix(limits)
    while stuck.any():
        found = linprog(
            -np.asarray(g[stuck].sum(axis=0)).ravel(),
            A_ub=sparse.vstack([-g, g[stuck]]).tocsr(),
            b_ub=np.concatenate([np.zeros(g.shape[0]), np.ones(int(stuck.sum()))]),
            A_eq=a_eq,
            b_eq=np.zeros(a_eq.shape[0]) if a_eq is not None else None,
            bounds=(-1, 1),
            method="highs",
        )
        if found.status != 0:
            break
        pushed = stuck & (g @ found.x > 1e-7)
        if not pushed.any():
            break
        stuck &= ~pushed
    return stuck


def _null_space(matrix: np.ndarray) -> np.ndarray:
    """Rows spanning the directions that change none of the sums."""
    if matrix.shape[1] == 0:
        return np.zeros((0, 0))
    if matrix.shape[0] == 0:
        return np.eye(matrix.shape[1])
    _, singular, vt = np.linalg.svd(matrix)
    return vt[int((singular > 1e-9).sum()) :]


def shown(value: object) -> str:
    """A suppressed count as readers see it."""
    return "hidden" if pd.isna(value) else f"{int(value):,}"


def shown_share(value: object) -> str:
    """A share of suppressed counts as readers see it."""
    return "hidden" if pd.isna(value) else f"{float(value):.0%}"
