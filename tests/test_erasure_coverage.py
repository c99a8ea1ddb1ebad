"""Erasure covers every table and file that refers to a person, judged from the live database.

`person_tables()` follows foreign keys through the product's table definitions. These tests look
at the migrated database itself instead, so a table added by a migration, or one that names a
person without a foreign key, is caught when erasure does not cover it.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.engine import Engine

from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.consent import erase_person, person_tables, set_consent
from burnout_lib.risk.alerts import evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_weeks
from burnout_lib.sources.checkins import import_checkins
from burnout_lib.sources.hume.client import HumeClient
from burnout_lib.sources.hume.extract import extract_file
from burnout_lib.store import db
from burnout_lib.testing.hume_server import FakeHumeServer
from burnout_lib.testing.offline import pattern_clip

STAFF_ID_COLUMN = re.compile(r"^(.+_)?staff_id$")
PERSON_COLUMN = re.compile(r"^((.+_)?staff_id|(.+_)?pseudonym|subject)$")
KNOWN = {"staff", "consent", "recording", "expression_summary", "checkin", "weekly_risk", "alert"}


def relations(engine: Engine) -> list[str]:
    """Tables, and on PostgreSQL materialized views: everything that stores rows."""
    inspector = inspect(engine)
    names = inspector.get_table_names()
    try:
        names += inspector.get_materialized_view_names()
    except NotImplementedError:  # SQLite has none
        pass
    return sorted(names)


def person_column(name: str) -> bool:
    """Whether a column, by its name, holds a person: `staff_id` or `*_staff_id` (a staff id),
    `pseudonym` or `*_pseudonym`, or `subject` (what an alert is about: `staff:<id>` for a person).
    """
    return bool(PERSON_COLUMN.match(name))


def tables_referring_to_people(engine: Engine) -> dict[str, str]:
    """Every relation of the live database that refers to a person, with the column that does.

    A relation refers to a person when one of its columns does by its name (`person_column`), or
    when a foreign key leads to `staff` or to another relation that refers to a person.
    """
    inspector = inspect(engine)
    found: dict[str, str] = {"staff": "the staff table itself"}
    foreign_keys: dict[str, list[dict]] = {}
    for name in relations(engine):
        columns = [column["name"] for column in inspector.get_columns(name)]
        named = [column for column in columns if person_column(column)]
        if named and name not in found:
            found[name] = f"column {named[0]}"
        try:
            foreign_keys[name] = inspector.get_foreign_keys(name)
        except NotImplementedError:  # a materialized view has none
            foreign_keys[name] = []
    changed = True
    while changed:
        changed = False
        for name, keys in foreign_keys.items():
            for key in keys:
                if name not in found and key["referred_table"] in found:
                    column = key["constrained_columns"][0]
                    found[name] = f"column {column} (foreign key to {key['referred_table']})"
                    changed = True
    return found


def not_erased(engine: Engine) -> list[str]:
    """The relations that refer to a person but that erasure does not cover, and why."""
    covered = {table.name for table, _ in person_tables()}
    return [
        f"table {name} refers to a person by {how}, but erase_person does not cover it"
        for name, how in sorted(tables_referring_to_people(engine).items())
        if name not in covered
    ]


def test_every_table_that_refers_to_a_person_is_erased(engine) -> None:
    referring = tables_referring_to_people(engine)
    assert KNOWN <= set(referring), "the rule finds every table known to hold people"
    assert "model_version" not in referring and "alembic_version" not in referring
    assert not_erased(engine) == []


def test_a_table_erasure_does_not_know_is_reported(engine) -> None:
    with engine.begin() as connection:
        for statement in (
            "CREATE TABLE shift_note (id INTEGER PRIMARY KEY, staff_id INTEGER, note TEXT)",
            "CREATE TABLE shift_note_tag (id INTEGER PRIMARY KEY, "
            "note_id INTEGER REFERENCES shift_note (id), tag TEXT)",
            "CREATE TABLE handover (id INTEGER PRIMARY KEY, "
            "colleague INTEGER REFERENCES staff (id), notes TEXT)",
            "CREATE TABLE ward_note (id INTEGER PRIMARY KEY, unit TEXT, note TEXT)",
        ):
            connection.execute(text(statement))
    assert not_erased(engine) == [
        "table handover refers to a person by column colleague (foreign key to staff), "
        "but erase_person does not cover it",
        "table shift_note refers to a person by column staff_id, "
        "but erase_person does not cover it",
        "table shift_note_tag refers to a person by column note_id (foreign key to shift_note), "
        "but erase_person does not cover it",
    ]


def cells_naming(engine: Engine, staff_id: int, pseudonym: str, recordings: set[int]) -> list[str]:
    """`table.column` of every cell of the live database that still names the person.

    Their id in a staff-id column (or `staff.id`), one of their recordings' ids in `recording.id`
    or a `recording_id` column, their pseudonym or `staff:<id>` anywhere in text or JSON.
    """
    mention = re.compile(rf"{re.escape(pseudonym)}|\bstaff:{staff_id}\b")
    found = set()
    with engine.connect() as connection:
        for name in relations(engine):
            for row in connection.execute(text(f'SELECT * FROM "{name}"')).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if STAFF_ID_COLUMN.match(column) or (name, column) == ("staff", "id"):
                        hit = value == staff_id
                    elif column == "recording_id" or (name, column) == ("recording", "id"):
                        hit = value in recordings
                    elif isinstance(value, dict | list):
                        hit = bool(mention.search(json.dumps(value)))
                    else:
                        hit = bool(mention.search(str(value)))
                    if hit:
                        found.add(f"{name}.{column}")
    return sorted(found)


def files_naming(data_dir: Path, pseudonym: str) -> list[str]:
    """Every file under the data folder whose path or content (Parquet cells decoded) names them."""
    found = []
    for path in sorted(data_dir.rglob("*")):
        relative = str(path.relative_to(data_dir))
        if pseudonym in relative:
            found.append(relative)
        elif path.is_file():
            data = path.read_bytes()
            if path.suffix == ".parquet":
                data += pd.read_parquet(path).to_csv().encode()
            if pseudonym.encode() in data:
                found.append(relative)
    return found


def database_files(engine: Engine) -> list[Path]:
    """A SQLite database's file and its write-ahead log (none on a server)."""
    if engine.dialect.name != "sqlite":
        return []
    path = Path(engine.url.database)
    return [p for p in (path, path.with_name(f"{path.name}-wal")) if p.exists()]


