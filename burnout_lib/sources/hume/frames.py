"""A consented clip or image, as JPEG frames the expression API accepts.

Video is decoded by ffmpeg (the static build in the imageio-ffmpeg wheel) through the Hume SDK's
streaming helper, so a long clip never sits in memory. Images are passed through or re-encoded with
Pillow. Every frame is checked against the API's per-image limits before it is handed out, so an
upload is never refused (or billed) for its size.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import numbers
import operator
import os
import re
import subprocess
from collections.abc import AsyncGenerator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import imageio_ffmpeg
from hume_expression_measurement.video_helpers import VideoFrame, iter_video_frames
from PIL import Image, ImageOps, UnidentifiedImageError

from burnout_lib.errors import InvalidInput

VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".avi")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")

MAX_FPS = 3.0
"""The file and realtime endpoints accept at most this many frames per second of video."""

MAX_JPEG_BYTES = 2_000_000
"""The API's 2 MB per-image limit, read as decimal megabytes to be safe either way."""

MAX_PIXELS = 8_294_400
"""The API's per-image pixel limit (3840 × 2160)."""

MIN_WIDTH = 16
"""ffmpeg's scaler needs some width, and a narrower frame cannot hold a measurable face."""

JPEG_QUALITY = 90
_FALLBACK_QUALITIES = (75, 60, 45, 30)
_HASH_BLOCK = 1024 * 1024

_T = TypeVar("_T")
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class Frame:
    """One JPEG ready to upload, with its place in the source."""

    index: int
    """Position among the frames taken from the source, from 0."""
    time_s: float
    """When the frame occurs in the clip, in seconds; 0.0 for an image."""
    jpeg: bytes
    """One complete JPEG within the API's byte and pixel limits."""


def iter_frames(path: PathLike, fps: float = 1.0, max_width: int = 1280) -> Iterator[Frame]:
    """Yield the frames of a clip (`fps` per second, at most `max_width` wide) or of one image.

    An image is a single frame, scaled down only as far as the API's limits require.
    Arguments and the file are checked when this is called; decoding happens as frames are
    taken, one at a time, and stopping early stops ffmpeg. Any problem with the file, including
    one ffmpeg meets while decoding, is raised as `InvalidInput` naming the file.
    """
    source = _check_file(path)
    fps = _check_fps(path, fps)
    max_width = _check_max_width(path, max_width)
    if source.suffix.lower() in IMAGE_EXTENSIONS:
        return _image_frames(path, source)
    return _video_frames(path, source, fps, max_width)


def file_sha256(path: PathLike) -> str:
    """Hex SHA-256 of the file's bytes, read in 1 MB blocks: the recording's natural key."""
    source = Path(path)
    digest = hashlib.sha256()
    try:
        with source.open("rb") as handle:
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    except FileNotFoundError:
        raise InvalidInput(f"{os.fspath(path)}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{os.fspath(path)}: is a directory, not a file") from None
    return digest.hexdigest()


