"""Serving the dashboard: Voilà on the dashboard notebook, set up the way the product runs it.

Sources are stripped and tracebacks hidden (a reader sees the app, never code or errors), a
closed page's kernel is shut down within `BURNOUT_KERNEL_IDLE_SECONDS`, and one kernel is kept
preheated so the next visitor does not wait for Python and the database to start. The kernel
reads the database and data folder from the environment, passed as absolute paths because Voilà
runs the notebook from its own folder.

Sign-in: Voilà asks `app.identity.ProxyIdentityProvider` about every request and copies the
front proxy's user header into the kernel (with the demo sign-in, the `Cookie` header instead, and
a key for the demo cookie made afresh at each start: `app.signin`). It listens on this machine
only, unless a proxy secret (`BURNOUT_PROXY_SECRET`) makes requests that bypass the proxy
worthless; without the secret it warns at every start, the demo's too.

The dashboard notebook is the product's own, so `serve` marks it trusted in this user's notebook
signature store before Voilà starts, as `jupyter trust` would (`trust_notebook`): Voilà loads it
through jupyter_server's contents manager, which checks that signature and otherwise logs "Notebook
dashboard.ipynb is not trusted" at every page load. Trust changes nothing Voilà shows (it runs the
notebook afresh for every page); the line was noise.
"""

from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from burnout_lib.app.signin import DEMO_KEY_ENV
from burnout_lib.config import Settings, absolute_db_url
from burnout_lib.errors import ConfigError, NotFound

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "dashboard.ipynb"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866


IDENTITY_PROVIDER = "burnout_lib.app.identity.ProxyIdentityProvider"
AUTHORIZER = "burnout_lib.app.identity.KernelOwnerAuthorizer"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
FORKED_KERNELS = "burnout-forked-kernels"  # app.kernel_forks.NAME, registered in pyproject.toml
#: The longest path a Unix socket may have (Linux: 108 bytes with the closing NUL), and how much
#: a kernel's socket adds to the folder Voilà makes its connection folder in:
#: `/voila_XXXXXXXX/kernel-<36-character id>-ipc-<port>`.
SOCKET_PATH_MAX = 107
KERNEL_SOCKET_TAIL = len("/voila_XXXXXXXX/kernel-") + 36 + len("-ipc-65535")


def kernel_socket_root(temporary: str | None = None) -> str:
    """Where Voilà makes its private folder of kernel connection files and sockets: the
    temporary folder, or `/tmp` when that is too deep for a socket's path."""
    root = temporary or tempfile.gettempdir()
    return root if len(root) + KERNEL_SOCKET_TAIL <= SOCKET_PATH_MAX else "/tmp"


def check_host(settings: Settings, host: str) -> None:
    """Refuse to listen beyond this machine unless the proxy secret guards every request."""
    loopback = host in LOOPBACK or host.startswith("127.")
    if not loopback and settings.proxy_secret is None:
        raise ConfigError(
            f"the dashboard listens on {host} only with BURNOUT_PROXY_SECRET set: without it, "
            "anyone who reaches that address could claim any login (listen on 127.0.0.1 behind "
            "the front proxy, or set the secret in the proxy and here)"
        )


def voila_command(
    settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, preheat: bool = True
) -> list[str]:
    """The Voilà command line that serves the dashboard."""
    if not NOTEBOOK.exists():
        raise NotFound(f"the dashboard notebook is missing: {NOTEBOOK}")
    check_host(settings, host)
    voila = Path(sys.executable).with_name("voila")
    # with the demo sign-in only the chooser's cookie counts (`app.signin`), so no user header
    # reaches a kernel at all
    headers = ["Cookie"] if settings.demo_signin else [settings.user_header]
    command = [
        str(voila) if voila.exists() else "voila",
        str(NOTEBOOK),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--port={port}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        f"--Voila.identity_provider_class={IDENTITY_PROVIDER}",
        f"--Voila.authorizer_class={AUTHORIZER}",
        # a list option is given once per item (traitlets 5 deprecates `=['a', 'b']`)
        *[f"--VoilaConfiguration.http_header_envs={header}" for header in headers],
        # a kernel lives as long as its page: once no page is connected to it, it is shut
        # down after `kernel_idle_seconds` (looked for a few times in that span); a page left
        # open is never culled under its reader, nor is the preheated kernel waiting for one
        f"--MappingKernelManager.cull_idle_timeout={settings.kernel_idle_seconds}",
        f"--MappingKernelManager.cull_interval={max(1, settings.kernel_idle_seconds // 3)}",
        "--MappingKernelManager.cull_connected=False",
        # a busy server may deliver a cell's output late: wait for it rather than drop the page
        "--VoilaExecutor.iopub_timeout=30",
        # each kernel a fork of one warm Python that has imported the app (app.kernel_forks)
        f"--KernelProvisionerFactory.default_provisioner_name={FORKED_KERNELS}",
        # kernels talk over Unix sockets in the server's private runtime folder, not TCP ports:
        # no other local user can reach them, and no port chosen for a kernel can be taken by
        # another process before the kernel binds it (a kernel restarted on its same ports
        # would then fail every time)
        "--KernelManager.transport=ipc",
        f"--Voila.connection_dir_root={kernel_socket_root()}",
    ]
    if preheat:
        command += ["--preheat_kernel=True", "--pool_size=1"]
    return command


