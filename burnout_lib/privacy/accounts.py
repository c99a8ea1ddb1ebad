"""Accounts: which hospital login may use the product, and in which role.

The product stores no passwords: the hospital's sign-in (through the front proxy) says who someone
is; an account says what that login may see. A `staff` account is linked to one pseudonym, a
`manager` account to the units it manages; `occupational_health` and `analyst` accounts see every
unit. Erasing a person removes their account with the rest of their rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from burnout_lib.errors import InvalidInput, NotFound, NotSignedIn
from burnout_lib.privacy.consent import staff_id_for
from burnout_lib.store.db import account, require_schema, staff, upsert
from burnout_lib.store.transactions import write_transaction

STAFF = "staff"
MANAGER = "manager"
OCCUPATIONAL_HEALTH = "occupational_health"
ANALYST = "analyst"
ROLES = (STAFF, MANAGER, OCCUPATIONAL_HEALTH, ANALYST)
#: Longest login kept; hospital sign-ins give user names or e-mail addresses.
MAX_LOGIN = 200


@dataclass(frozen=True)
class Viewer:
    """A signed-in, registered person and what their role allows them to read."""

    login: str
    role: str
    staff_id: int | None = None
    pseudonym: str | None = None
    units: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sees_every_unit(self) -> bool:
        return self.role in (OCCUPATIONAL_HEALTH, ANALYST)

    def describe(self) -> str:
        if self.role == STAFF:
            return f"{self.login} (staff: {self.pseudonym})"
        if self.role == MANAGER:
            return f"{self.login} (manager: {', '.join(self.units)})"
        return f"{self.login} ({self.role.replace('_', ' ')})"


def clean_login(login: str) -> str:
    """A login as the proxy sends it, checked: not empty, not too long, no control characters."""
    login = (login or "").strip()
    if not login:
        raise InvalidInput("a login must not be empty")
    if len(login) > MAX_LOGIN:
        raise InvalidInput(f"login {login[:40]!r}… is longer than {MAX_LOGIN} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in login):
        raise InvalidInput(f"login {login!r} contains control characters")
    return login


def add_account(
    engine: Engine,
    login: str,
    role: str,
    pseudonym: str | None = None,
    units: tuple[str, ...] | list[str] = (),
) -> Viewer:
    """Create or change the account of a login; returns what it may now see."""
    login = clean_login(login)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r} (use one of: {', '.join(ROLES)})")
    units = tuple(dict.fromkeys(u.strip() for u in units if u.strip()))
    if role == STAFF and not pseudonym:
        raise InvalidInput(f"a staff account needs a pseudonym ({login!r})")
    if role != STAFF and pseudonym:
        raise InvalidInput(f"only a staff account is linked to a pseudonym ({login!r} is {role})")
    if role == MANAGER and not units:
        raise InvalidInput(f"a manager account needs at least one unit ({login!r})")
    if role != MANAGER and units:
        raise InvalidInput(f"only a manager account lists units ({login!r} is {role})")
    require_schema(engine)

    def store(connection: Connection) -> Viewer:
        staff_id = staff_id_for(connection, pseudonym) if pseudonym else None
        if units:
            known = set(connection.execute(select(staff.c.unit).distinct()).scalars())
            unknown = [u for u in units if u not in known]
            if unknown:
                raise NotFound(f"no staff in unit(s) {', '.join(map(repr, unknown))}")
        row = {"login": login, "role": role, "staff_id": staff_id, "units": list(units)}
        upsert(connection, account, pd.DataFrame([row]), keys=("login",))
        return Viewer(login, role, staff_id, pseudonym, units)

    return write_transaction(engine, store, f"storing the account of {login}")


def remove_account(engine: Engine, login: str) -> None:
    """Remove a login's account: from then on it sees nothing."""
    login = clean_login(login)
    require_schema(engine)

    def remove(connection: Connection) -> None:
        if connection.execute(delete(account).where(account.c.login == login)).rowcount == 0:
            raise NotFound(f"no account for login {login!r}")

    write_transaction(engine, remove, f"removing the account of {login}")


def list_accounts(connection: Connection) -> list[Viewer]:
    """Every account, by login."""
    rows = connection.execute(
        select(account, staff.c.pseudonym)
        .join(staff, account.c.staff_id == staff.c.id, isouter=True)
        .order_by(account.c.login)
    ).mappings()
    return [_viewer(row) for row in rows]


def viewer_for(connection: Connection, login: str | None) -> Viewer:
    """The registered viewer behind a signed-in login, or `NotSignedIn` saying what is missing."""
    if not login or not login.strip():
        raise NotSignedIn("You are not signed in.")
    row = (
        connection.execute(
            select(account, staff.c.pseudonym)
            .join(staff, account.c.staff_id == staff.c.id, isouter=True)
            .where(account.c.login == login.strip())
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotSignedIn("You are signed in, but not registered to use Burnout Monitor.")
    return _viewer(row)


def _viewer(row) -> Viewer:
    return Viewer(
        login=row["login"],
        role=row["role"],
        staff_id=row["staff_id"],
        pseudonym=row["pseudonym"],
        units=tuple(row["units"] or ()),
    )
