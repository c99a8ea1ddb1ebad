"""The signed-in person's weekly clip: camera frames or an upload, through the extraction path.

Each function takes the signed-in `Viewer` (never a pseudonym from the browser) and refuses anyone
but a staff member, for their own recording. Frames then go the way `burnout extract` takes them
(`sources.hume.extract`): the facial-channel consent is checked before anything is decoded or sent,
Hume (or the local stand-in) measures them with every answer cached by the frames' content, and
the recording and its summary are stored in one transaction once every frame is measured.

- `submit_frames`: the JPEG stills of one camera take (`app.camera.CameraWidget`);
- `submit_clip`: one uploaded clip (or one photo), at most `Settings.upload_max_bytes`; a clip is
  written to a private folder under the person's own folder only to be decoded, and deleted
  before anything is sent;
- `submit_photos`: a few uploaded photos (JPEG or PNG), measured as one recording;
- `submit_upload`: whichever of the two an upload widget's files are.

Any problem is one line, raised before anything is stored: no face found, not a video or image,
too large or too long, consent not granted, Hume unreachable. When Hume cannot be reached, the
answers to frames already measured stay in the person's cache (scores, not pictures), so the next
try sends only the rest and nothing is measured, or billed, twice. After a recording is stored
the person's week is scored again, and the result gives this week's expression summary against
their own baseline and the updated early warning.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from PIL import Image, UnidentifiedImageError

from burnout_lib.app.self_service import own_account, rescore_own_week
from burnout_lib.config import Settings
from burnout_lib.errors import ConsentError, HumeError, InvalidInput
from burnout_lib.privacy.accounts import Viewer
from burnout_lib.privacy.consent import require_consent
from burnout_lib.readouts import views
from burnout_lib.sources.hume.client import HumeClient
from burnout_lib.sources.hume.extract import (
    ExtractResult,
    NoFaceFound,
    extract_frames,
    week_start,
)
from burnout_lib.sources.hume.frames import (
    IMAGE_EXTENSIONS,
    MAX_FPS,
    MAX_JPEG_BYTES,
    MAX_PIXELS,
    VIDEO_EXTENSIONS,
    Frame,
    iter_frames,
    probe_duration,
)
from burnout_lib.store import db
from burnout_lib.store.private_files import private_dir

log = logging.getLogger(__name__)

#: Frames a camera take may have: the widget's longest take (10 s) at the API's 3 frames/s.
MAX_TAKE_FRAMES = 30
#: Photos one upload may have.
MAX_PHOTOS = 10
#: Frames per second taken from an uploaded clip, as `burnout extract` takes them by default.
CLIP_FPS = 1.0
#: Widest frame taken from an uploaded clip, in pixels.
CLIP_MAX_WIDTH = 1280
#: An upload folder older than this was left by a run that was killed: it is removed.
STALE_UPLOAD_SECONDS = 3600
UPLOADS = "uploads"


@dataclass
class ClipResult:
    """What one submission stored, and the person's week after it."""

    week: date
    recording: ExtractResult
    #: this week's `fatigue`, `protective` and each one's `…_baseline` (the mean of the person's
    #: earlier weeks with a recording; missing until there are two); None if no face was measured
    expressions: pd.Series | None
    #: this week's row of the person's log (`probability`, `level`, `estimate_probability`,
    #: `checkin_score`, `drivers`, …) after re-scoring; None without a live model
    early_warning: pd.Series | None
    #: said when there is no early warning
    note: str = ""

    @property
    def probability(self) -> float | None:
        """The updated early warning: the chance of a check-in of 50 or more within the horizon."""
        if self.early_warning is None or pd.isna(self.early_warning["probability"]):
            return None
        return float(self.early_warning["probability"])

    @property
    def level(self) -> str | None:
        return None if self.early_warning is None else str(self.early_warning["level"])

    def summary(self) -> str:
        """The result in one paragraph, as the page shows it."""
        done = self.recording
        if done.status in ("already stored", "stored by another run"):
            parts = ["This recording was already stored; nothing was sent again."]
        else:
            parts = [
                f"Stored your clip for the week of {self.week:%d %b %Y}: {done.frames} "
                f"picture{'s' * (done.frames != 1)} measured, a face in {done.faces}."
            ]
        if self.expressions is not None:
            parts.append(
                f"Fatigue-related expressions {_against(self.expressions, 'fatigue')}; "
                f"calm and content {_against(self.expressions, 'protective')}."
            )
        if self.probability is not None:
            parts.append(f"Early warning: {self.probability:.0%} ({self.level}).")
        elif self.note:
            parts.append(self.note)
        return " ".join(parts)


