"""A staff member's own page as they use it: the real dashboard (Voilà) behind the real nginx
sign-in, in Debian's headless Chromium with a fake camera, measured by the local Hume stand-in.

To keep the suite fast, one server and ONE page serve the whole file: the tests run in order on
that page, as a person would go through it (check-in, consent, camera, upload), and a last test
sends what a tampered page could send. Every outcome is checked in the page and in the database.

Screenshots go to `test-artifacts/self-service/` (or `$BURNOUT_ARTIFACTS`); the README's
`docs/staff-checkin.png` and `docs/staff-clip.png` (1280×800) are taken here with
`BURNOUT_UPDATE_DOCS=1`.
"""

from __future__ import annotations

import base64
import io
import json
import os
import struct
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from burnout_lib.privacy.consent import person_tables
from burnout_lib.risk.scoring import monday
from burnout_lib.store import db
from burnout_lib.store.db import make_engine
from burnout_lib.testing.hume_server import FakeHumeServer
from burnout_lib.testing.offline import pattern_clip

from helpers import small_hospital as H
from helpers.front_proxy import SECRET, FrontProxy, password, signed_in_page
from helpers.media import pictures_and_videos
from helpers.paths import ROOT
from helpers.serving import Served, another_chromium, chromium

pytestmark = pytest.mark.slow

ARTIFACTS = Path(os.environ.get("BURNOUT_ARTIFACTS", ROOT / "test-artifacts")) / "self-service"
DOCS = ROOT / "docs"
KEY = "test-key-self-service-browser"
ME = "nurse-01"  # H.NURSE_LOGIN
OTHER = "nurse-02"  # another nurse of the same ward, with no account
#: A camera that films Chromium's own moving test pattern, allowed without asking.
FAKE_CAMERA = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
#: Remembers the page's kernel websocket, so a test can send what a tampered page would.
SOCKET_HOOK = """
(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (this.url.includes("/channels")) window.kernelSocket = this;
    return send.call(this, data);
  };
})();
"""
#: The answers' scores: Never/almost never, Seldom, Sometimes, Often, Always.
SCORES = {"Never/almost never": 0, "Seldom": 25, "Sometimes": 50, "Often": 75, "Always": 100}
ANSWERS = ["Often", "Sometimes", "Always", "Seldom", "Often", "Never/almost never"]
#: How long an assertion waits for the kernel: a take is 5 s, then measured, on a busy machine.
EXPECT_MS = 60_000
#: This deployment's occupational health, as the page should show it when help is needed now.
OH_CONTACT = "Occupational health, extension 4242 (Mon-Fri 8-18)"
#: Axe's two worst impacts: none may be found.
SERIOUS = ("serious", "critical")


# --- The kernel websocket (Jupyter's v1 framing) ---------------------------------------------


def message_parts(frame: bytes) -> list[bytes]:
    """A websocket frame's parts: channel, header, parent header, metadata, content, buffers."""
    count = int.from_bytes(frame[:8], "little")
    offsets = struct.unpack_from(f"<{count}Q", frame, 8)
    return [frame[a:b] for a, b in zip(offsets, offsets[1:], strict=False)]


def message_frame(header: dict, content: dict, buffers: tuple[bytes, ...] = ()) -> bytes:
    """A shell message framed as the page frames it."""
    pieces = [b"shell", json.dumps(header).encode(), b"{}", b"{}", json.dumps(content).encode()]
    pieces += list(buffers)
    offsets = [8 * (len(pieces) + 2)]
    for piece in pieces:
        offsets.append(offsets[-1] + len(piece))
    return struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(pieces)


