"""The hospitals `conftest.py` hands out (`helpers/hospital_copies.py`): a copy is the hospital a
fresh build makes, on SQLite and PostgreSQL, rows and files alike; each copy is a test's own; and a
copy never lands on a database something already wrote to."""

import dataclasses
import hashlib
import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete

from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.store import db
from burnout_lib.store.db import init_db, make_engine
from burnout_lib.store.integrity import table_sums

from helpers.hospital_copies import Templates

SPEC = MockSpec(staff=12, weeks=3, seed=8)


def files(folder: Path) -> dict[str, tuple[int, str | None]]:
    """Every file and folder under `folder`: its mode and, for a file, its content's hash."""
    return {
        str(path.relative_to(folder)): (
            stat.S_IMODE(path.stat().st_mode),
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None,
        )
        for path in folder.rglob("*")
    }


def another_database(request: pytest.FixtureRequest, engine, settings, name: str, tmp_path: Path):
    """An empty database on the test's backend, and a data folder of its own: engine, settings."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / name}.db"
    else:
        url = request.getfixturevalue("postgres_server").create_database(
            f"{name}_{uuid.uuid4().hex[:12]}"
        )
    other = make_engine(url)
    init_db(other)
    return other, dataclasses.replace(settings, db_url=url, data_dir=tmp_path / f"{name}-data")


def test_a_copy_is_the_hospital_a_fresh_build_makes(
    request, mock_hospital, settings, tmp_path
) -> None:
    copied = mock_hospital(SPEC)
    fresh, fresh_settings = another_database(request, copied, settings, "fresh", tmp_path)
    write_mock(fresh, fresh_settings, SPEC, progress=False)
    assert table_sums(copied) == table_sums(fresh)
    assert files(settings.data_dir) == files(fresh_settings.data_dir)
    assert any(name.startswith("people/") for name in files(settings.data_dir)), "frame tables"
    fresh.dispose()


def test_each_copy_is_its_own_and_a_used_database_is_refused(
    request, engine, settings, tmp_path
) -> None:
    server = request.getfixturevalue("postgres_server") if engine.dialect.name != "sqlite" else None
    templates = Templates(tmp_path / "templates")
    other, other_settings = another_database(request, engine, settings, "other", tmp_path)
    templates.restore(SPEC, None, engine, settings, server)
    templates.restore(SPEC, None, other, other_settings, server)
    assert len(templates.built) == 1, "built once, copied twice"
    before = table_sums(other)
    with engine.begin() as connection:
        connection.execute(delete(db.staff))
    assert table_sums(other) == before
    with pytest.raises(AssertionError, match="not empty"):
        templates.restore(SPEC, None, other, other_settings, server)
    other.dispose()
