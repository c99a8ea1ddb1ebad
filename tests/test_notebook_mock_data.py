"""The mock-data notebook runs end to end on a small hospital and shows what it promises."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "02_mock_data.ipynb"


def _outputs(notebook) -> list:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    return str(output.get("data", {}).get("text/plain", ""))


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
    executed = tmp_path / "executed.ipynb"

    papermill.execute_notebook(
        str(NOTEBOOK),
        str(executed),
        parameters=dict(staff=30, weeks=8, seed=3, data_dir=str(data_dir), db_url=""),
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )

    notebook = nbformat.read(executed, as_version=4)
    outputs = _outputs(notebook)
    assert not [output for output in outputs if output.output_type == "error"]
    with closing(sqlite3.connect(data_dir / "burnout.db")) as connection:
        (staff,) = connection.execute("SELECT count(*) FROM staff").fetchone()
    assert staff == 30
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) >= 4
    assert any('"measurements"' in _text(output) for output in outputs)
