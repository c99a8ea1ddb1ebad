"""Row counts and checksums per table, to tell whether two databases hold the same data.

For checking a copy, a restore or a move to another server (SQLite → PostgreSQL → CockroachDB),
and for proving that an interrupted command, run again, leaves what an uninterrupted one leaves.
Rows are compared by content, not by surrogate ids: ids depend on the server (sequences advance
even when a transaction rolls back; CockroachDB ids are not consecutive), so every reference to
another table is replaced by that row's natural key, and columns stamped by the server at write
time (`created_at`, `scored_at`) are left out, as are the ids Hume gives each request: measuring the
same clip twice gives the same scores under new request ids.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Column, Table, select
from sqlalchemy.engine import Engine

from burnout_lib.store import db

#: The natural key of each table other tables refer to.
NATURAL_KEYS = {"staff": "pseudonym", "recording": "sha256", "model_version": "path"}
#: Columns stamped when a row is written, by the database or by Hume: they differ between two runs
#: of the same work.
WRITE_STAMPS = {"created_at", "scored_at", "promoted_at", "hume_request_ids", "hume_run_ids"}


@dataclass(frozen=True)
class TableSum:
    """A table's rows and the SHA-256 of their content, in a canonical order."""

    rows: int
    sha256: str

    def __str__(self) -> str:
        return f"{self.rows:,} rows, sha256 {self.sha256[:16]}"


def _content_columns(table: Table) -> list:
    """The columns that say what a row holds, references resolved to natural keys."""
    columns = []
    for column in table.columns:
        if (column.primary_key and not column.foreign_keys) or column.name in WRITE_STAMPS:
            continue
        columns.append(_resolved(column))
    return columns


def _resolved(column: Column):
    for fk in column.foreign_keys:
        target = fk.column.table
        natural = target.c[NATURAL_KEYS[target.name]]
        return select(natural).where(fk.column == column).scalar_subquery().label(column.name)
    return column


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return None if math.isnan(value) else repr(value)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSON stored as text (SQLite) reads back as text: compare it as data
            return json.loads(value)
        except ValueError:
            return value
    return value


def table_sums(engine: Engine) -> dict[str, TableSum]:
    """Rows and checksum of every table of the product's schema."""
    sums = {}
    with engine.connect() as connection:
        for name, table in db.metadata.tables.items():
            lines = sorted(
                json.dumps([_canonical(v) for v in row], sort_keys=True, default=str)
                for row in connection.execute(select(*_content_columns(table)))
            )
            digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
            sums[name] = TableSum(len(lines), digest)
    return sums
