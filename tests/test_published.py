"""Suppressed team tables are worked out once and remembered in the database, never wrongly."""

import pandas as pd
import pytest
from sqlalchemy import func, select

from burnout_lib.privacy import published, suppression
from burnout_lib.privacy.consent import erase_person
from burnout_lib.store import db

LEVELS = ["low", "moderate", "high"]


@pytest.fixture(autouse=True)
def fresh_process() -> None:
    """Each test starts as a new process would: only its database may remember a table."""
    published.forget_lately()


def counts(high_risk_nurses: int) -> pd.DataFrame:
    table = pd.DataFrame(
        [[10, 6, high_risk_nurses], [3, 4, 2], [7, 5, 0]],
        index=pd.MultiIndex.from_tuples(
            [("Ward", "Nurse"), ("Ward", "Resident"), ("Ward", "Technician")]
        ),  # fmt: skip
        columns=LEVELS,
    )
    return table


def remembered(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(db.suppressed_table)).scalar()


def test_a_table_is_worked_out_once_and_then_read_back(engine, monkeypatch) -> None:
    with engine.connect() as connection:
        first = published.suppressed(connection, counts(5), 5)
    assert first.equals(suppression.suppress_nested(counts(5), 5))
    assert remembered(engine) == 1

    def never(*args, **kwargs):
        raise AssertionError("worked out again")

    monkeypatch.setattr(published, "suppress_nested", never)
    published.forget_lately()
    with engine.connect() as connection:  # another process: only the database remembers
        again = published.suppressed(connection, counts(5), 5)
    pd.testing.assert_frame_equal(again, first)


def test_other_counts_floor_or_options_are_worked_out_afresh(engine) -> None:
    with engine.connect() as connection:
        published.suppressed(connection, counts(5), 5)
        changed = published.suppressed(connection, counts(6), 5)
        published.suppressed(connection, counts(5), 6)
        published.suppressed(connection, counts(5), 5, sensitive=[("high",)])
    assert changed.equals(suppression.suppress_nested(counts(6), 5))
    assert remembered(engine) == 4


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_database_not_yet_upgraded_still_gets_its_tables(engine) -> None:
    with engine.begin() as connection:
        connection.execute(db.suppressed_table.delete())
        db.suppressed_table.drop(connection)
    with engine.connect() as connection:
        table = published.suppressed(connection, counts(5), 5)
    assert table.equals(suppression.suppress_nested(counts(5), 5))


def test_an_erasure_forgets_every_remembered_table(engine, settings) -> None:
    from burnout_lib.mock.hospital import MockSpec, write_mock

    write_mock(engine, settings, MockSpec(staff=6, weeks=2, seed=3), progress=False)
    with engine.connect() as connection:
        published.suppressed(connection, counts(5), 5)
        pseudonym = connection.execute(select(db.staff.c.pseudonym).limit(1)).scalar_one()
    report = erase_person(engine, settings, pseudonym)
    assert report.team_tables == 1
    assert remembered(engine) == 0


def test_published_weeks_need_no_work_when_a_team_view_opens(engine, monkeypatch) -> None:
    from burnout_lib.privacy.accounts import OCCUPATIONAL_HEALTH, Viewer
    from burnout_lib.readouts import views

    from helpers import small_hospital as H

    H.build(engine)
    with engine.connect() as connection:
        version = views.live_scored_model(connection)
    assert views.publish_weeks(engine, version, 5, progress=False) == views.WINDOW_WEEKS
    assert remembered(engine) > 0  # weeks with the same counts share one

    def never(*args, **kwargs):
        raise AssertionError("worked out when the view opened")

    monkeypatch.setattr(published, "suppress_nested", never)
    published.forget_lately()  # a fresh process
    viewer = Viewer("occupational.health", OCCUPATIONAL_HEALTH)
    with engine.connect() as connection:
        team = views.team_weeks(connection, viewer, "Ward A", None, H.LAST, version, 5)
    assert team.shown


def test_a_process_asks_the_database_once_per_table(engine, monkeypatch) -> None:
    asked = []
    recall = published._recall
    monkeypatch.setattr(published, "_recall", lambda *a: asked.append(1) or recall(*a))
    with engine.connect() as connection:
        first = published.suppressed(connection, counts(5), 5)
        first.iloc[0, 0] = -1  # a caller changing its copy changes nobody else's
        again = published.suppressed(connection, counts(5), 5)
    assert len(asked) == 1
    assert again.equals(suppression.suppress_nested(counts(5), 5))


def test_an_erasure_empties_the_process_s_tables_too(engine, settings, monkeypatch) -> None:
    from burnout_lib.mock.hospital import MockSpec, write_mock

    write_mock(engine, settings, MockSpec(staff=6, weeks=2, seed=3), progress=False)
    with engine.connect() as connection:
        published.suppressed(connection, counts(5), 5)
        pseudonym = connection.execute(select(db.staff.c.pseudonym).limit(1)).scalar_one()
    erase_person(engine, settings, pseudonym)
    worked = []

    def counted(*args, **options):
        worked.append(1)
        return suppression.suppress_nested(*args, **options)

    monkeypatch.setattr(published, "suppress_nested", counted)
    with engine.connect() as connection:
        published.suppressed(connection, counts(5), 5)
    assert worked == [1]
