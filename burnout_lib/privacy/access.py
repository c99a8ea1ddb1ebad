"""What each role may read, checked by the library functions the pages call.

- staff: their own page only;
- manager: team views of their units only, never a person;
- occupational health: team views of every unit, the named alerts, and a person's page once they
  have opened it from an alert, which is written to `access_log` (who, whom, when, why);
- analyst: team views of every unit, never a person.

Every refusal is an `AccessDenied` naming what was refused, never data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from burnout_lib.errors import AccessDenied, NotFound
from burnout_lib.privacy.accounts import MANAGER, OCCUPATIONAL_HEALTH, STAFF, Viewer
from burnout_lib.store.db import access_log, alert, require_schema, staff
from burnout_lib.store.transactions import write_transaction

#: How long an opening from an alert lets occupational health read that person's page.
OPENING_LASTS = timedelta(hours=1)


def require_team(viewer: Viewer, unit: str) -> None:
    """Team figures of `unit` are for its managers, occupational health and analysts."""
    if viewer.sees_every_unit:
        return
    if viewer.role == MANAGER and unit in viewer.units:
        return
    if viewer.role == MANAGER:
        raise AccessDenied(f"{viewer.login} does not manage {unit!r}")
    raise AccessDenied(f"{viewer.login} ({viewer.role}) does not see team views")


def visible_units(viewer: Viewer, units: list[str]) -> list[str]:
    """The units whose team views this viewer may open, in the given order."""
    if viewer.sees_every_unit:
        return list(units)
    if viewer.role == MANAGER:
        return [u for u in units if u in viewer.units]
    return []


def require_named_alerts(viewer: Viewer) -> None:
    """Alerts that name people are for occupational health only."""
    if viewer.role != OCCUPATIONAL_HEALTH:
        raise AccessDenied(f"{viewer.login} ({viewer.role}) does not see alerts about people")


def require_person(connection: Connection, viewer: Viewer, pseudonym: str) -> int:
    """The staff id behind `pseudonym` if this viewer may read that person's page.

    Staff read their own page. Occupational health reads a person's page only after opening it
    from an alert (`open_from_alert`), within `OPENING_LASTS` of that logged opening.
    """
    if viewer.role == STAFF:
        if pseudonym != viewer.pseudonym:
            raise AccessDenied(f"{viewer.login} may see only their own page")
        return int(viewer.staff_id)
    if viewer.role != OCCUPATIONAL_HEALTH:
        raise AccessDenied(f"{viewer.login} ({viewer.role}) does not see anyone's page")
    staff_id = connection.execute(
        select(staff.c.id).where(staff.c.pseudonym == pseudonym)
    ).scalar_one_or_none()
    if staff_id is None:
        raise AccessDenied(f"{viewer.login} has not opened this person's page from an alert")
    since = datetime.now(UTC) - OPENING_LASTS
    opened = connection.execute(
        select(func.count())
        .select_from(access_log)
        .where(
            access_log.c.viewer_login == viewer.login,
            access_log.c.staff_id == staff_id,
            access_log.c.opened_at >= since,
        )
    ).scalar_one()
    if not opened:
        raise AccessDenied(f"{viewer.login} has not opened this person's page from an alert")
    return int(staff_id)


def open_from_alert(engine: Engine, viewer: Viewer, alert_id: int) -> str:
    """Occupational health opens the person an alert is about; the opening is logged first.

    Returns the person's pseudonym, whose page `require_person` then lets this viewer read.
    """
    require_named_alerts(viewer)
    require_schema(engine)

    def log(connection: Connection) -> str:
        found = connection.execute(
            select(alert.c.staff_id, alert.c.rule, alert.c.week_start, staff.c.pseudonym)
            .join(staff, alert.c.staff_id == staff.c.id)
            .where(alert.c.id == alert_id)
        ).first()
        if found is None:
            raise NotFound(f"no alert about a person with id {alert_id}")
        connection.execute(
            insert(access_log).values(
                viewer_login=viewer.login,
                staff_id=found.staff_id,
                opened_at=datetime.now(UTC),
                reason=f"alert {alert_id}: {found.rule}, week of {found.week_start}",
            )
        )
        return found.pseudonym

    return write_transaction(engine, log, f"logging {viewer.login}'s opening of alert {alert_id}")


def access_history(connection: Connection, viewer: Viewer) -> pd.DataFrame:
    """Who opened whose page, when and why, newest first (occupational health only)."""
    require_named_alerts(viewer)
    query = (
        select(
            access_log.c.opened_at,
            access_log.c.viewer_login,
            staff.c.pseudonym,
            access_log.c.reason,
        )
        .join(staff, access_log.c.staff_id == staff.c.id)
        .order_by(access_log.c.opened_at.desc())
    )
    return pd.DataFrame(connection.execute(query).mappings().all())
