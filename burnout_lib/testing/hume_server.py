"""A local stand-in for Hume's Expression Measurement HTTP API, for tests and offline demos.

Hume's servers cannot be reached from every machine, and tests must not pay for measurements, so
the real SDK is pointed at this server on 127.0.0.1 instead. It speaks the same HTTP API:

- `POST /v1/expression/video/file` (multipart: an optional JSON `config` part and one `file` part
  per JPEG) answers with one measurement per image, in upload order, in the API's JSON format.
- `GET /v1/expression/run`, `/v1/expression/run/{id}` and `/v1/expression/run/{id}/events`
  describe the file requests it has answered.
- Errors carry the API's status codes and bodies (`{type, code, message, request_id}`; a 401 has
  no `type` or `code`), and the API's limits are enforced.

The scores are made up but behave like real ones: the same image bytes always get the same scores;
a flat image (almost no pixel variation, such as ffmpeg's `color=c=black`) has no face and any
other image has one (two when it is at least twice as wide as it is tall); a few expressions
(calmness, concentration, interest, ...) are usually above the API's 0.1 reporting floor, most are
below it. `face_id` follows a face by its place in the picture (the one in front, the one beside
it), so frames of one clip keep one ID, and a returned `face_state` continues the numbering in a
later request.

Tests can make the next requests fail (`rate_limit_next`, `fail_next`) and count what was sent
(`requests`, `images`, `image_hashes`), e.g. to check that a cached clip sends nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import re
import sys
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import collapse_rfc2231_value
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
from hume_expression_measurement import ExpressionMeasurementClientEnvironment
from PIL import Image, ImageStat

from burnout_lib.emotions import API_FLOOR, EXPRESSIONS
from burnout_lib.errors import InvalidInput

#: The API's limits, as its documentation states them (MB read as 10**6 bytes, the stricter sense).
MAX_IMAGE_BYTES = 2_000_000
MAX_IMAGE_PIXELS = 8_294_400
MAX_REQUEST_BYTES = 25_000_000
#: Faces measured per image (the largest); others would be listed without scores.
MEASURED_FACES = 2
#: Faces remembered for `face_id` tracking.
TRACKED_FACES = 32
#: Defaults for the `face` settings a request leaves out.
DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_SIZE = 16
#: A `face_state` older than this is ignored.
FACE_STATE_TTL_S = 24 * 3600
#: Grey-level standard deviation below which an image counts as flat: no face.
FLAT_STDDEV = 4.0

FILE_PATH = "/v1/expression/video/file"
RUNS_PATH = "/v1/expression/run"
_RUN_PATH = re.compile(r"^/v1/expression/run/([^/]+)(/events)?$")
_USER_ID = "user_local_stand_in"

# Logit of each expression's probability on a neutral face; unlisted expressions use the default.
_DEFAULT_LOGIT = -3.6
_EXPRESSION_LOGITS = {
    "calmness": -0.6,
    "concentration": -0.4,
    "interest": -0.9,
    "contemplation": -1.2,
    "tiredness": -1.6,
    "boredom": -1.9,
    "contentment": -1.7,
    "determination": -1.9,
    "doubt": -2.4,
    "confusion": -2.4,
    "satisfaction": -2.3,
    "joy": -2.5,
    "amusement": -2.3,
    "distress": -2.7,
    "sadness": -2.8,
    "disappointment": -2.7,
    "anxiety": -2.8,
}
_EXPRESSION_NAMES = tuple(name.lower() for name in EXPRESSIONS)
_EXPRESSION_BASE = np.array([_EXPRESSION_LOGITS.get(n, _DEFAULT_LOGIT) for n in _EXPRESSION_NAMES])
_DESCRIPTION_LOGITS = {
    "brow furrow": -1.8,
    "brow raise": -2.6,
    "eyes closed": -2.8,
    "frown": -2.5,
    "jaw drop": -3.3,
    "lip press": -2.2,
    "mouth open": -2.4,
    "smile": -2.0,
    "squint": -2.3,
    "wide-eyed": -3.0,
}
_DESCRIPTION_NAMES = tuple(_DESCRIPTION_LOGITS)
_DESCRIPTION_BASE = np.array(list(_DESCRIPTION_LOGITS.values()))

_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE_MARKERS = frozenset(range(0xD0, 0xDA)) | {0x01}


class _Failure(Exception):
    """An error response: HTTP status, API error code and message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


