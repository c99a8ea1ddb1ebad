"""The weekly clip from the person's own camera, without any video leaving their device.

`CameraWidget` is an anywidget whose JavaScript (`static/camera.js`) shows a live preview and,
for one take of `seconds` seconds, draws a still at most `fps` times a second to a canvas and sends
it as a JPEG, one frame per comm message of at most `max_frame_bytes` (500 kB by default: a
twentieth of the 10 MiB a kernel websocket message may carry). No video is recorded or sent.

This side collects the frames of one take, refuses anything that is not what the page sends (a
buffer that is not a JPEG, too large, out of order, too many, or from another take: the whole take
is then dropped and nothing is measured), and when the take is done calls the page's callback
with the list of JPEG bytes. The callback's return value (or a `BurnoutError`'s message) is shown
in the widget's status line, which screen readers announce. When Hume could not be reached the
frames are kept in memory (never on disk) so that "Try again" measures them again, and the
content-hash cache sends only what was not measured before.

Message protocol, browser → kernel (content, then buffers):

- ``{"type": "start", "take": ID}``: a new take (any frames kept from an earlier one are dropped);
- ``{"type": "frame", "take": ID, "index": N, "width": W, "height": H}`` with one buffer, the JPEG;
- ``{"type": "done", "take": ID, "frames": N}``: the take is complete; the callback runs;
- ``{"type": "cancel", "take": ID}``: the person stopped; the take is dropped;
- ``{"type": "retry"}``: run the callback again on the kept frames (after Hume was unreachable);
- ``{"type": "camera-error", "code": "denied"|"absent"|"busy"|"unavailable", "name": ...}``.

Kernel → browser: the synced traits `state` ("idle", "receiving", "measuring", "done",
"error"), `message` and `can_retry`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

import anywidget
import traitlets

from burnout_lib.errors import BurnoutError, HumeError

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
#: Longest take and highest frame rate a page may ask for (the API takes at most 3 frames/s).
MAX_SECONDS = 10
MAX_FPS = 3.0
#: Largest JPEG accepted in one message; the JavaScript lowers the quality to stay under it.
MAX_FRAME_BYTES = 500_000
#: Bytes of a take id; the browser makes a UUID.
MAX_TAKE_ID = 64

CAMERA_MESSAGES = {
    "denied": (
        "Camera access was refused. To record, allow the camera for this page in your browser's "
        "site settings, or upload a short clip or a few photos instead."
    ),
    "absent": (
        "No camera was found. Connect a camera and try again, or upload a short clip or a few "
        "photos instead."
    ),
    "busy": (
        "The camera is in use by another program or could not start. Close the other program "
        "and try again, or upload a short clip or a few photos instead."
    ),
    "unavailable": (
        "This browser cannot use a camera on this page (it needs a secure, https address). "
        "Upload a short clip or a few photos instead."
    ),
}

TakeCallback = Callable[[list[bytes]], "str | None"]


def is_jpeg(data: bytes) -> bool:
    """A complete JPEG starts with an SOI marker followed by another marker and ends with EOI."""
    return len(data) > 4 and data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"


class CameraWidget(anywidget.AnyWidget):
    """Live preview, a fixed-length take of JPEG stills, and a status line."""

    _esm = STATIC / "camera.js"
    _css = STATIC / "camera.css"

    #: Length of a take, in seconds.
    seconds = traitlets.Int(5).tag(sync=True)
    #: Stills per second during a take (at most 3).
    fps = traitlets.Float(3.0).tag(sync=True)
    #: Width the stills are scaled down to, in pixels.
    max_width = traitlets.Int(640).tag(sync=True)
    #: JPEG quality the browser starts from (0–1).
    jpeg_quality = traitlets.Float(0.85).tag(sync=True)
    #: Largest JPEG one message may carry, in bytes.
    max_frame_bytes = traitlets.Int(MAX_FRAME_BYTES).tag(sync=True)
    #: What the kernel is doing with the take: idle, receiving, measuring, done or error.
    state = traitlets.Unicode("idle").tag(sync=True)
    #: The line the status region shows and announces.
    message = traitlets.Unicode("").tag(sync=True)
    #: True while frames are kept after Hume could not be reached.
    can_retry = traitlets.Bool(False).tag(sync=True)
    #: The messages for camera problems, shown by the browser at once.
    camera_messages = traitlets.Dict(CAMERA_MESSAGES).tag(sync=True)
    #: The last camera problem the browser reported ("" when none): denied, absent, busy, …
    camera_problem = traitlets.Unicode("")

    def __init__(self, on_take: TakeCallback | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_take: TakeCallback | None = on_take
        self._on_camera_problem: list[Callable[[str], None]] = []
        self._take: str | None = None
        self._frames: list[bytes] = []
        self._kept: list[bytes] = []
        self.on_msg(self._receive)

    # --- settings, checked whichever side sets them -------------------------------------------

    @traitlets.validate("seconds")
    def _check_seconds(self, proposal):
        if not 1 <= proposal["value"] <= MAX_SECONDS:
            raise traitlets.TraitError(f"a take lasts 1 to {MAX_SECONDS} seconds")
        return proposal["value"]

    @traitlets.validate("fps")
    def _check_fps(self, proposal):
        if not 0 < proposal["value"] <= MAX_FPS:
            raise traitlets.TraitError(f"at most {MAX_FPS:g} frames a second")
        return proposal["value"]

    @traitlets.validate("max_width")
    def _check_width(self, proposal):
        if not 160 <= proposal["value"] <= 1920:
            raise traitlets.TraitError("frames are 160 to 1920 pixels wide")
        return proposal["value"]

    @traitlets.validate("jpeg_quality")
    def _check_quality(self, proposal):
        if not 0.3 <= proposal["value"] <= 1:
            raise traitlets.TraitError("JPEG quality is 0.3 to 1")
        return proposal["value"]

    @traitlets.validate("max_frame_bytes")
    def _check_frame_bytes(self, proposal):
        if not 10_000 <= proposal["value"] <= 1_000_000:
            raise traitlets.TraitError("a frame message carries 10 kB to 1 MB")
        return proposal["value"]

    @property
    def max_frames(self) -> int:
        """Frames one take may have: `seconds` × `fps`, rounded up."""
        return math.ceil(round(self.seconds * self.fps, 6))

    @property
    def kept_frames(self) -> list[bytes]:
        """The frames kept for "Try again" (empty unless Hume could not be reached)."""
        return list(self._kept)

    # --- the page's hooks ---------------------------------------------------------------------

    def on_take(self, callback: TakeCallback | None) -> None:
        """Call `callback(frames)` with each complete take's JPEG bytes; what it returns is
        shown as the status line."""
        self._on_take = callback

    def on_camera_problem(self, callback: Callable[[str], None]) -> None:
        """Call `callback(code)` when the browser reports a camera problem."""
        self._on_camera_problem.append(callback)

    # --- messages from the browser ------------------------------------------------------------

    def _receive(self, _widget, content, buffers) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        buffers = list(buffers or [])
        if kind == "start":
            self._start(content.get("take"))
        elif kind == "frame":
            self._frame(content, buffers)
        elif kind == "done":
            self._done(content)
        elif kind == "cancel":
            if content.get("take") == self._take:
                self._drop("Recording stopped; nothing was sent for measuring.", "idle")
        elif kind == "retry":
            self._retry()
        elif kind == "camera-error":
            self._camera_error(content.get("code"))
        else:
            log.info("camera widget: ignored a message of type %r", kind)

    def _start(self, take) -> None:
        if not isinstance(take, str) or not 0 < len(take) <= MAX_TAKE_ID:
            self._refuse("the take has no valid id")
            return
        self._take, self._frames, self._kept = take, [], []
        self.can_retry = False
        self.state = "receiving"
        self.message = "Recording…"

    def _frame(self, content: dict, buffers: list) -> None:
        if self._take is None or content.get("take") != self._take:
            log.info("camera widget: ignored a frame of another take")
            return
        index = content.get("index")
        if len(buffers) != 1:
            self._refuse("a frame message must carry exactly one picture")
        elif index != len(self._frames):
            self._refuse(f"frame {index!r} arrived out of order")
        elif len(self._frames) >= self.max_frames:
            self._refuse(f"a take has at most {self.max_frames} frames")
        else:
            data = bytes(buffers[0])
            if len(data) > self.max_frame_bytes:
                self._refuse(
                    f"frame {index + 1} is {len(data):,} bytes, over the "
                    f"{self.max_frame_bytes:,}-byte limit"
                )
            elif not is_jpeg(data):
                self._refuse(f"frame {index + 1} is not a JPEG picture")
            else:
                self._frames.append(data)

    def _done(self, content: dict) -> None:
        if self._take is None or content.get("take") != self._take:
            return
        frames, self._take, self._frames = self._frames, None, []
        if not frames:
            self._drop("The take had no pictures; nothing was sent for measuring.", "error")
            return
        if content.get("frames") != len(frames):
            self._drop(
                f"Only {len(frames)} of {content.get('frames')!r} pictures arrived; nothing was "
                "sent for measuring. Please record again.",
                "error",
            )
            return
        self._measure(frames)

    def _retry(self) -> None:
        if not self._kept or self.state in ("measuring", "receiving"):
            return
        self._measure(self._kept)

    def _measure(self, frames: list[bytes]) -> None:
        self._kept = []
        self.can_retry = False
        if self._on_take is None:
            self._finish("error", "Recording is not available on this page.")
            return
        self.state = "measuring"
        self.message = f"Measuring {len(frames)} pictures…"
        try:
            said = self._on_take(list(frames))
        except HumeError as error:
            self._kept = list(frames)
            self.can_retry = True
            self._finish("error", str(error))
        except BurnoutError as error:
            self._finish("error", str(error))
        except Exception:
            self._finish("error", "Something went wrong; nothing was stored. Please try again.")
            raise
        else:
            self._finish("done", said or f"Stored: {len(frames)} pictures measured.")

    def _camera_error(self, code) -> None:
        code = code if code in CAMERA_MESSAGES else "unavailable"
        self._take, self._frames = None, []
        self.camera_problem = code
        self._finish("error", CAMERA_MESSAGES[code])
        for callback in self._on_camera_problem:
            callback(code)

    def _refuse(self, why: str) -> None:
        self._drop(
            f"The recording was refused ({why}); nothing was sent for measuring. Please record "
            "again.",
            "error",
        )

    def _drop(self, message: str, state: str) -> None:
        self._take, self._frames = None, []
        self._finish(state, message)

    def _finish(self, state: str, message: str) -> None:
        # the message first, so a browser that redraws on the state change shows the new line
        self.message = message
        self.state = state