@dataclass
class Visit:
    """The signed-in nurse's page, the database behind it, and what the page sent its kernel."""

    page: Page
    engine: object
    data_dir: Path
    server_tmp: Path
    week: date
    hume: FakeHumeServer
    #: the same person's page in another Chromium started with the given flags
    another: Callable[..., Page]
    sent: list[bytes] = field(default_factory=list)
    #: comm ids of widgets a later test talks to directly
    comms: dict[str, str] = field(default_factory=dict)

    def widget_messages(self) -> list[tuple[str, dict]]:
        """(comm id, data) of every widget message the page sent, oldest first."""
        found = []
        for frame in self.sent:
            parts = message_parts(frame)
            if json.loads(parts[1]).get("msg_type") == "comm_msg":
                content = json.loads(parts[4])
                found.append((content["comm_id"], content["data"]))
        return found

    def last_click(self) -> str:
        """The comm id of the button the page last reported a click on."""
        return next(
            comm
            for comm, data in reversed(self.widget_messages())
            if data.get("content") == {"event": "click"}
        )

    def forge(self, comm_id: str, data: dict, buffers: tuple[bytes, ...] = ()) -> None:
        """Send a widget message over the page's own kernel connection, as page code could."""
        header = json.loads(message_parts(self.sent[-1])[1])
        header.update(
            msg_id=str(uuid.uuid4()),
            msg_type="comm_msg",
            date=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        )
        frame = message_frame(header, {"comm_id": comm_id, "data": data}, buffers)
        self.page.evaluate(
            "b64 => window.kernelSocket.send(Uint8Array.from(atob(b64), c => c.charCodeAt(0)))",
            base64.b64encode(frame).decode(),
        )


# --- Fixtures: one hospital, one server, one page --------------------------------------------


@pytest.fixture(scope="module")
def visit(tmp_path_factory) -> Iterator[Visit]:
    tmp = tmp_path_factory.mktemp("self-service")
    url = H.sqlite_file(tmp / "hospital.db")
    data, server_tmp = tmp / "data", tmp / "server-tmp"
    data.mkdir()
    server_tmp.mkdir()
    sent: list[bytes] = []

    def listen(page: Page) -> None:
        page.add_init_script(SOCKET_HOOK)

        def on_socket(socket) -> None:
            if "/channels" in socket.url:
                socket.on("framesent", lambda f: sent.append(f) if isinstance(f, bytes) else None)

        page.on("websocket", on_socket)

    with ExitStack() as running:
        hume = running.enter_context(FakeHumeServer(api_key=KEY))
        env = {
            "BURNOUT_PROXY_SECRET": SECRET,
            "HUME_API_KEY": KEY,
            "HUME_BASE_URL": hume.base_url,
            "TMPDIR": str(server_tmp),  # the kernel's temporary folder, searched for pictures
            "BURNOUT_UPLOAD_MAX_MB": "1",  # a small limit, so "too large" is quick to send
            "BURNOUT_OH_CONTACT": OH_CONTACT,  # the employee assistance programme is left unset
        }
        voila = Served(url, data, tmp / "voila.log", env)
        running.callback(voila.stop)
        logins = {H.NURSE_LOGIN: password(H.NURSE_LOGIN)}
        proxy = FrontProxy(tmp / "nginx", voila.port, logins, SECRET)
        running.callback(proxy.stop)
        engine = make_engine(url)
        running.callback(engine.dispose)
        expect.set_options(timeout=EXPECT_MS)
        running.callback(expect.set_options, timeout=5_000)  # Playwright's default
        browser = running.enter_context(chromium(*FAKE_CAMERA))
        page = signed_in_page(browser, proxy, H.NURSE_LOGIN, prepare=listen)
        page.evaluate("window.notReloaded = true")

        def another(*flags: str) -> Page:
            second = another_chromium(browser, *flags)
            running.callback(second.close)
            return signed_in_page(second, proxy, H.NURSE_LOGIN)

        this_week = monday(datetime.now(UTC).date())
        yield Visit(page, engine, data, server_tmp, this_week, hume, another, sent)
        assert page.evaluate("window.notReloaded") is True
    # before the shutdown, the server and its kernels logged no traceback
    assert "Traceback" not in voila.log.read_text().split("Handle signal 15")[0]


# --- Reading the page and the database -------------------------------------------------------


