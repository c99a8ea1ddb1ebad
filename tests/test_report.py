"""The weekly report: the notebook under the real papermill CLI, `burnout report`, and failures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import small_hospital as H
from notebook_runner import saved_code_cells

from burnout_lib import report_runner
from burnout_lib.config import load_settings
from burnout_lib.features import weekly_features
from burnout_lib.mock import MockSpec, write_mock
from burnout_lib.model import save_model, train
from burnout_lib.report import last_complete_week
from burnout_lib.report_runner import ReportFailed, run_report

BIN = Path(sys.executable).parent
NOTEBOOK = report_runner.NOTEBOOK


class Page(HTMLParser):
    """The text of an HTML page, and its tables as rows of cell texts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.text_parts: list[str] = []
        self._cell: list[str] | None = None
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        self.text_parts.append(data)
        if self._cell is not None:
            self._cell.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def row(self, first: str) -> list[str]:
        return next(row for row in self.rows if row and row[0] == first)


def run_papermill(db_url: str, tmp_path: Path, **parameters) -> subprocess.CompletedProcess:
    """As a scheduler would: the papermill CLI, then nbconvert without code."""
    executed = tmp_path / "out.ipynb"
    options = [arg for k, v in parameters.items() for arg in ("-p", k, str(v))]
    result = subprocess.run(
        [str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-k", "python3",
         "--cwd", str(NOTEBOOK.parent), "-p", "db_url", db_url, *options],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if result.returncode == 0:
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return result


def test_saved_notebook_is_clean_and_tagged() -> None:
    cells = saved_code_cells("weekly_report.ipynb")
    assert "parameters" in cells[0].metadata.get("tags", [])
    for name in ("week", "db_url", "unit", "output_dir", "min_group_size"):
        assert re.search(rf"^{name} = ", "".join(cells[0].source), re.M)
    assert all(not c.outputs and c.execution_count is None for c in cells)


@pytest.mark.slow
def test_papermill_cli_reports_the_known_week(engine, settings, tmp_path) -> None:
    H.build(engine)
    result = run_papermill(settings.db_url, tmp_path, week=H.LAST.isoformat())
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out.html").read_text()
    page = Page(html)
    assert "hl-ipython3" not in html, "no code cells"
    assert "weekly_report(" not in page.text and "display(" not in page.text
    # 18 on Ward A; the 3 porters are too few, and left out of the hospital's figures
    assert "18 staff had a risk score this week (1 unit with fewer than 5 people" in page.text
    ward = page.row("Ward A")
    assert ward[:3] == ["Ward A", "18", "11"] and ward[4] == "hidden"  # 2 at high risk
    assert page.row("Tiny unit")[1:] == ["hidden"] * 6
    assert page.row("all")[1] == "18"
    # one person alerted for the first time: too few to show as a count, and nobody named
    assert page.row("high risk for the first time")[1] == "hidden"
    assert "nurse-01" not in page.text
    assert "NHS Staff Survey 2023" in page.text


@pytest.mark.slow
def test_a_unit_report_by_role_names_people_only_when_allowed(engine, settings, tmp_path) -> None:
    H.build(engine)
    week = H.LAST.isoformat()
    result = run_papermill(settings.db_url, tmp_path, week=week, unit="Ward A",
                           show_pseudonyms=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    page = Page((tmp_path / "out.html").read_text())
    assert page.row("Nurse")[:2] == ["Nurse", "12"]
    assert page.row("Resident")[:2] == ["Resident", "6"]
    assert "nurse-01" in page.text and H.ALERT_ACTION in page.text


def test_the_last_complete_week() -> None:
    assert last_complete_week(date(2026, 11, 23)) == date(2026, 11, 16)  # a Monday
    assert last_complete_week(date(2026, 11, 29)) == date(2026, 11, 16)  # a Sunday


@pytest.fixture
def recent_hospital(engine, settings) -> date:
    """A small mock hospital whose last week is the last complete week, with a trained model."""
    last = last_complete_week(date.today())
    spec = MockSpec(staff=40, weeks=10, seed=6, start=last - timedelta(weeks=9))
    write_mock(engine, settings, spec, progress=False)
    model = train(weekly_features(engine), "checkin", bootstrap_rounds=5, folds=3)
    save_model(model, engine, settings)
    return last


def without_run_time(html: str) -> str:
    return re.sub(r"Produced \d{4}-\d\d-\d\d \d\d:\d\d UTC", "", html)


SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.mark.slow
@SQLITE_ONLY  # the report's queries run on both backends in the papermill tests above
def test_report_last_twice_scores_once_and_keeps_one_index_row(cli, settings, recent_hospital):
    first = cli("report", "--week", "last")
    assert "scored week of" in first.stdout
    name = f"weekly-report-{recent_hospital.isoformat()}"
    reports = settings.data_dir / "reports"
    html = (reports / f"{name}.html").read_text()
    second = cli("report", "--week", "last")
    assert "scored" not in second.stdout
    assert without_run_time((reports / f"{name}.html").read_text()) == without_run_time(html)
    manifest = json.loads((reports / "index.json").read_text())
    assert list(manifest) == [name]
    assert Page((reports / "index.html").read_text()).text.count(recent_hospital.isoformat()) == 1
    record = json.loads((reports / f"{name}.json").read_text())
    assert record["model_version"] == 1 and len(record["data_sha256"]) == 64
    assert record["parameters"]["week"] == recent_hospital.isoformat()
    audit = nbformat.read(reports / f"{name}.ipynb", as_version=4)
    assert audit.metadata.papermill.parameters.week == recent_hospital.isoformat()
    assert not re.search(r"https?://[^\"' ]+\.m?js", html), "the report must open offline"
    assert "<script" not in html


@pytest.mark.slow
@SQLITE_ONLY
def test_failures_exit_non_zero_with_one_line(cli, settings, recent_hospital, tmp_path) -> None:
    no_data = cli("report", "--week", "2030-01-07", check=False)
    assert no_data.returncode == 1 and "no check-ins or recordings" in no_data.stderr
    unscored = cli("report", "--week", "2030-01-07", "--no-score", check=False)
    assert unscored.returncode == 1 and "no scores for the week of 2030-01-07" in unscored.stderr
    bad_week = cli("report", "--week", "2026-02-30", check=False)
    assert bad_week.returncode == 2 and "not a date" in bad_week.stderr
    unknown = cli("report", "--week", "last", "--unit", "Ward Z", check=False)
    assert unknown.returncode == 1 and "Ward Z" in unknown.stderr
    down = cli("--db", "postgresql://nobody@127.0.0.1:1/none", "report", "--week", "last",
               check=False)  # fmt: skip
    assert down.returncode == 1 and "cannot reach database" in down.stderr
    for result in (no_data, unscored, bad_week, unknown, down):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not list((settings.data_dir / "reports").glob("*.html"))


@pytest.mark.slow
@SQLITE_ONLY
def test_a_failing_notebook_names_its_cell_and_leaves_nothing(
    settings, recent_hospital, tmp_path, monkeypatch
) -> None:
    broken = nbformat.read(NOTEBOOK, as_version=4)
    broken.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('the chart broke')"))
    path = tmp_path / "notebooks" / "weekly_report.ipynb"
    path.parent.mkdir()
    nbformat.write(broken, path)
    monkeypatch.setattr(report_runner, "NOTEBOOK", path)
    out = tmp_path / "reports"
    with pytest.raises(ReportFailed, match=r"cell \d+ \(RuntimeError: the chart broke\)"):
        run_report(load_settings(), recent_hospital, out_dir=out)
    assert list(out.iterdir()) == []


def test_private_folders_of_killed_runs_are_removed_after_a_day(tmp_path) -> None:
    killed, running = tmp_path / ".run-killed", tmp_path / ".run-running"
    for work in (killed, running):
        work.mkdir()
        (work / "weekly-report-2026-03-02.ipynb").write_text("{}")
    day_and_a_bit = time.time() - report_runner.STALE_RUN_SECONDS - 60
    os.utime(killed, (day_and_a_bit, day_and_a_bit))
    (tmp_path / ".run-a-file").write_text("not a run's folder")
    os.utime(tmp_path / ".run-a-file", (day_and_a_bit, day_and_a_bit))

    assert report_runner.remove_stale_runs(tmp_path) == [killed]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".run-a-file", ".run-running"]
