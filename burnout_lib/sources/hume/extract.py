"""From a consented clip (or a saved legacy predictions file) to stored expression scores.

A recording is keyed by the content hash of its source, so extracting the same file again is a
no-op, and two runs given the same file at once measure it once: the second waits for the first
(a lock file per recording, released by the system even if the first run is killed) and then
finds the recording stored.

The frame table goes to Parquet under the person's folder (owner-only, as Hume's cache there is)
and the recording with its per-expression summary goes to the database in one transaction, after
every frame is measured: a run that dies half-way stores nothing, and the next run resumes from
Hume's cached answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout
from sqlalchemy import select
from sqlalchemy.engine import Engine

from burnout_lib.config import Settings
from burnout_lib.emotions import BELOW_FLOOR, EXPRESSION_SLUGS, SUMMARY_STATS, summarise_frames
from burnout_lib.errors import ConsentError, InvalidInput
from burnout_lib.privacy.consent import require_consent, staff_id_for
from burnout_lib.sources.hume.client import HumeClient, measure_frames
from burnout_lib.sources.hume.frames import Frame, file_sha256, iter_frames
from burnout_lib.sources.hume.predictions import (
    ID_COLUMNS,
    choose_face,
    load_json,
    parse_current,
    parse_legacy,
)
from burnout_lib.store import db
from burnout_lib.store.private_files import PRIVATE_FILE_MODE, private_dir, replacing
from burnout_lib.store.transactions import write_transaction


class NoFaceFound(InvalidInput):
    """Hume found no face in any frame of a recording that must show one; nothing was stored."""


@dataclass
class ExtractResult:
    """What happened to one input file."""

    file: str
    sha256: str
    #: "new", "cached" (answered from the cache), "imported" (legacy file), "already stored",
    #: "stored by another run" (which we waited for), "stored first by another run" (we measured
    #: it too, but the other run's copy was kept)
    status: str
    frames: int = 0
    frames_sent: int = 0
    faces: int = 0
    face_choice: str = ""

    def summary(self) -> str:
        if self.status == "already stored":
            return f"{self.file}: already stored (recording {self.sha256[:12]}), nothing sent"
        if self.status == "stored by another run":
            return (
                f"{self.file}: measured and stored meanwhile by another run (recording "
                f"{self.sha256[:12]}); skipped, nothing sent"
            )
        if self.status == "stored first by another run":
            return (
                f"{self.file}: measured ({self.frames_sent} frames sent), but another run stored "
                f"recording {self.sha256[:12]} first; kept that one, stored nothing"
            )
        if self.status == "imported":
            return (
                f"{self.file}: {self.frames} frames imported, {self.faces} with a face"
                f" ({self.face_choice})"
            )
        return (
            f"{self.file}: {self.frames} frames, {self.frames_sent} sent, {self.faces} with a face"
            f" ({self.face_choice}); {self.status}"
        )


def week_start(moment: datetime) -> date:
    """The Monday of the ISO week a moment (UTC) falls in."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _as_utc(moment: datetime | None, path: Path) -> datetime:
    if moment is None:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_facial_consent(engine: Engine, settings: Settings, pseudonym: str) -> int:
    """Refuse before anything leaves the machine unless the facial channel may be used."""
    if not settings.channel_on("face"):
        raise ConsentError(
            "the facial channel is switched off for this deployment (BURNOUT_FACE_CHANNEL=off)"
        )
    db.require_schema(engine)
    with engine.connect() as connection:
        staff_id = staff_id_for(connection, pseudonym)
        require_consent(
            connection,
            staff_id,
            "face",
            f"{pseudonym} has not consented to the facial channel (face): nothing was sent",
        )
    return staff_id


def _already_stored(engine: Engine, sha256: str) -> bool:
    with engine.connect() as connection:
        found = connection.execute(
            select(db.recording.c.id).where(db.recording.c.sha256 == sha256)
        ).first()
    return found is not None


