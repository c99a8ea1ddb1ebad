"""What each role may read (`privacy/access.py`), through the view functions the pages call:
every refusal is tested as carefully as what is allowed."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from burnout_lib.errors import AccessDenied, NotFound
from burnout_lib.privacy import access
from burnout_lib.readouts import views
from burnout_lib.store import db

from helpers import small_hospital as H

FLOOR = 5


@pytest.fixture
def small_scored(small_hospital):
    """The small hospital's engine and its live scored model."""
    with small_hospital.connect() as connection:
        version = views.live_scored_model(connection)
    return small_hospital, version


def viewers(engine) -> dict[str, object]:
    return {a["login"]: H.viewer(engine, a["login"]) for a in H.ACCOUNTS}


def first_alert(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(db.alert.c.id)).scalar_one()


def logged(engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(db.access_log)).all()


def test_units_each_role_may_open(small_scored) -> None:
    engine, _ = small_scored
    seen = viewers(engine)
    with engine.connect() as connection:
        assert views.units(connection, seen[H.NURSE_LOGIN]) == []
        assert views.units(connection, seen[H.MANAGER_LOGIN]) == ["Ward A"]
        assert views.units(connection, seen[H.TINY_MANAGER_LOGIN]) == ["Tiny unit"]
        assert views.units(connection, seen[H.OH_LOGIN]) == ["Tiny unit", "Ward A"]
        assert views.units(connection, seen[H.ANALYST_LOGIN]) == ["Tiny unit", "Ward A"]


@pytest.mark.parametrize(
    ("login", "unit", "allowed"),
    [
        (H.MANAGER_LOGIN, "Ward A", True),
        (H.MANAGER_LOGIN, "Tiny unit", False),
        (H.TINY_MANAGER_LOGIN, "Ward A", False),
        (H.OH_LOGIN, "Ward A", True),
        (H.ANALYST_LOGIN, "Tiny unit", True),
        (H.NURSE_LOGIN, "Ward A", False),
        (H.RESIDENT_LOGIN, "Ward A", False),
    ],
)
def test_team_views_only_for_their_managers_occupational_health_and_analysts(
    small_scored, login, unit, allowed
) -> None:
    engine, version = small_scored
    viewer = H.viewer(engine, login)
    with engine.connect() as connection:
        if allowed:
            assert views.team_weeks(connection, viewer, unit, None, H.LAST, version, FLOOR)
            assert views.roles(connection, viewer, unit)
        else:
            with pytest.raises(AccessDenied):
                views.team_weeks(connection, viewer, unit, None, H.LAST, version, FLOOR)
            with pytest.raises(AccessDenied):
                views.roles(connection, viewer, unit)


def test_staff_read_their_own_page_and_no_one_else_s(small_scored) -> None:
    engine, version = small_scored
    nurse = H.viewer(engine, H.NURSE_LOGIN)
    with engine.connect() as connection:
        assert views.person_weeks(connection, nurse, "nurse-01", H.LAST, version).log.shape[0]
        for other in ("resident-01", "nurse-02", "porter-1", "nobody-here"):
            with pytest.raises(AccessDenied, match="only their own page"):
                views.person_weeks(connection, nurse, other, H.LAST, version)
        with pytest.raises(AccessDenied):
            views.named_alerts(connection, nurse, H.LAST)


@pytest.mark.parametrize("login", [H.MANAGER_LOGIN, H.ANALYST_LOGIN])
def test_managers_and_analysts_never_read_a_person(small_scored, login) -> None:
    engine, version = small_scored
    viewer = H.viewer(engine, login)
    with engine.connect() as connection:
        with pytest.raises(AccessDenied, match="does not see anyone's page"):
            views.person_weeks(connection, viewer, "nurse-01", H.LAST, version)
        with pytest.raises(AccessDenied, match="alerts about people"):
            views.named_alerts(connection, viewer, H.LAST)
    with pytest.raises(AccessDenied):
        access.open_from_alert(engine, viewer, first_alert(engine))
    assert logged(engine) == []


def test_occupational_health_reads_a_person_only_after_a_logged_opening(small_scored) -> None:
    engine, version = small_scored
    oh = H.viewer(engine, H.OH_LOGIN)
    with engine.connect() as connection:
        alerts = views.named_alerts(connection, oh, H.LAST)
        assert alerts["pseudonym"].tolist() == ["nurse-01"]
        with pytest.raises(AccessDenied, match="has not opened"):
            views.person_weeks(connection, oh, "nurse-01", H.LAST, version)
    assert logged(engine) == []

    alert_id = int(alerts["id"].iloc[0])
    assert access.open_from_alert(engine, oh, alert_id) == "nurse-01"
    (row,) = logged(engine)
    assert row.viewer_login == H.OH_LOGIN and row.reason.startswith(f"alert {alert_id}")
    with engine.connect() as connection:
        person = views.person_weeks(connection, oh, "nurse-01", H.LAST, version)
        assert person.this_week["level"] == "high"
        # the opening is for that person only
        with pytest.raises(AccessDenied):
            views.person_weeks(connection, oh, "resident-01", H.LAST, version)
        history = access.access_history(connection, oh)
    assert history["pseudonym"].tolist() == ["nurse-01"]

    with engine.begin() as connection:  # an opening lasts an hour
        old = datetime.now(UTC) - access.OPENING_LASTS - timedelta(minutes=1)
        connection.execute(update(db.access_log).values(opened_at=old))
    with engine.connect() as connection, pytest.raises(AccessDenied):
        views.person_weeks(connection, oh, "nurse-01", H.LAST, version)


def test_opening_an_alert_that_is_not_about_a_person_logs_nothing(small_scored) -> None:
    engine, _ = small_scored
    oh = H.viewer(engine, H.OH_LOGIN)
    with pytest.raises(NotFound, match="999999"):
        access.open_from_alert(engine, oh, 999999)
    assert logged(engine) == []
