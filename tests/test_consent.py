import json

import pandas as pd
import pytest
from sqlalchemy import insert, inspect, select, text

from burnout_lib.errors import ConsentError, InvalidInput, NotFound
from burnout_lib.mock.hospital import MockSpec
from burnout_lib.privacy.consent import erase_person, has_consent, set_consent, staff_id_for
from burnout_lib.store import db
from burnout_lib.store.report_archive import add_report


@pytest.fixture
def recorded_person(mock_hospital) -> str:
    """A 12-staff × 6-week mock hospital: the pseudonym of someone in it with recordings."""
    engine = mock_hospital(MockSpec(staff=12, weeks=6, seed=3))
    with engine.connect() as connection:
        # someone with recordings, check-ins and both consents
        pseudonym = connection.execute(
            select(db.staff.c.pseudonym)
            .join(db.recording)
            .join(db.checkin, db.checkin.c.staff_id == db.staff.c.id)
            .limit(1)
        ).scalar_one()
    return pseudonym


def tables_referring_to_staff(engine) -> dict[str, list[tuple[str, str, str]]]:
    """From the live database: every table with a chain of foreign keys leading to staff."""
    inspector = inspect(engine)
    links = {
        table: [
            (fk["constrained_columns"][0], fk["referred_table"], fk["referred_columns"][0])
            for fk in inspector.get_foreign_keys(table)
        ]
        for table in inspector.get_table_names()
    }
    linked: dict[str, list] = {"staff": []}
    changed = True
    while changed:
        changed = False
        for table, fks in links.items():
            chain = [fk for fk in fks if fk[1] in linked]
            if chain and table not in linked:
                linked[table] = chain
                changed = True
    return linked


def rows_of(connection, linked: dict, table: str, staff_id: int) -> int:
    """Rows of `table` that belong to the person, following the foreign keys independently."""

    def belongs(name: str) -> str:
        if name == "staff":
            return f"id = {staff_id}"
        column, parent, parent_column = linked[name][0]
        return f'{column} IN (SELECT {parent_column} FROM "{parent}" WHERE {belongs(parent)})'

    query = f'SELECT count(*) FROM "{table}" WHERE {belongs(table)}'
    return connection.execute(text(query)).scalar()


def count_all(connection, table: str) -> int:
    return connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()


def test_consent_grant_and_revoke(engine, recorded_person) -> None:
    with engine.connect() as connection:
        staff_id = staff_id_for(connection, recorded_person)
    set_consent(engine, recorded_person, "face", granted=False)
    with engine.connect() as connection:
        assert not has_consent(connection, staff_id, "face")
    stamp = set_consent(engine, recorded_person, "face", granted=True)
    with engine.connect() as connection:
        assert has_consent(connection, staff_id, "face")
        decided = connection.execute(
            select(db.consent.c.decided_at).where(
                db.consent.c.staff_id == staff_id, db.consent.c.channel == "face"
            )
        ).scalar_one()
        count = connection.execute(
            select(db.consent.c.id).where(db.consent.c.staff_id == staff_id)
        ).all()
    assert decided.replace(tzinfo=None) == stamp.replace(tzinfo=None)
    assert len(count) == 2


def test_consent_errors_name_the_input(engine, recorded_person) -> None:
    with pytest.raises(NotFound, match="nobody-here-00"):
        set_consent(engine, "nobody-here-00", "checkin", granted=True)
    with pytest.raises(InvalidInput, match="'video'"):
        set_consent(engine, recorded_person, "video", granted=True)
    assert issubclass(ConsentError, Exception)