# --- multipart ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    name: str | None
    filename: str | None
    content_type: str
    data: bytes


def _header_params(value: str, header: str) -> Message:
    message = Message()
    message[header] = value
    return message


def _param(message: Message, name: str, header: str) -> str | None:
    value = message.get_param(name, header=header)
    if value is None:
        return None
    return collapse_rfc2231_value(value)  # type: ignore[arg-type]


def _parse_multipart(body: bytes, content_type: str) -> list[_Part]:
    header = _header_params(content_type, "content-type")
    if header.get_content_type() != "multipart/form-data":
        raise ValueError("the body must be multipart/form-data")
    boundary = _param(header, "boundary", "content-type")
    if not boundary:
        raise ValueError("the multipart body has no boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0 or (start > 0 and body[start - 2 : start] != b"\r\n"):
        raise ValueError("the multipart body does not start with its boundary")
    parts: list[_Part] = []
    position = start + len(delimiter)
    while True:
        if body[position : position + 2] == b"--":
            return parts
        line_end = body.find(b"\r\n", position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise ValueError("malformed multipart boundary line")
        next_delimiter = body.find(b"\r\n" + delimiter, line_end + 2)
        if next_delimiter < 0:
            raise ValueError("the multipart body is not terminated")
        parts.append(_parse_part(body[line_end + 2 : next_delimiter]))
        position = next_delimiter + 2 + len(delimiter)


def _parse_part(raw: bytes) -> _Part:
    if raw.startswith(b"\r\n"):
        head, data = b"", raw[2:]
    else:
        head, separator, data = raw.partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("a multipart part has no header end")
    headers = Message()
    for line in head.decode("utf-8", "replace").split("\r\n"):
        key, colon, value = line.partition(":")
        if not colon:
            raise ValueError("malformed multipart part header")
        headers[key.strip()] = value.strip()
    disposition = headers.get("content-disposition")
    name = filename = None
    if disposition:
        params = _header_params(disposition, "content-disposition")
        name = _param(params, "name", "content-disposition")
        filename = _param(params, "filename", "content-disposition")
    content_type = headers.get("content-type", "text/plain")
    return _Part(name, filename, content_type, data)


# --- request config -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Config:
    threshold: float = DEFAULT_THRESHOLD
    min_size: int = DEFAULT_MIN_SIZE
    return_face_state: bool = False
    face_state: str | None = None


def _config_invalid(message: str) -> _Failure:
    return _Failure(400, "config_invalid", message)


def _parse_config(raw: bytes) -> _Config:
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise _config_invalid(f"config is not valid JSON: {error}") from None
    if not isinstance(config, dict):
        raise _config_invalid("config must be a JSON object")
    unknown = set(config) - {"face", "face_state"}
    if unknown:
        raise _config_invalid(f"unknown config field(s): {', '.join(sorted(unknown))}")
    face = config.get("face") or {}
    if not isinstance(face, dict):
        raise _config_invalid("config.face must be an object")
    unknown = set(face) - {"threshold", "min_size", "return_face_state"}
    if unknown:
        raise _config_invalid(f"unknown config.face field(s): {', '.join(sorted(unknown))}")
    threshold = face.get("threshold")
    if threshold is None:
        threshold = DEFAULT_THRESHOLD
    elif isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise _config_invalid("config.face.threshold must be a number")
    elif not 0 <= threshold <= 1:
        raise _config_invalid("config.face.threshold must be between 0 and 1")
    min_size = face.get("min_size")
    if min_size is None:
        min_size = DEFAULT_MIN_SIZE
    elif isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise _config_invalid("config.face.min_size must be a non-negative integer")
    return_state = face.get("return_face_state")
    if return_state is not None and not isinstance(return_state, bool):
        raise _config_invalid("config.face.return_face_state must be a boolean")
    face_state = config.get("face_state")
    if face_state is not None and not isinstance(face_state, str):
        raise _config_invalid("config.face_state must be a string")
    return _Config(float(threshold), min_size, bool(return_state), face_state)


# --- face tracking --------------------------------------------------------------------------


class _FaceTracker:
    """Assigns `face_id`s by where a face is in the picture; state travels as a signed token."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._ids: OrderedDict[str, int] = OrderedDict()
        self._next = 0

    def resume(self, token: str | None) -> None:
        """Continue from an earlier response's `face_state`; a bad or expired one is ignored."""
        if not token:
            return
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            signature = state.pop("sig")
            if not hmac.compare_digest(signature, self._sign(state)):
                return
            if time.time() - state["iat"] > FACE_STATE_TTL_S:
                return
            ids = OrderedDict((str(key), int(value)) for key, value in state["faces"])
            next_id = int(state["next"])
        except (ValueError, TypeError, KeyError, AttributeError, binascii.Error):
            return
        self._ids, self._next = ids, next_id

    def assign(self, key: str) -> int:
        """The ID of the face in this place: its earlier ID, or the next new one."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return self._ids[key]
        self._ids[key] = self._next
        self._next += 1
        while len(self._ids) > TRACKED_FACES:
            self._ids.popitem(last=False)
        return self._ids[key]

    def token(self) -> str:
        """This tracker's state as a `face_state` token."""
        state: dict[str, Any] = {
            "v": 1,
            "iat": int(time.time()),
            "next": self._next,
            "faces": [[key, value] for key, value in self._ids.items()],
        }
        state["sig"] = self._sign(state)
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode("ascii")

    def _sign(self, state: dict[str, Any]) -> str:
        payload = json.dumps(state, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self._secret, payload, hashlib.sha256).hexdigest()


# --- images ---------------------------------------------------------------------------------


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, without decoding it; None if not found."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in _STANDALONE_MARKERS:
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker in _SOF_MARKERS:
            if position + 9 > len(data):
                return None
            height = int.from_bytes(data[position + 5 : position + 7], "big")
            width = int.from_bytes(data[position + 7 : position + 9], "big")
            return width, height
        if marker == 0xDA or length < 2:
            return None
        position += 2 + length
    return None


def _check_image(index: int, data: bytes) -> None:
    """Reject an image the API would refuse before measuring anything."""
    if not data.startswith(b"\xff\xd8\xff"):
        raise _Failure(
            415, "unsupported_media_type", f"image {index} is not a JPEG (only image/jpeg is taken)"
        )
    if len(data) > MAX_IMAGE_BYTES:
        raise _Failure(
            413,
            "image_too_large",
            f"image {index} is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,}",
        )
    size = _jpeg_size(data)
    if size and size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise _Failure(
            413,
            "image_too_large",
            f"image {index} is {size[0]}x{size[1]} pixels; the limit is {MAX_IMAGE_PIXELS:,}",
        )


def _decode(index: int, data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ("JPEG", "MPO") or image.width * image.height > MAX_IMAGE_PIXELS:
            raise OSError("not a decodable JPEG")
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _Failure(400, "image_decode_failed", f"image {index} could not be decoded") from None
    return image


@dataclass(frozen=True)
class _Detection:
    key: str
    bbox: tuple[float, float, float, float]
    confidence: float
    seed: bytes

    @property
    def area(self) -> float:
        return (self.bbox[2] - self.bbox[0]) * (self.bbox[3] - self.bbox[1])

    @property
    def short_side(self) -> float:
        return min(self.bbox[2] - self.bbox[0], self.bbox[3] - self.bbox[1])


def _rng(*seed: bytes) -> np.random.Generator:
    digest = hashlib.sha256(b"|".join(seed)).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _box(
    rng: np.random.Generator, width: int, height: int, centre_x: float, side: float
) -> tuple[float, float, float, float]:
    box_w = min(side, width)
    box_h = min(side * 1.25, height * 0.95)
    cx = centre_x + rng.uniform(-0.05, 0.05) * width
    cy = height / 2 + rng.uniform(-0.08, 0.08) * height
    x0 = min(max(cx - box_w / 2, 0.0), width - box_w)
    y0 = min(max(cy - box_h / 2, 0.0), height - box_h)
    return (round(x0, 1), round(y0, 1), round(x0 + box_w, 1), round(y0 + box_h, 1))


def _detect(image: Image.Image, digest: bytes) -> list[_Detection]:
    """The faces in an image: none if it is flat, else one (two in a very wide image)."""
    if ImageStat.Stat(image.convert("L")).stddev[0] < FLAT_STDDEV:
        return []
    rng = _rng(b"faces", digest)
    width, height = image.size
    side = min(width, height) * rng.uniform(0.45, 0.6)
    wide = width >= 2 * height
    faces = [
        _Detection(
            "front",
            _box(rng, width, height, width * (0.35 if wide else 0.5), side),
            round(float(rng.uniform(0.9, 0.999)), 4),
            digest + b"0",
        )
    ]
    if wide:
        faces.append(
            _Detection(
                "beside",
                _box(rng, width, height, width * 0.78, side * 0.6),
                round(float(rng.uniform(0.9, 0.98)), 4),
                digest + b"1",
            )
        )
    return faces


@lru_cache(maxsize=1024)
def _person_offsets(key: str) -> tuple[np.ndarray, np.ndarray]:
    """How one face's look shifts its expression and description logits, steadily."""
    rng = _rng(b"person", key.encode())
    return rng.normal(0, 0.4, len(_EXPRESSION_NAMES)), rng.normal(0, 0.4, len(_DESCRIPTION_NAMES))


def _ranked(names: tuple[str, ...], logits: np.ndarray) -> list[dict[str, Any]]:
    """Scores above the API's floor, rounded to 4 places, highest first, then by name."""
    probabilities = np.round(1 / (1 + np.exp(-logits)), 4)
    kept = [(float(p), name) for name, p in zip(names, probabilities, strict=True) if p > API_FLOOR]
    kept.sort(key=lambda item: (-item[0], item[1]))
    return [{"name": name, "probability": p} for p, name in kept]


def _scores(detection: _Detection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    expression_offset, description_offset = _person_offsets(detection.key)
    rng = _rng(b"scores", detection.seed)
    expressions = _EXPRESSION_BASE + expression_offset + rng.normal(0, 0.5, len(_EXPRESSION_BASE))
    descriptions = (
        _DESCRIPTION_BASE + description_offset + rng.normal(0, 0.5, len(_DESCRIPTION_BASE))
    )
    return _ranked(_EXPRESSION_NAMES, expressions), _ranked(_DESCRIPTION_NAMES, descriptions)


def _measure(images: list[bytes], config: _Config, tracker: _FaceTracker) -> list[dict[str, Any]]:
    """One measurement per image, as the API returns them."""
    for index, data in enumerate(images):
        _check_image(index, data)
    measurements = []
    for index, data in enumerate(images):
        image = _decode(index, data)
        detections = [
            face
            for face in _detect(image, hashlib.sha256(data).digest())
            if face.confidence >= config.threshold and face.short_side >= config.min_size
        ]
        detections.sort(key=lambda face: -face.area)
        measured, unmeasured = detections[:MEASURED_FACES], detections[MEASURED_FACES:]
        unmeasured.sort(key=lambda face: -face.confidence)
        faces = []
        for face in measured:
            expressions, descriptions = _scores(face)
            faces.append(
                {
                    "face_id": tracker.assign(face.key),
                    "bbox": list(face.bbox),
                    "confidence": face.confidence,
                    "expressions": expressions,
                    "descriptions": descriptions,
                }
            )
        for face in unmeasured:
            faces.append(
                {
                    "face_id": None,
                    "bbox": list(face.bbox),
                    "confidence": face.confidence,
                    "expressions": None,
                    "descriptions": None,
                }
            )
        measurements.append({"frame_id": index, "faces": faces})
    return measurements


# --- runs -----------------------------------------------------------------------------------


def _timestamp(moment: float) -> str:
    return (
        datetime.fromtimestamp(moment, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


@dataclass(frozen=True)
class _Run:
    run_id: str
    started_at: float
    ended_at: float
    frames: int
    bytes_received: int
    threshold: float
    min_size: int

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "user_id": _USER_ID,
            "status": "ended",
            "endpoint": "video",
            "mode": "file",
            "started_at": _timestamp(self.started_at),
            "ended_at": _timestamp(self.ended_at),
            "bytes_received": self.bytes_received,
            "bytes_recorded": None,
            "metered_seconds": round(max(10.0, self.frames / 3), 3),
        }

    def full(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "config": {
                "schema": "v4",
                "image": {"type": "image/jpeg"},
                "face": {"threshold": round(self.threshold, 4), "min_size": self.min_size},
            },
        }


# --- the server -----------------------------------------------------------------------------


@dataclass
class _Fault:
    status: int
    retry_after: int | None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    images: int = 0
    image_hashes: list[str] = field(default_factory=list)
    faults: deque[_Fault] = field(default_factory=deque)
    runs: list[_Run] = field(default_factory=list)


class FakeHumeServer:
    """Hume's Expression Measurement HTTP API on a local port, answered with made-up scores.

    Use as a context manager (or `start()`/`stop()`), then point the SDK at `environment()`.
    `rate_limit_next`, `fail_next`, `retry_after` and `fail_status` given here queue the same
    faults as the methods of those names, rate limits first.
    """

    def __init__(
        self,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit_next: int = 0,
        retry_after: int = 1,
        fail_next: int = 0,
        fail_status: int = 500,
    ) -> None:
        if not api_key:
            raise InvalidInput("the Hume stand-in needs an API key to accept")
        self.api_key = api_key
        self.host = host
        self._requested_port = port
        self._state = _State()
        self._face_secret = hashlib.sha256(b"face-state|" + api_key.encode()).digest()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        if rate_limit_next:
            self.rate_limit_next(rate_limit_next, retry_after=retry_after)
        if fail_next:
            self.fail_next(fail_next, status=fail_status)

    # lifecycle

    def _bind(self) -> _HTTPServer:
        if self._httpd is not None:
            raise RuntimeError("the Hume stand-in is already running")
        try:
            self._httpd = _HTTPServer((self.host, self._requested_port), self)
        except OSError as error:
            raise InvalidInput(
                f"cannot listen on {self.host}:{self._requested_port}: {error.strerror or error}"
            ) from None
        return self._httpd

    def start(self) -> FakeHumeServer:
        """Listen and answer requests on a background thread; returns the server."""
        httpd = self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-hume-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and free the port. Safe to call twice."""
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        if thread is not None:
            httpd.shutdown()
            thread.join(timeout=10)
        httpd.server_close()

    def __enter__(self) -> FakeHumeServer:
        return self if self._httpd is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # where it listens

    @property
    def port(self) -> int:
        """The port it listens on (chosen by the system when 0 was asked for)."""
        if self._httpd is None:
            raise RuntimeError("the Hume stand-in is not running: call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT`, the SDK's `base` URL for this server."""
        return f"http://{self.host}:{self.port}"

    def environment(self) -> ExpressionMeasurementClientEnvironment:
        """The SDK environment that sends every request here."""
        return ExpressionMeasurementClientEnvironment(
            base=self.base_url, production=f"ws://{self.host}:{self.port}"
        )

    # faults

    def rate_limit_next(self, n: int = 1, retry_after: int = 1) -> None:
        """Answer the next `n` authenticated requests with 429 and `Retry-After: retry_after`."""
        if n < 0 or retry_after < 0:
            raise ValueError("n and retry_after must not be negative")
        with self._state.lock:
            self._state.faults.extend(_Fault(429, int(retry_after)) for _ in range(n))

    def fail_next(self, n: int = 1, status: int = 500, retry_after: int | None = None) -> None:
        """Answer the next `n` authenticated requests with 500 `internal_error` or 503
        `server_busy`, with a `Retry-After` header when `retry_after` is given."""
        if status not in (500, 503):
            raise ValueError("status must be 500 (internal_error) or 503 (server_busy)")
        if n < 0 or (retry_after is not None and retry_after < 0):
            raise ValueError("n and retry_after must not be negative")
        with self._state.lock:
            self._state.faults.extend(_Fault(status, retry_after) for _ in range(n))

    def clear_faults(self) -> None:
        """Drop the faults not yet served."""
        with self._state.lock:
            self._state.faults.clear()

    def reset(self) -> None:
        """Drop pending faults and zero the counters (the runs are kept)."""
        with self._state.lock:
            self._state.faults.clear()
            self._state.requests = self._state.images = 0
            self._state.image_hashes.clear()

    # what it has seen

    @property
    def requests(self) -> int:
        """HTTP requests received, whatever their outcome."""
        with self._state.lock:
            return self._state.requests

    @property
    def images(self) -> int:
        """Images measured (in requests that succeeded)."""
        with self._state.lock:
            return self._state.images

    @property
    def image_hashes(self) -> list[str]:
        """SHA-256 (hex) of every image measured, in the order measured."""
        with self._state.lock:
            return list(self._state.image_hashes)

    @property
    def pending_faults(self) -> int:
        """Faults queued and not yet served."""
        with self._state.lock:
            return len(self._state.faults)

    # request handling, called from the handler threads

    def _count_request(self) -> None:
        with self._state.lock:
            self._state.requests += 1

    def _next_fault(self) -> _Fault | None:
        with self._state.lock:
            return self._state.faults.popleft() if self._state.faults else None

    def _measure_request(self, parts: list[_Part], request_id: str) -> dict[str, Any]:
        started = time.time()
        configs = [part for part in parts if part.name == "config"]
        images = [part.data for part in parts if part.name == "file"]
        other = sorted({str(part.name) for part in parts if part.name not in ("config", "file")})
        if other:
            raise _Failure(400, "invalid_request", f"unexpected part(s): {', '.join(other)}")
        if len(configs) > 1:
            raise _config_invalid("send at most one config part")
        if not images:
            raise _Failure(400, "invalid_request", "the request has no file part")
        config = _parse_config(configs[0].data) if configs else _Config()
        tracker = _FaceTracker(self._face_secret)
        tracker.resume(config.face_state)
        measurements = _measure(images, config, tracker)
        run = _Run(
            run_id=str(uuid.uuid4()),
            started_at=started,
            ended_at=time.time(),
            frames=len(images),
            bytes_received=sum(len(data) for data in images),
            threshold=config.threshold,
            min_size=config.min_size,
        )
        with self._state.lock:
            self._state.images += len(images)
            self._state.image_hashes.extend(hashlib.sha256(data).hexdigest() for data in images)
            self._state.runs.append(run)
        response: dict[str, Any] = {
            "request_id": request_id,
            "run_id": run.run_id,
            "received": {"frames": len(images)},
            "measurements": measurements,
        }
        if config.return_face_state:
            response["face_state"] = tracker.token()
        return response

    def _list_runs(self, query: dict[str, list[str]]) -> dict[str, Any]:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        try:
            page_size = int(one("page_size") or 20)
            offset = int(one("cursor") or 0)
        except ValueError:
            raise _Failure(400, "invalid_request", "page_size and cursor are invalid") from None
        if not 1 <= page_size <= 100 or offset < 0:
            raise _Failure(400, "invalid_request", "page_size must be 1 to 100")
        with self._state.lock:
            runs = list(reversed(self._state.runs))
        wanted = {"status": "ended", "mode": "file", "endpoint": "video", "user_id": _USER_ID}
        for name, value in wanted.items():
            if one(name) not in (None, value):
                runs = []
        page = runs[offset : offset + page_size]
        result: dict[str, Any] = {"runs": [run.summary() for run in page]}
        if offset + page_size < len(runs):
            result["next_cursor"] = str(offset + page_size)
        return result

    def _find_run(self, run_id: str) -> _Run:
        with self._state.lock:
            for run in self._state.runs:
                if run.run_id == run_id:
                    return run
        raise _Failure(404, "not_found", f"no run {run_id}")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: FakeHumeServer) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HumeStandIn/1.0"
    timeout = 120
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test run or demo should not print a line per request."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _handle(self) -> None:
        fake = self.server.fake
        fake._count_request()
        request_id = f"req_{uuid.uuid4().hex}"
        try:
            body, too_large = self._read_body()
            self._authenticate(request_id)
            fault = fake._next_fault()
            if fault is not None:
                raise _fault_failure(fault)
            status, payload = self._route(body, too_large, request_id)
            self._send_json(status, payload, request_id)
        except _Failure as failure:
            self._send_failure(failure, request_id)
        except _Unauthorized as refusal:
            self._send_json(401, refusal.body, request_id)
        except Exception:
            self._send_failure(
                _Failure(500, "internal_error", "the stand-in failed to answer"), request_id
            )
            raise

    def _read_body(self) -> tuple[bytes, bool]:
        """The request body, drained in full; `too_large` when over the request limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise _Failure(400, "invalid_request", "invalid Content-Length") from None
        if length <= MAX_REQUEST_BYTES:
            return self.rfile.read(length), False
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)
        return b"", True

    def _read_chunked(self) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self.close_connection = True
                raise _Failure(400, "invalid_request", "malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                break
            chunk = self.rfile.read(size)
            self.rfile.readline(8)
            total += len(chunk)
            if total <= MAX_REQUEST_BYTES:
                chunks.append(chunk)
        if total > MAX_REQUEST_BYTES:
            return b"", True
        return b"".join(chunks), False

    def _authenticate(self, request_id: str) -> None:
        key = self.headers.get("X-Hume-Api-Key")
        if key is None:
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                key = token.strip()
        if not key:
            raise _Unauthorized({"message": "Missing API key or access token."})
        if not hmac.compare_digest(key.encode(), self.server.fake.api_key.encode()):
            raise _Unauthorized({"message": "Invalid API key.", "request_id": request_id})

    def _route(self, body: bytes, too_large: bool, request_id: str) -> tuple[int, dict]:
        fake = self.server.fake
        url = urlsplit(self.path)
        path = url.path
        if path == FILE_PATH:
            self._allow("POST")
            if too_large:
                raise _Failure(
                    413,
                    "image_too_large",
                    f"the request is over the {MAX_REQUEST_BYTES:,}-byte limit",
                )
            try:
                parts = _parse_multipart(body, self.headers.get("Content-Type", ""))
            except ValueError as error:
                raise _Failure(400, "invalid_request", str(error)) from None
            return 200, fake._measure_request(parts, request_id)
        if path == RUNS_PATH:
            self._allow("GET")
            return 200, fake._list_runs(parse_qs(url.query))
        match = _RUN_PATH.match(path)
        if match:
            self._allow("GET")
            run = fake._find_run(unquote(match.group(1)))
            if match.group(2):
                return 200, {"events": [], "at_cap": False, "capped_kinds": [], "gaps": False}
            return 200, run.full()
        raise _Failure(404, "not_found", f"no such endpoint: {path}")

    def _allow(self, method: str) -> None:
        if self.command != method:
            raise _Failure(
                405,
                "method_not_allowed",
                f"{self.command} is not allowed here; use {method}",
                {"Allow": method},
            )

    def _send_failure(self, failure: _Failure, request_id: str) -> None:
        payload = {
            "type": "error",
            "code": failure.code,
            "message": failure.message,
            "request_id": request_id,
        }
        self._send_json(failure.status, payload, request_id, failure.headers)

    def _send_json(
        self,
        status: int,
        payload: dict,
        request_id: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", request_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class _Unauthorized(Exception):
    def __init__(self, body: dict[str, str]) -> None:
        super().__init__(body["message"])
        self.body = body


def _fault_failure(fault: _Fault) -> _Failure:
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    if fault.status == 429:
        return _Failure(429, "rate_limited", "Too many requests; retry later.", headers)
    if fault.status == 503:
        return _Failure(503, "server_busy", "The service is busy; retry later.", headers)
    return _Failure(500, "internal_error", "The measurement failed; retry.", headers)


def serve_forever(
    port: int,
    api_key: str,
    host: str = "127.0.0.1",
    on_ready: Callable[[FakeHumeServer], None] | None = None,
) -> None:
    """Serve the stand-in in this thread until Ctrl+C, which ends it normally.

    `on_ready` is called once it listens (e.g. to print `base_url` when `port` was 0).
    """
    server = FakeHumeServer(api_key, host=host, port=port)
    httpd = server._bind()
    try:
        if on_ready is not None:
            on_ready(server)
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd = None
        httpd.server_close()
