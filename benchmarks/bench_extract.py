"""How fast a recording becomes frames, next to ffmpeg's own decoding speed on the same machine.

Decoding: a 5-minute 720p test-pattern clip is taken at 1 frame/s by `iter_frames`, and by ffmpeg
alone (`ffmpeg -i clip -vf fps=1 -f null -`), the floor no wrapper can beat. Parsing: the largest
legacy predictions sample read into the tidy frame table, next to `json.loads` of the same file.
Target for both: within 1.5× of the floor.

    .venv/bin/python benchmarks/bench_extract.py [--seconds 300] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from burnout_lib.sources.hume.frames import iter_frames
from burnout_lib.sources.hume.predictions import load_json, parse_legacy

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
TARGET_RATIO = 1.5
FPS = 1.0


@dataclass(frozen=True)
class Result:
    """One timed step: how many items it handled in how long."""

    step: str
    items: int
    unit: str
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.items / self.seconds


@contextmanager
def temporary_clip(seconds: int, size: str = "1280x720", rate: int = 30) -> Iterator[Path]:
    """A `seconds`-long H.264 test-pattern clip in a temporary folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        clip = Path(tmp) / "clip.mp4"
        started = time.perf_counter()
        subprocess.run(
            [
                FFMPEG,
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-f",
                "lavfi",
                "-i",
                f"testsrc=size={size}:rate={rate}",
                "-t",
                str(seconds),
                "-pix_fmt",
                "yuv420p",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                str(clip),
            ],
            check=True,
        )
        elapsed = time.perf_counter() - started
        megabytes = clip.stat().st_size / 1e6
        print(
            f"test clip: {seconds} s of {size} at {rate} fps, {megabytes:.1f} MB, {elapsed:.1f} s"
        )
        yield clip


def ffmpeg_floor(clip: Path, fps: float = FPS) -> tuple[int, float]:
    """Frames and seconds for ffmpeg alone to decode `clip` and take `fps` frames per second."""
    started = time.perf_counter()
    result = subprocess.run(
        [
            FFMPEG,
            "-hide_banner",
            "-nostdin",
            "-i",
            str(clip),
            "-vf",
            f"fps={fps}",
            "-f",
            "null",
            "-",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    counts = re.findall(r"frame=\s*(\d+)", result.stderr)
    return (int(counts[-1]) if counts else 0), elapsed


def time_iter_frames(clip: Path, fps: float = FPS) -> tuple[int, float]:
    """Frames and seconds for `iter_frames` to yield every frame of `clip`."""
    started = time.perf_counter()
    frames = sum(1 for _ in iter_frames(clip, fps=fps))
    return frames, time.perf_counter() - started


def bench_decode(seconds: int = 300, repeat: int = 1) -> list[Result]:
    """Time `iter_frames` against ffmpeg's own decoding of the same clip (best of `repeat`)."""
    with temporary_clip(seconds) as clip:
        floor_frames, floor_s = ffmpeg_floor(clip)
        ours_frames, ours_s = time_iter_frames(clip)
        for _ in range(repeat - 1):
            floor_s = min(floor_s, ffmpeg_floor(clip)[1])
            ours_s = min(ours_s, time_iter_frames(clip)[1])
    ratio = ours_s / floor_s
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    return [
        Result("decode: ffmpeg -f null (floor)", floor_frames, "frames", floor_s),
        Result(
            "decode: iter_frames",
            ours_frames,
            "frames",
            ours_s,
            f"{ratio:.2f}× the floor ({verdict} the {TARGET_RATIO}× target)",
        ),
    ]


LARGEST_LEGACY = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "samples"
    / "hume_legacy"
    / "hume_api_examples_visualization.json"
)


def bench_parse(repeat: int = 20) -> list[Result]:
    """Time reading the largest legacy sample into the tidy table against `json.loads` alone."""
    raw = LARGEST_LEGACY.read_bytes()
    floor, ours = [], []
    detections = 0
    for _ in range(repeat):
        started = time.perf_counter()
        json.loads(raw)
        floor.append(time.perf_counter() - started)
        started = time.perf_counter()
        detections = sum(len(p.frames) for p in parse_legacy(load_json(raw), "bench"))
        ours.append(time.perf_counter() - started)
    ratio = min(ours) / min(floor)
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    return [
        Result("parse: json.loads (floor)", detections, "frames", min(floor)),
        Result(
            "parse: load_json + parse_legacy",
            detections,
            "frames",
            min(ours),
            f"{ratio:.2f}× the floor ({verdict} the {TARGET_RATIO}× target)",
        ),
    ]


def print_table(results: list[Result]) -> None:
    """One line per step: items, seconds, rate, and any note."""
    print(f"{'step':<32} {'items':>8} {'seconds':>8} {'rate':>16}  note")
    for result in results:
        rate = f"{result.rate:,.1f} {result.unit}/s"
        line = (
            f"{result.step:<32} {result.items:>8,} {result.seconds:>8.2f} {rate:>16}  {result.note}"
        )
        print(line.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="length of the test clip")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    args = parser.parse_args()
    print_table(bench_decode(seconds=args.seconds, repeat=args.repeat) + bench_parse())


if __name__ == "__main__":
    main()
