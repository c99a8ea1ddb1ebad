"""The camera widget's kernel side: a take's frames arrive as the browser sends them (custom comm
messages, one JPEG buffer each), anything else is refused, and only a complete take reaches the
page's callback."""

from __future__ import annotations

import io

import pytest
import traitlets
from PIL import Image

from burnout_lib.app.camera import CAMERA_MESSAGES, STATIC, CameraWidget, is_jpeg
from burnout_lib.errors import ConsentError, HumeError


def jpeg(shade: int = 90, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (shade, 120, 200 - shade)).save(buffer, format="JPEG")
    return buffer.getvalue()


def deliver(widget: CameraWidget, content: dict, *buffers: bytes) -> None:
    """A custom message as ipywidgets hands it over from the comm: buffers as memoryviews."""
    message = {
        "content": {"data": {"method": "custom", "content": content}},
        "buffers": [memoryview(b) for b in buffers],
    }
    widget._handle_msg(message)


def send_take(widget: CameraWidget, frames: list[bytes], take: str = "take-1") -> None:
    deliver(widget, {"type": "start", "take": take})
    for index, data in enumerate(frames):
        deliver(widget, {"type": "frame", "take": take, "index": index}, data)
    deliver(widget, {"type": "done", "take": take, "frames": len(frames)})


class Recorder:
    def __init__(self, answer: str = "stored", errors: list[Exception] | None = None) -> None:
        self.calls: list[list[bytes]] = []
        self.answer = answer
        self.errors = list(errors or [])

    def __call__(self, frames: list[bytes]) -> str:
        self.calls.append(frames)
        if self.errors:
            raise self.errors.pop(0)
        return self.answer


def test_a_complete_take_reaches_the_callback_as_bytes() -> None:
    page = Recorder("Stored: 3 pictures.")
    widget = CameraWidget(on_take=page)
    frames = [jpeg(shade) for shade in (10, 60, 110)]
    send_take(widget, frames)
    assert page.calls == [frames]
    assert all(type(frame) is bytes for frame in page.calls[0])
    assert (widget.state, widget.message, widget.can_retry) == (
        "done",
        "Stored: 3 pictures.",
        False,
    )
    assert widget.kept_frames == []


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (b"\xff\xd8\xff" + b"\0" * 600_000 + b"\xff\xd9", "over the 500,000-byte limit"),
        (b"<html>not a picture</html>", "not a JPEG picture"),
        (io.BytesIO().getvalue(), "not a JPEG picture"),
    ],
    ids=["oversized", "not-a-jpeg", "empty"],
)
def test_an_oversized_or_foreign_buffer_drops_the_whole_take(bad: bytes, why: str) -> None:
    page = Recorder()
    widget = CameraWidget(on_take=page)
    send_take(widget, [jpeg(), bad, jpeg()])
    assert page.calls == []
    assert widget.state == "error"
    assert why in widget.message and "nothing was sent" in widget.message


def test_a_png_is_refused_as_not_a_jpeg() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    assert not is_jpeg(buffer.getvalue()) and is_jpeg(jpeg())
    page = Recorder()
    widget = CameraWidget(on_take=page)
    send_take(widget, [buffer.getvalue()])
    assert page.calls == [] and "not a JPEG" in widget.message


def test_too_many_frames_out_of_order_or_without_a_buffer_are_refused() -> None:
    page = Recorder()
    widget = CameraWidget(on_take=page, seconds=1, fps=2.0)
    assert widget.max_frames == 2
    send_take(widget, [jpeg(), jpeg(), jpeg()])
    assert page.calls == [] and "at most 2 frames" in widget.message

    deliver(widget, {"type": "start", "take": "t2"})
    deliver(widget, {"type": "frame", "take": "t2", "index": 1}, jpeg())
    assert widget.state == "error" and "out of order" in widget.message

    deliver(widget, {"type": "start", "take": "t3"})
    deliver(widget, {"type": "frame", "take": "t3", "index": 0}, jpeg(), jpeg())
    assert "exactly one picture" in widget.message
    deliver(widget, {"type": "done", "take": "t3", "frames": 0})
    assert page.calls == []


