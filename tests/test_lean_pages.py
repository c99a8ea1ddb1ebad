"""A staff page's kernel loads only what the page draws: scikit-learn, SciPy, Hume's SDK (with
httpx) and papermill wait until an action needs them. Each page is drawn in a fresh Python, as a
dashboard kernel draws it, and the modules it loaded are read from `sys.modules` there."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import small_hospital as H

HEAVY = ["sklearn", "scipy", "hume_expression_measurement", "httpx", "papermill"]

PROBE = """
import json, sys
from burnout_lib.app.dashboard import Dashboard
from burnout_lib.config import load_settings

settings = load_settings(sys.argv[1], sys.argv[2])
app = Dashboard.open(settings, sys.argv[3])
assert "<img" in app.my_week.value, "My week is drawn, charts included"
for action in sys.argv[4:]:
    exec(action)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def loaded(url: str, data_dir, login: str, *actions: str) -> set[str]:
    """The top-level modules a fresh Python holds after drawing `login`'s page (and `actions`)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url, str(data_dir), login, *actions],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def small_hospital_file(tmp_path_factory):
    """The small hospital in an SQLite file, for pages to read: its URL and data folder."""
    tmp = tmp_path_factory.mktemp("lean")
    return H.sqlite_file(tmp / "hospital.db"), tmp


def test_a_staff_page_loads_none_of_the_heavy_modules(small_hospital_file) -> None:
    url, data_dir = small_hospital_file
    assert loaded(url, data_dir, H.NURSE_LOGIN) & set(HEAVY) == set()


def test_the_probe_sees_a_heavy_module_once_an_action_needs_it(small_hospital_file) -> None:
    """Scoring with a model loads scikit-learn: the probe would notice it on a page."""
    url, data_dir = small_hospital_file
    modules = loaded(url, data_dir, H.NURSE_LOGIN, "import burnout_lib.risk.model")
    assert "sklearn" in modules
