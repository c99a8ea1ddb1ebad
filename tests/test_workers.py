"""Several dashboard workers behind one address: `burnout dashboard --workers 2` runs two Voilà
processes on consecutive ports and a real nginx, configured as the README's site, keeps each
signed-in person on one of them, so their page and its kernel's websocket meet in one process.
Pages are opened in headless Chromium; nginx's access log names the worker of every request."""

from __future__ import annotations

import base64
import collections
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import psutil
import pytest

from burnout_lib.app.kernel_forks import is_kernel

from helpers import small_hospital as H
from helpers.front_proxy import SECRET, FrontProxy, password, signed_in_page
from helpers.paths import BURNOUT
from helpers.serving import Served, free_port

pytestmark = pytest.mark.slow

LOGINS = [H.NURSE_LOGIN, H.RESIDENT_LOGIN, H.MANAGER_LOGIN, H.OH_LOGIN]
#: Further sign-ins that only ask for a missing path: enough logins that the hash sending them
#: all to one worker is out of the question (2 in 2**24), cheap as no page or kernel is made.
VISITORS = [f"visitor{number:02d}" for number in range(24)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[tuple[Served, FrontProxy]]:
    tmp = tmp_path_factory.mktemp("workers")
    served = Served(H.sqlite_file(tmp / "hospital.db"), tmp, tmp / "voila.log",
                    {"BURNOUT_PROXY_SECRET": SECRET}, workers=2)  # fmt: skip
    users = {login: password(login) for login in LOGINS + VISITORS}
    proxy = FrontProxy(tmp / "nginx", served.ports, users, SECRET)
    yield served, proxy
    proxy.stop()
    served.stop()


def routes(proxy: FrontProxy) -> dict[str, set[str]]:
    """Which workers (upstream addresses) nginx sent each login's requests to."""
    found: dict[str, set[str]] = collections.defaultdict(set)
    for line in (proxy.log.parent / "access.log").read_text().splitlines():
        login, upstream = line.split(" ")[:2]
        if login != "-" and upstream != "-":
            found[login].add(upstream)
    return found


def ask_through_nginx(proxy: FrontProxy, login: str, path: str) -> int:
    """The HTTP status of `path`, signed in as `login`."""
    token = base64.b64encode(f"{login}:{password(login)}".encode()).decode()
    request = urllib.request.Request(proxy.url + path, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_each_person_stays_on_one_worker(browser, stack) -> None:
    served, proxy = stack
    for _ in range(2):  # a second visit goes where the first went
        for login in LOGINS:
            page = signed_in_page(browser, proxy, login)  # drawn: the websocket reached its kernel
            page.context.close()
    seen = routes(proxy)
    assert set(LOGINS) <= set(seen)
    assert all(len(seen[login]) == 1 for login in LOGINS), seen
    assert set.union(*seen.values()) <= {f"127.0.0.1:{port}" for port in served.ports}


def test_logins_are_spread_over_both_workers(stack) -> None:
    served, proxy = stack
    for _ in range(2):
        for login in VISITORS:
            # refused by the dashboard itself (no such person), after nginx chose a worker
            assert ask_through_nginx(proxy, login, "no-such-page") == 403
    seen = {login: workers for login, workers in routes(proxy).items() if login in VISITORS}
    assert set(seen) == set(VISITORS)
    assert all(len(workers) == 1 for workers in seen.values()), seen
    assert set.union(*seen.values()) == {f"127.0.0.1:{port}" for port in served.ports}


def waited_for(found: Callable[[], list], seconds: float = 60) -> list:
    """What `found` returns once it is not empty."""
    deadline = time.monotonic() + seconds
    while not (result := found()) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert result, f"nothing after {seconds:.0f} s"
    return result


def test_each_worker_forks_its_kernels_from_a_template_of_its_own(stack) -> None:
    served, _ = stack
    assert served.ports == [served.port, served.port + 1]
    voilas = [
        child
        for child in psutil.Process(served.process.pid).children()
        if "voila" in " ".join(child.cmdline())
    ]
    assert len(voilas) == 2
    for voila in voilas:
        (template,) = voila.children()  # kernels are the template's children, not Voilà's
        assert template.cmdline()[1:3] == ["-m", "burnout_lib.app.kernel_forks"]
        checked = 0
        for kernel in waited_for(template.children):  # at least the preheated kernel
            try:
                inet, unix = kernel.net_connections("inet"), kernel.net_connections("unix")
                assert is_kernel(kernel) or not kernel.is_running()
            except psutil.NoSuchProcess:  # a closed page's kernel, culled meanwhile
                continue
            # its five channels are Unix sockets, not TCP ports
            listening = [c for c in inet if c.status == "LISTEN"]
            assert len(listening) <= 1, listening  # ipykernel's own pipe for forked output
            assert len(unix) >= 5
            checked += 1
        assert checked


def start_workers(tmp_path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BURNOUT_", "HTTP_"))}
    env.update(BURNOUT_DB_URL=H.sqlite_file(tmp_path / "h.db"), BURNOUT_DATA_DIR=str(tmp_path))
    return subprocess.Popen(
        [str(BURNOUT), "dashboard", "--port", str(port), "--workers", "2", "--no-preheat"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def voila_children(process: subprocess.Popen, count: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = psutil.Process(process.pid).children()
        if len(children) == count:
            return children
        time.sleep(0.3)
    raise AssertionError("the workers did not start")


def test_a_worker_that_dies_stops_the_others_and_the_service_fails(tmp_path) -> None:
    port = free_port()
    process = start_workers(tmp_path, port)
    first, second = voila_children(process, 2)
    second.kill()
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(f"burnout: error: dashboard worker 2 (port {port + 1}) ended with status ")
    )
    assert not first.is_running() or first.status() == psutil.STATUS_ZOMBIE


def test_a_stop_signal_stops_every_worker(tmp_path) -> None:
    process = start_workers(tmp_path, free_port())
    workers = voila_children(process, 2)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 0
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]


def test_fewer_than_one_worker_is_refused(tmp_path) -> None:
    done = subprocess.run(
        [str(BURNOUT), "dashboard", "--workers", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "BURNOUT_DB_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == "burnout: error: --workers must be at least 1 (got 0)"