def summarise(frames: pd.DataFrame, face_id: str | None) -> dict:
    """The expression summary row of one recording: the chosen face's mean, p90 and std."""
    mine = frames[frames["face_id"] == face_id] if face_id is not None else frames.iloc[:0]
    score_columns = [c for c in frames.columns if c not in ID_COLUMNS]
    values = mine[score_columns].to_numpy(dtype=float)[None, :, :]
    if values.shape[1] == 0:
        values = np.full((1, 1, len(score_columns)), np.nan)
    stats = summarise_frames(values)
    row: dict = {"frames_used": len(mine)}
    extra: dict = {}
    for k, name in enumerate(score_columns):
        numbers = {stat: _number(stats[stat][0, k]) for stat in SUMMARY_STATS}
        if name in EXPRESSION_SLUGS:
            row.update({f"{name}_{stat}": value for stat, value in numbers.items()})
        else:
            extra[name] = numbers
    row["extra"] = extra or None
    return row


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def store_recording(
    engine: Engine,
    settings: Settings,
    staff_id: int,
    pseudonym: str,
    sha256: str,
    recorded_at: datetime,
    source: str,
    frames: pd.DataFrame,
    frame_count: int,
    request_ids: list[str] | None = None,
    run_ids: list[str] | None = None,
) -> tuple[str, bool]:
    """Write the frame table, then the recording and its summary in one transaction.

    Returns the face choice, and False when another run (on another machine, say) stored this
    recording first: theirs is kept. The Parquet file is written first (atomically); a stored
    recording always has its frames, and a file without a recording is replaced by the next run.
    """
    choice = choose_face(frames)
    relative = Path("people") / pseudonym / "frames" / f"{sha256}.parquet"
    target = settings.data_dir / relative
    private_dir(target.parent, top=settings.data_dir)  # people/, theirs and frames/: 0700
    with replacing(target) as temp:  # 0600 from the start
        frames.to_parquet(temp, index=False)
    recording = {
        "staff_id": staff_id,
        "recorded_at": recorded_at,
        "week_start": week_start(recorded_at),
        "sha256": sha256,
        "source": source,
        "state": "done",
        "hume_request_ids": request_ids,
        "hume_run_ids": run_ids,
        "frames": frame_count,
        "faces": int(frames["frame"].nunique()) if len(frames) else 0,
        "face_choice": choice.reason[:128],
        "frames_path": relative.as_posix(),
    }
    summary = summarise(frames, choice.face_id)

    def store(connection) -> bool:
        # consent withdrawn while the frames were being measured: nothing of theirs is kept
        require_consent(
            connection,
            staff_id,
            "face",
            f"{pseudonym} withdrew consent to the facial channel while the frames "
            "were being measured: nothing was stored",
        )
        new = db.upsert(connection, db.recording, pd.DataFrame([recording]), ("sha256",), False)
        if not new:
            return False
        recording_id = connection.execute(
            select(db.recording.c.id).where(db.recording.c.sha256 == sha256)
        ).scalar_one()
        row = pd.DataFrame([{"recording_id": recording_id, **summary}])
        db.upsert(connection, db.expression_summary, row, ("recording_id",), update=False)
        return True

    try:
        stored = write_transaction(engine, store, f"storing recording {sha256[:12]}")
    except ConsentError:
        target.unlink(missing_ok=True)
        raise
    return choice.reason, stored


def extract_file(
    engine: Engine,
    settings: Settings,
    client: HumeClient,
    path: Path,
    pseudonym: str,
    recorded_at: datetime | None = None,
    fps: float = 1.0,
    on_frames: Callable[[int], None] | None = None,
) -> ExtractResult:
    """Decode a clip or image, measure its frames with Hume and store the result."""
    path = Path(path)
    staff_id = check_facial_consent(engine, settings, pseudonym)
    sha256 = file_sha256(path)
    return _extract(
        engine, settings, client, _decoded(path, fps), path.name, staff_id, pseudonym, sha256,
        lambda: _as_utc(recorded_at, path), "file", on_frames,
    )  # fmt: skip


def extract_frames(
    engine: Engine,
    settings: Settings,
    client: HumeClient,
    frames: Iterable[Frame],
    pseudonym: str,
    sha256: str,
    label: str,
    recorded_at: datetime,
    source: str,
    require_face: bool = False,
    on_frames: Callable[[int], None] | None = None,
) -> ExtractResult:
    """Measure frames decoded elsewhere (a camera take's stills, an upload decoded in memory) and
    store them as one recording keyed by `sha256`, the way `extract_file` stores a file's.

    With `require_face`, a recording in which Hume finds no face raises `NoFaceFound` and is not
    stored (Hume's answers stay cached, so the same frames are never sent again).
    """
    staff_id = check_facial_consent(engine, settings, pseudonym)
    moment = recorded_at if recorded_at.tzinfo else recorded_at.replace(tzinfo=UTC)
    return _extract(
        engine, settings, client, frames, label, staff_id, pseudonym, sha256, lambda: moment,
        source, on_frames, require_face,
    )  # fmt: skip


def _decoded(path: Path, fps: float) -> Iterator[Frame]:
    """The file's frames, checked and decoded only once they are asked for (inside the lock)."""
    yield from iter_frames(path, fps=fps)


