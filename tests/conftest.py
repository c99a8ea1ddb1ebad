"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test session on 127.0.0.1 (a free port, a temporary
folder) and torn down at the end; each test gets a fresh database on it.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from burnout_lib.config import Settings, load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.store.db import init_db, make_engine
from burnout_lib.testing.postgres_server import ThrowawayPostgres

from helpers import small_hospital as H
from helpers.hospital_copies import Templates
from helpers.paths import BURNOUT


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'burnout.db'}"
    server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
    return server.create_database(f"test_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("BURNOUT_DB_URL", db_url)
    monkeypatch.setenv("BURNOUT_DATA_DIR", str(tmp_path / "data"))
    return load_settings()


@pytest.fixture
def engine(settings: Settings):
    engine = make_engine(settings.db_url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def cli(settings: Settings, tmp_path: Path):
    """Run the installed `burnout` command as a user would, against this test's database."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.update(BURNOUT_DB_URL=settings.db_url, BURNOUT_DATA_DIR=str(settings.data_dir))
        result = subprocess.run(
            [str(BURNOUT), "--quiet", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"burnout {' '.join(args)} failed:\n{result.stderr}")
        return result

    return run


@pytest.fixture(scope="session")
def hospital_templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    """Each hospital the session's tests ask for, built once per backend: `hospital_copies`."""
    return Templates(tmp_path_factory.mktemp("hospitals"))


def _server(request: pytest.FixtureRequest, engine) -> ThrowawayPostgres | None:
    if engine.dialect.name == "sqlite":
        return None
    return request.getfixturevalue("postgres_server")


@pytest.fixture
def mock_hospital(request: pytest.FixtureRequest, engine, settings, hospital_templates):
    """`mock_hospital(spec)`: the test's database and data folder hold the spec's mock hospital, as
    `write_mock` writes it (built once a session per backend, copied for each test): the engine."""
    server = _server(request, engine)

    def copy(spec: MockSpec):
        hospital_templates.restore(spec, None, engine, settings, server)
        return engine

    return copy


@pytest.fixture
def small_hospital(request: pytest.FixtureRequest, engine, settings, hospital_templates):
    """The hand-made hospital of `helpers.small_hospital` in the test's database: the engine."""
    hospital_templates.restore(
        "small hospital",
        lambda engine, _: H.build(engine),
        engine,
        settings,
        _server(request, engine),
    )
    return engine


#: The hospital `trained` holds.
TRAINED = MockSpec(staff=60, weeks=12, seed=4)


@pytest.fixture
def trained(request: pytest.FixtureRequest, engine, settings, hospital_templates) -> int:
    """A 60-staff × 12-week mock hospital from `DEFAULT_START` with a full model saved (trained
    once a session per backend, the hospital and its model copied for each test): its id."""

    def build(engine, settings) -> int:
        write_mock(engine, settings, TRAINED, progress=False)
        model = train(weekly_features(engine), "full", bootstrap_rounds=5, folds=3)
        return save_model(model, engine, settings, live=True)

    return hospital_templates.restore(
        ("trained", TRAINED), build, engine, settings, _server(request, engine)
    )


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, shared by one module's tests (each opens its own pages)."""
    from helpers.serving import chromium  # Playwright is loaded only by the browser tests

    with chromium() as launched:
        yield launched
