"""`burnout extract` and `burnout import-hume` end to end: real SDK, local Hume stand-in; what is
stored of a person is owner-only."""

import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from burnout_lib.errors import ConsentError, HumeError
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.consent import erase_person, set_consent
from burnout_lib.sources.hume.client import HumeClient
from burnout_lib.sources.hume.extract import extract_file, import_legacy
from burnout_lib.sources.hume.frames import file_sha256
from burnout_lib.store import db
from burnout_lib.testing.hume_server import FakeHumeServer
from burnout_lib.testing.offline import pattern_clip

KEY = "test-key-0123456789"
LEGACY = Path(__file__).resolve().parent.parent / "data" / "samples" / "hume_legacy"


def make_clip(path: Path, seconds: int, source: str = "testsrc=size=320x240:rate=10") -> Path:
    return pattern_clip(path, seconds, source=source)


@pytest.fixture
def hume(monkeypatch: pytest.MonkeyPatch):
    with FakeHumeServer(api_key=KEY) as server:
        monkeypatch.setenv("HUME_API_KEY", KEY)
        monkeypatch.setenv("HUME_BASE_URL", server.base_url)
        yield server


@pytest.fixture
def person(engine, settings) -> str:
    """A staff member who consented to the facial channel."""
    write_mock(engine, settings, MockSpec(staff=4, weeks=1, seed=2), progress=False)
    with engine.connect() as connection:
        pseudonym = connection.execute(select(db.staff.c.pseudonym).limit(1)).scalar_one()
    set_consent(engine, pseudonym, "face", granted=True)
    return pseudonym


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "handover.mp4", seconds=3)


def recordings(engine) -> pd.DataFrame:
    with engine.connect() as connection:
        query = select(db.recording, db.expression_summary).join(db.expression_summary)
        return pd.read_sql(query.where(db.recording.c.source != "mock"), connection)


def test_extract_end_to_end_and_rerun_sends_nothing(cli, engine, settings, hume, person, clip):
    result = cli("extract", str(clip), "--staff", person, "--recorded-at", "2026-03-04T10:00")
    assert result.stdout.strip() == (
        "handover.mp4: 3 frames, 3 sent, 3 with a face (face 0: the only face); new"
    )
    assert hume.requests == 1
    [row] = recordings(engine).to_dict("records")
    assert row["sha256"] == file_sha256(clip)
    assert str(row["week_start"]) == "2026-03-02"
    assert (row["frames"], row["faces"], row["frames_used"], row["source"]) == (3, 3, 3, "file")
    assert 0 <= row["tiredness_mean"] <= 1 and row["tiredness_p90"] >= row["tiredness_mean"] - 1e-9
    frames = pd.read_parquet(settings.data_dir / row["frames_path"])
    assert len(frames) == 3 and list(frames.time_s) == [0.0, 1.0, 2.0]
    assert frames.tiredness.mean() == pytest.approx(row["tiredness_mean"])

    again = cli("extract", str(clip), "--staff", person)
    assert "already stored" in again.stdout and hume.requests == 1
    assert len(recordings(engine)) == 1


def test_resume_after_a_crash_sends_only_what_is_missing(engine, settings, hume, person, tmp_path):
    clip = make_clip(tmp_path / "long.mp4", seconds=45)  # 45 frames: two requests
    client = HumeClient(KEY, hume.base_url, retries=0)

    def crash_after_first_request(done: int) -> None:
        hume.fail_next(10, status=500)

    counts = db.row_counts(engine)
    with pytest.raises(HumeError, match="500"):
        extract_file(engine, settings, client, clip, person, on_frames=crash_after_first_request)
    assert db.row_counts(engine) == counts, "nothing is half-stored"
    answered = hume.images
    assert answered == 30

    hume.clear_faults()
    result = extract_file(engine, settings, HumeClient(KEY, hume.base_url), clip, person)
    assert (result.frames, result.frames_sent, result.status) == (45, 15, "new")
    assert hume.images == answered + 15
    assert recordings(engine).frames.tolist() == [45]


def test_a_clip_without_faces_is_a_recording_with_zero_faces(
    engine, settings, hume, person, tmp_path
):
    dark = make_clip(tmp_path / "dark.mp4", seconds=2, source="color=c=black:size=320x240:rate=10")
    result = extract_file(engine, settings, HumeClient(KEY, hume.base_url), dark, person)
    assert (result.frames, result.faces) == (2, 0)
    [row] = recordings(engine).to_dict("records")
    assert row["faces"] == 0 and row["frames_used"] == 0 and pd.isna(row["tiredness_mean"])
    assert row["face_choice"] == "no face found"


def test_server_error_then_success_is_retried(engine, settings, hume, person, clip):
    hume.fail_next(1, status=500)
    result = extract_file(engine, settings, HumeClient(KEY, hume.base_url), clip, person)
    assert result.status == "new" and hume.requests == 2


