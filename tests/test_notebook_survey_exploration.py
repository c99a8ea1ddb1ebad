"""The survey-exploration notebook runs on the shipped tables and shows what it promises."""

from __future__ import annotations

import nbformat
import pytest

from burnout_lib.sources.survey import UNVERIFIED_CAVEAT

from helpers.notebook_runner import NOTEBOOKS, execute

NOTEBOOK = NOTEBOOKS / "01_survey_exploration.ipynb"


def test_saved_notebook_has_no_outputs_and_a_parameters_cell():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert 'survey_dir = ""' in code[0].source
    assert "top_contributors = 12" in code[0].source
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec == {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    assert [cell.id for cell in notebook.cells] == [
        f"cell-{k:02d}" for k in range(len(notebook.cells))
    ]


@pytest.mark.slow
def test_notebook_runs_on_the_shipped_tables(tmp_path, monkeypatch):
    monkeypatch.delenv("BURNOUT_SURVEY_DIR", raising=False)
    run = execute(NOTEBOOK.name, tmp_path, survey_dir="", top_contributors=8)
    assert not run.errors
    assert run.images >= 5
    assert UNVERIFIED_CAVEAT in run.text
    assert "alert suggestions" in run.text and "mock generator" in run.text
    assert "lack of control" in run.text and "used_for" in run.text