def probe_duration(path: PathLike) -> float | None:
    """Length of a clip in seconds as its container states it; None for an image or if unknown."""
    source = _check_file(path)
    if source.suffix.lower() in IMAGE_EXTENSIONS:
        return None
    result = subprocess.run(
        [_ffmpeg(), "-hide_banner", "-nostdin", "-i", _ffmpeg_input(source)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    found = re.search(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", result.stderr)
    if found is None:
        return None
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def count_frames_estimate(path: PathLike, fps: float) -> int | None:
    """How many frames `iter_frames(path, fps)` yields, for progress bars; None if unknown."""
    source = _check_file(path)
    fps = _check_fps(path, fps)
    if source.suffix.lower() in IMAGE_EXTENSIONS:
        return 1
    duration = probe_duration(source)
    if duration is None:
        return None
    return max(1, math.ceil(round(duration * fps, 6)))


def _check_file(path: PathLike) -> Path:
    source = Path(path)
    name = os.fspath(path)
    if not source.exists():
        raise InvalidInput(f"{name}: no such file")
    if not source.is_file():
        raise InvalidInput(f"{name}: not a regular file")
    suffix = source.suffix.lower()
    if suffix not in VIDEO_EXTENSIONS + IMAGE_EXTENSIONS:
        supported = ", ".join(VIDEO_EXTENSIONS + IMAGE_EXTENSIONS)
        shown = f"'{source.suffix}'" if source.suffix else "no extension"
        raise InvalidInput(f"{name}: unsupported file type ({shown}); supported: {supported}")
    if source.stat().st_size == 0:
        raise InvalidInput(f"{name}: the file is empty (0 bytes)")
    return source


def _check_fps(path: PathLike, fps: float) -> float:
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real):
        raise InvalidInput(f"{os.fspath(path)}: fps must be a number, got {fps!r}")
    # Written so that NaN fails too.
    if not 0 < fps <= MAX_FPS:
        raise InvalidInput(
            f"{os.fspath(path)}: fps must be above 0 and at most {MAX_FPS:g} "
            f"(the API's limit), got {fps}"
        )
    return float(fps)


def _check_max_width(path: PathLike, max_width: int) -> int:
    problem = (
        f"{os.fspath(path)}: max_width must be a whole number of pixels, at least {MIN_WIDTH}, "
        f"got {max_width!r}"
    )
    if isinstance(max_width, bool):
        raise InvalidInput(problem)
    try:
        width = operator.index(max_width)
    except TypeError:
        raise InvalidInput(problem) from None
    if width < MIN_WIDTH:
        raise InvalidInput(problem)
    return width


def _ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def _ffmpeg_input(source: Path) -> str:
    # Absolute and with an explicit protocol, so no file name can read as an option or a URL.
    return "file:" + os.path.abspath(source)


def _video_frames(path: PathLike, source: Path, fps: float, max_width: int) -> Iterator[Frame]:
    name = os.fspath(path)
    frames = iter_video_frames(
        _ffmpeg_input(source), fps=fps, max_width=max_width, ffmpeg_path=_ffmpeg()
    )
    runner = _PrivateLoop()
    try:
        index = 0
        while True:
            try:
                frame = runner.run(_next_frame(frames))
            except RuntimeError as err:
                reason = _ffmpeg_failure(err, source)
                if reason is None:
                    raise
                raise InvalidInput(f"{name}: cannot decode video: {reason}") from None
            if frame is None:
                break
            yield Frame(index=index, time_s=index / fps, jpeg=_within_limits(frame.data, name))
            index += 1
        if index == 0:
            raise InvalidInput(f"{name}: the video decodes to no frames")
    finally:
        runner.close(frames)


async def _next_frame(frames: AsyncGenerator[VideoFrame, None]) -> VideoFrame | None:
    try:
        return await frames.__anext__()
    except StopAsyncIteration:
        return None


_FFMPEG_FAILED = re.compile(
    r"ffmpeg (?:exited with code -?\d+|was stopped by signal \d+)(?:: (?P<output>.*)|\.)\Z",
    re.DOTALL,
)
_LOG_CONTEXT = re.compile(r"^(?:\[[^\]]*@ 0x[0-9a-f]+\]\s*)+")
_FRIENDLIER = {
    "Output file does not contain any stream": "the file has no video stream",
}


def _ffmpeg_failure(err: RuntimeError, source: Path) -> str | None:
    """ffmpeg's first meaningful error line, or None if `err` is not an ffmpeg failure."""
    found = _FFMPEG_FAILED.match(str(err))
    if found is None:
        return None
    output = found.group("output") or ""
    prefixes = (_ffmpeg_input(source) + ": ", os.path.abspath(source) + ": ")
    for raw in output.splitlines():
        line = _LOG_CONTEXT.sub("", raw).strip()
        for prefix in prefixes:
            line = line.removeprefix(prefix)
        if line:
            return _FRIENDLIER.get(line, line)
    return "ffmpeg failed without saying why"


class _PrivateLoop:
    """One event loop for one iteration, run in a worker thread when this thread already runs a
    loop (as in a notebook), since a thread can run only one loop at a time."""

    def __init__(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._worker: ThreadPoolExecutor | None = None
        else:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frames")
        # A factory keeps the runner from replacing the thread's current event loop.
        self._runner = asyncio.Runner(loop_factory=asyncio.new_event_loop)

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        if self._worker is None:
            return self._runner.run(coro)
        return self._worker.submit(self._runner.run, coro).result()

    def close(self, frames: AsyncGenerator[Any, None]) -> None:
        """Close the frame generator, which stops ffmpeg, then the loop."""
        try:
            self.run(frames.aclose())
        finally:
            if self._worker is None:
                self._runner.close()
            else:
                self._worker.submit(self._runner.close).result()
                self._worker.shutdown()


def _image_frames(path: PathLike, source: Path) -> Iterator[Frame]:
    name = os.fspath(path)
    try:
        with Image.open(source) as image:
            passthrough = (
                image.format == "JPEG"
                and source.stat().st_size <= MAX_JPEG_BYTES
                and image.width * image.height <= MAX_PIXELS
            )
            if passthrough:
                # Decoded once so that a damaged JPEG is refused here rather than by the API.
                image.load()
                jpeg = source.read_bytes()
            else:
                jpeg = _encode(image)
    except UnidentifiedImageError:
        raise InvalidInput(f"{name}: cannot open image: not a JPEG or PNG image") from None
    except Image.DecompressionBombError as err:
        raise InvalidInput(f"{name}: image too large to open safely ({err})") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise InvalidInput(f"{name}: cannot open image: {err}") from None
    yield Frame(index=0, time_s=0.0, jpeg=jpeg)


def _within_limits(jpeg: bytes, name: str) -> bytes:
    """`jpeg` itself if the API accepts it, otherwise a re-encoding that it does."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            if len(jpeg) <= MAX_JPEG_BYTES and image.width * image.height <= MAX_PIXELS:
                return jpeg
            return _encode(image)
    except OSError as err:
        raise InvalidInput(f"{name}: cannot decode video: bad frame from ffmpeg ({err})") from None


def _encode(image: Image.Image) -> bytes:
    """An upright RGB JPEG of `image`, scaled and compressed only as far as the limits need."""
    scale = _pixel_scale(image.width, image.height)
    if scale < 1:
        # Lets a large JPEG decode at a reduced size (no effect on other formats).
        image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    rgb = _to_rgb(ImageOps.exif_transpose(image))
    scale = _pixel_scale(rgb.width, rgb.height)
    while True:
        size = (max(1, int(rgb.width * scale)), max(1, int(rgb.height * scale)))
        resized = rgb if size == rgb.size else rgb.resize(size, Image.Resampling.LANCZOS)
        for quality in (JPEG_QUALITY, *_FALLBACK_QUALITIES):
            buffer = io.BytesIO()
            resized.save(buffer, format="JPEG", quality=quality)
            if buffer.tell() <= MAX_JPEG_BYTES:
                return buffer.getvalue()
        scale *= 0.7


def _pixel_scale(width: int, height: int) -> float:
    """The largest scale, at most 1, at which the image fits the pixel limit."""
    scale = min(1.0, math.sqrt(MAX_PIXELS / (width * height)))
    while int(width * scale) * int(height * scale) > MAX_PIXELS:
        scale *= 0.999
    return scale


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid over white rather than dropped to black."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")