def test_consent_is_checked_before_anything_is_sent(engine, settings, hume, person, clip):
    set_consent(engine, person, "face", granted=False)
    with pytest.raises(ConsentError, match="not consented"):
        extract_file(engine, settings, HumeClient(KEY, hume.base_url), clip, person)
    assert hume.requests == 0
    assert not (settings.person_dir(person) / "hume-cache").exists()


def test_consent_withdrawn_while_measuring_stores_nothing(engine, settings, hume, person, clip):
    """The person withdraws on their page while their frames are with Hume: the answers that
    come back are not stored, and no frame table is left behind."""

    def withdraw(_frames: int) -> None:
        set_consent(engine, person, "face", granted=False)

    with pytest.raises(ConsentError, match="withdrew consent"):
        extract_file(engine, settings, HumeClient(KEY, hume.base_url), clip, person,
                     on_frames=withdraw)  # fmt: skip
    assert recordings(engine).empty
    assert not list((settings.person_dir(person) / "frames").glob("*.parquet"))


def test_erasure_removes_frames_and_cached_answers(engine, settings, hume, person, clip):
    extract_file(engine, settings, HumeClient(KEY, hume.base_url), clip, person)
    folder = settings.person_dir(person)
    assert list((folder / "hume-cache").glob("*.json")) and list((folder / "frames").iterdir())
    erase_person(engine, settings, person)
    assert not folder.exists() and recordings(engine).empty


@pytest.fixture
def permissive_umask():
    """What a service started from a default shell has: everything written readable by all."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_person_s_frames_and_cached_answers_are_owner_only(
    permissive_umask, engine, settings, hume, person, clip
):
    result = extract_file(engine, settings, HumeClient(KEY, hume.base_url), clip, person)
    folder = settings.person_dir(person)
    table = folder / "frames" / f"{result.sha256}.parquet"
    assert len(pd.read_parquet(table)) == 3
    for path in (settings.frames_dir, folder, folder / "frames", folder / "hume-cache"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    answers = list((folder / "hume-cache").glob("*.json"))
    assert answers
    for path in [table, *answers]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not list(folder.rglob("*.tmp")), "no temporary file left"


@pytest.mark.parametrize(
    ("name", "frames", "choice"),
    [
        ("face_only_5_frames.json", 5, "face face_0: the only face"),
        ("interviewiq_url_source.json", 65, "face face_0: the only face"),
        (
            "interreviewer_file_source.json",
            258,
            "face face_0: in 258 frames",
        ),
        ("hume_api_examples_visualization.json", 419, "face face_1: in 376 frames"),
    ],
)
def test_legacy_samples_import(engine, settings, person, name, frames, choice):
    [result] = import_legacy(engine, settings, LEGACY / name, person)
    assert result.status == "imported" and result.frames == frames
    [row] = recordings(engine).to_dict("records")
    assert row["source"] == "legacy" and row["frames"] == frames
    assert row["face_choice"].startswith(choice)
    [again] = import_legacy(engine, settings, LEGACY / name, person)
    assert again.status == "already stored" and len(recordings(engine)) == 1


def test_bad_inputs_are_one_line_and_store_nothing(
    cli, engine, hume, person, tmp_path, monkeypatch
):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "notes.mp4").write_text("handover notes, not a video")
    good = make_clip(tmp_path / "good.mp4", seconds=2)
    (tmp_path / "truncated.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "clip.mkv").write_bytes(good.read_bytes())
    (tmp_path / "preds.json").write_text('{"predictions": []}')
    counts = db.row_counts(engine)
    cases = {
        ("extract", "empty.mp4"): "empty.mp4: the file is empty",
        ("extract", "notes.mp4"): "notes.mp4: cannot decode video",
        ("extract", "truncated.mp4"): "truncated.mp4: cannot decode video",
        ("extract", "clip.mkv"): "clip.mkv: unsupported file type",
        ("import-hume", "preds.json"): "preds.json: not a Hume predictions file",
    }
    for (command, name), expected in cases.items():
        result = cli(command, str(tmp_path / name), "--staff", person, check=False)
        assert result.returncode == 1, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], result.stderr
    assert hume.requests == 0 and db.row_counts(engine) == counts

    monkeypatch.setenv("HUME_API_KEY", "wrong-key")
    result = cli("extract", str(good), "--staff", person, check=False)
    assert result.returncode == 1 and "rejected the API key (401)" in result.stderr
    assert "wrong-key" not in result.stderr

    monkeypatch.delenv("HUME_API_KEY")
    result = cli("extract", str(good), "--staff", person, check=False)
    assert result.returncode == 1 and "HUME_API_KEY is not set" in result.stderr
    assert db.row_counts(engine) == counts


def test_facial_channel_switched_off(cli, engine, hume, person, clip, monkeypatch):
    monkeypatch.setenv("BURNOUT_FACIAL_CHANNEL", "off")
    result = cli("extract", str(clip), "--staff", person, check=False)
    assert result.returncode == 1 and "switched off" in result.stderr
    assert hume.requests == 0
