"""Serving the dashboard with Voilà (app/server.py): its command line and the kernel's settings."""

from pathlib import Path

from burnout_lib.app.server import voila_command, voila_environment
from burnout_lib.config import absolute_db_url, load_settings


def test_voila_runs_stripped_without_tracebacks_and_culls_idle_kernels() -> None:
    command = voila_command(port=9999)
    assert "--strip_sources=True" in command and "--show_tracebacks=False" in command
    assert any(c.startswith("--MappingKernelManager.cull_idle_timeout=") for c in command)
    assert "--Voila.ip=127.0.0.1" in command and "--port=9999" in command
    settings = load_settings(db="sqlite:///relative/burnout.db", data_dir="relative")
    env = voila_environment(settings)
    assert env["BURNOUT_DB_URL"] == f"sqlite:///{Path('relative/burnout.db').resolve()}"
    assert env["BURNOUT_DATA_DIR"] == str(Path("relative").resolve())
    assert absolute_db_url("postgresql://u:p@h/db") == "postgresql://u:p@h/db"
