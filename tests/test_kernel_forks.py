"""Kernels forked from a warm template (app/kernel_forks.py), started through Jupyter's own kernel
manager as Voilà starts them: they run code in the folder and environment they were given, can
be interrupted, restarted and shut down, end with their template, and fall back to a new Python
when there is no template. Voilà serving pages through them is checked in `test_workers.py` and
every browser test."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from jupyter_client import KernelManager
from jupyter_client.provisioning import KernelProvisionerFactory

from burnout_lib.app import kernel_forks
from burnout_lib.app.kernel_forks import NAME, Template, is_kernel

pytestmark = pytest.mark.slow


@pytest.fixture
def forked(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(KernelProvisionerFactory.instance(), "default_provisioner_name", NAME)
    yield
    if Template._current is not None:
        Template._current.stop()
        Template._current = None


@pytest.fixture
def start(forked, tmp_path) -> Iterator:
    managers: list[KernelManager] = []

    def start_kernel(**env: str) -> KernelManager:
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel(env={**os.environ, **env}, cwd=str(tmp_path))
        managers.append(manager)
        return manager

    yield start_kernel
    for manager in managers:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)


def run(manager: KernelManager, code: str) -> tuple[str, dict]:
    """What `code` prints in the kernel, and the reply."""
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    printed: list[str] = []

    def keep(message: dict) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=60, output_hook=keep)
    client.stop_channels()
    return "".join(printed), reply["content"]


def ended(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_a_kernel_is_a_fork_of_the_single_threaded_template(start, tmp_path) -> None:
    manager = start(BURNOUT_PROBE="given")
    kernel = psutil.Process(manager.provisioner.pid)
    template = Template._current.process.pid
    assert kernel.ppid() == template and is_kernel(kernel)
    assert not is_kernel(psutil.Process(template))
    assert len(os.listdir(f"/proc/{template}/task")) == 1, "the template forks from one thread"
    printed, reply = run(
        manager,
        "import os, sys; print(os.getcwd(), os.environ['BURNOUT_PROBE'], "
        "'burnout_lib.app.dashboard' in sys.modules, os.getpgid(0) == os.getpid())",
    )
    assert reply["status"] == "ok"
    assert printed.split() == [str(tmp_path), "given", "True", "True"]


def test_a_forked_kernel_is_interrupted_restarted_and_shut_down(start) -> None:
    manager = start()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    client.execute("import time; time.sleep(60)")
    while client.get_iopub_msg(timeout=60)["msg_type"] != "execute_input":
        pass  # the cell is running: now interrupt it
    time.sleep(0.5)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    client.stop_channels()
    first = manager.provisioner.pid
    manager.restart_kernel(now=True)
    second = manager.provisioner.pid
    assert second != first and ended(first)
    assert psutil.Process(second).ppid() == Template._current.process.pid
    assert run(manager, "print(6 * 7)")[0].strip() == "42"
    manager.shutdown_kernel()
    assert ended(second)


def test_a_kernel_ends_with_its_template_and_the_next_gets_a_new_one(start) -> None:
    kernel = start().provisioner.pid
    old = Template._current.process
    old.send_signal(signal.SIGKILL)
    old.wait()
    assert ended(kernel), "ipykernel's parent poller ends an orphaned kernel"
    newer = start()
    assert Template._current.process.pid != old.pid
    assert psutil.Process(newer.provisioner.pid).ppid() == Template._current.process.pid
    assert run(newer, "print('drawn')")[0].strip() == "drawn"


def test_without_a_template_a_kernel_starts_as_a_new_python(start, monkeypatch) -> None:
    async def unavailable(*_args, **_kwargs) -> int:
        raise OSError("the kernel template did not start")

    monkeypatch.setattr(kernel_forks.Template, "fork", unavailable)
    manager = start()
    kernel = psutil.Process(manager.provisioner.pid)
    assert "ipykernel_launcher" in kernel.cmdline() and is_kernel(kernel)
    assert run(manager, "print('usual')")[0].strip() == "usual"


def test_the_template_holds_no_connection_a_kernel_could_inherit(start) -> None:
    """A fork inherits its template's memory and open files: the template has opened no
    database connection and no network socket, only its own Unix socket, so a kernel starts with
    nothing of anyone's."""
    start()
    template = psutil.Process(Template._current.process.pid)
    assert template.net_connections(kind="inet") == []
    [unix] = template.net_connections(kind="unix")  # where it listens for fork requests
    assert Path(unix.laddr).parent == Template._current.folder