def voila_environment(settings: Settings) -> dict[str, str]:
    """The environment the dashboard's kernels need: this deployment's database and data folder."""
    # request headers reach a kernel as HTTP_* variables: none may be inherited from this shell
    env = {k: v for k, v in os.environ.items() if not k.startswith("HTTP_")}
    env["BURNOUT_DB_URL"] = absolute_db_url(settings.db_url)
    env["BURNOUT_DATA_DIR"] = str(Path(settings.data_dir).resolve())
    env["BURNOUT_MIN_GROUP_SIZE"] = str(settings.min_group_size)
    env["BURNOUT_USER_HEADER"] = settings.user_header
    env["BURNOUT_DEMO_SIGNIN"] = "1" if settings.demo_signin else "0"
    # the demo cookie's key: new at each start, shared by every worker of this start, never one
    # inherited from the shell
    env.pop(DEMO_KEY_ENV, None)
    if settings.demo_signin:
        env[DEMO_KEY_ENV] = secrets.token_urlsafe(32)
    return env


def trust_notebook(notebook: Path = NOTEBOOK) -> None:
    """Mark the dashboard notebook trusted in this user's notebook signature store (Jupyter's data
    folder, as `jupyter trust` does), where Voilà's contents manager looks when it loads it."""
    import nbformat
    from jupyter_core.paths import jupyter_data_dir
    from nbformat.sign import NotebookNotary

    try:
        content = nbformat.read(notebook, as_version=4)
        data_dir = Path(jupyter_data_dir())
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # as Jupyter makes it
        with NotebookNotary(data_dir=str(data_dir)) as notary:
            if not notary.check_signature(content):
                notary.sign(content)
    except (OSError, sqlite3.Error) as error:  # a read-only home, say: Voilà still serves it
        print(
            f"note: cannot mark {notebook.name} trusted ({error}); Voilà will log that it is "
            "not trusted, which changes nothing it shows",
            file=sys.stderr,
        )


def _announce(settings: Settings) -> None:
    if settings.demo_signin:
        print("Demo sign-in is on: choose a demo login on the page (never use this for real data)")
    if settings.proxy_secret is None:
        risk = (
            "nothing proves a request came through the front proxy (the demo sign-in ignores "
            f"{settings.user_header}, but a real deployment trusts it)"
            if settings.demo_signin
            else f"anyone on this machine can send {settings.user_header} straight to the dashboard"
        )
        print(
            f"warning: BURNOUT_PROXY_SECRET is not set, so {risk}; set it in the proxy and here",
            file=sys.stderr,
        )


def serve(settings: Settings, host: str, port: int, preheat: bool = True, workers: int = 1) -> None:
    """Serve the dashboard until Ctrl+C: Voilà itself in this process, or `workers` Voilà
    processes on consecutive ports from `port` for a front proxy to share out (see README)."""
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers})")
    commands = [voila_command(settings, host, port + k, preheat) for k in range(workers)]
    trust_notebook()
    if workers == 1:
        print(f"Dashboard on http://{host}:{port} (Ctrl+C stops it)", flush=True)
        _announce(settings)
        os.execve(commands[0][0], commands[0], voila_environment(settings))
    last = port + workers - 1
    print(f"Dashboard on {workers} workers, http://{host}:{port} to :{last} (Ctrl+C stops them)")
    _announce(settings)
    sys.stdout.flush()
    raise SystemExit(run_workers(commands, voila_environment(settings)))


def run_workers(commands: list[list[str]], env: dict[str, str]) -> int:
    """Run one Voilà per command until a stop signal or until one of them ends; then stop the
    others (a worker that died takes its kernels with it, so the service as a whole is restarted
    by whatever supervises it). Returns the exit status: 0 after a stop signal."""
    processes = [subprocess.Popen(command, env=env) for command in commands]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        ended = [(k, p.returncode) for k, p in enumerate(processes) if p.returncode is not None]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if stopping:
        return 0
    k, code = ended[0]
    print(
        f"burnout: error: dashboard worker {k + 1} ({_port_of(commands[k])}) ended with "
        f"status {code}; stopped the others",
        file=sys.stderr,
    )
    return 1


def _port_of(command: list[str]) -> str:
    return next(arg.replace("--port=", "port ") for arg in command if arg.startswith("--port="))
