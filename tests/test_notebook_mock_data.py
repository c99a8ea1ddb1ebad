"""The mock-data notebook runs end to end on a small hospital and shows what it promises."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import nbformat
import pytest

from helpers.notebook_runner import NOTEBOOKS, execute

NOTEBOOK = NOTEBOOKS / "02_mock_data.ipynb"


def test_saved_notebook_has_no_outputs_and_a_parameters_cell():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.slow
def test_notebook_runs_on_a_small_hospital(tmp_path, monkeypatch):
    monkeypatch.delenv("BURNOUT_DB_URL", raising=False)
    monkeypatch.delenv("BURNOUT_DATA_DIR", raising=False)
    data_dir = tmp_path / "data"
    run = execute(NOTEBOOK.name, tmp_path, staff=30, weeks=8, seed=3, data_dir=str(data_dir),
                  db_url="")  # fmt: skip
    assert not run.errors
    with closing(sqlite3.connect(data_dir / "burnout.db")) as connection:
        (staff,) = connection.execute("SELECT count(*) FROM staff").fetchone()
    assert staff == 30
    assert run.images >= 4
    assert '"measurements"' in run.text
