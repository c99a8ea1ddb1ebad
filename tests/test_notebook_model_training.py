"""The model training notebook tells the early-warning story on a fresh database: what the model
predicts, its figures on held-out people, the deployment-like evaluation beside the baselines, and
a saved candidate that never becomes live."""

import ast

import nbformat
import pytest
from sqlalchemy import select

from burnout_lib.risk.evaluation import CHECKIN_AT_40, CHECKIN_MODEL, MODEL, TREND
from burnout_lib.store.db import live_model_id, make_engine, model_version

from helpers.notebook_runner import execute, saved_code_cells
from helpers.paths import NOTEBOOKS

PARAMETERS = {"db_url", "data_dir", "feature_set", "first_week", "last_week", "target_recall",
              "survey_rows", "survey_seed", "horizon", "train_until"}  # fmt: skip


def test_saved_notebook_is_clean_and_parameterised():
    code = saved_code_cells("04_model_training.ipynb")
    assert "parameters" in code[0].metadata.get("tags", [])
    assigned = {
        target.id for statement in ast.parse(code[0].source).body for target in statement.targets
    }
    assert assigned == PARAMETERS
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    notebook = nbformat.read(NOTEBOOKS / "04_model_training.ipynb", as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert "live database" in first.source and "never promotes" in first.source


def _stream(run, start: str) -> str:
    """The printed line of the executed notebook that starts with `start`."""
    lines = [
        line
        for output in run.outputs
        if output.output_type == "stream"
        for line in output.text.splitlines()
        if line.startswith(start)
    ]
    assert lines, f"no printed line starts with {start!r}"
    return lines[0]


@pytest.mark.slow
def test_notebook_trains_evaluates_and_saves_a_candidate(tmp_path, monkeypatch):
    for name in ("BURNOUT_DB_URL", "BURNOUT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    run = execute("04_model_training.ipynb", tmp_path, data_dir=str(data))
    assert not run.errors

    # what the model predicts, its card on held-out people, and the mock's truth
    for expected in (
        "this week, measured",
        "early warning: a check-in ≥ 50 within 4 weeks",
        "estimate for a week without a check-in",
        "people held out of fitting, calibration and thresholds",
        "Same-week estimate (weeks without a check-in)",
        "against the latent truth",
        "the estimate on",
        "weeks no model saw",
        "original class-weighted LR",
        "saved as candidate model version 1",
    ):
        assert expected in run.text, expected

    # the deployment-like evaluation: all four methods in the table, the facial channel's lift
    # stated plainly with its interval, and every chart drawn
    tables = [
        str(output.data["text/html"])
        for output in run.outputs
        if "text/html" in output.get("data", {}) and "median_lead_weeks" in output.data["text/html"]
    ]
    assert len(tables) == 1
    for method in (MODEL, CHECKIN_MODEL, CHECKIN_AT_40, TREND):
        assert f">{method}<" in tables[0], method
    facial = _stream(run, "The facial channel")
    assert "95% interval of the average-precision difference" in facial
    assert run.images == 8

    # a candidate with its card, and nothing live
    assert list((data / "models").glob("*.card.md"))
    engine = make_engine(f"sqlite:///{data / 'burnout.db'}")
    with engine.connect() as connection:
        versions = connection.execute(select(model_version.c.id, model_version.c.live)).all()
        assert [tuple(row) for row in versions] == [(1, False)], "the notebook never promotes"
        assert live_model_id(connection) is None
    engine.dispose()