@pytest.fixture
def alerted_person(engine, settings, tmp_path) -> tuple[str, int]:
    """A mock hospital, scored and alerted, and a person with rows and files of every kind."""
    if engine.dialect.name == "sqlite":  # as upstream SQLite builds do: deleted rows stay on disk
        event.listen(
            engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA secure_delete = OFF")
        )
        engine.dispose()
    spec = MockSpec(staff=12, weeks=6, seed=3)
    write_mock(engine, settings, spec, progress=False)
    version = save_model(train(weekly_features(engine), "full", bootstrap_rounds=5, folds=3),
                         engine, settings, live=True)  # fmt: skip
    for result in score_weeks(engine, settings, spec.start, spec.start + timedelta(weeks=5)):
        evaluate_week(engine, settings, result.week, version)
    with engine.connect() as connection:
        pseudonym, staff_id = connection.execute(
            select(db.staff.c.pseudonym, db.staff.c.id)
            .join(db.alert, db.alert.c.staff_id == db.staff.c.id)
            .join(db.recording, db.recording.c.staff_id == db.staff.c.id)
            .join(db.checkin, db.checkin.c.staff_id == db.staff.c.id)
            .order_by(db.staff.c.id)
            .limit(1)
        ).one()
    set_consent(engine, pseudonym, "face", granted=True)
    set_consent(engine, pseudonym, "checkin", granted=True)
    clip = pattern_clip(tmp_path / "handover.mp4", 2, source="testsrc=size=320x240:rate=10")
    with FakeHumeServer(api_key="erasure-test-key") as hume:
        extract_file(engine, settings, HumeClient("erasure-test-key", hume.base_url), clip,
                     pseudonym)  # fmt: skip
    checkins = tmp_path / "checkins.csv"
    checkins.write_text(
        "pseudonym,week,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6\n"
        f"{pseudonym},{spec.start + timedelta(weeks=6)},Often,Often,Often,Seldom,Often,Always\n"
    )
    import_checkins(engine, checkins)
    return pseudonym, staff_id


def test_nothing_of_an_erased_person_remains(engine, settings, alerted_person) -> None:
    pseudonym, staff_id = alerted_person
    with engine.connect() as connection:
        recordings = set(
            connection.execute(
                select(db.recording.c.id).where(db.recording.c.staff_id == staff_id)
            ).scalars()
        )
    before = cells_naming(engine, staff_id, pseudonym, recordings)
    assert {cell.split(".")[0] for cell in before} >= KNOWN, before
    assert "alert.subject" in before and "weekly_risk.staff_id" in before
    folder = settings.person_dir(pseudonym)
    assert list((folder / "hume-cache").glob("*.json")) and list((folder / "frames").iterdir())
    assert "mock_truth.parquet" in files_naming(settings.data_dir, pseudonym)
    if engine.dialect.name == "sqlite":
        assert pseudonym.encode() in b"".join(p.read_bytes() for p in database_files(engine))

    erase_person(engine, settings, pseudonym)

    assert cells_naming(engine, staff_id, pseudonym, recordings) == []
    assert files_naming(settings.data_dir, pseudonym) == []
    on_disk = [p.name for p in database_files(engine) if pseudonym.encode() in p.read_bytes()]
    assert on_disk == [], "not even in the free pages of the database file, nor in its log"
    with engine.connect() as connection:  # only theirs: colleagues' rows are still there
        for table in (db.staff, db.recording, db.checkin, db.weekly_risk, db.alert):
            assert connection.execute(select(table).limit(1)).first() is not None, table.name
