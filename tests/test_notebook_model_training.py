"""The model training notebook runs on a fresh database and shows its comparisons and figures."""

import pytest

from burnout_lib.store.db import live_model_id, make_engine

from helpers.notebook_runner import execute, saved_code_cells


def test_saved_notebook_is_clean_and_parameterised():
    code = saved_code_cells("04_model_training.ipynb")
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_notebook_trains_compares_and_saves(tmp_path, monkeypatch):
    for name in ("BURNOUT_DB_URL", "BURNOUT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    run = execute("04_model_training.ipynb", tmp_path, data_dir=str(tmp_path / "data"))
    assert not run.errors
    for expected in (
        "hackathon prototype",
        "original class-weighted LR",
        "product model",
        "check-ins only",
        "against the latent truth",
        "saved as candidate model version 1",
    ):
        assert expected in run.text, expected  # fmt: skip
    assert run.images == 4
    assert list((tmp_path / "data" / "models").glob("*.card.md"))
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'burnout.db'}")
    with engine.connect() as connection:
        assert live_model_id(connection) is None, "the notebook never promotes"
    engine.dispose()
