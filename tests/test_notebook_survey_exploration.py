"""The survey-exploration notebook runs on the shipped tables and shows what it promises."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from burnout_lib.survey import UNVERIFIED_CAVEAT

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "01_survey_exploration.ipynb"


def _outputs(notebook) -> list:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    data = output.get("data", {})
    return str(data.get("text/plain", "")) + str(data.get("text/html", ""))


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
    executed = tmp_path / "executed.ipynb"

    papermill.execute_notebook(
        str(NOTEBOOK),
        str(executed),
        parameters=dict(survey_dir="", top_contributors=8),
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )

    notebook = nbformat.read(executed, as_version=4)
    outputs = _outputs(notebook)
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) >= 5
    texts = "\n".join(_text(output) for output in outputs)
    assert UNVERIFIED_CAVEAT in texts
    assert "alert suggestions" in texts and "mock generator" in texts
    assert "lack of control" in texts and "used_for" in texts
