"""Running a project notebook under papermill, as the scheduler and analysts do, for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill

from helpers.paths import NOTEBOOKS


@dataclass
class Executed:
    """An executed notebook's outputs, the text they show and how many figures."""

    outputs: list
    text: str
    images: int
    errors: list


def saved_code_cells(name: str) -> list:
    return [c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells if c.cell_type == "code"]


def execute(name: str, out_dir: Path, **parameters) -> Executed:
    """Run `notebooks/NAME` with the `python3` kernel from the notebooks folder."""
    executed = out_dir / f"executed-{name}"
    papermill.execute_notebook(
        str(NOTEBOOKS / name),
        str(executed),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
    )
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    text = "\n".join(
        o.get("text", "")
        + str(o.get("data", {}).get("text/plain", ""))
        + str(o.get("data", {}).get("text/markdown", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for o in outputs
    )
    images = sum("image/png" in o.get("data", {}) for o in outputs)
    errors = [o for o in outputs if o.output_type == "error"]
    return Executed(outputs, text, images, errors)