def _extract(
    engine: Engine,
    settings: Settings,
    client: HumeClient,
    frames: Iterable[Frame],
    label: str,
    staff_id: int,
    pseudonym: str,
    sha256: str,
    moment: Callable[[], datetime],
    source: str,
    on_frames: Callable[[int], None] | None,
    require_face: bool = False,
) -> ExtractResult:
    cache = private_dir(settings.person_dir(pseudonym) / "hume-cache", top=settings.data_dir)
    with recording_lock(cache, sha256) as waited:
        if _already_stored(engine, sha256):
            status = "stored by another run" if waited else "already stored"
            return ExtractResult(label, sha256, status)
        return _measure_and_store(
            engine, settings, client, frames, label, staff_id, pseudonym, sha256, cache,
            moment(), source, on_frames, require_face,
        )  # fmt: skip


@contextmanager
def recording_lock(cache: Path, sha256: str) -> Iterator[bool]:
    """Hold the recording's lock; yields whether another run held it first (and we waited)."""
    private_dir(cache)
    lock = FileLock(cache / f".{sha256}.lock", mode=PRIVATE_FILE_MODE)
    waited = False
    try:
        lock.acquire(timeout=0)
    except Timeout:
        waited = True
        lock.acquire()
    try:
        yield waited
    finally:
        lock.release()


def _measure_and_store(
    engine: Engine,
    settings: Settings,
    client: HumeClient,
    source_frames: Iterable[Frame],
    label: str,
    staff_id: int,
    pseudonym: str,
    sha256: str,
    cache: Path,
    moment: datetime,
    source: str,
    on_frames: Callable[[int], None] | None,
    require_face: bool = False,
) -> ExtractResult:
    tables, request_ids, run_ids = [], [], []
    frames = sent = 0
    for batch in measure_frames(client, source_frames, cache, on_frames):
        tables.append(parse_current(batch.response, sha256, batch.times, batch.first_frame))
        request_ids.append(batch.response.get("request_id"))
        run_ids.append(batch.response.get("run_id"))
        frames += len(batch.times)
        sent += 0 if batch.cached else len(batch.times)
    table = (
        pd.concat(tables, ignore_index=True)
        if tables
        else parse_current({"measurements": []}, sha256)
    )
    if require_face and table.empty:
        raise NoFaceFound(f"{label}: no face found in {frames} frames; nothing was stored")
    choice, stored = store_recording(
        engine, settings, staff_id, pseudonym, sha256, moment, source, table, frames,
        request_ids, run_ids,
    )  # fmt: skip
    status = "new" if sent else "cached"
    return ExtractResult(
        label,
        sha256,
        status if stored else "stored first by another run",
        frames=frames,
        frames_sent=sent,
        faces=int(table["frame"].nunique()) if len(table) else 0,
        face_choice=choice,
    )


def _concat(tables: list[pd.DataFrame], sha256: str) -> pd.DataFrame:
    """One frame table from the requests' tables; a name only some requests saw is below floor."""
    found = [t for t in tables if len(t)]
    if not found:
        return parse_current({"measurements": []}, sha256)
    table = pd.concat(found, ignore_index=True)
    scores = [c for c in table.columns if c not in ID_COLUMNS]
    table[scores] = table[scores].fillna(BELOW_FLOOR)
    return table


def import_legacy(
    engine: Engine,
    settings: Settings,
    path: Path,
    pseudonym: str,
    recorded_at: datetime | None = None,
) -> list[ExtractResult]:
    """Import a saved predictions file from Hume's retired batch API: one recording per media file.

    Nothing is sent anywhere, but the facial-channel consent rules apply all the same.
    """
    path = Path(path)
    staff_id = check_facial_consent(engine, settings, pseudonym)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    raw = path.read_bytes()
    data = load_json(raw, source=path.name)
    moment = _as_utc(recorded_at, path)
    file_hash = hashlib.sha256(raw).hexdigest()
    predictions = parse_legacy(data, file_hash, source=path.name)
    results = []
    for index, prediction in enumerate(predictions):
        sha256 = file_hash if len(predictions) == 1 else _sub_hash(file_hash, index)
        label = f"{path.name} [{prediction.file}]"
        if _already_stored(engine, sha256):
            results.append(ExtractResult(label, sha256, "already stored"))
            continue
        frames = prediction.frames.assign(recording_sha256=sha256)
        frame_count = int(frames["frame"].nunique())
        choice, stored = store_recording(
            engine, settings, staff_id, pseudonym, sha256, moment, "legacy", frames, frame_count
        )
        if not stored:
            results.append(ExtractResult(label, sha256, "stored by another run"))
            continue
        results.append(
            ExtractResult(
                label, sha256, "imported", frame_count, 0, frame_count, face_choice=choice
            )
        )
    return results


def _sub_hash(file_hash: str, index: int) -> str:
    return hashlib.sha256(f"{file_hash}#{index}".encode()).hexdigest()
