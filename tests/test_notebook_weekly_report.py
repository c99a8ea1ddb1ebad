"""The weekly report notebook under the real papermill CLI and nbconvert, as a scheduler runs it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from burnout_lib.report.runner import NOTEBOOK

from helpers import small_hospital as H
from helpers.html_page import Page
from helpers.notebook_runner import saved_code_cells
from helpers.paths import BIN


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
    assert [row[0] for row in page.rows if row and row[0].startswith("nurse-")] == ["nurse-01"]
    assert page.text.count(H.ALERT_ACTION) == 1  # what may help: once per kind of alert
    html = (tmp_path / "out.html").read_text()
    assert 'aria-label="risk level by week, oldest first: ' in html  # the sparkline, in words
