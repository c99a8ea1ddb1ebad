"""Comparing and configuring the test databases: table contents by natural key, and
PostgreSQL at SERIALIZABLE isolation (CockroachDB's only level)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from burnout_lib.store import db

from helpers.paths import ROOT

#: The newest schema revision: the number that starts the newest migration's file name.
NEWEST_REVISION = sorted(
    path.name.split("_")[0]
    for path in (ROOT / "burnout_lib" / "store" / "migrations" / "versions").glob("[0-9]*.py")
)[-1]

SERIALIZABLE = "options=-c%20default_transaction_isolation%3Dserializable"


def serializable(url: str) -> str:
    """The URL with every transaction at SERIALIZABLE, CockroachDB's only isolation level."""
    return f"{url}{'&' if '?' in url else '?'}{SERIALIZABLE}"


def table_dump(engine, table) -> pd.DataFrame:
    """A table's rows with database ids replaced by pseudonyms, in a stable order."""
    columns = [c for c in table.columns if c.name not in ("id", "created_at", "staff_id")]
    query = select(*columns)
    if table is not db.staff:
        query = query.add_columns(db.staff.c.pseudonym).join(db.staff)
    with engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    for name in frame.columns:  # SQLite gives timestamps back naive, PostgreSQL in UTC
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = pd.to_datetime(frame[name], utc=True)
    order = [c for c in ("pseudonym", "channel", "week_start", "sha256") if c in frame.columns]
    return frame.sort_values(order).reset_index(drop=True)
