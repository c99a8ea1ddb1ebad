"""Serving the dashboard with Voilà (app/server.py): its command line and the kernel's settings."""

import logging
import tempfile
import warnings
from pathlib import Path

import pytest

from burnout_lib.app.server import (
    IDENTITY_PROVIDER,
    NOTEBOOK,
    SOCKET_PATH_MAX,
    _announce,
    kernel_socket_root,
    trust_notebook,
    voila_command,
    voila_environment,
)
from burnout_lib.app.signin import DEMO_KEY_ENV
from burnout_lib.config import absolute_db_url, load_settings
from burnout_lib.errors import ConfigError


def test_voila_runs_stripped_without_tracebacks_and_culls_idle_kernels() -> None:
    settings = load_settings(db="sqlite:///relative/burnout.db", data_dir="relative")
    command = voila_command(settings, port=9999)
    assert "--strip_sources=True" in command and "--show_tracebacks=False" in command
    assert "--MappingKernelManager.cull_idle_timeout=45" in command
    assert "--MappingKernelManager.cull_interval=15" in command
    assert "--MappingKernelManager.cull_connected=False" in command  # an open page stays
    forks = "--KernelProvisionerFactory.default_provisioner_name=burnout-forked-kernels"
    assert forks in command  # each kernel a fork of a warm template (test_kernel_forks.py)
    assert "--Voila.ip=127.0.0.1" in command and "--port=9999" in command
    env = voila_environment(settings)
    assert env["BURNOUT_DB_URL"] == f"sqlite:///{Path('relative/burnout.db').resolve()}"
    assert env["BURNOUT_DATA_DIR"] == str(Path("relative").resolve())
    assert absolute_db_url("postgresql://u:p@h/db") == "postgresql://u:p@h/db"


def test_every_request_is_asked_who_it_is_and_only_the_user_header_reaches_the_kernel(
    monkeypatch,
) -> None:
    monkeypatch.setenv("BURNOUT_USER_HEADER", "X-Remote-User")
    command = voila_command(load_settings(db="sqlite:///x.db"))
    assert f"--Voila.identity_provider_class={IDENTITY_PROVIDER}" in command
    assert header_envs(command) == ["X-Remote-User"]
    monkeypatch.setenv("BURNOUT_DEMO_SIGNIN", "1")
    demo = voila_command(load_settings(db="sqlite:///x.db"))
    assert header_envs(demo) == ["Cookie"]  # the demo's signed cookie, and no user header


def header_envs(command: list[str]) -> list[str]:
    """The request headers Voilà copies into a kernel, as Voilà itself reads `command`."""
    from voila.app import Voila

    voila = Voila()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deprecated option would be an error here
        voila.parse_command_line(command[2:])
    return list(voila.config.VoilaConfiguration.http_header_envs)


def test_the_command_line_gives_voila_no_deprecated_option(monkeypatch) -> None:
    monkeypatch.setenv("BURNOUT_DEMO_SIGNIN", "1")
    command = voila_command(load_settings(db="sqlite:///x.db"))
    assert not [arg for arg in command if "=[" in arg]  # traitlets 5: one option per list item
    header_envs(command)


def test_the_demo_cookie_key_is_new_at_each_start_and_never_the_shell_s(monkeypatch) -> None:
    monkeypatch.setenv(DEMO_KEY_ENV, "a-key-anyone-could-know")
    assert DEMO_KEY_ENV not in voila_environment(load_settings(db="sqlite:///x.db"))
    monkeypatch.setenv("BURNOUT_DEMO_SIGNIN", "1")
    demo = load_settings(db="sqlite:///x.db")
    first, second = (voila_environment(demo)[DEMO_KEY_ENV] for _ in range(2))
    assert first != second and "a-key-anyone-could-know" not in (first, second)
    assert len(first) >= 40


@pytest.mark.parametrize("demo", ["0", "1"], ids=["hospital", "demo"])
def test_a_missing_proxy_secret_is_warned_about_demo_or_not(monkeypatch, capsys, demo) -> None:
    monkeypatch.delenv("BURNOUT_PROXY_SECRET", raising=False)
    monkeypatch.setenv("BURNOUT_DEMO_SIGNIN", demo)
    _announce(load_settings(db="sqlite:///x.db"))
    told = capsys.readouterr()
    assert "warning: BURNOUT_PROXY_SECRET is not set" in told.err
    assert ("Demo sign-in is on" in told.out) == (demo == "1")
    monkeypatch.setenv("BURNOUT_PROXY_SECRET", "s3cret")
    _announce(load_settings(db="sqlite:///x.db"))
    assert "BURNOUT_PROXY_SECRET" not in capsys.readouterr().err


