"""Suppressed team tables, worked out once per distinct set of counts and remembered in the
database: every dashboard process, worker and report then reuses the answer.

A table is remembered by a digest of everything that decides what is hidden (the counts, the
floor, the options and `RULES`), so a changed count, floor or rule simply misses and is worked
out afresh. Only which cells are hidden is stored, never a figure. A process also keeps the
tables it has had lately (a week's hospital table is the same whichever team is being looked
at), so it asks the database once per table.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from burnout_lib.privacy.suppression import full_table, suppress_nested
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

log = logging.getLogger(__name__)

#: Change when the suppression rules change: answers remembered under older rules are not used.
RULES = "2026-12-02 unions-and-groups, small-group zeros may follow"

#: Tables this process has had, by digest, least recently used first.
_LATELY: OrderedDict[str, pd.DataFrame] = OrderedDict()
_LATELY_SIZE = 512


def suppressed(
    connection: Connection,
    counts: pd.DataFrame,
    floor: int,
    *,
    additive: bool = True,
    totals: pd.Series | None = None,
    hidden_totals: pd.Series | None = None,
    sensitive: list[tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """`suppress_nested(counts, floor, …)`: from this process's recent tables, else from the
    database, else worked out (and remembered in both)."""
    digest = _digest(counts, floor, additive, totals, hidden_totals, sensitive)
    if digest in _LATELY:
        _LATELY.move_to_end(digest)
        return _LATELY[digest].copy()
    table = _recalled(connection.engine, digest, counts, floor, additive, totals)
    if table is None:
        table = suppress_nested(counts, floor, additive=additive, totals=totals,
                                hidden_totals=hidden_totals, sensitive=sensitive)  # fmt: skip
        _remember(connection.engine, digest, table)
    _LATELY[digest] = table
    if len(_LATELY) > _LATELY_SIZE:
        _LATELY.popitem(last=False)
    return table.copy()


def forget_lately() -> None:
    """Empty this process's recent tables (as a new process starts)."""
    _LATELY.clear()


def forget_all(connection: Connection) -> int:
    """Drop every remembered table, and this process's (after an erasure: nothing derived from
    a person's data outlives it). Returns how many were dropped from the database."""
    forget_lately()
    return connection.execute(delete(db.suppressed_table)).rowcount or 0


def _recalled(
    engine: Engine,
    digest: str,
    counts: pd.DataFrame,
    floor: int,
    additive: bool,
    totals: pd.Series | None,
) -> pd.DataFrame | None:
    """The table, with the cells remembered under `digest` hidden; None if none are."""
    remembered = _recall(engine, digest)
    if remembered is None:
        return None
    table = full_table(counts, floor, additive=additive, totals=totals)
    if len(remembered) != table.size:
        return None
    hidden = np.array([flag == "1" for flag in remembered]).reshape(table.shape)
    return table.mask(hidden)


def _recall(engine: Engine, digest: str) -> str | None:
    """The hidden cells remembered under `digest`, read on a connection of its own so that a
    database not yet upgraded (no such table) costs only the work, not the caller's
    transaction."""
    try:
        with engine.connect() as reader:
            return reader.execute(
                select(db.suppressed_table.c.hidden).where(db.suppressed_table.c.digest == digest)
            ).scalar_one_or_none()
    except SQLAlchemyError as error:
        log.warning("could not read remembered team tables (%s): run `burnout init-db`",
                    error.__class__.__name__)  # fmt: skip
        return None


def _remember(engine: Engine, digest: str, table: pd.DataFrame) -> None:
    """Store which cells are hidden, in a transaction of its own (the caller may be reading in
    a long one); a failure only costs the work again next time."""
    hidden = "".join("1" if flag else "0" for flag in table.isna().to_numpy().ravel())
    row = pd.DataFrame({"digest": [digest], "hidden": [hidden]})
    try:
        write_transaction(
            engine,
            lambda writer: db.upsert(writer, db.suppressed_table, row, ["digest"], update=False),
            "remembering a suppressed team table",
        )
    except Exception as error:  # noqa: BLE001 - any driver's error: remembering is optional
        log.warning("could not remember a suppressed table: %s", error.__class__.__name__)


def _digest(counts, floor, additive, totals, hidden_totals, sensitive) -> str:
    parts = {
        "rules": RULES,
        "floor": int(floor),
        "additive": bool(additive),
        "index": [list(map(str, key)) for key in counts.index],
        "columns": list(map(str, counts.columns)),
        "counts": counts.astype("int64").to_numpy().tolist(),
        "totals": None if totals is None else totals.reindex(counts.index).fillna(0).tolist(),
        "hidden_totals": None
        if hidden_totals is None
        else [[list(map(str, k)), bool(v)] for k, v in hidden_totals.items()],
        "sensitive": sensitive,
    }
    return hashlib.sha256(json.dumps(parts, default=int).encode()).hexdigest()
