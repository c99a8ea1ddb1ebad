"""`burnout checksum`: the same content gives the same sums whatever the ids; any change shows."""

from __future__ import annotations

from sqlalchemy import delete, update

from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, generate_hospital, write_mock
from burnout_lib.store import db
from burnout_lib.store.db import init_db, make_engine
from burnout_lib.store.integrity import table_sums

SPEC = MockSpec(staff=10, weeks=3, seed=4)


def mock_database(tmp_path, name: str, padding: int = 0):
    """The mock hospital in a database of its own; with `padding`, other staff are written first
    and deleted last, so every id differs from an unpadded copy's."""
    settings = load_settings(db=f"sqlite:///{tmp_path / name}.db", data_dir=tmp_path / name)
    engine = make_engine(settings.db_url)
    init_db(engine)
    others = MockSpec(staff=padding, weeks=3, seed=99) if padding else None
    if others:
        write_mock(engine, settings, others, progress=False)
    write_mock(engine, settings, SPEC, progress=False)
    if others:
        ours = set(generate_hospital(SPEC).staff["pseudonym"])
        theirs = set(generate_hospital(others).staff["pseudonym"]) - ours
        with engine.begin() as connection:  # their rows in other tables go with them (cascade)
            connection.execute(delete(db.staff).where(db.staff.c.pseudonym.in_(theirs)))
    return engine


def test_same_content_same_sums_whatever_the_ids(tmp_path) -> None:
    plain, padded = mock_database(tmp_path, "plain"), mock_database(tmp_path, "padded", padding=7)
    with plain.connect() as a, padded.connect() as b:
        ids = [c.execute(db.recording.select().order_by("id").limit(1)).one().id for c in (a, b)]
    assert ids[0] != ids[1], "the two copies number their rows differently"
    sums = table_sums(plain)
    assert sums == table_sums(padded)
    assert sums["recording"].rows > 0 and sums["checkin"].rows > 0


def test_a_changed_value_or_a_new_hume_run_id(tmp_path) -> None:
    engine = mock_database(tmp_path, "h")
    before = table_sums(engine)
    with engine.begin() as connection:
        connection.execute(update(db.recording).values(hume_request_ids=["another-request"]))
    assert table_sums(engine) == before, "Hume's request ids are not content"
    with engine.begin() as connection:
        first = connection.execute(db.checkin.select().order_by("id").limit(1)).one()
        connection.execute(
            update(db.checkin).where(db.checkin.c.id == first.id).values(score=first.score + 1)
        )
    after = table_sums(engine)
    assert after["checkin"] != before["checkin"]
    assert {name for name in after if after[name] != before[name]} == {"checkin"}