def _against(row: pd.Series, name: str) -> str:
    value, usual = row.get(name), row.get(f"{name}_baseline")
    if value is None or pd.isna(value):
        return "not measured"
    if usual is None or pd.isna(usual):
        return f"{value:.2f} (your usual level needs two earlier weeks)"
    return f"{value:.2f} (your usual: {usual:.2f})"


# --- Who may submit ------------------------------------------------------------------------


def own_person(engine, viewer: Viewer) -> tuple[int, str]:
    """The staff id and pseudonym of the signed-in staff member, checked against their account
    as it is now (a removed or changed account submits nothing)."""
    db.require_schema(engine)
    with engine.connect() as connection:
        account = own_account(connection, viewer)
    return int(account.staff_id), str(account.pseudonym)


def _require_consent(engine, settings: Settings, staff_id: int) -> None:
    """Refuse, in the person's own words, before anything is decoded or sent."""
    if not settings.channel_on("face"):
        raise ConsentError(
            "The weekly clip (the facial channel) is switched off for this hospital; nothing "
            "was sent or stored."
        )
    with engine.connect() as connection:
        require_consent(
            connection,
            staff_id,
            "face",
            "You have not agreed to share your weekly clip (the facial channel), so "
            "nothing was sent or stored. You can agree under Consent on your page.",
        )


# --- Submissions ---------------------------------------------------------------------------


def submit_frames(
    engine,
    settings: Settings,
    viewer: Viewer,
    frames: Sequence[bytes],
    *,
    fps: float = MAX_FPS,
    recorded_at: datetime | None = None,
    client: HumeClient | None = None,
) -> ClipResult:
    """Measure and store the JPEG stills of one camera take (taken `fps` a second)."""
    staff_id, pseudonym = own_person(engine, viewer)
    _require_consent(engine, settings, staff_id)
    if not 0 < fps <= MAX_FPS:
        raise InvalidInput(f"a take has at most {MAX_FPS:g} pictures a second, not {fps!r}")
    checked = _checked_stills(frames)
    digest = hashlib.sha256(b"burnout camera take\n")
    for jpeg in checked:
        digest.update(hashlib.sha256(jpeg).digest())
    stills = [Frame(index=i, time_s=i / fps, jpeg=jpeg) for i, jpeg in enumerate(checked)]
    again = "Press Try again to measure the same pictures"
    return _measure(
        engine, settings, viewer, client, stills, staff_id, pseudonym, digest.hexdigest(),
        "camera take", "camera", recorded_at, again,
    )  # fmt: skip


def submit_clip(
    engine,
    settings: Settings,
    viewer: Viewer,
    filename: str,
    data: bytes,
    *,
    recorded_at: datetime | None = None,
    client: HumeClient | None = None,
) -> ClipResult:
    """Measure and store one uploaded clip (or one photo), decoded here and then deleted."""
    staff_id, pseudonym = own_person(engine, viewer)
    _require_consent(engine, settings, staff_id)
    name = _display_name(filename)
    data = bytes(data)
    _check_upload([(name, data)], settings)
    stills = _decode(settings, pseudonym, [(name, data)])
    sha256 = hashlib.sha256(data).hexdigest()
    again = f"Upload {name} again later"
    return _measure(
        engine, settings, viewer, client, stills, staff_id, pseudonym, sha256, name, "upload",
        recorded_at, again,
    )  # fmt: skip


def submit_photos(
    engine,
    settings: Settings,
    viewer: Viewer,
    photos: Sequence[tuple[str, bytes]],
    *,
    recorded_at: datetime | None = None,
    client: HumeClient | None = None,
) -> ClipResult:
    """Measure and store a few uploaded photos (JPEG or PNG) as one recording."""
    staff_id, pseudonym = own_person(engine, viewer)
    _require_consent(engine, settings, staff_id)
    files = [(_display_name(name), bytes(data)) for name, data in photos]
    if not files:
        raise InvalidInput("no photos were uploaded")
    if len(files) > MAX_PHOTOS:
        raise InvalidInput(f"{len(files)} photos were uploaded: at most {MAX_PHOTOS} at a time")
    videos = [name for name, _ in files if Path(name).suffix.lower() in VIDEO_EXTENSIONS]
    if videos:
        raise InvalidInput(f"{videos[0]} is a clip: upload one clip on its own, or only photos")
    _check_upload(files, settings)
    stills = _decode(settings, pseudonym, files)
    if len(files) == 1:  # the same recording `burnout extract PHOTO` would store
        sha256 = hashlib.sha256(files[0][1]).hexdigest()
    else:
        digest = hashlib.sha256(b"burnout photos\n")
        for _, data in files:
            digest.update(hashlib.sha256(data).digest())
        sha256 = digest.hexdigest()
    label = files[0][0] if len(files) == 1 else f"{len(files)} photos"
    again = "Upload the same photos again later"
    return _measure(
        engine, settings, viewer, client, stills, staff_id, pseudonym, sha256, label, "upload",
        recorded_at, again,
    )  # fmt: skip


