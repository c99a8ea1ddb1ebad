"""Clips and images become JPEG frames within the API's limits; bad files become InvalidInput.

Every clip is made here with ffmpeg's test source and every image with Pillow, so no media is
committed.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import os
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image

from burnout_lib.errors import InvalidInput
from burnout_lib.sources.hume.frames import (
    IMAGE_EXTENSIONS,
    MAX_JPEG_BYTES,
    MAX_PIXELS,
    VIDEO_EXTENSIONS,
    Frame,
    count_frames_estimate,
    file_sha256,
    iter_frames,
    probe_duration,
)

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
CLIP_SECONDS = 3
JPEG_MAGIC = b"\xff\xd8\xff"

# Candidate encoders per container, best first: the first one this ffmpeg build has is used.
CODECS = {
    ".mp4": [["-c:v", "libx264", "-preset", "ultrafast"], ["-c:v", "mpeg4"]],
    ".mov": [["-c:v", "libx264", "-preset", "ultrafast"], ["-c:v", "mpeg4"]],
    ".avi": [["-c:v", "mpeg4"], ["-c:v", "mjpeg"]],
    ".webm": [
        ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k"],
        ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k"],
        ["-c:v", "libaom-av1", "-cpu-used", "8", "-b:v", "500k"],
    ],
}


@functools.cache
def _encoders() -> frozenset[str]:
    listing = subprocess.run(
        [FFMPEG, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True
    ).stdout
    return frozenset(line.split()[1] for line in listing.splitlines() if line[:2] == " V")


def _codec_args(suffix: str) -> list[str]:
    for args in CODECS[suffix]:
        if args[1] in _encoders():
            return args
    tried = ", ".join(args[1] for args in CODECS[suffix])
    raise AssertionError(f"this ffmpeg build has no encoder for {suffix} (tried {tried})")


def make_clip(
    path: Path, seconds: float = CLIP_SECONDS, size: str = "320x240", rate: int = 10
) -> Path:
    """A test-pattern clip of `seconds` at `rate` frames/s, in the container `path` names."""
    subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size={size}:rate={rate}",
            "-t",
            str(seconds),
            "-pix_fmt",
            "yuv420p",
            *_codec_args(path.suffix),
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("media")
    for suffix in VIDEO_EXTENSIONS:
        make_clip(folder / f"clip{suffix}")
    make_clip(folder / "wide.mp4", seconds=2, size="640x480")
    make_clip(folder / "long.mp4", seconds=20)
    return folder


def _size(jpeg: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG"
        return image.size


def assert_valid(frame: Frame) -> None:
    assert frame.jpeg[:3] == JPEG_MAGIC
    assert len(frame.jpeg) <= MAX_JPEG_BYTES
    width, height = _size(frame.jpeg)
    assert width * height <= MAX_PIXELS


def _ffmpeg_children() -> list[int]:
    """Process ids of ffmpeg processes started by this test process."""
    try:
        import psutil
    except ImportError:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            if parent == os.getpid() and "ffmpeg" in name:
                found.append(int(entry.name))
        return found
    return [
        child.pid
        for child in psutil.Process().children(recursive=True)
        if "ffmpeg" in child.name() and child.status() != psutil.STATUS_ZOMBIE
    ]


@pytest.mark.parametrize("suffix", VIDEO_EXTENSIONS)
def test_every_container_gives_one_frame_per_second(media: Path, suffix: str) -> None:
    frames = list(iter_frames(media / f"clip{suffix}"))
    assert [frame.index for frame in frames] == list(range(CLIP_SECONDS))
    assert [frame.time_s for frame in frames] == [0.0, 1.0, 2.0]
    for frame in frames:
        assert_valid(frame)
        assert _size(frame.jpeg) == (320, 240)


def test_three_frames_per_second_is_the_most(media: Path) -> None:
    frames = list(iter_frames(media / "clip.mp4", fps=3))
    assert abs(len(frames) - CLIP_SECONDS * 3) <= 1
    steps = [b.time_s - a.time_s for a, b in zip(frames, frames[1:], strict=False)]
    assert steps == pytest.approx([1 / 3] * len(steps))
    for frame in frames:
        assert_valid(frame)


def test_fractional_rate(media: Path) -> None:
    frames = list(iter_frames(media / "clip.webm", fps=0.5))
    assert [frame.time_s for frame in frames] == [0.0, 2.0]


@pytest.mark.parametrize("fps", [3.5, 0, -1, float("nan"), "2", True])
def test_rate_outside_the_api_limit_is_refused(media: Path, fps: object) -> None:
    with pytest.raises(InvalidInput, match="clip.mp4: fps must be"):
        iter_frames(media / "clip.mp4", fps=fps)  # type: ignore[arg-type]


def test_max_width_scales_down_keeping_shape(media: Path) -> None:
    frames = list(iter_frames(media / "wide.mp4", max_width=320))
    assert len(frames) == 2
    assert {_size(frame.jpeg) for frame in frames} == {(320, 240)}
    # Never scaled up.
    assert _size(next(iter(iter_frames(media / "wide.mp4", max_width=4000))).jpeg) == (640, 480)
    with pytest.raises(InvalidInput, match="wide.mp4: max_width"):
        iter_frames(media / "wide.mp4", max_width=8)


def test_png_is_reencoded_as_rgb_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "face.png"
    Image.new("RGBA", (64, 48), (200, 100, 50, 255)).save(path)
    [frame] = list(iter_frames(path))
    assert (frame.index, frame.time_s) == (0, 0.0)
    assert_valid(frame)
    with Image.open(io.BytesIO(frame.jpeg)) as image:
        assert image.mode == "RGB"
        assert image.size == (64, 48)


def test_small_jpeg_passes_through_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "face.JPG"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(path, format="JPEG")
    [frame] = list(iter_frames(path))
    assert frame.jpeg == path.read_bytes()
    assert frame.time_s == 0.0


@pytest.mark.parametrize("suffix", IMAGE_EXTENSIONS)
def test_oversized_image_becomes_a_jpeg_within_limits(tmp_path: Path, suffix: str) -> None:
    gradient = Image.radial_gradient("L").resize((4000, 3000))
    image = Image.merge(
        "RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient)
    )
    path = tmp_path / f"big{suffix}"
    image.save(path, quality=95, compress_level=1)
    [frame] = list(iter_frames(path))
    assert_valid(frame)
    width, height = _size(frame.jpeg)
    assert width * height > 0.95 * MAX_PIXELS
    assert abs(width / height - 4 / 3) < 0.01


def test_image_over_two_megabytes_is_compressed_harder(tmp_path: Path) -> None:
    noise = Image.frombytes("RGB", (1600, 1600), os.urandom(1600 * 1600 * 3))
    path = tmp_path / "noise.jpeg"
    noise.save(path, quality=100)
    assert path.stat().st_size > MAX_JPEG_BYTES
    [frame] = list(iter_frames(path))
    assert_valid(frame)
    assert _size(frame.jpeg) == (1600, 1600)


def _truncated(media: Path, tmp_path: Path) -> Path:
    data = (media / "clip.mp4").read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


def _text(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text("not a video, just words\n")
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.mp4"
    path.touch()
    return path


def _audio_only(tmp_path: Path) -> Path:
    path = tmp_path / "voice.mp4"
    subprocess.run(
        [FFMPEG, "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", "sine", "-t", "1", path],
        check=True,
    )
    return path


def _truncated_jpeg(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (1, 2, 3)).save(buffer, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buffer.getvalue()[:300])
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda media, tmp: tmp / "missing.mp4", "no such file"),
        (lambda media, tmp: _empty(tmp), "empty"),
        (lambda media, tmp: _text(tmp, "clip.gif"), "unsupported file type"),
        (lambda media, tmp: _text(tmp, "clip.mkv"), r"supported: \.mp4, \.mov"),
        (lambda media, tmp: _text(tmp, "README"), "no extension"),
        (lambda media, tmp: tmp, "not a regular file"),
        (_truncated, "cannot decode video: moov atom not found"),
        (lambda media, tmp: _text(tmp, "renamed.mp4"), "cannot decode video: "),
        (lambda media, tmp: _text(tmp, "renamed.webm"), "cannot decode video: "),
        (lambda media, tmp: _audio_only(tmp), "cannot decode video: the file has no video stream"),
        (lambda media, tmp: _text(tmp, "renamed.png"), "cannot open image"),
        (lambda media, tmp: _truncated_jpeg(tmp), "cannot open image"),
    ],
    ids=[
        "missing",
        "empty",
        "gif",
        "mkv",
        "no-extension",
        "directory",
        "truncated-mp4",
        "text-as-mp4",
        "text-as-webm",
        "audio-only",
        "text-as-png",
        "truncated-jpeg",
    ],
)
def test_bad_input_is_invalid_input_naming_the_file(
    media: Path, tmp_path: Path, make, reason: str
) -> None:
    path = make(media, tmp_path)
    with pytest.raises(InvalidInput, match=reason) as caught:
        list(iter_frames(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "Traceback" not in message and "\n" not in message
    assert caught.value.__cause__ is None


def test_stopping_early_stops_ffmpeg(media: Path) -> None:
    frames = iter_frames(media / "long.mp4", fps=3)
    first = next(frames)
    assert first.index == 0
    # The clip is far from decoded: frames arrive as ffmpeg makes them.
    assert _ffmpeg_children()
    frames.close()
    assert _ffmpeg_children() == []

    for frame in iter_frames(media / "long.mp4", fps=3):
        if frame.index == 5:
            break
    del frame
    assert _ffmpeg_children() == []


def test_an_error_while_consuming_stops_ffmpeg(media: Path) -> None:
    with pytest.raises(KeyError):
        for _frame in iter_frames(media / "long.mp4", fps=3):
            raise KeyError("consumer failed")
    assert _ffmpeg_children() == []


def test_works_inside_a_running_event_loop(media: Path) -> None:
    async def notebook_cell() -> list[float]:
        times = [frame.time_s for frame in iter_frames(media / "clip.mov", fps=2)]
        stopped = iter_frames(media / "long.mp4", fps=3)
        next(stopped)
        stopped.close()
        return times

    assert asyncio.run(notebook_cell()) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert _ffmpeg_children() == []


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "clip.bin"
    data = os.urandom(2 * 1024 * 1024 + 12345)
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(str(path)) == hashlib.sha256(data).hexdigest()
    with pytest.raises(InvalidInput, match="gone.mp4: no such file"):
        file_sha256(tmp_path / "gone.mp4")


def test_duration_and_frame_estimate(media: Path, tmp_path: Path) -> None:
    assert probe_duration(media / "clip.mp4") == pytest.approx(CLIP_SECONDS, abs=0.1)
    assert count_frames_estimate(media / "clip.mp4", 1) == len(
        list(iter_frames(media / "clip.mp4"))
    )
    assert count_frames_estimate(media / "clip.avi", 3) == pytest.approx(9, abs=1)
    image = tmp_path / "face.png"
    Image.new("RGB", (8, 8)).save(image)
    assert probe_duration(image) is None
    assert count_frames_estimate(image, 1) == 1
    assert probe_duration(_text(tmp_path, "renamed.mov")) is None