def test_the_dashboard_notebook_is_trusted_where_voila_looks(monkeypatch, tmp_path, caplog) -> None:
    """Voilà loads the notebook through jupyter_server's contents manager, which checks its
    signature in this user's Jupyter data folder; `serve` signs it there first."""
    from jupyter_server.services.contents.largefilemanager import LargeFileManager

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter" / "data"))

    def load() -> list[str]:
        caplog.clear()
        manager = LargeFileManager(root_dir=str(NOTEBOOK.parent))
        manager.log = logging.getLogger("contents-under-test")
        with caplog.at_level(logging.WARNING, logger="contents-under-test"):
            manager.get(NOTEBOOK.name)
        manager.notary.close()
        return [record.getMessage() for record in caplog.records]

    assert load() == [f"Notebook {NOTEBOOK.name} is not trusted"]  # a fresh data folder
    trust_notebook()
    assert load() == []
    trust_notebook()  # again, as at every start: nothing changes
    assert load() == []


def test_a_login_in_the_shell_never_reaches_a_kernel(monkeypatch) -> None:
    monkeypatch.setenv("HTTP_X_FORWARDED_USER", "someone-else")
    monkeypatch.setenv("BURNOUT_PROXY_SECRET", "s3cret")
    env = voila_environment(load_settings(db="sqlite:///x.db"))
    assert not [name for name in env if name.startswith("HTTP_")]


def test_beyond_this_machine_only_with_a_proxy_secret(monkeypatch) -> None:
    settings = load_settings(db="sqlite:///x.db")
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert f"--Voila.ip={host}" in voila_command(settings, host=host)
    with pytest.raises(ConfigError, match="0.0.0.0 only with BURNOUT_PROXY_SECRET"):
        voila_command(settings, host="0.0.0.0")
    monkeypatch.setenv("BURNOUT_PROXY_SECRET", "s3cret")
    assert "--Voila.ip=10.1.2.3" in voila_command(load_settings(db="sqlite:///x.db"), "10.1.2.3")


@pytest.mark.parametrize("header", ["X Forwarded", "X-User:", "", "-x", "é"])
def test_a_user_header_that_is_no_header_name_is_refused(monkeypatch, header) -> None:
    monkeypatch.setenv("BURNOUT_USER_HEADER", header or " ")
    with pytest.raises(ConfigError, match="not an HTTP header name"):
        load_settings(db="sqlite:///x.db")


def test_a_closed_page_s_kernel_lives_as_long_as_configured(monkeypatch) -> None:
    monkeypatch.setenv("BURNOUT_KERNEL_IDLE_SECONDS", "9")
    command = voila_command(load_settings(db="sqlite:///x.db"))
    assert "--MappingKernelManager.cull_idle_timeout=9" in command
    assert "--MappingKernelManager.cull_interval=3" in command
    monkeypatch.setenv("BURNOUT_KERNEL_IDLE_SECONDS", "1")
    with pytest.raises(ConfigError, match="BURNOUT_KERNEL_IDLE_SECONDS=1 must be at least 3"):
        load_settings(db="sqlite:///x.db")


def test_kernel_sockets_go_where_their_paths_fit(monkeypatch, tmp_path) -> None:
    assert kernel_socket_root("/var/tmp") == "/var/tmp"
    deep = "/srv/" + "a-long-folder-name/" * 4  # 81 characters: a socket path would not fit
    assert kernel_socket_root(deep) == "/tmp"
    # the longest path a kernel's socket gets, as jupyter_client names it, fits the limit
    socket = f"{kernel_socket_root('/var/tmp')}/voila_abcd1234/kernel-{'x' * 36}-ipc-65535"
    assert len(socket) <= SOCKET_PATH_MAX
    monkeypatch.setenv("TMPDIR", str(tmp_path / ("d" * 60)))
    (tmp_path / ("d" * 60)).mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    command = voila_command(load_settings(db="sqlite:///x.db", data_dir="x"))
    assert "--KernelManager.transport=ipc" in command
    assert "--Voila.connection_dir_root=/tmp" in command
