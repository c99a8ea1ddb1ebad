"""The Hume extraction notebook runs offline, through the local stand-in, and shows its results."""

import sqlite3
from contextlib import closing

import pytest

from helpers.notebook_runner import execute, saved_code_cells


def test_saved_notebook_is_clean_and_parameterised():
    code = saved_code_cells("03_hume_extraction.ipynb")
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_notebook_extracts_through_the_stand_in(tmp_path, monkeypatch):
    for name in ("HUME_API_KEY", "BURNOUT_DB_URL", "BURNOUT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    run = execute("03_hume_extraction.ipynb", tmp_path, data_dir=str(data_dir), clip_seconds=4,
                  fps=2.0)  # fmt: skip
    assert not run.errors
    assert "local stand-in" in run.text, "the notebook says plainly that scores are not Hume's"
    assert "handover.mp4: 8 frames, 8 sent, 8 with a face" in run.text
    assert "already stored" in run.text
    assert "419 frames imported" in run.text
    assert run.images == 2
    with closing(sqlite3.connect(data_dir / "burnout.db")) as connection:
        sources = dict(
            connection.execute("SELECT source, count(*) FROM recording GROUP BY source").fetchall()
        )
    assert sources["file"] == 1 and sources["legacy"] == 1