def submit_upload(
    engine,
    settings: Settings,
    viewer: Viewer,
    files: Sequence[tuple[str, bytes]],
    *,
    recorded_at: datetime | None = None,
    client: HumeClient | None = None,
) -> ClipResult:
    """An upload widget's files: one clip, or a few photos."""
    files = list(files)
    if len(files) == 1 and Path(files[0][0]).suffix.lower() not in IMAGE_EXTENSIONS:
        name, data = files[0]
        return submit_clip(
            engine, settings, viewer, name, data, recorded_at=recorded_at, client=client
        )
    return submit_photos(engine, settings, viewer, files, recorded_at=recorded_at, client=client)


# --- Checks and decoding -------------------------------------------------------------------


def _checked_stills(frames: Sequence[bytes]) -> list[bytes]:
    """The take's JPEGs, each a complete picture within the API's limits, or one line why not."""
    frames = [bytes(f) for f in frames]
    if not frames:
        raise InvalidInput("the take has no pictures; nothing was sent")
    if len(frames) > MAX_TAKE_FRAMES:
        raise InvalidInput(
            f"the take has {len(frames)} pictures: at most {MAX_TAKE_FRAMES}; nothing was sent"
        )
    for number, jpeg in enumerate(frames, start=1):
        where = f"picture {number} of {len(frames)}"
        if len(jpeg) > MAX_JPEG_BYTES:
            raise InvalidInput(
                f"{where} is {_megabytes(len(jpeg))}, over the {_megabytes(MAX_JPEG_BYTES)} "
                "limit; nothing was sent"
            )
        try:
            with Image.open(io.BytesIO(jpeg)) as image:
                if image.format != "JPEG":
                    raise InvalidInput(f"{where} is not a JPEG picture; nothing was sent")
                if image.width * image.height > MAX_PIXELS:
                    raise InvalidInput(f"{where} has too many pixels; nothing was sent")
                image.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise InvalidInput(f"{where} is not a JPEG picture; nothing was sent") from None
        except Image.DecompressionBombError:
            raise InvalidInput(f"{where} has too many pixels; nothing was sent") from None
    return frames


