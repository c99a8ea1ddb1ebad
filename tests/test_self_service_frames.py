"""The weekly clip from the person's own page: camera frames or an upload, measured by the local
Hume stand-in through the extraction path, stored once, with no picture or video left on disk."""

from __future__ import annotations

import dataclasses
import io
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sqlalchemy import select

from burnout_lib.app import self_service_frames as clips
from burnout_lib.errors import AccessDenied, ConsentError, HumeError, InvalidInput, NotSignedIn
from burnout_lib.mock.hospital import DEFAULT_START, MockSpec, write_mock
from burnout_lib.privacy.accounts import STAFF, Viewer, add_account, remove_account
from burnout_lib.privacy.consent import set_consent
from burnout_lib.sources.hume import client as hume_client
from burnout_lib.sources.hume.client import HumeClient
from burnout_lib.store import db
from burnout_lib.testing.hume_server import FakeHumeServer
from burnout_lib.testing.offline import pattern_clip

from helpers.media import pictures_and_videos

KEY = "test-key-self-service"
WHEN = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def jpeg(seed: int, flat: bool = False, size: tuple[int, int] = (160, 120)) -> bytes:
    """A still the stand-in finds a face in (varied pixels), or none in (a flat grey one)."""
    rng = np.random.default_rng(seed)
    shape = (size[1], size[0], 3)
    pixels = np.full(shape, 128, np.uint8) if flat else rng.integers(0, 255, shape, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (90, 120, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory) -> bytes:
    """A 3-second H.264 clip of ffmpeg's test pattern (3 frames at 1 frame/s)."""
    folder = tmp_path_factory.mktemp("clip")
    return pattern_clip(folder / "clip.mp4", 3, source="testsrc=size=320x240:rate=10").read_bytes()


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder for this test, to check nothing is left in it."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def hume():
    with FakeHumeServer(api_key=KEY) as server:
        yield server


@pytest.fixture
def client(hume) -> HumeClient:
    return HumeClient(KEY, hume.base_url, retries=0)


@pytest.fixture
def me(engine, settings, temp_dir) -> Viewer:
    """A signed-in staff member who agreed to share the weekly clip."""
    write_mock(engine, settings, MockSpec(staff=4, weeks=1, seed=2), progress=False)
    with engine.connect() as connection:
        pseudonym = connection.execute(
            select(db.staff.c.pseudonym).order_by(db.staff.c.id).limit(1)
        ).scalar_one()
    set_consent(engine, pseudonym, "face", granted=True)
    return add_account(engine, "nurse.jones", STAFF, pseudonym=pseudonym)


def stored(engine) -> pd.DataFrame:
    """Recordings made here (not the mock's), with their summaries."""
    with engine.connect() as connection:
        query = select(db.recording, db.expression_summary).join(db.expression_summary)
        return pd.read_sql(query.where(db.recording.c.source != "mock"), connection)


def assert_no_picture_or_video(settings, temp_dir: Path, sent: list[bytes] = ()) -> None:
    """No file under the data folder or the temporary folder holds a picture or a video."""
    assert pictures_and_videos(settings.data_dir, temp_dir, sent=tuple(sent)) == []


def assert_nothing_written(engine, settings, me: Viewer, counts: dict) -> None:
    assert db.row_counts(engine) == counts, "nothing is written on error"
    person = settings.person_dir(me.pseudonym)
    assert not list(person.glob("frames/*.parquet"))
    assert not (person / clips.UPLOADS).exists()


def test_a_camera_take_is_stored_once_with_no_picture_left_on_disk(
    engine, settings, me, client, hume, temp_dir
) -> None:
    frames = [jpeg(seed) for seed in range(15)]  # 5 s at 3 frames/s
    result = clips.submit_frames(engine, settings, me, frames, recorded_at=WHEN, client=client)

    assert (result.recording.status, result.recording.frames) == ("new", 15)
    assert (result.recording.frames_sent, result.recording.faces) == (15, 15)
    assert hume.images == 15 and hume.requests == 1
    [row] = stored(engine).to_dict("records")
    assert (row["source"], row["frames"], row["frames_used"]) == ("camera", 15, 15)
    assert str(row["week_start"]) == "2026-03-02" and row["staff_id"] == me.staff_id
    assert 0 <= row["tiredness_mean"] <= 1
    assert result.week.isoformat() == "2026-03-02"
    assert 0 < result.expressions["fatigue"] < 1 and 0 < result.expressions["protective"] < 1
    assert result.early_warning is None and "No early warning yet" in result.summary()
    assert result.summary().startswith("Stored your clip for the week of 02 Mar 2026: 15 pictures")
    assert_no_picture_or_video(settings, temp_dir, frames)

    again = clips.submit_frames(engine, settings, me, frames, recorded_at=WHEN, client=client)
    assert again.recording.status == "already stored" and hume.images == 15
    assert again.summary().startswith("This recording was already stored; nothing was sent again.")
    assert len(stored(engine)) == 1


def test_an_uploaded_clip_is_decoded_deleted_and_stored(
    engine, settings, me, client, hume, temp_dir, clip_bytes
) -> None:
    result = clips.submit_clip(
        engine, settings, me, "My clip.mp4", clip_bytes, recorded_at=WHEN, client=client
    )
    assert (result.recording.status, result.recording.frames, result.recording.faces) == (
        "new", 3, 3,
    )  # fmt: skip
    [row] = stored(engine).to_dict("records")
    assert row["source"] == "upload" and row["frames"] == 3
    # the same recording `burnout extract` of this file stores: keyed by the file's content
    import hashlib

    assert row["sha256"] == hashlib.sha256(clip_bytes).hexdigest()
    assert_no_picture_or_video(settings, temp_dir)
    assert not (settings.person_dir(me.pseudonym) / clips.UPLOADS).exists()


def test_a_few_photos_are_one_recording(engine, settings, me, client, hume, temp_dir) -> None:
    photos = [("a.png", png(1)), ("b.JPG", jpeg(2)), ("c.jpeg", jpeg(3))]
    result = clips.submit_upload(engine, settings, me, photos, recorded_at=WHEN, client=client)
    assert (result.recording.frames, result.recording.faces) == (3, 3)
    assert stored(engine)["frames"].tolist() == [3]
    assert_no_picture_or_video(settings, temp_dir)


def refusal_cases(clip_bytes: bytes):
    flat = [jpeg(k, flat=True) for k in range(6)]
    return {
        "no face": (
            clips.NoFaceFound,
            "No face was found in your 6 pictures",
            lambda e, s, me, c: clips.submit_frames(e, s, me, flat, client=c),
        ),
        "not a video or image": (
            InvalidInput,
            "notes.txt is not a video or an image this page takes",
            lambda e, s, me, c: clips.submit_clip(e, s, me, "notes.txt", b"hello", client=c),
        ),
        "a clip that does not decode": (
            InvalidInput,
            "clip.mp4 is not a video or an image that can be read (cannot decode video",
            lambda e, s, me, c: clips.submit_clip(e, s, me, "clip.mp4", b"\0" * 5000, client=c),
        ),
        "a photo that does not decode": (
            InvalidInput,
            "me.png is not a video or an image that can be read (cannot open image",
            lambda e, s, me, c: clips.submit_upload(e, s, me, [("me.png", b"junk")], client=c),
        ),
        "too large": (
            InvalidInput,
            "big.mp4 is 0.2 MB: an upload may be at most 0.1 MB; nothing was stored",
            lambda e, s, me, c: clips.submit_clip(
                e,
                dataclasses.replace(s, upload_max_bytes=100_000),
                me,
                "big.mp4",
                b"\0" * 200_000,
                client=c,
            ),
        ),
        "too long": (
            InvalidInput,
            "long.mp4 lasts 3 s: a clip may last at most 2 s",
            lambda e, s, me, c: clips.submit_clip(
                e,
                dataclasses.replace(s, clip_max_seconds=2),
                me,
                "long.mp4",
                clip_bytes,
                client=c,
            ),
        ),
        "a camera frame that is not a JPEG": (
            InvalidInput,
            "picture 2 of 2 is not a JPEG picture; nothing was sent",
            lambda e, s, me, c: clips.submit_frames(e, s, me, [jpeg(1), png(2)], client=c),
        ),
        "a clip among photos": (
            InvalidInput,
            "b.mov is a clip: upload one clip on its own, or only photos",
            lambda e, s, me, c: clips.submit_upload(
                e, s, me, [("a.jpg", jpeg(1)), ("b.mov", clip_bytes)], client=c
            ),
        ),
    }


CASES = [
    "no face",
    "not a video or image",
    "a clip that does not decode",
    "a photo that does not decode",
    "too large",
    "too long",
    "a camera frame that is not a JPEG",
    "a clip among photos",
]


@pytest.mark.parametrize("case", CASES)
def test_each_bad_input_says_why_and_writes_nothing(
    engine, settings, me, client, hume, temp_dir, clip_bytes, case
) -> None:
    error, message, submit = refusal_cases(clip_bytes)[case]
    counts = db.row_counts(engine)
    with pytest.raises(error) as raised:
        submit(engine, settings, me, client)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert_nothing_written(engine, settings, me, counts)
    assert_no_picture_or_video(settings, temp_dir)
    if case != "no face":
        assert hume.requests == 0, "a refused input is never sent"


def test_without_consent_nothing_is_sent_or_written(
    engine, settings, me, client, hume, temp_dir, clip_bytes
) -> None:
    set_consent(engine, me.pseudonym, "face", granted=False)
    counts = db.row_counts(engine)
    for submit in (
        lambda: clips.submit_frames(engine, settings, me, [jpeg(1)], client=client),
        lambda: clips.submit_clip(engine, settings, me, "c.mp4", clip_bytes, client=client),
    ):
        with pytest.raises(ConsentError, match="You have not agreed to share your weekly clip"):
            submit()
    off = dataclasses.replace(settings, channels_off=frozenset({"face"}))
    set_consent(engine, me.pseudonym, "face", granted=True)
    with pytest.raises(ConsentError, match="switched off for this hospital"):
        clips.submit_frames(engine, off, me, [jpeg(1)], client=client)
    assert hume.requests == 0
    assert db.row_counts(engine) == counts
    assert not (settings.person_dir(me.pseudonym) / "hume-cache").exists()
    assert_no_picture_or_video(settings, temp_dir)


def test_only_the_signed_in_staff_member_submits_for_themselves(
    engine, settings, me, client, hume
) -> None:
    frames = [jpeg(1), jpeg(2)]
    with engine.connect() as connection:
        unit = connection.execute(select(db.staff.c.unit).limit(1)).scalar_one()
    for viewer in (
        add_account(engine, "analyst.kim", "analyst"),
        add_account(engine, "manager.lee", "manager", units=[unit]),
        add_account(engine, "oh.patel", "occupational_health"),
    ):
        with pytest.raises(
            AccessDenied, match=f"{viewer.login} .* has no check-in, consent or data"
        ):
            clips.submit_frames(engine, settings, viewer, frames, client=client)
    # a viewer object naming someone else (as a forged message would) is not the account
    with engine.connect() as connection:
        other_id, other = connection.execute(
            select(db.staff.c.id, db.staff.c.pseudonym).where(db.staff.c.id != me.staff_id)
        ).first()
    set_consent(engine, other, "face", granted=True)
    forged = dataclasses.replace(me, staff_id=other_id, pseudonym=other)
    with pytest.raises(NotSignedIn, match="has changed: please sign in again"):
        clips.submit_frames(engine, settings, forged, frames, client=client)
    nobody = Viewer("stranger", STAFF, other_id, other)
    with pytest.raises(NotSignedIn):
        clips.submit_frames(engine, settings, nobody, frames, client=client)
    remove_account(engine, me.login)
    with pytest.raises(NotSignedIn):
        clips.submit_frames(engine, settings, me, frames, client=client)
    assert hume.requests == 0 and stored(engine).empty


def test_hume_unreachable_leaves_nothing_and_a_retry_sends_only_the_rest(
    engine, settings, me, hume, temp_dir, monkeypatch
) -> None:
    monkeypatch.setattr(hume_client, "MAX_REQUEST_FRAMES", 10)  # 15 frames: two requests
    frames = [jpeg(100 + k) for k in range(15)]
    counts = db.row_counts(engine)

    closed = HumeClient(KEY, "http://127.0.0.1:9", retries=0)  # nothing listens there
    with pytest.raises(HumeError, match=r"^Hume could not measure your pictures just now \(cannot"):
        clips.submit_frames(engine, settings, me, frames, recorded_at=WHEN, client=closed)
    assert_nothing_written(engine, settings, me, counts)

    client = HumeClient(KEY, hume.base_url, retries=0)
    hume.fail_next(5, status=503)
    with pytest.raises(HumeError, match="Press Try again") as raised:
        clips.submit_frames(
            engine, settings, me, frames, recorded_at=WHEN, client=client,
        )  # fmt: skip
    assert "503" in str(raised.value)
    assert hume.images == 0

    # the first request goes through, the second fails: its answer is kept in the cache
    hume.clear_faults()
    measured = []

    class FailsSecond(HumeClient):
        def measure(self, jpegs, face_state):
            if measured:
                raise HumeError("cannot reach Hume's API: ConnectError")
            measured.append(len(jpegs))
            return super().measure(jpegs, face_state)

    with pytest.raises(HumeError, match="pictures already measured are not sent twice"):
        clips.submit_frames(
            engine, settings, me, frames, recorded_at=WHEN, client=FailsSecond(KEY, hume.base_url)
        )
    assert measured == [10] and hume.images == 10
    assert_nothing_written(engine, settings, me, counts)
    assert_no_picture_or_video(settings, temp_dir, frames)

    result = clips.submit_frames(engine, settings, me, frames, recorded_at=WHEN, client=client)
    assert (result.recording.frames, result.recording.frames_sent) == (15, 5)
    assert hume.images == 15, "the frames measured before are not sent again"
    assert len(set(hume.image_hashes)) == 15
    assert stored(engine)["frames"].tolist() == [15]


def test_after_a_recording_the_week_is_scored_again(engine, settings, trained, hume) -> None:
    """With a live model: the updated early warning, and this week's expressions against the
    person's own baseline (their earlier weeks' recordings)."""
    week = DEFAULT_START + timedelta(weeks=11)
    with engine.connect() as connection:
        consenting = select(db.consent.c.staff_id).where(
            db.consent.c.channel == "face", db.consent.c.granted
        )
        staff_id, pseudonym = connection.execute(
            select(db.staff.c.id, db.staff.c.pseudonym)
            .where(db.staff.c.id.in_(consenting))
            .order_by(db.staff.c.id)
            .limit(1)
        ).one()
    me = add_account(engine, "nurse.self", STAFF, pseudonym=pseudonym)
    moment = datetime.combine(week + timedelta(days=2), datetime.min.time(), UTC)
    client = HumeClient(KEY, hume.base_url, retries=0)
    frames = [jpeg(200 + k) for k in range(6)]
    result = clips.submit_frames(engine, settings, me, frames, recorded_at=moment, client=client)

    assert result.week == week
    assert result.probability is not None and 0 <= result.probability <= 1
    assert result.level in ("low", "moderate", "high")
    with engine.connect() as connection:
        risk = connection.execute(
            select(db.weekly_risk.c.probability).where(
                db.weekly_risk.c.staff_id == staff_id,
                db.weekly_risk.c.week_start == week,
                db.weekly_risk.c.model_version_id == trained,
            )
        ).scalar_one()
        scored = connection.execute(
            select(db.weekly_risk.c.staff_id).where(db.weekly_risk.c.week_start == week)
        ).scalars()
        assert list(scored) == [staff_id], "only the person's own week is scored"
    assert risk == pytest.approx(result.probability)
    assert not pd.isna(result.expressions["fatigue_baseline"]), "earlier weeks give a baseline"
    assert f"Early warning: {result.probability:.0%} ({result.level})." in result.summary()
    assert "(your usual: " in result.summary()