def shot(page: Page, name: str, docs: str | None = None, top: str | None = None) -> None:
    """The window (1280×800), scrolled so that `top` starts it, saved as an artifact and, when
    named and `BURNOUT_UPDATE_DOCS=1` is set, as a picture of the docs (a plain test run never
    changes tracked files)."""
    if top:
        page.locator(top).evaluate("e => e.scrollIntoView({block: 'start'})")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if docs and os.environ.get("BURNOUT_UPDATE_DOCS") == "1":
        page.screenshot(path=str(DOCS / docs))


def tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def serious_violations(page: Page) -> list[str]:
    """What axe-core finds seriously or critically wrong on the page as it is shown now."""
    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


def radio(page: Page, question: int, label: str):
    return page.locator(f".bm-q-personal_{question}").get_by_role("radio", name=label, exact=True)


def answer_with_keyboard(page: Page, question: int, label: str) -> None:
    radio(page, question, label).focus()
    page.keyboard.press("Space")
    expect(radio(page, question, label)).to_be_checked()


def mark_the_form(page: Page) -> None:
    """Mark the check-in's answers, to tell the form drawn again (after a save or a consent
    decision) from the one shown before."""
    page.locator(".bm-checkin").evaluate(
        "form => form.querySelectorAll('input[type=radio]').forEach(r => r.dataset.old = '1')"
    )


def expect_the_form_drawn_again(page: Page) -> None:
    expect(page.locator(".bm-checkin input[type=radio][data-old]")).to_have_count(0)
    expect(page.locator(".bm-checkin input[type=radio]")).to_have_count(6 * 5)


def save_with_keyboard(page: Page) -> None:
    page.get_by_role("button", name="Save my check-in").focus()
    page.keyboard.press("Enter")


def staff_id(engine, pseudonym: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(db.staff.c.id).where(db.staff.c.pseudonym == pseudonym)
        ).scalar_one()


def rows(engine, table, pseudonym: str, **where) -> list[dict]:
    query = select(table).where(table.c.staff_id == staff_id(engine, pseudonym))
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query.order_by(table.c.id)).mappings()]


def consent_of(engine, channel: str) -> dict:
    [row] = rows(engine, db.consent, ME, channel=channel)
    return {**row, "decided_at": utc(row["decided_at"])}


def utc(moment) -> datetime:
    """SQLite gives timestamps back without a zone: they are stored as UTC."""
    stamp = pd.Timestamp(moment)
    return (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp).to_pydatetime()


def recordings(engine, source: str) -> pd.DataFrame:
    query = (
        select(db.recording, db.expression_summary.c.frames_used)
        .join(db.expression_summary)
        .where(db.recording.c.staff_id == staff_id(engine, ME), db.recording.c.source == source)
    )
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def everything_about(engine, pseudonym: str) -> dict[str, list[dict]]:
    """Every row of every table that holds the person's data."""
    found = {}
    with engine.connect() as connection:
        for table, clause in person_tables():
            query = select(table).where(clause).params(staff_id=staff_id(engine, pseudonym))
            found[table.name] = [dict(r) for r in connection.execute(query).mappings()]
    return found


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.2)


def assert_no_picture_or_video(visit: Visit) -> None:
    assert pictures_and_videos(visit.data_dir, visit.server_tmp) == []
    assert not list(visit.data_dir.rglob("uploads"))


def jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (120, 160, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def choose_file(page: Page, name: str, data: bytes, mime: str) -> None:
    with page.expect_file_chooser() as chooser:
        page.locator(".bm-upload").click()
    chooser.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
    expect(page.locator(".bm-upload")).to_contain_text("(1)")  # the file reached the kernel


# --- The tests, in the order a person goes through the page ----------------------------------


def test_my_week_and_the_check_in_form_pass_axe(visit: Visit) -> None:
    page = visit.page
    expect(page.get_by_role("tab")).to_have_text(H.STAFF_TABS)
    expect(page.locator('section[data-view="my-week"] h2')).to_have_text("Your week of 06 Apr 2026")
    assert serious_violations(page) == []
    tab(page, "Check-in")
    expect(page.locator(".bm-checkin h2")).to_have_text(
        f"Your check-in for the week of {visit.week:%d %b %Y}"
    )
    expect(page.locator(".bm-checkin").get_by_role("radio")).to_have_count(6 * 5)
    # each question is a radio group named by the question, so a screen reader says both
    tired = page.get_by_role("group", name="1. How often do you feel tired?")
    expect(tired.get_by_role("radio")).to_have_count(5)
    expect(tired.get_by_role("radio", name="Always", exact=True)).to_have_count(1)
    assert serious_violations(page) == []


def test_answering_the_check_in_stores_one_row_and_changing_it_updates_that_row(
    visit: Visit,
) -> None:
    page, engine, week = visit.page, visit.engine, visit.week
    tab(page, "Check-in")
    for question, label in enumerate(ANSWERS, start=1):
        answer_with_keyboard(page, question, label)
    shot(page, "checkin-form", docs="staff-checkin.png", top=".bm-app .lm-TabBar")
    mark_the_form(page)
    save_with_keyboard(page)
    score = sum(SCORES[a] for a in ANSWERS) / 6  # 54.2: moderate, in the burnout range
    status = page.locator('[data-status="checkin"]')
    expect(status).to_contain_text(
        "Saved: your score this week is 54, moderate (50–74, the burnout range)."
    )
    expect(status).to_have_attribute("data-kind", "done")
    visit.comms["save"] = visit.last_click()
    [row] = rows(engine, db.checkin, ME, week_start=week)
    assert row["score"] == pytest.approx(score)
    assert [row[f"personal_{k}"] for k in range(1, 7)] == [SCORES[a] for a in ANSWERS]
    assert row["source"] == "self"

    tab(page, "My week")  # their own week, this one, which has not ended yet
    expect(page.locator(".bm-week select option:checked")).to_have_text(
        f"{week:%d %b %Y} (in progress)"
    )
    expect(page.locator('section[data-view="my-week"] h2')).to_have_text(
        f"Your week of {week:%d %b %Y}"
    )

    # the form now shows the saved answers; an arrow key moves question 5 from Often to Always
    tab(page, "Check-in")
    expect(page.locator(".bm-checkin")).to_contain_text("Your saved answers score 54")
    expect_the_form_drawn_again(page)
    expect(radio(page, 5, "Often")).to_be_checked()
    radio(page, 5, "Often").focus()
    page.keyboard.press("ArrowDown")
    expect(radio(page, 5, "Always")).to_be_checked()
    save_with_keyboard(page)
    expect(status).to_contain_text("Updated: your score this week is 58, moderate (50–74")
    [changed] = rows(engine, db.checkin, ME, week_start=week)
    assert changed["id"] == row["id"] and changed["personal_5"] == 100
    assert changed["score"] == pytest.approx(score + 25 / 6)
    assert utc(changed["answered_at"]) > utc(row["answered_at"])


def test_a_checkin_in_the_high_range_shows_where_to_get_help_first_and_alerts_at_once(
    visit: Visit,
) -> None:
    page, engine, week = visit.page, visit.engine, visit.week
    help_now = page.locator('[data-help="now"]')
    expect(help_now).to_have_count(0)  # 58, moderate: no signposting, and no alert
    assert rows(engine, db.alert, ME, rule="checkin_high") == []

    tab(page, "Check-in")
    before = dict(enumerate(ANSWERS, start=1)) | {5: "Always"}  # the answers saved so far: 58
    for question in range(1, 7):  # "Often" to all six, "I can't take it anymore" included: 75
        answer_with_keyboard(page, question, "Often")
    save_with_keyboard(page)
    status = page.locator('[data-status="checkin"]')
    expect(status).to_contain_text("Updated: your score this week is 75, high (75–99")
    # where to get help now, above everything else on the page, announced to screen readers
    expect(help_now).to_be_visible()
    expect(help_now).to_have_attribute("role", "alert")
    expect(help_now.get_by_role("heading", name="Where to get help now")).to_be_visible()
    expect(help_now).to_contain_text(OH_CONTACT)
    expect(help_now).to_contain_text("If you are thinking of harming yourself")
    expect(help_now).to_contain_text("BURNOUT_EAP_CONTACT")  # unset here: the page says so
    above = "(help, o) => !!(help.compareDocumentPosition(o) & Node.DOCUMENT_POSITION_FOLLOWING)"
    for later in (".signed-in", ".bm-app .lm-TabBar", ".bm-checkin"):
        assert help_now.evaluate(above, page.locator(later).first.element_handle()), later
    # what may help is written for them: no manager's or occupational health's action
    expect(page.locator('[data-help="checkin"]')).not_to_contain_text("offer a confidential")
    # occupational health is alerted now, not at the weekly run
    [alert] = rows(engine, db.alert, ME, rule="checkin_high")
    assert alert["week_start"] == week and "scored 75" in alert["reason"]
    assert alert["acknowledged_at"] is None and alert["resolved_week"] is None
    shot(page, "checkin-help-now")
    assert serious_violations(page) == []

    # back to the earlier answers (58): the signposting goes, and the alert closes
    for question, label in before.items():
        answer_with_keyboard(page, question, label)
    save_with_keyboard(page)
    expect(status).to_contain_text("Updated: your score this week is 58")
    expect(help_now).to_have_count(0)
    [closed] = rows(engine, db.alert, ME, rule="checkin_high")
    assert closed["id"] == alert["id"] and closed["resolved_week"] == week


def test_consent_is_withdrawn_and_granted_at_once(visit: Visit) -> None:
    page, engine = visit.page, visit.engine
    started = datetime.now(UTC).replace(microsecond=0)
    tab(page, "Consent and my data")
    mark_the_form(page)
    page.get_by_role("button", name="Withdraw the weekly check-in").click()
    status = page.locator('[data-status="consent"]')
    expect(status).to_contain_text("You withdrew the weekly check-in (")
    withdrawn = consent_of(engine, "checkin")
    assert withdrawn["granted"] is False
    assert started <= withdrawn["decided_at"] <= datetime.now(UTC)
    expect(page.locator('[data-consent="checkin"]')).to_contain_text(
        f"You have not agreed (since {withdrawn['decided_at']:%d %b %Y %H:%M} UTC)"
    )

    # the form is switched off, and the kernel refuses even a click the page could not make
    tab(page, "Check-in")
    expect(page.locator('[data-notice="no-checkin-consent"]')).to_be_visible()
    expect_the_form_drawn_again(page)
    expect(page.locator(".bm-checkin input[type=radio]:enabled")).to_have_count(0)
    expect(page.get_by_role("button", name="Save my check-in")).to_be_disabled()
    before = db.row_counts(engine), rows(engine, db.checkin, ME)
    visit.forge(visit.comms["save"], {"method": "custom", "content": {"event": "click"}})
    refused = page.locator('[data-status="checkin"][data-kind="refused"]')
    expect(refused).to_contain_text("you withdrew your check-in consent on")
    expect(refused).to_contain_text("nothing was stored")
    assert (db.row_counts(engine), rows(engine, db.checkin, ME)) == before

    tab(page, "Consent and my data")
    mark_the_form(page)
    page.get_by_role("button", name="Agree to the weekly check-in").click()
    expect(status).to_contain_text("You agreed to the weekly check-in (")
    granted = consent_of(engine, "checkin")
    assert granted["granted"] is True and granted["decided_at"] >= withdrawn["decided_at"]
    tab(page, "Check-in")
    expect(page.locator('[data-notice="no-checkin-consent"]')).to_have_count(0)
    expect_the_form_drawn_again(page)
    expect(page.locator(".bm-checkin input[type=radio]:disabled")).to_have_count(0)
    expect(page.get_by_role("button", name="Save my check-in")).to_be_enabled()
    expect(radio(page, 5, "Always")).to_be_enabled()

    # without consent to the weekly clip, the camera and the upload are gone
    tab(page, "Consent and my data")
    page.get_by_role("button", name="Withdraw the weekly clip (facial expressions)").click()
    expect(status).to_contain_text("You withdrew the weekly clip (facial expressions) (")
    assert consent_of(engine, "face")["granted"] is False
    tab(page, "Weekly clip")
    expect(page.locator('[data-notice="no-recording-consent"]')).to_be_visible()
    expect(page.get_by_role("button", name="Turn on camera")).to_be_hidden()
    expect(page.locator(".bm-upload")).to_be_hidden()

    tab(page, "Consent and my data")
    page.get_by_role("button", name="Agree to the weekly clip (facial expressions)").click()
    expect(status).to_contain_text("You agreed to the weekly clip (facial expressions) (")
    assert consent_of(engine, "face")["granted"] is True
    tab(page, "Weekly clip")
    expect(page.get_by_role("button", name="Turn on camera")).to_be_visible()
    expect(page.locator('[data-notice="no-recording-consent"]')).to_have_count(0)


def test_a_take_from_the_camera_stores_one_recording_and_no_picture(visit: Visit) -> None:
    page, engine = visit.page, visit.engine
    tab(page, "Weekly clip")
    preview, recording = page.locator(".bm-camera-preview"), page.locator(".bm-camera-recording")
    expect(preview).to_be_hidden()
    expect(recording).to_be_hidden()
    page.get_by_role("button", name="Turn on camera").click()
    expect(preview).to_be_visible()
    page.get_by_role("button", name="Record 5 seconds").click()
    expect(recording).to_contain_text("Recording — ")
    expect(recording).to_be_visible()
    status = page.locator(".bm-camera-status")
    expect(status).to_contain_text(
        f"Stored your clip for the week of {visit.week:%d %b %Y}: 15 pictures measured, "
        "a face in 15. Fatigue-related expressions"
    )
    visit.comms["camera"] = next(
        comm for comm, data in visit.widget_messages() if data.get("content", {}).get("take")
    )
    [take] = recordings(engine, "camera").to_dict("records")
    assert (take["frames"], take["faces"], take["frames_used"]) == (15, 15, 15)
    assert take["week_start"] == visit.week
    # the camera is off, and nothing says it records
    expect(page.get_by_role("button", name="Turn on camera")).to_be_visible()
    expect(preview).to_be_hidden()
    expect(recording).to_be_hidden()
    shot(page, "clip-after-take", docs="staff-clip.png", top=".bm-app .lm-TabBar")
    assert_no_picture_or_video(visit)


def test_a_camera_refused_or_absent_says_so_and_writes_nothing(visit: Visit) -> None:
    """Headless Chromium refuses a camera prompt nobody answers, and without a fake device it
    has no camera: the page says which, and offers the upload instead."""
    before = db.row_counts(visit.engine)
    for flags, said in (
        (("--use-fake-device-for-media-stream",), "Camera access was refused"),
        (("--use-fake-ui-for-media-stream",), "No camera was found"),
    ):
        page = visit.another(*flags)
        tab(page, "Weekly clip")
        page.get_by_role("button", name="Turn on camera").click()
        expect(page.locator(".bm-camera-status")).to_contain_text(said)
        expect(page.locator(".bm-camera-status")).to_contain_text("upload a short clip")
        page.context.close()
    assert db.row_counts(visit.engine) == before


def test_an_uploaded_clip_is_stored_and_every_bad_upload_writes_nothing(
    visit: Visit, tmp_path: Path
) -> None:
    page, engine = visit.page, visit.engine
    tab(page, "Weekly clip")
    status = page.locator('[data-status="upload"]')
    before = db.row_counts(engine)
    choose_file(page, "holiday.mp4", b"not a video, only words\n" * 40, "video/mp4")
    page.get_by_role("button", name="Send the chosen file(s)").click()
    expect(status).to_contain_text("holiday.mp4 is not a video or an image that can be read")
    expect(status).to_contain_text("nothing was stored")
    expect(status).to_have_attribute("data-kind", "refused")
    assert db.row_counts(engine) == before
    assert_no_picture_or_video(visit)

    def refused(name: str, data: bytes, mime: str, *said: str) -> None:
        choose_file(page, name, data, mime)
        page.get_by_role("button", name="Send the chosen file(s)").click()
        for words in (*said, "nothing was stored"):
            expect(status).to_contain_text(words)
        expect(status).to_have_attribute("data-kind", "refused")
        assert db.row_counts(engine) == before
        assert_no_picture_or_video(visit)

    refused("big.mp4", b"\0" * 1_500_000, "video/mp4", "an upload may be at most 1")
    wall = io.BytesIO()
    Image.new("RGB", (320, 240), (128, 128, 128)).save(wall, format="JPEG")
    refused("wall.jpg", wall.getvalue(), "image/jpeg", "No face was found")
    clip = pattern_clip(tmp_path / "clip.mp4", 3, source="testsrc=size=320x240:rate=10")
    visit.hume.fail_next(50, status=503)  # Hume unreachable for now
    choose_file(page, "my clip.mp4", clip.read_bytes(), "video/mp4")
    page.get_by_role("button", name="Send the chosen file(s)").click()
    expect(status).to_contain_text("Hume could not measure your pictures just now")
    expect(status).to_have_attribute("data-kind", "refused")
    assert db.row_counts(engine) == before
    visit.hume.clear_faults()

    choose_file(page, "my clip.mp4", clip.read_bytes(), "video/mp4")
    page.get_by_role("button", name="Send the chosen file(s)").click()
    expect(status).to_contain_text(
        f"Stored your clip for the week of {visit.week:%d %b %Y}: 3 pictures measured, a face in 3."
    )
    expect(status).to_have_attribute("data-kind", "done")
    [upload] = recordings(engine, "upload").to_dict("records")
    assert (upload["frames"], upload["frames_used"]) == (3, 3)
    assert len(recordings(engine, "camera")) == 1
    expect(page.locator(".bm-upload")).to_contain_text("(0)")  # the chosen file is let go
    assert_no_picture_or_video(visit)


def test_widget_messages_naming_another_person_write_nothing_for_them(visit: Visit) -> None:
    """What a tampered page could send: the camera's messages and a click, each naming another
    nurse. The kernel acts for the signed-in person only; nothing about the other one changes."""
    engine = visit.engine
    theirs = everything_about(engine, OTHER)
    assert theirs["checkin"] and theirs["recording"] == []

    camera, take = visit.comms["camera"], str(uuid.uuid4())
    frames = [jpeg(seed) for seed in range(3)]

    def tell_camera(content: dict, buffers: tuple[bytes, ...] = ()) -> None:
        content = {**content, "take": take, "pseudonym": OTHER}
        visit.forge(camera, {"method": "custom", "content": content}, buffers)

    tell_camera({"type": "start"})
    for index, frame in enumerate(frames):
        tell_camera({"type": "frame", "index": index, "width": 160, "height": 120}, (frame,))
    tell_camera({"type": "done", "frames": len(frames)})
    expect(visit.page.locator(".bm-camera-status")).to_contain_text("3 pictures measured")
    assert sorted(recordings(engine, "camera")["frames"]) == [3, 15]  # the signed-in nurse's

    [mine] = rows(engine, db.checkin, ME, week_start=visit.week)
    click = {"method": "custom", "content": {"event": "click", "pseudonym": OTHER}}
    visit.forge(visit.comms["save"], click)
    wait_until(
        lambda: (
            rows(engine, db.checkin, ME, week_start=visit.week)[0]["answered_at"]
            != mine["answered_at"]
        ),
        "the forged click to save the signed-in nurse's check-in again",
    )

    assert everything_about(engine, OTHER) == theirs
    assert not (visit.data_dir / "people" / OTHER).exists()
    assert_no_picture_or_video(visit)
