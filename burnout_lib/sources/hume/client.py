"""Hume's expression measurement through its SDK: batched requests, face state, and a cache.

Every response is cached under the person's folder (owner-only), keyed by the content of the
frames sent (and the face state they continue), so the same frames are never sent, or paid for,
twice: a re-run, or a run resumed after a crash, replays the cache and sends only what is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from burnout_lib.errors import ConfigError, HumeError
from burnout_lib.sources.hume.frames import Frame
from burnout_lib.store.private_files import private_dir, write_file

#: Keep each request well inside the API's 25 MB limit, leaving room for multipart framing.
MAX_REQUEST_BYTES = 20 * 1024 * 1024
#: Frames per request: small enough that a crash loses little, large enough to bill efficiently.
MAX_REQUEST_FRAMES = 30
RETRIES = 4


@dataclass
class Batch:
    """One request's frames (times only: images are not kept) and Hume's response to them."""

    first_frame: int
    times: list[float]
    response: dict
    cached: bool


class HumeClient:
    """Sends JPEG frames to Hume's `video.measure` endpoint with the official SDK."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        retries: int = RETRIES,
        timeout: float = 120.0,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._retries = retries
        self._timeout = timeout
        self._sdk = None
        self.requests_sent = 0

    def _client(self):
        if not self._api_key:
            raise ConfigError(
                "HUME_API_KEY is not set: the facial channel needs a Hume API key "
                "(set it in the environment or in .env)"
            )
        if self._sdk is None:
            from hume_expression_measurement import (
                ExpressionMeasurementClient,
                ExpressionMeasurementClientEnvironment,
            )

            environment = ExpressionMeasurementClientEnvironment.PRODUCTION
            if self._base_url:
                base = self._base_url.rstrip("/")
                socket = "ws" + base.removeprefix("http")
                environment = ExpressionMeasurementClientEnvironment(base=base, production=socket)
            self._sdk = ExpressionMeasurementClient(
                api_key=self._api_key,
                environment=environment,
                max_retries=self._retries,
                timeout=self._timeout,
            )
        return self._sdk

    def measure(self, jpegs: list[bytes], face_state: str | None) -> dict:
        """One request: the images, continuing `face_state`; returns the response as JSON data."""
        from hume_expression_measurement.core.api_error import ApiError
        from hume_expression_measurement.types import VideoFileConfig, VideoFileConfigFace

        config = VideoFileConfig(
            face=VideoFileConfigFace(return_face_state=True), face_state=face_state
        )
        files = [(f"frame-{i:05d}.jpg", data, "image/jpeg") for i, data in enumerate(jpegs)]
        try:
            response = self._client().video.measure(file=files, config=config)
        except ApiError as error:
            raise HumeError(_describe(error)) from None
        except httpx.HTTPError as error:
            where = self._base_url or "Hume's API"
            raise HumeError(f"cannot reach {where}: {type(error).__name__} {error}") from None
        self.requests_sent += 1
        return response.model_dump(mode="json")


def _describe(error) -> str:
    """One line for an SDK error: status, Hume's error code and message (never headers)."""
    body = error.body
    if hasattr(body, "model_dump"):
        body = body.model_dump()
    code = message = None
    if isinstance(body, dict):
        code, message = body.get("code"), body.get("message")
    status = error.status_code
    if status == 401:
        return "Hume rejected the API key (401): check HUME_API_KEY"
    detail = ": ".join(str(part) for part in (code, message) if part)
    return f"Hume answered {status}" + (f" ({detail})" if detail else "")


def _batches(frames: Iterable[Frame]) -> Iterator[list[Frame]]:
    batch: list[Frame] = []
    size = 0
    for frame in frames:
        if batch and (
            len(batch) >= MAX_REQUEST_FRAMES or size + len(frame.jpeg) > MAX_REQUEST_BYTES
        ):
            yield batch
            batch, size = [], 0
        batch.append(frame)
        size += len(frame.jpeg)
    if batch:
        yield batch


def measure_frames(
    client: HumeClient, frames: Iterable[Frame], cache_dir: Path, on_frames=None
) -> Iterator[Batch]:
    """Measure a recording's frames, request by request, answering from the cache when it can.

    `face_state` is carried from each response to the next request, so face ids stay stable
    across the requests of one recording. `on_frames(n)` is called as frames are done.
    """
    face_state: str | None = None
    first = 0
    for batch in _batches(frames):
        digest = hashlib.sha256()
        for frame in batch:
            digest.update(hashlib.sha256(frame.jpeg).digest())
        digest.update((face_state or "").encode())
        path = cache_dir / f"{digest.hexdigest()}.json"
        if path.exists():
            response, cached = orjson.loads(path.read_bytes()), True
        else:
            response, cached = client.measure([f.jpeg for f in batch], face_state), False
            private_dir(cache_dir)  # a person's expression scores: owner-only
            write_file(path, orjson.dumps(response))
        face_state = response.get("face_state") or face_state
        yield Batch(first, [f.time_s for f in batch], response, cached)
        first += len(batch)
        if on_frames:
            on_frames(len(batch))
