"""A newcomer's first hour, as written: after `burnout demo`, the README's commands for the demo
and every notebook (under papermill, from `notebooks/`, with its defaults) run on it.

They run from a folder laid out like a fresh clone (its `pyproject.toml`, `notebooks/` and the
files git keeps in `data/`, the project's `.venv`), where `burnout demo` builds the database in
`data/`, with no BURNOUT_* setting, so the
defaults are what is tested. The demo is smaller than `make demo`'s so the test stays quick; the
commands are the same. The README marks its block with a comment naming this file."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from burnout_lib.risk.scoring import last_complete_week

from helpers.paths import BIN, NOTEBOOKS, ROOT

pytestmark = pytest.mark.slow

MARKER = "<!-- Run as written on a fresh demo by tests/test_readme_examples.py. -->"


def readme_demo_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split(MARKER, 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def files_in(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Iterator[tuple[Path, dict[str, str]]]:
    project = tmp_path_factory.mktemp("newcomer") / "project"
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copytree(NOTEBOOKS, project / "notebooks")
    tracked = subprocess.run(["git", "ls-files", "data"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
    for name in tracked:  # what a fresh clone's data/ holds: survey tables, samples
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, project / name)
    (project / ".venv").symlink_to(BIN.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BURNOUT_", "HUME_"))}
    built = subprocess.run(
        [str(BIN / "burnout"), "--quiet", "demo", "--staff", "80", "--weeks", "22"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert (project / "data" / "burnout.db").exists(), "the demo went to the project's data/"
    yield project, env


def test_the_readme_marks_its_demo_commands() -> None:
    commands = readme_demo_commands()
    assert commands[0] == "source .venv/bin/activate"
    assert "burnout report --week last" in " ".join(commands)


def test_every_demo_command_in_the_readme_runs_as_written(project) -> None:
    folder, env = project
    for line in readme_demo_commands()[1:]:
        script = f"set -euo pipefail\nsource .venv/bin/activate\n{line}\n"
        done = subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, f"{line}\n{done.stderr}"
    last = last_complete_week(date.today())
    # each folder: its index, the report, and the rules for team figures its report links to
    assert sorted(p.name for p in (folder / "data" / "reports").glob("*.html")) == [
        "index.html", "team-figures.html", f"weekly-report-{last}.html"
    ]  # fmt: skip
    assert sorted(p.name for p in (folder / "data" / "named-reports").glob("*.html")) == [
        "index.html", "team-figures.html", f"weekly-report-{last}-named.html"
    ]  # fmt: skip
    assert (folder / "checkins.csv").read_text().startswith("pseudonym,week,")


@pytest.mark.parametrize("notebook", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_every_notebook_runs_with_its_defaults_and_leaves_notebooks_alone(
    project, notebook, tmp_path
) -> None:
    folder, env = project
    before = files_in(folder / "notebooks")
    done = subprocess.run(
        [str(BIN / "papermill"), notebook, str(tmp_path / notebook), "-k", "python3",
         "--no-progress-bar"],
        cwd=folder / "notebooks", env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert files_in(folder / "notebooks") == before