def test_frames_of_another_take_and_a_short_count_never_reach_the_page() -> None:
    page = Recorder()
    widget = CameraWidget(on_take=page)
    deliver(widget, {"type": "start", "take": "mine"})
    deliver(widget, {"type": "frame", "take": "mine", "index": 0}, jpeg())
    deliver(widget, {"type": "frame", "take": "forged", "index": 1}, jpeg(5))
    deliver(widget, {"type": "done", "take": "forged", "frames": 2})
    assert page.calls == [] and widget.state == "receiving"
    deliver(widget, {"type": "done", "take": "mine", "frames": 2})
    assert page.calls == [] and "Only 1 of 2 pictures arrived" in widget.message


def test_cancel_drops_the_take() -> None:
    page = Recorder()
    widget = CameraWidget(on_take=page)
    deliver(widget, {"type": "start", "take": "t"})
    deliver(widget, {"type": "frame", "take": "t", "index": 0}, jpeg())
    deliver(widget, {"type": "cancel", "take": "t"})
    deliver(widget, {"type": "done", "take": "t", "frames": 1})
    assert page.calls == [] and widget.state == "idle"


def test_hume_unreachable_keeps_the_frames_for_try_again_other_errors_do_not() -> None:
    page = Recorder(errors=[HumeError("Hume could not measure your pictures just now")])
    widget = CameraWidget(on_take=page)
    frames = [jpeg(20), jpeg(40)]
    send_take(widget, frames)
    assert widget.state == "error" and widget.can_retry
    assert widget.message.startswith("Hume could not measure")
    assert widget.kept_frames == frames

    deliver(widget, {"type": "retry"})
    assert page.calls == [frames, frames]
    assert (widget.state, widget.can_retry, widget.kept_frames) == ("done", False, [])
    deliver(widget, {"type": "retry"})  # nothing kept: nothing happens
    assert len(page.calls) == 2

    refusing = Recorder(errors=[ConsentError("You have not agreed to share your weekly clip")])
    widget = CameraWidget(on_take=refusing)
    send_take(widget, frames)
    assert widget.message.startswith("You have not agreed") and not widget.can_retry
    assert widget.kept_frames == []


@pytest.mark.parametrize("code", ["denied", "absent", "busy", "unavailable", "made-up"])
def test_camera_problems_are_said_and_reported_to_the_page(code: str) -> None:
    widget = CameraWidget()
    reported: list[str] = []
    widget.on_camera_problem(reported.append)
    deliver(widget, {"type": "camera-error", "code": code, "name": "NotAllowedError"})
    expected = code if code in CAMERA_MESSAGES else "unavailable"
    assert reported == [expected] and widget.camera_problem == expected
    assert widget.state == "error" and widget.message == CAMERA_MESSAGES[expected]
    assert widget.camera_messages == CAMERA_MESSAGES


def test_settings_stay_within_what_the_api_and_the_websocket_take() -> None:
    widget = CameraWidget()
    assert (widget.seconds, widget.fps, widget.max_frames) == (5, 3.0, 15)
    for name, value in [("fps", 5.0), ("seconds", 60), ("max_frame_bytes", 20_000_000)]:
        with pytest.raises(traitlets.TraitError):
            setattr(widget, name, value)


def test_the_script_sends_stills_only_and_ships_with_its_style() -> None:
    script = (STATIC / "camera.js").read_text()
    assert (STATIC / "camera.css").is_file()
    assert "MediaRecorder" not in script, "no video is ever recorded"
    assert '"image/jpeg"' in script and "getUserMedia" in script
    # buffers are the third argument of model.send (content, callbacks, buffers)
    assert "undefined,\n        [frame.buffer]" in script
    for needed in ('role: "status"', '"aria-live": "polite"', 'type: "button"', "Recording"):
        assert needed in script
