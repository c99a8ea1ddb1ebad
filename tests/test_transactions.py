"""Every write runs in one retrying transaction: proved with real conflicts on PostgreSQL.

CockroachDB runs every transaction at SERIALIZABLE isolation and asks clients to retry on SQLSTATE
40001. PostgreSQL at SERIALIZABLE raises the same error for the same conflicts, so these tests
create real conflicting transactions there and check that the work is run again, and stored once.
"""

from __future__ import annotations

import ast
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from burnout_lib.errors import DatabaseUnavailable, WriteConflict
from burnout_lib.store import transactions
from burnout_lib.store.db import make_engine
from burnout_lib.store.transactions import write_transaction

from helpers.databases import serializable

LIBRARY = Path(__file__).resolve().parent.parent / "burnout_lib"

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(postgres_server):
    url = postgres_server.create_database(f"txn_{uuid.uuid4().hex[:12]}")
    engine = make_engine(serializable(url))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE on_call (name text PRIMARY KEY, on_duty bool)"))
        connection.execute(text("INSERT INTO on_call VALUES ('ana', true), ('bo', true)"))
    yield engine
    engine.dispose()


def test_every_write_in_the_library_goes_through_write_transaction() -> None:
    """No module opens a transaction of its own: `engine.begin()` lives in one place."""
    offenders = []
    for path in sorted(LIBRARY.rglob("*.py")):
        if path.name == "transactions.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"begin", "commit", "begin_nested"}
            ):
                offenders.append(f"{path.relative_to(LIBRARY)}:{node.lineno}")
    assert offenders == []


def test_isolation_is_serializable(pg_engine) -> None:
    with pg_engine.connect() as connection:
        level = connection.execute(text("SHOW transaction_isolation")).scalar_one()
    assert level == "serializable"


def test_write_skew_is_retried_and_both_writers_succeed(pg_engine) -> None:
    """Two doctors both go off duty after seeing the other on duty: one must be run again."""
    both_read = threading.Barrier(2, timeout=10)
    attempts: list[str] = []
    errors: list[BaseException] = []

    def go_off_duty(name: str):
        def work(connection) -> None:
            attempts.append(name)
            on_duty = connection.execute(
                text("SELECT count(*) FROM on_call WHERE on_duty")
            ).scalar_one()
            if attempts.count(name) == 1:
                both_read.wait()  # only the first attempts meet, so the conflict is certain
            if on_duty >= 2:
                connection.execute(
                    text("UPDATE on_call SET on_duty = false WHERE name = :n"), {"n": name}
                )

        return work

    def run(name: str) -> None:
        try:
            write_transaction(pg_engine, go_off_duty(name), f"{name} going off duty")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("ana", "bo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(attempts) == 3, "one of the two ran again after a serialization failure"
    with pg_engine.connect() as connection:
        on_duty = connection.execute(text("SELECT count(*) FROM on_call WHERE on_duty")).scalar()
    assert on_duty == 1, "as if the two had run one after the other"


def test_deadlock_is_retried(pg_engine) -> None:
    """Two writers lock the same two rows in opposite orders; PostgreSQL aborts one."""
    first_locked = threading.Barrier(2, timeout=10)
    attempts: list[str] = []
    errors: list[BaseException] = []

    def swap(order: tuple[str, str]):
        def work(connection) -> None:
            attempts.append(order[0])
            update = text("UPDATE on_call SET on_duty = NOT on_duty WHERE name = :n")
            connection.execute(update, {"n": order[0]})
            if attempts.count(order[0]) == 1:
                first_locked.wait()
            connection.execute(update, {"n": order[1]})

        return work

    engine = make_engine(str(pg_engine.url.difference_update_query(["options"])))

    def run(order) -> None:
        try:
            write_transaction(engine, swap(order), "swapping duties")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(o,)) for o in (("ana", "bo"), ("bo", "ana"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    engine.dispose()
    assert errors == []
    assert len(attempts) == 3
    with pg_engine.connect() as connection:
        flipped = connection.execute(text("SELECT count(*) FROM on_call WHERE on_duty")).scalar()
    assert flipped == 2, "each row flipped twice"


def test_endless_conflicts_give_up_with_a_clear_message_and_write_nothing(
    pg_engine, monkeypatch
) -> None:
    monkeypatch.setattr(transactions, "MAX_CONFLICT_ATTEMPTS", 3)
    other = pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    attempts = []

    def work(connection) -> None:
        attempts.append(1)
        marker = {"n": f"x{len(attempts)}"}
        connection.execute(text("INSERT INTO on_call VALUES (:n, true)"), marker)
        connection.execute(text("SELECT on_duty FROM on_call WHERE name = 'ana'")).scalar()
        other.execute(text("UPDATE on_call SET on_duty = NOT on_duty WHERE name = 'ana'"))
        connection.execute(text("UPDATE on_call SET on_duty = false WHERE name = 'ana'"))

    with pytest.raises(WriteConflict, match=r"marking ana: gave up after 3 attempts.*nothing"):
        write_transaction(pg_engine, work, "marking ana")
    other.close()
    assert len(attempts) == 3
    with pg_engine.connect() as connection:
        names = set(connection.execute(text("SELECT name FROM on_call")).scalars())
    assert names == {"ana", "bo"}, "no attempt left a row behind"


def test_a_connection_killed_mid_transaction_is_reconnected_and_retried(pg_engine) -> None:
    admin = pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    attempts = []

    def work(connection) -> None:
        attempts.append(1)
        connection.execute(text("INSERT INTO on_call VALUES ('cy', true)"))
        if len(attempts) == 1:  # the server ends this session, as a restart or fail-over would
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.execute(text("SELECT 1"))

    write_transaction(pg_engine, work, "adding cy")
    admin.close()
    assert len(attempts) == 2
    with pg_engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM on_call WHERE name='cy'")).scalar()
    assert count == 1


def test_an_unreachable_server_gives_up_after_the_reconnect_window(monkeypatch) -> None:
    monkeypatch.setattr(transactions, "RECONNECT_SECONDS", 0.5)
    from burnout_lib.testing.postgres_server import free_port

    engine = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    with pytest.raises(DatabaseUnavailable, match=r"saving: lost the connection to .*127\.0\.0\.1"):
        write_transaction(engine, lambda connection: None, "saving")


def test_other_errors_are_not_retried(pg_engine) -> None:
    attempts = []

    def work(connection) -> None:
        attempts.append(1)
        connection.execute(text("INSERT INTO on_call VALUES ('ana', true)"))  # duplicate key

    with pytest.raises(Exception, match="duplicate key"):
        write_transaction(pg_engine, work, "adding ana again")
    assert len(attempts) == 1
