"""Hospitals built once a test session and copied for each test.

`Templates` keeps, for each database backend and key (a `MockSpec`, or a spec and what was done
to it, such as a trained model), one built hospital: an SQLite file or a PostgreSQL database, and
its data folder. A test gets its own copy, so it may change anything: `restore` puts the
hospital in the test's fresh database and data folder (SQLite's backup of the file;
`CREATE DATABASE ... TEMPLATE ...` on PostgreSQL; the data folder, frame tables under `people/`
and models under `models/` included, copied with its file modes). A copy takes milliseconds where
writing a mock hospital takes a second and training a model several.

A hospital is built with the settings of the first test that asks for it, but for its database
and data folder; a build that reads any other setting must say so in its key.
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from burnout_lib.config import Settings, load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.store import db
from burnout_lib.store.db import init_db, make_engine
from burnout_lib.testing.postgres_server import ThrowawayPostgres

#: Writes a hospital into an initialised database and its settings' data folder; what it returns
#: (a model's id, say) is handed to every test that gets a copy.
Build = Callable[[Engine, Settings], Any]


@dataclass(frozen=True)
class Template:
    db_url: str
    data_dir: Path
    value: Any


class Templates:
    """One built hospital per backend and key; copies of it on demand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[tuple[str, Hashable], Template] = {}

    def restore(
        self,
        key: Hashable,
        build: Build | None,
        engine: Engine,
        settings: Settings,
        postgres: ThrowawayPostgres | None = None,
    ) -> Any:
        """Fill the test's empty database (`engine`) and data folder with a copy of the hospital
        `build` writes, built the first time `key` is asked for on this backend: its value.
        Without `build`, `key` is a `MockSpec` and the hospital its mock, as `write_mock` writes
        it."""
        backend = engine.dialect.name
        template = self.built.get((backend, key))
        if template is None:
            template = self._build(backend, key, build or mock(key), settings, postgres)
        _require_empty(engine, settings)
        engine.dispose()  # no connection to the database while it is replaced
        if backend == "sqlite":
            _copy_sqlite(template.db_url, engine.url.database)
        else:
            if postgres is None:
                raise ValueError("a PostgreSQL copy needs the throwaway server")
            _copy_postgres(postgres, template.db_url, engine.url.database)
        _copy_folder(template.data_dir, settings.data_dir)
        return template.value

    def sqlite(
        self, key: Hashable, folder: Path, build: Build | None = None
    ) -> tuple[Settings, Any]:
        """A copy of the hospital in an SQLite file of its own under `folder`, for a module's
        tests that share one hospital: its settings (`folder/burnout.db`, data in `folder/data`)
        and the build's value."""
        settings = load_settings(db=f"sqlite:///{folder / 'burnout.db'}", data_dir=folder / "data")
        engine = make_engine(settings.db_url)
        init_db(engine)
        value = self.restore(key, build, engine, settings)
        engine.dispose()
        return settings, value

    def _build(
        self,
        backend: str,
        key: Hashable,
        build: Build,
        settings: Settings,
        postgres: ThrowawayPostgres | None,
    ) -> Template:
        folder = self.root / f"template-{backend}-{uuid.uuid4().hex[:12]}"
        folder.mkdir(parents=True)
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'burnout.db'}"
        else:
            if postgres is None:
                raise ValueError("a PostgreSQL template needs the throwaway server")
            url = postgres.create_database(f"template_{uuid.uuid4().hex[:12]}")
        built = dataclasses.replace(settings, db_url=url, data_dir=folder / "data")
        engine = make_engine(url)
        try:
            init_db(engine)
            value = build(engine, built)
        finally:
            engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
        template = self.built[(backend, key)] = Template(url, built.data_dir, value)
        return template


def mock(spec: MockSpec) -> Build:
    """The build that writes `spec`'s mock hospital."""

    def build(engine: Engine, settings: Settings) -> None:
        write_mock(engine, settings, spec, progress=False)

    return build


def _require_empty(engine: Engine, settings: Settings) -> None:
    """A copy replaces the database: refuse one that something already wrote to."""
    filled = {name: rows for name, rows in db.row_counts(engine).items() if rows}
    if filled:
        raise AssertionError(f"the test's database is not empty before its copy: {filled}")
    # an SQLite file (and its -wal and -shm) may live in the data folder
    own = Path(engine.url.database).name if engine.dialect.name == "sqlite" else None
    if settings.data_dir.exists():
        found = [
            p.name for p in settings.data_dir.iterdir() if not (own and p.name.startswith(own))
        ]
        if found:
            raise AssertionError(f"the test's data folder is not empty: {found}")


def _copy_sqlite(template_url: str, target: str | None) -> None:
    source = sqlite3.connect(template_url.removeprefix("sqlite:///"))
    destination = sqlite3.connect(str(target))
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def _copy_postgres(server: ThrowawayPostgres, template_url: str, target: str | None) -> None:
    import psycopg2

    template = template_url.rsplit("/", 1)[1]
    connection = psycopg2.connect(server.url())
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{target}"')
            cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}"')
    finally:
        connection.close()


def _copy_folder(template: Path, target: Path) -> None:
    if template.exists():
        shutil.copytree(template, target, dirs_exist_ok=True)
