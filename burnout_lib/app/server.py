"""Serving the dashboard: Voilà on the dashboard notebook, set up the way the product runs it.

Sources are stripped and tracebacks hidden (a reader sees the app, never code or errors), idle
kernels are culled, and one kernel is kept preheated so the next visitor does not wait for Python
and the database to start. The kernel reads the database and data folder from the environment,
passed as absolute paths because Voilà runs the notebook from its own folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from burnout_lib.config import Settings, absolute_db_url
from burnout_lib.errors import NotFound

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "dashboard.ipynb"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
#: Seconds a kernel may sit idle (its page closed) before it is shut down, and how often to look.
CULL_IDLE_TIMEOUT = 600
CULL_INTERVAL = 60


def voila_command(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, preheat: bool = True
) -> list[str]:
    """The Voilà command line that serves the dashboard."""
    if not NOTEBOOK.exists():
        raise NotFound(f"the dashboard notebook is missing: {NOTEBOOK}")
    voila = Path(sys.executable).with_name("voila")
    command = [
        str(voila) if voila.exists() else "voila",
        str(NOTEBOOK),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--port={port}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
    ]
    if preheat:
        command += ["--preheat_kernel=True", "--pool_size=1"]
    return command


def voila_environment(settings: Settings) -> dict[str, str]:
    """The environment the dashboard's kernels need: this deployment's database and data folder."""
    env = dict(os.environ)
    env["BURNOUT_DB_URL"] = absolute_db_url(settings.db_url)
    env["BURNOUT_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    env["BURNOUT_MIN_GROUP_SIZE"] = str(settings.min_group_size)
    return env


def serve(settings: Settings, host: str, port: int, preheat: bool = True) -> None:
    """Replace this process with Voilà serving the dashboard (Ctrl+C stops it)."""
    command = voila_command(host, port, preheat)
    print(f"Dashboard on http://{host}:{port} (Ctrl+C stops it)", flush=True)
    os.execve(command[0], command, voila_environment(settings))
