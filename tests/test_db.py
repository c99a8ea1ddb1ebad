import datetime as dt

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from burnout_lib.errors import DatabaseUnavailable
from burnout_lib.store import db

from helpers.databases import NEWEST_REVISION


def schema_snapshot(engine) -> dict:
    inspector = inspect(engine)
    return {
        table: (
            [c["name"] for c in inspector.get_columns(table)],
            sorted(str(u["column_names"]) for u in inspector.get_unique_constraints(table)),
            sorted(i["name"] for i in inspector.get_indexes(table)),
        )
        for table in inspector.get_table_names()
    }


def test_init_db_twice_changes_nothing(db_url: str) -> None:
    engine = db.make_engine(db_url)
    assert db.current_revision(engine) is None
    assert db.init_db(engine) == NEWEST_REVISION
    before = schema_snapshot(engine)
    assert db.init_db(engine) == NEWEST_REVISION
    assert schema_snapshot(engine) == before
    assert set(before) >= set(db.metadata.tables)
    engine.dispose()


def test_migrations_match_table_definitions(engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def staff_rows(*pseudonyms: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pseudonym": list(pseudonyms),
            "unit": "Intensive care",
            "role": "Nurse",
            "start_date": dt.date(2020, 3, 2),
        }
    )


def test_upsert_on_natural_key_never_duplicates(engine) -> None:
    with engine.begin() as connection:
        db.upsert(connection, db.staff, staff_rows("a-b-01", "c-d-02"), keys=("pseudonym",))
    moved = staff_rows("a-b-01").assign(unit="Oncology")
    with engine.begin() as connection:
        db.upsert(connection, db.staff, moved, keys=("pseudonym",))
        rows = connection.execute(select(db.staff.c.pseudonym, db.staff.c.unit)).all()
    assert sorted(rows) == [("a-b-01", "Oncology"), ("c-d-02", "Intensive care")]


def test_upsert_keep_existing_leaves_rows_alone(engine) -> None:
    with engine.begin() as connection:
        db.upsert(connection, db.staff, staff_rows("a-b-01"), keys=("pseudonym",))
        moved = staff_rows("a-b-01").assign(unit="Oncology")
        db.upsert(connection, db.staff, moved, keys=("pseudonym",), update=False)
        assert connection.execute(select(db.staff.c.unit)).scalar_one() == "Intensive care"


def test_upsert_round_trips_types(engine) -> None:
    stamp = dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.UTC)
    with engine.begin() as connection:
        db.upsert(connection, db.staff, staff_rows("a-b-01"), keys=("pseudonym",))
        staff_id = connection.execute(select(db.staff.c.id)).scalar_one()
        row = pd.DataFrame(
            [
                {
                    "staff_id": staff_id,
                    "recorded_at": stamp,
                    "week_start": dt.date(2026, 3, 2),
                    "sha256": "f" * 64,
                    "source": "file",
                    "hume_request_ids": ["req-1", "req-2"],
                    "frames": 3,
                    "faces": 2,
                    "face_choice": None,
                }
            ]
        )
        db.upsert(connection, db.recording, row, keys=("sha256",))
        stored = connection.execute(select(db.recording)).mappings().one()
    assert stored["week_start"] == dt.date(2026, 3, 2)
    assert stored["recorded_at"].replace(tzinfo=dt.UTC) == stamp
    assert stored["hume_request_ids"] == ["req-1", "req-2"]
    assert stored["face_choice"] is None
    assert stored["state"] == "done"


def test_a_failed_transaction_stores_nothing(engine) -> None:
    with pytest.raises(RuntimeError):
        with engine.begin() as connection:
            db.upsert(connection, db.staff, staff_rows("a-b-01"), keys=("pseudonym",))
            raise RuntimeError("interrupted")
    assert db.row_counts(engine)["staff"] == 0


def test_unreachable_database_is_one_clear_error() -> None:
    engine = db.make_engine("postgresql://nurse:secret@127.0.0.1:1/burnout")
    with pytest.raises(DatabaseUnavailable) as caught:
        db.init_db(engine)
    message = str(caught.value)
    assert "127.0.0.1:1" in message and "secret" not in message and "\n" not in message


def test_uninitialised_database_says_run_init_db(db_url: str) -> None:
    engine = db.make_engine(db_url)
    with pytest.raises(DatabaseUnavailable, match="burnout init-db"):
        db.require_schema(engine)
    engine.dispose()