def _display_name(filename: str) -> str:
    """The upload's own name, safe to show and to use as a file name: no folders, no controls."""
    name = Path(str(filename or "").replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    if len(name) > 80:
        suffix = Path(name).suffix[:10]
        name = name[: 80 - len(suffix)] + suffix
    return name or "upload"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _check_upload(files: list[tuple[str, bytes]], settings: Settings) -> None:
    """Sizes and kinds, before anything is written: one line naming the file at fault."""
    supported = ", ".join(VIDEO_EXTENSIONS + IMAGE_EXTENSIONS)
    for name, data in files:
        if Path(name).suffix.lower() not in VIDEO_EXTENSIONS + IMAGE_EXTENSIONS:
            raise InvalidInput(
                f"{name} is not a video or an image this page takes (use {supported}); "
                "nothing was stored"
            )
        if not data:
            raise InvalidInput(f"{name} is empty; nothing was stored")
    total = sum(len(data) for _, data in files)
    if total > settings.upload_max_bytes:
        what = files[0][0] if len(files) == 1 else f"the {len(files)} files"
        raise InvalidInput(
            f"{what} is {_megabytes(total)}: an upload may be at most "
            f"{_megabytes(settings.upload_max_bytes)}; nothing was stored"
        )


def _decode(settings: Settings, pseudonym: str, files: list[tuple[str, bytes]]) -> list[Frame]:
    """Every frame of the files, decoded from a private folder that is deleted before return."""
    uploads = private_dir(settings.person_dir(pseudonym) / UPLOADS, top=settings.data_dir)
    _remove_stale(uploads)
    folder = Path(tempfile.mkdtemp(prefix="decode-", dir=uploads))
    try:
        stills: list[Frame] = []
        for number, (name, data) in enumerate(files):
            path = folder / f"{number}{Path(name).suffix.lower()}"
            path.write_bytes(data)
            try:
                decoded = _decode_one(settings, path, name)
            finally:
                path.unlink(missing_ok=True)
            for frame in decoded:
                # photos are numbered one a second, as the frames of a clip are
                time_s = frame.time_s if len(files) == 1 else float(len(stills))
                stills.append(Frame(len(stills), time_s, frame.jpeg))
        return stills
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        try:
            uploads.rmdir()  # only when no other upload of theirs is being decoded
        except OSError:
            pass


def _decode_one(settings: Settings, path: Path, name: str) -> list[Frame]:
    limit = settings.clip_max_seconds
    try:
        if path.suffix.lower() in VIDEO_EXTENSIONS:
            duration = probe_duration(path)
            if duration is not None and duration > limit + 0.5:
                raise InvalidInput(
                    f"{name} lasts {duration:.0f} s: a clip may last at most {limit} s; "
                    "nothing was stored"
                )
        stills = []
        for frame in iter_frames(path, fps=CLIP_FPS, max_width=CLIP_MAX_WIDTH):
            if len(stills) >= math.ceil(limit * CLIP_FPS):
                raise InvalidInput(
                    f"{name} lasts more than {limit} s: a clip may last at most {limit} s; "
                    "nothing was stored"
                )
            stills.append(frame)
        return stills
    except InvalidInput as error:
        message = str(error)
        if "nothing was stored" in message:
            raise
        reason = message.replace(str(path), name).removeprefix(f"{name}: ")
        raise InvalidInput(
            f"{name} is not a video or an image that can be read ({reason}); nothing was stored"
        ) from None


def _remove_stale(uploads: Path) -> None:
    """Remove decode folders a killed run left behind (older than `STALE_UPLOAD_SECONDS`)."""
    now = time.time()
    for folder in uploads.glob("decode-*"):
        try:
            if now - folder.stat().st_mtime > STALE_UPLOAD_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


# --- Measuring, storing and the week after -------------------------------------------------


def _measure(
    engine,
    settings: Settings,
    viewer: Viewer,
    client: HumeClient | None,
    stills: list[Frame],
    staff_id: int,
    pseudonym: str,
    sha256: str,
    label: str,
    source: str,
    recorded_at: datetime | None,
    again: str,
) -> ClipResult:
    moment = recorded_at or datetime.now(UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    client = client or HumeClient(settings.hume_api_key, settings.hume_base_url)
    try:
        result = extract_frames(
            engine, settings, client, stills, pseudonym, sha256, label, moment, source,
            require_face=True,
        )  # fmt: skip
    except NoFaceFound:
        raise NoFaceFound(_no_face(len(stills))) from None
    except HumeError as error:
        raise HumeError(
            f"Hume could not measure your pictures just now ({error}). Nothing was stored. "
            f"{again}: pictures already measured are not sent twice."
        ) from None
    week = week_start(moment)
    model_version_id, note = _rescore(engine, settings, staff_id, week)
    with engine.connect() as connection:
        if model_version_id is not None:
            person = views.person_weeks(connection, viewer, pseudonym, week, model_version_id)
            expressions, log = person.expressions, person.this_week
        else:
            # the person's own expressions; `own_person` has checked who may read them
            first = week - timedelta(weeks=views.WINDOW_WEEKS - 1)
            expressions = views._person_expressions(connection, staff_id, first, week)
            log = None
    this_week = expressions[expressions["week_start"] == week]
    return ClipResult(
        week=week,
        recording=result,
        expressions=None if this_week.empty else this_week.iloc[0],
        early_warning=log,
        note=note,
    )


def _no_face(frames: int) -> str:
    return (
        f"No face was found in your {frames} picture{'s' * (frames != 1)}. Face the camera in "
        "good light, with your whole face in view, and try again; nothing was stored."
    )


def _rescore(engine, settings: Settings, staff_id: int, week: date) -> tuple[int | None, str]:
    """Score the person's week again with the live model; (its id, or None and why not)."""
    live, row = rescore_own_week(engine, settings, staff_id, week)
    if live is None:
        return None, "No early warning yet: no model has been trained and made live."
    if row is None:
        return None, (
            "Your early warning could not be updated just now; it will be at the next weekly run."
        )
    return live, ""
