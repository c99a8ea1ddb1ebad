"""The package's layout is a promise too: rooms by stage of the flow, imports that only go down,
and a wheel that carries the migrations and resources the rooms read at run time."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers.databases import NEWEST_REVISION
from helpers.paths import BIN, ROOT

LIBRARY = ROOT / "burnout_lib"
ROOMS = (
    "store",
    "privacy",
    "sources",
    "mock",
    "risk",
    "readouts",
    "plots",
    "app",
    "report",
    "testing",
)


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on a copy of the project, with its library first on the import path."""
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=project,
        env={"PATH": str(BIN), "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_project(target: Path) -> Path:
    """The files a build or a lint reads, without caches or build leftovers."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(
        LIBRARY, target / "burnout_lib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return target


def test_the_library_is_rooms_with_few_modules_beside_them() -> None:
    modules = sorted(p.name for p in LIBRARY.glob("*.py"))
    rooms = sorted(p.name for p in LIBRARY.iterdir() if (p / "__init__.py").exists())
    assert len(modules) <= 8, modules
    assert rooms == sorted(ROOMS)
    for room in ROOMS:
        doc = (LIBRARY / room / "__init__.py").read_text()
        assert doc.startswith('"""') and "May import" in doc, f"{room}/__init__.py says its rule"


def test_the_import_contract_holds(tmp_path: Path) -> None:
    result = lint_imports(copy_project(tmp_path / "project"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("store/db.py", "from burnout_lib.risk import scoring"),
        ("risk/features.py", "from burnout_lib.readouts import views"),
        ("readouts/views.py", "from burnout_lib.report import figures"),
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, upward: str) -> None:
    project = copy_project(tmp_path / "project")
    path = project / "burnout_lib" / module
    path.write_text(path.read_text() + f"\n{upward}  # noqa: E402\n")
    result = lint_imports(project)
    assert result.returncode == 1, result.stdout
    assert "1 broken" in result.stdout


@pytest.mark.slow
def test_the_wheel_ships_migrations_and_resources_and_initialises_a_database(
    tmp_path: Path,
) -> None:
    project = copy_project(tmp_path / "project")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), "."],
        cwd=project, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = wheels.glob("burnout_monitor-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    needed = {
        p.relative_to(ROOT).as_posix()
        for p in LIBRARY.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert needed - shipped == set()
    assert "burnout_lib/store/migrations/script.py.mako" in shipped
    assert "burnout_lib/risk/resources/hackathon_logreg.json" in shipped

    # Installed alone (its dependencies are this environment's), far from the source tree.
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    script = (
        "import sys, burnout_lib\n"
        f"assert burnout_lib.__file__.startswith({str(site)!r}), burnout_lib.__file__\n"
        "from burnout_lib.risk.baselines import hackathon_columns\n"
        "assert len(hackathon_columns()) == 48\n"
        "from burnout_lib.cli import main\n"
        "sys.exit(main(['--db', 'sqlite:///fresh.db', 'init-db']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": str(BIN)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(tmp_path / "fresh.db") as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == NEWEST_REVISION
