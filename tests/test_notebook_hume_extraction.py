"""The Hume extraction notebook runs offline, through the local stand-in, and shows its results."""

import sqlite3
from contextlib import closing
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "03_hume_extraction.ipynb"


@pytest.mark.slow
def test_notebook_extracts_through_the_stand_in(tmp_path, monkeypatch):
    for name in ("HUME_API_KEY", "BURNOUT_DB_URL", "BURNOUT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "data"
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(executed),
        parameters=dict(data_dir=str(data_dir), clip_seconds=4, fps=2.0),
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/markdown", "")) for o in outputs
    )
    assert "local stand-in" in text, "the notebook says plainly that scores are not Hume's"
    assert "handover.mp4: 8 frames, 8 sent, 8 with a face" in text
    assert "already stored" in text
    assert "419 frames imported" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2
    with closing(sqlite3.connect(data_dir / "burnout.db")) as connection:
        sources = dict(
            connection.execute("SELECT source, count(*) FROM recording GROUP BY source").fetchall()
        )
    assert sources["file"] == 1 and sources["legacy"] == 1
