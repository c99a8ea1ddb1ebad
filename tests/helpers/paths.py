"""Where the tests find the project: its folders and the installed `burnout` command."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SURVEY_DIR = ROOT / "data" / "survey"
BIN = Path(sys.executable).parent
BURNOUT = BIN / "burnout"
