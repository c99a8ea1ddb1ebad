"""The dashboard notebook Voilà serves: saved clean, and runs under papermill."""

import pytest

from helpers import small_hospital as H
from helpers.notebook_runner import NOTEBOOKS, execute, saved_code_cells


def test_saved_notebook_is_clean_and_tagged() -> None:
    cells = saved_code_cells("dashboard.ipynb")
    assert "parameters" in cells[0].metadata.get("tags", [])
    assert 'login = ""' in "".join(cells[0].source), "Voilà runs it for nobody in particular"
    assert all(not c.outputs and c.execution_count is None for c in cells)
    assert (NOTEBOOKS / "dashboard.ipynb").exists()


@pytest.mark.slow
def test_notebook_runs_under_papermill(engine, settings, tmp_path) -> None:
    H.build(engine)
    run = execute(
        "dashboard.ipynb", tmp_path, db_url=settings.db_url, data_dir="", login=H.MANAGER_LOGIN
    )
    assert not run.errors
    widgets = [
        o for o in run.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widgets) == 1
