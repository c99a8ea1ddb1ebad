"""Working without Hume's servers: a generated clip and, when no API key is set, the local stand-in.

For demonstrations and notebooks on a machine that may not reach Hume; production runs set
`HUME_API_KEY` and never start the stand-in.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import imageio_ffmpeg

from burnout_lib.config import Settings
from burnout_lib.sources.hume.client import HumeClient
from burnout_lib.testing.hume_server import FakeHumeServer


def pattern_clip(
    path: Path, seconds: int = 8, size: str = "640x480", source: str | None = None
) -> Path:
    """An H.264 clip of ffmpeg's moving test pattern (no real person in it), or of another ffmpeg
    test source such as `color=c=black:size=320x240:rate=10`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", source or f"testsrc=size={size}:rate=25", "-t", str(seconds), "-pix_fmt", "yuv420p",
         str(path)],
        check=True,
    )  # fmt: skip
    return path


def client_or_stand_in(settings: Settings) -> tuple[HumeClient, FakeHumeServer | None]:
    """Hume's API when a key is set; otherwise a stand-in on 127.0.0.1 (the caller stops it)."""
    if settings.hume_api_key:
        return HumeClient(settings.hume_api_key, settings.hume_base_url), None
    key = secrets.token_urlsafe(24)
    server = FakeHumeServer(api_key=key).start()
    return HumeClient(key, server.base_url), server
