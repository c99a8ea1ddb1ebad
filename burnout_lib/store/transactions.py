"""Write transactions that survive the conflicts and hiccups of a shared database.

Every write in the product goes through `write_transaction`: the work is a function of a
connection, run in one transaction, and run again from the start when the database asks for it:

- a serialization failure (SQLSTATE 40001), routine on CockroachDB and on PostgreSQL at
  SERIALIZABLE isolation when two writers touch the same rows;
- a deadlock (40P01), which PostgreSQL resolves by aborting one of the two writers;
- a busy SQLite file, after its own 30 s wait;
- a connection lost to a server restart or fail-over, for as long as `RECONNECT_SECONDS`.

This is the whole-transaction form of CockroachDB's client-side retry protocol, which also works
on PostgreSQL (where a savepoint cannot undo a serialization failure). The work must therefore
write only through the connection it is given, or write files idempotently, and it must not commit.
Each unit of work is an upsert on natural keys, so running it twice stores it once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from burnout_lib.config import display_url
from burnout_lib.errors import DatabaseUnavailable, WriteConflict

T = TypeVar("T")

log = logging.getLogger(__name__)

#: SQLSTATEs after which the same transaction, run again, can succeed.
RETRY_SQLSTATES = {"40001": "serialization failure", "40P01": "deadlock"}
#: SQLSTATEs of a server going away or not yet accepting connections.
DISCONNECT_SQLSTATES = {"57P01", "57P02", "57P03"}
#: How drivers say a server went away when they give no SQLSTATE (a refused connection, a closed
#: socket); a wrong password or database name is not among them and fails at once.
_GONE = (
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "the database system is",
    "no connection to the server",
    "could not receive data",
    "could not send data",
    "connection reset",
    "ssl connection has been closed",
    "eof detected",
)
MAX_CONFLICT_ATTEMPTS = 10
RECONNECT_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 2.0


def _sqlstate(error: BaseException) -> str | None:
    return getattr(getattr(error, "orig", None), "pgcode", None)


def conflict_reason(error: BaseException) -> str | None:
    """Why a failed transaction may succeed if run again, or None if it will not."""
    state = _sqlstate(error)
    if state in RETRY_SQLSTATES:
        return RETRY_SQLSTATES[state]
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        return "database file busy"
    return None


def is_disconnect(error: BaseException) -> bool:
    """True when the connection (not the work) failed: server restarted, unreachable, starting."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if state is not None:
        return state.startswith("08") or state in DISCONNECT_SQLSTATES
    message = str(error.orig).lower()
    return isinstance(error, OperationalError) and any(sign in message for sign in _GONE)


def first_line(error: BaseException) -> str:
    """The driver's message without SQLAlchemy's statement and parameters."""
    text = str(getattr(error, "orig", error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt `attempt + 1`: exponential, capped, with jitter."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF_SECONDS, 0.05 * 2**attempt)


def write_transaction(engine: Engine, work: Callable[[Connection], T], what: str) -> T:
    """Run `work(connection)` in one transaction, again from the start when it may then succeed.

    `what` names the work in messages ("importing check-ins"). Gives up with `WriteConflict` after
    `MAX_CONFLICT_ATTEMPTS` conflicts, and with `DatabaseUnavailable` when the database stays out of
    reach for `RECONNECT_SECONDS`; in both cases nothing of this transaction was written.
    """
    attempt = 0
    lost_since: float | None = None
    while True:
        try:
            with engine.begin() as connection:
                result = work(connection)
            if attempt:
                log.info("%s: done on attempt %d", what, attempt + 1)
            return result
        except DBAPIError as error:
            reason = conflict_reason(error)
            attempt += 1
            if reason is not None:
                lost_since = None
                if attempt >= MAX_CONFLICT_ATTEMPTS:
                    raise WriteConflict(
                        f"{what}: gave up after {attempt} attempts, each stopped by a {reason} "
                        "with another writer; nothing of it was written, run it again"
                    ) from None
                log.info("%s: %s, running it again (attempt %d)", what, reason, attempt + 1)
            elif is_disconnect(error):
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > RECONNECT_SECONDS:
                    raise DatabaseUnavailable(
                        f"{what}: lost the connection to {display_url(engine.url)} "
                        f"({first_line(error)}) and could not get it back within "
                        f"{RECONNECT_SECONDS:.0f} s; nothing of it was written, run it again"
                    ) from None
                log.warning("%s: connection lost (%s), reconnecting", what, first_line(error))
            else:
                raise
            time.sleep(backoff(min(attempt, 10)))
