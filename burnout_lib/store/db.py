"""The database: table definitions (the product's contract), engines, migrations and bulk upserts.

Tables are SQLAlchemy Core tables: most writes are bulk upserts on natural keys, and most reads are
aggregates, both of which Core expresses directly. The schema is created and changed only by the
Alembic migrations in `burnout_lib/store/migrations`; `init_db` upgrades a database to the newest
one.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    create_engine,
    event,
    false,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from burnout_lib.config import display_url, parse_db_url
from burnout_lib.emotions import EXPRESSION_SLUGS, SUMMARY_STATS
from burnout_lib.errors import DatabaseUnavailable
from burnout_lib.store.private_files import create_private
from burnout_lib.store.transactions import write_transaction

RISK_LEVELS = ("low", "moderate", "high")
PERSONAL_ITEMS = tuple(f"personal_{i}" for i in range(1, 7))
WORK_ITEMS = tuple(f"work_{i}" for i in range(1, 8))

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _staff_fk() -> Column:
    return Column(
        "staff_id", Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True
    )


staff = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pseudonym", String(64), nullable=False, unique=True),
    Column("unit", String(64), nullable=False, index=True),
    Column("role", String(64), nullable=False),
    Column("shift_pattern", String(32)),
    Column("start_date", Date),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

consent = Table(
    "consent",
    metadata,
    Column("id", Integer, primary_key=True),
    _staff_fk(),
    Column("channel", String(16), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("staff_id", "channel"),
)

recording = Table(
    "recording",
    metadata,
    Column("id", Integer, primary_key=True),
    _staff_fk(),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("week_start", Date, nullable=False, index=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("source", String(16), nullable=False),
    Column("state", String(16), nullable=False, server_default="done"),
    Column("hume_request_ids", JSON),
    Column("hume_run_ids", JSON),
    Column("frames", Integer, nullable=False, server_default="0"),
    Column("faces", Integer, nullable=False, server_default="0"),
    Column("face_choice", String(128)),
    Column("frames_path", String(512)),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

expression_summary = Table(
    "expression_summary",
    metadata,
    Column(
        "recording_id",
        Integer,
        ForeignKey("recording.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("frames_used", Integer, nullable=False),
    *[Column(f"{name}_{stat}", Float) for name in EXPRESSION_SLUGS for stat in SUMMARY_STATS],
    Column("extra", JSON),
)

checkin = Table(
    "checkin",
    metadata,
    Column("id", Integer, primary_key=True),
    _staff_fk(),
    Column("week_start", Date, nullable=False, index=True),
    Column("answered_at", DateTime(timezone=True)),
    *[Column(item, SmallInteger) for item in PERSONAL_ITEMS + WORK_ITEMS],
    Column("score", Float),
    Column("work_score", Float),
    Column("source", String(16), nullable=False, server_default="import"),
    UniqueConstraint("staff_id", "week_start"),
)

model_version = Table(
    "model_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("trained_at", DateTime(timezone=True), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("path", String(512), nullable=False, unique=True),
    Column("feature_set", JSON, nullable=False),
    Column("data_window", JSON),
    Column("library_versions", JSON),
    #: the one model scoring, pages, reports and alerts use; only promotion changes it
    Column("live", Boolean, nullable=False, server_default=false()),
    Column("promoted_at", DateTime(timezone=True)),
    #: the early warning looks this many weeks ahead
    Column("horizon_weeks", Integer),
)

weekly_risk = Table(
    "weekly_risk",
    metadata,
    Column("id", Integer, primary_key=True),
    _staff_fk(),
    Column("week_start", Date, nullable=False, index=True),
    Column(
        "model_version_id",
        Integer,
        ForeignKey("model_version.id", ondelete="CASCADE"),
        nullable=False,
    ),
    #: the early warning: probability of a check-in at or above 50 within the model's horizon
    Column("probability", Float, nullable=False),
    #: combined level: never below the measured band, the estimate or the early warning
    Column("level", String(16), nullable=False),
    Column("drivers", JSON),
    #: for a week without a check-in: the model's estimate that it would have been at or above 50
    Column("estimate_probability", Float),
    #: the person's own CBI score that week (a fact; missing when they did not answer) and its band
    Column("checkin_score", Float),
    Column("measured_band", String(16)),
    Column("scored_at", DateTime(timezone=True), server_default=func.now()),
    UniqueConstraint("staff_id", "week_start", "model_version_id"),
)

alert = Table(
    "alert",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("staff_id", Integer, ForeignKey("staff.id", ondelete="CASCADE"), index=True),
    Column("unit", String(64)),
    Column("subject", String(96), nullable=False),
    Column("week_start", Date, nullable=False, index=True),
    Column("rule", String(48), nullable=False),
    Column("level", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("suggested_action", Text),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
    Column("acknowledged_at", DateTime(timezone=True)),
    #: the week the person's level fell back to low, which closed the alert unacknowledged
    Column("resolved_week", Date),
    UniqueConstraint("subject", "week_start", "rule"),
)

account = Table(
    "account",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(200), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("staff_id", Integer, ForeignKey("staff.id", ondelete="CASCADE"), index=True),
    Column("units", JSON),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

access_log = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("viewer_login", String(200), nullable=False, index=True),
    _staff_fk(),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
)

#: Which figures of a team table suppression hides, remembered by a digest of the exact counts:
#: suppressing a week of a busy hospital takes a second or more, and every dashboard process and
#: report asks for the same weeks. Holds no figure and no person; emptied by every erasure.
suppressed_table = Table(
    "suppressed_table",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("hidden", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)

Index("ix_recording_staff_week", recording.c.staff_id, recording.c.week_start)
Index("ix_weekly_risk_model_version_id_week_start", weekly_risk.c.model_version_id,
      weekly_risk.c.week_start)  # fmt: skip
Index("ix_staff_unit_role", staff.c.unit, staff.c.role)


def make_engine(url: str) -> Engine:
    """An engine for a checked URL; SQLite gets foreign keys on and its folder created, and a new
    database file is created owner-only (0600), as SQLite then makes its WAL and journal files.

    On a server the connections are named by `$PGAPPNAME` (the CLI sets `burnout <command>`), so
    an administrator can see in `pg_stat_activity` which command holds a transaction.
    """
    parsed = parse_db_url(url)
    backend = parsed.get_backend_name()
    connect_args: dict[str, object] = {}
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            if not parsed.query.get("uri"):  # a `file:` URI names no plain path
                create_private(Path(parsed.database))
        connect_args["timeout"] = 30
    else:
        connect_args["connect_timeout"] = 10
        connect_args["application_name"] = os.environ.get("PGAPPNAME") or "burnout"
    engine = create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def check_connection(engine: Engine) -> None:
    """Fail with one clear line when the database cannot be reached."""
    try:
        with engine.connect():
            pass
    except (OperationalError, SQLAlchemyError) as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise DatabaseUnavailable(
            f"cannot reach database {display_url(engine.url)}: {reason}"
        ) from None


def _alembic_config(connection: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def init_db(engine: Engine) -> str | None:
    """Create or upgrade the schema to the newest migration; re-running changes nothing.

    Returns the revision the database is at.
    """
    from alembic import command

    check_connection(engine)
    write_transaction(
        engine,
        lambda connection: command.upgrade(_alembic_config(connection), "head"),
        "upgrading the schema",
    )
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_schema(engine: Engine) -> None:
    """Fail clearly when the database has not been initialised."""
    check_connection(engine)
    if not inspect(engine).has_table("staff"):
        raise DatabaseUnavailable(
            f"database {display_url(engine.url)} has no Burnout Monitor tables: "
            "run `burnout init-db` first"
        )


def upsert(
    connection: Connection,
    table: Table,
    rows: pd.DataFrame,
    keys: Sequence[str],
    update: bool = True,
) -> int:
    """Insert rows, or update those whose natural key exists already, so re-runs never duplicate.

    Returns how many rows were written: inserted, or updated because a value differed. Rows stored
    already exactly as given are left alone and not counted, so a caller can tell a re-run (or a
    concurrent writer that got there first) from new data. With `update=False` existing rows are
    kept as they are. PostgreSQL rows travel by COPY into a temporary table and then one
    INSERT … ON CONFLICT (bulk speed, upsert semantics); SQLite rows by one prepared statement;
    CockroachDB by SQLAlchemy's batched inserts.
    """
    if rows.empty:
        return 0
    columns = list(rows.columns)
    changing = [c for c in columns if c not in keys]
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        quoted = ", ".join(f'"{c}"' for c in columns)
        conflict = ", ".join(f'"{k}"' for k in keys)
        if update and changing:
            differs = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
            action = (
                "DO UPDATE SET "
                + ", ".join(f'"{c}" = excluded."{c}"' for c in changing)
                + " WHERE "
                + " OR ".join(
                    f"{_comparable(table, c, f'{table.name}.')} {differs} "
                    f"{_comparable(table, c, 'excluded.')}"
                    for c in changing
                )
            )
        else:
            action = "DO NOTHING"
        prepared = _prepared(table, rows, dialect)
        if dialect == "postgresql":
            on_conflict = f"ON CONFLICT ({conflict}) {action}"
            return _copy_upsert(connection, table.name, quoted, prepared, on_conflict)
        placeholders = ", ".join("?" for _ in columns)
        values = prepared.astype(object).where(prepared.notna(), None)
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(
                f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders}) '
                f"ON CONFLICT ({conflict}) {action}",
                values.itertuples(index=False, name=None),
            )
            return max(cursor.rowcount, 0)
        finally:
            cursor.close()
    insert = postgresql.insert(table)
    if update and changing:
        statement = insert.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: insert.excluded[c] for c in changing},
            where=or_(
                *(
                    _as_text(table, c, table.c[c]).is_distinct_from(
                        _as_text(table, c, insert.excluded[c])
                    )
                    for c in changing
                )
            ),
        )
    else:
        statement = insert.on_conflict_do_nothing(index_elements=list(keys))
    statement = statement.returning(table.c[keys[0]])
    records = rows.astype(object).where(rows.notna(), None)
    for name in rows.columns:
        if isinstance(table.c[name].type, JSON):
            records[name] = records[name].map(json_safe)
    records = records.to_dict("records")
    written = 0
    for start in range(0, len(records), 5000):
        written += len(connection.execute(statement, records[start : start + 5000]).all())
    return written


def _comparable(table: Table, column: str, prefix: str) -> str:
    """A column in SQL text, as text when it is JSON (PostgreSQL's JSON has no equality)."""
    name = f'{prefix}"{column}"'
    return f"CAST({name} AS TEXT)" if isinstance(table.c[column].type, JSON) else name


def _as_text(table: Table, column: str, expression):
    return cast(expression, Text) if isinstance(table.c[column].type, JSON) else expression


def json_safe(value: object) -> object:
    """JSON data with NaN and infinities as null: PostgreSQL's JSON, like the standard, has none."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def _prepared(table: Table, rows: pd.DataFrame, dialect: str) -> pd.DataFrame:
    """Rows with dates, timestamps and JSON as text, the way SQLAlchemy itself stores them.

    So reads through SQLAlchemy give back `date`, UTC `datetime` and Python objects on every
    backend, whichever path wrote the rows.
    """
    prepared = rows.copy()
    for name in rows.columns:
        kind = table.c[name].type
        series = rows[name]
        if isinstance(kind, JSON):
            prepared[name] = series.map(lambda v: None if v is None else json.dumps(json_safe(v)))
        elif isinstance(kind, DateTime):
            fmt = "%Y-%m-%d %H:%M:%S.%f" if dialect == "sqlite" else "%Y-%m-%dT%H:%M:%S.%f+00:00"
            prepared[name] = pd.to_datetime(series, utc=True).dt.strftime(fmt)
        elif isinstance(kind, Date):
            prepared[name] = pd.to_datetime(series).dt.strftime("%Y-%m-%d")
    return prepared


def _copy_upsert(
    connection: Connection, table: str, quoted: str, rows: pd.DataFrame, conflict: str
) -> int:
    buffer = io.BytesIO()
    pa_csv.write_csv(
        pa.Table.from_pandas(rows, preserve_index=False),
        buffer,
        pa_csv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    buffer.seek(0)
    temp = f"_load_{table}"
    cursor = connection.connection.cursor()
    try:
        cursor.execute(
            f'CREATE TEMP TABLE "{temp}" ON COMMIT DROP AS '
            f'SELECT {quoted} FROM "{table}" WITH NO DATA'
        )
        cursor.copy_expert(f'COPY "{temp}" ({quoted}) FROM STDIN WITH (FORMAT csv)', buffer)
        cursor.execute(f'INSERT INTO "{table}" ({quoted}) SELECT {quoted} FROM "{temp}" {conflict}')
        written = cursor.rowcount
        cursor.execute(f'DROP TABLE "{temp}"')
        return written
    finally:
        cursor.close()


def id_map(connection: Connection, column, key_column, keys: Sequence) -> dict:
    """Map natural keys to ids (e.g. pseudonym -> staff.id) for the given keys."""
    result: dict = {}
    keys = list(keys)
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        for key, ident in connection.execute(
            select(key_column, column).where(key_column.in_(chunk))
        ):
            result[key] = ident
    return result


def live_model_id(connection: Connection, scored: bool = False) -> int | None:
    """The live model version (with `scored`, only once it has scored anyone), or None."""
    query = select(model_version.c.id).where(model_version.c.live)
    if scored:
        query = query.where(
            select(weekly_risk.c.id).where(weekly_risk.c.model_version_id == model_version.c.id)
            .exists()
        )  # fmt: skip
    return connection.execute(query.limit(1)).scalar_one_or_none()


def set_live_model(connection: Connection, model_id: int) -> None:
    """Inside a write transaction: `model_id` becomes the one live model version."""
    connection.execute(update(model_version).where(model_version.c.live).values(live=False))
    connection.execute(
        update(model_version)
        .where(model_version.c.id == model_id)
        .values(live=True, promoted_at=datetime.now(UTC))
    )


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per table: a quick look at what a database holds."""
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }
