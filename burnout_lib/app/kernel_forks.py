"""Dashboard kernels forked from one warm Python instead of each started from nothing.

Every page gets a kernel of its own (a person's data never shares a process with another's), and a
new Python spends a second or two of CPU and ~150 MB importing pandas, matplotlib, SQLAlchemy,
ipykernel and the app before it draws anything. So each dashboard worker keeps one *template*
process that has imported all of that and nothing else: it never reads the database or a request.
A kernel is a fork of it, so the imported modules are shared copy-on-write by every kernel
(`gc.freeze` keeps the garbage collector from touching them) and a kernel's own memory is what
its page adds: measured by `benchmarks/bench_serving.py`.

Jupyter starts kernels through a *provisioner*; `ForkedKernelProvisioner` (registered as
`burnout-forked-kernels`, chosen on Voilà's command line by `app.server`) asks the template for a
fork instead of running `python -m ipykernel_launcher`, and falls back to that if the template
cannot be reached. The template is started on first use, listens on a Unix socket in a folder
only this user can open, and exits when the server that started it ends; a kernel exits when the
template ends (ipykernel's parent poller).

The template forks from a single thread: it sets `OPENBLAS_NUM_THREADS=1` and turns off Arrow's
jemalloc background thread before importing anything, and creates no ZeroMQ context.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import importlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import psutil
from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

NAME = "burnout-forked-kernels"
MODULE = "burnout_lib.app.kernel_forks"  # the template runs as `python -m MODULE SOCKET`
#: What every dashboard kernel imports before its page is drawn.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipywidgets",
    "burnout_lib.app.dashboard",
    "burnout_lib.app.signin",
    "voila.utils",  # a preheated kernel waits for its request with it (and its 2 s of imports)
    "matplotlib.backends.backend_agg",
    "psycopg2",
)
#: Set before the template imports anything, so that it has no thread of its own when it forks.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false"}
LAUNCHER = ["-m", "ipykernel_launcher"]
STARTUP_SECONDS = 60.0

log = logging.getLogger(__name__)


# --- The template process ------------------------------------------------------------------------


def serve_template(socket_path: Path) -> None:
    """Import what kernels need, then fork a kernel for each request until the parent ends."""
    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path) + ".new")
    os.replace(str(socket_path) + ".new", socket_path)  # ready only once it listens
    listener.listen(16)
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with connection:
            connection.settimeout(10)
            request = json.loads(_receive(connection))
            pid = os.fork()
            if pid == 0:
                listener.close()
                connection.close()
                _become_kernel(request)
            connection.sendall(json.dumps({"pid": pid}).encode())


def _reap(_signum: int, _frame: object) -> None:
    """Collect every kernel that has ended, so none lingers as a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _receive(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _become_kernel(request: dict[str, Any]) -> None:
    """In the fork: become the kernel Jupyter asked for, then exit (never returns)."""
    code = 1
    try:
        os.setsid()  # a process group of its own, as Jupyter signals kernels by group
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        parent = f"--IPKernelApp.parent_handle={os.getppid()}"  # ends with the template
        sys.argv = ["ipykernel_launcher", *request["arguments"], parent]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    except BaseException:  # noqa: BLE001 - whatever happens, the fork must not run on
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# --- The server's side: one template per dashboard worker ---------------------------------------


class Template:
    """The template process of this server, started on first use and again if it has ended."""

    _current: Template | None = None

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="burnout-kernels-"))  # mode 0700
        self.socket = self.folder / "fork.sock"
        env = {**os.environ, **SINGLE_THREADED}
        self.process = subprocess.Popen(
            [sys.executable, "-m", MODULE, str(self.socket)],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        atexit.register(self.stop)

    @classmethod
    def running(cls) -> Template:
        if cls._current is None or cls._current.process.poll() is not None:
            if cls._current is not None:
                cls._current.stop()
            cls._current = Template()
        return cls._current

    async def fork(self, arguments: list[str], env: dict[str, str], cwd: str) -> int:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise OSError("the kernel template did not start")
            await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_unix_connection(str(self.socket))
        writer.write(json.dumps({"arguments": arguments, "env": env, "cwd": cwd}).encode())
        writer.write_eof()
        answer = json.loads(await asyncio.wait_for(reader.read(), timeout=30))
        writer.close()
        return int(answer["pid"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


class ForkedProcess:
    """The parts of `subprocess.Popen` Jupyter uses, for a kernel that is not our own child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._process = psutil.Process(pid)
        except psutil.NoSuchProcess:  # ended before it could be looked at
            self.returncode = 0

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                ended = self._process.status() == psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                ended = True
            if ended or not self._process.is_running():  # is_running also catches a reused pid
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkedKernelProvisioner(LocalProvisioner):
    """Starts an IPython kernel as a fork of this server's template (see the module's text)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        if cmd[:3] != [sys.executable, *LAUNCHER]:
            return await super().launch_kernel(cmd, **kwargs)
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or Path.cwd())
        try:
            pid = await Template.running().fork(cmd[3:], env, cwd)
        except (OSError, ValueError, TimeoutError) as error:
            log.warning("kernel template unavailable (%s): starting a new Python instead", error)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(pid)
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info


def is_kernel(process: psutil.Process) -> bool:
    """Whether `process` is a dashboard kernel: a fork of a template, or a kernel started the
    usual way (`python -m ipykernel_launcher`). For watching a server: tests, benchmarks."""
    try:
        command = process.cmdline()
        if "ipykernel_launcher" in command:
            return True
        return _is_template(command) and _is_template(psutil.Process(process.ppid()).cmdline())
    except psutil.Error:
        return False


def _is_template(command: list[str]) -> bool:
    return command[1:3] == ["-m", MODULE]


if __name__ == "__main__":
    serve_template(Path(sys.argv[1]))