def test_erase_leaves_nothing_of_the_person(engine, settings, recorded_person) -> None:
    linked = tables_referring_to_staff(engine)
    assert {"consent", "recording", "expression_summary", "checkin"} <= set(linked)
    with engine.connect() as connection:
        staff_id = staff_id_for(connection, recorded_person)
        before = {t: rows_of(connection, linked, t, staff_id) for t in linked}
        others = {
            t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in linked
        }
    assert all(before[t] > 0 for t in ("staff", "consent", "recording", "expression_summary"))
    assert settings.person_dir(recorded_person).exists()

    with engine.begin() as connection:  # a team table remembered from counts including them
        connection.execute(insert(db.suppressed_table).values(digest="0" * 64, hidden="01"))

    report = erase_person(engine, settings, recorded_person)

    assert set(report.rows) >= set(linked), "every table that refers to a person is erased"
    assert report.team_tables == 1
    with engine.connect() as connection:
        assert count_all(connection, "suppressed_table") == 0
    with engine.connect() as connection:
        for table in linked:
            assert rows_of(connection, linked, table, staff_id) == 0, table
            remaining = count_all(connection, table)
            assert remaining == others[table] - before[table], f"only the person's rows: {table}"
    assert report.rows == {t: before[t] for t in report.rows}
    assert not settings.person_dir(recorded_person).exists()
    truth = pd.read_parquet(settings.mock_truth_path)
    assert recorded_person not in set(truth.pseudonym) and truth.pseudonym.nunique() == 11
    leftovers = [p for p in settings.data_dir.rglob("*") if recorded_person in p.name]
    assert leftovers == []
    assert f"erased {recorded_person}" in report.summary()


def test_erasing_an_unknown_person_is_an_error(engine, settings, recorded_person) -> None:
    with pytest.raises(NotFound, match="no-such-person"):
        erase_person(engine, settings, "no-such-person")


def test_failed_erasure_changes_nothing(engine, settings, recorded_person) -> None:
    (settings.data_dir / "broken.parquet").write_text("not parquet")
    counts = db.row_counts(engine)
    files = sorted(settings.person_dir(recorded_person).rglob("*"))
    with pytest.raises(InvalidInput, match="broken.parquet"):
        erase_person(engine, settings, recorded_person)
    assert db.row_counts(engine) == counts
    assert sorted(settings.person_dir(recorded_person).rglob("*")) == files
    assert not list(settings.data_dir.glob(".erasing-*"))


def archive_named_report(settings, stem: str, names: str) -> None:
    """A named report's three files and index row, its people table naming `names`."""
    folder = settings.named_reports_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.html").write_text(f"<table><tr><td>{names}</td></tr></table>")
    (folder / f"{stem}.ipynb").write_text(json.dumps({"cells": [{"source": names}]}))
    (folder / f"{stem}.json").write_text("{}")
    add_report(folder, stem, {
        "week": stem[14:24], "unit": None, "html": f"{stem}.html", "notebook": f"{stem}.ipynb",
        "model_version": 1, "generated_at": "2026-12-01T08:00:00+00:00",
        "parameters": {"show_pseudonyms": True},
    })  # fmt: skip


def test_erasure_removes_the_named_reports_that_name_the_person_and_no_other(
    engine, settings, recorded_person
) -> None:
    archive_named_report(
        settings, "weekly-report-2026-11-02-named", f"{recorded_person}, ed-nurse-99"
    )
    archive_named_report(
        settings, "weekly-report-2026-11-09-named", f"{recorded_person}0; {recorded_person}-b"
    )
    archive_named_report(settings, "weekly-report-2026-11-16-named", "ed-nurse-99")
    report = erase_person(engine, settings, recorded_person)
    folder = settings.named_reports_dir
    gone = [
        f"named-reports/weekly-report-2026-11-02-named{s}" for s in (".html", ".ipynb", ".json")
    ]
    assert sorted(set(report.files) & set(gone)) == sorted(gone)
    assert not any((settings.data_dir / path).exists() for path in gone)
    assert sorted(json.loads((folder / "index.json").read_text())) == [
        "weekly-report-2026-11-09-named", "weekly-report-2026-11-16-named"
    ], "only whole-word mentions of the person count"  # fmt: skip
    assert "2026-11-02" not in (folder / "index.html").read_text()
    assert len(list(folder.glob("weekly-report-*"))) == 6


def test_a_failed_erasure_puts_the_named_reports_back(engine, settings, recorded_person) -> None:
    archive_named_report(settings, "weekly-report-2026-11-02-named", recorded_person)
    folder = settings.named_reports_dir
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    (settings.data_dir / "broken.parquet").write_text("not parquet")
    with pytest.raises(InvalidInput, match="broken.parquet"):
        erase_person(engine, settings, recorded_person)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
