"""The local Hume stand-in, driven by Hume's real SDK exactly as the product drives the real API."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from hume_expression_measurement import (
    ExpressionMeasurementClient,
    VideoFileConfig,
    VideoFileConfigFace,
    VideoFileResponse,
)
from hume_expression_measurement.core.api_error import ApiError
from hume_expression_measurement.errors import (
    BadRequestError,
    ContentTooLargeError,
    InternalServerError,
    NotFoundError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from PIL import Image

from burnout_lib.emotions import EXPRESSIONS
from burnout_lib.testing.hume_server import (
    MAX_IMAGE_BYTES,
    MAX_REQUEST_BYTES,
    FakeHumeServer,
)

KEY = "test-key"


def noisy_jpeg(
    seed: int, size: tuple[int, int] = (160, 120), tint: tuple[int, int, int] = (128, 128, 128)
) -> bytes:
    """A JPEG of coloured noise around `tint`: the stand-in finds a face in it."""
    rng = np.random.default_rng(seed)
    pixels = rng.normal(tint, 40, (size[1], size[0], 3)).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def flat_jpeg(colour: str = "black", size: tuple[int, int] = (160, 120)) -> bytes:
    """A one-colour JPEG, like ffmpeg's `color=c=black` source: no face."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def server() -> Iterator[FakeHumeServer]:
    with FakeHumeServer(KEY) as running:
        yield running


@pytest.fixture
def client(server: FakeHumeServer) -> ExpressionMeasurementClient:
    return ExpressionMeasurementClient(api_key=KEY, environment=server.environment())


def scores(response: VideoFileResponse, frame: int) -> list[tuple[str, float]]:
    face = response.measurements[frame].faces[0]
    assert face.expressions is not None
    return [(score.name, score.probability) for score in face.expressions]


def test_measure_parses_into_sdk_types_one_result_per_image(
    server: FakeHumeServer, client: ExpressionMeasurementClient
) -> None:
    images = [noisy_jpeg(1), flat_jpeg(), noisy_jpeg(2)]
    response = client.video.measure(file=images)

    assert isinstance(response, VideoFileResponse)
    assert response.request_id and response.run_id
    assert response.received.frames == 3
    assert response.face_state is None
    assert [m.frame_id for m in response.measurements] == [0, 1, 2]
    assert response.measurements[1].faces == []
    known = {name.lower() for name in EXPRESSIONS}
    for frame in (0, 2):
        (face,) = response.measurements[frame].faces
        x0, y0, x1, y1 = face.bbox
        assert 0 <= x0 < x1 <= 160 and 0 <= y0 < y1 <= 120
        assert face.confidence >= 0.9
        assert face.face_id == 0
        named = scores(response, frame)
        assert 2 <= len(named) < 24
        assert all(name == name.lower() and name in known for name, _ in named)
        assert all(p > 0.1 and round(p, 4) == p for _, p in named)
        assert named == sorted(named, key=lambda item: (-item[1], item[0]))
        assert face.descriptions is not None
        assert all(d.probability > 0.1 for d in face.descriptions)
    assert server.requests == 1
    assert server.images == 3
    assert len(server.image_hashes) == 3


def test_scores_are_deterministic_per_image_bytes(client: ExpressionMeasurementClient) -> None:
    first = client.video.measure(file=[noisy_jpeg(7), noisy_jpeg(8)])
    again = client.video.measure(file=[("frame.jpg", noisy_jpeg(7), "image/jpeg")])
    assert scores(first, 0) == scores(again, 0)
    assert first.measurements[0].faces[0].bbox == again.measurements[0].faces[0].bbox
    assert scores(first, 0) != scores(first, 1)


def test_typical_expressions_are_the_ones_above_the_floor(
    client: ExpressionMeasurementClient,
) -> None:
    response = client.video.measure(file=[noisy_jpeg(seed) for seed in range(12)])
    listed = [name for frame in range(12) for name, _ in scores(response, frame)]
    for name in ("calmness", "concentration", "interest"):
        assert listed.count(name) >= 10
    assert len(set(listed)) < 40


def test_wide_image_has_two_faces_and_thresholds_filter(
    client: ExpressionMeasurementClient,
) -> None:
    wide = noisy_jpeg(3, size=(400, 150))
    (measurement,) = client.video.measure(file=[wide]).measurements
    assert [face.face_id for face in measurement.faces] == [0, 1]
    first, second = measurement.faces
    assert (first.bbox[2] - first.bbox[0]) > (second.bbox[2] - second.bbox[0])

    strict = VideoFileConfig(face=VideoFileConfigFace(min_size=60))
    (measurement,) = client.video.measure(file=[wide], config=strict).measurements
    assert len(measurement.faces) == 1
    picky = VideoFileConfig(face=VideoFileConfigFace(threshold=1.0))
    (measurement,) = client.video.measure(file=[wide], config=picky).measurements
    assert measurement.faces == []


def test_face_state_continues_face_ids(client: ExpressionMeasurementClient) -> None:
    wide = noisy_jpeg(3, size=(400, 150))
    with_state = VideoFileConfig(face=VideoFileConfigFace(return_face_state=True))

    first = client.video.measure(file=[wide], config=with_state)
    assert [face.face_id for face in first.measurements[0].faces] == [0, 1]
    assert first.face_state

    continued = client.video.measure(
        file=[noisy_jpeg(1), wide],
        config=VideoFileConfig(
            face=VideoFileConfigFace(return_face_state=True), face_state=first.face_state
        ),
    )
    assert [[f.face_id for f in m.faces] for m in continued.measurements] == [[0], [0, 1]]
    state = json.loads(base64.urlsafe_b64decode(continued.face_state))
    assert state["next"] == 2, "no new ids for faces the state already knew"

    tampered_state = json.loads(base64.urlsafe_b64decode(first.face_state))
    tampered_state["next"] = 5
    tampered = base64.urlsafe_b64encode(json.dumps(tampered_state).encode()).decode()
    restarted = client.video.measure(
        file=[noisy_jpeg(2)],
        config=VideoFileConfig(
            face=VideoFileConfigFace(return_face_state=True), face_state=tampered
        ),
    )
    assert restarted.measurements[0].faces[0].face_id == 0
    assert json.loads(base64.urlsafe_b64decode(restarted.face_state))["next"] == 1


def test_wrong_or_missing_key_is_unauthorized(server: FakeHumeServer) -> None:
    wrong = ExpressionMeasurementClient(api_key="not-the-key", environment=server.environment())
    with pytest.raises(UnauthorizedError) as caught:
        wrong.video.measure(file=[noisy_jpeg(1)])
    assert caught.value.status_code == 401
    assert caught.value.body.message
    raw = httpx.post(f"{server.base_url}/v1/expression/video/file", files={"file": b"x"})
    assert raw.status_code == 401
    assert raw.json() == {"message": raw.json()["message"]}
    bearer = httpx.get(
        f"{server.base_url}/v1/expression/run", headers={"Authorization": f"Bearer {KEY}"}
    )
    assert bearer.status_code == 200
    assert server.images == 0


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
NOT_DECODABLE = b"\xff\xd8\xff\xe0" + b"garbage" * 20


@pytest.mark.parametrize(
    ("bad", "error", "status", "code"),
    [
        ([PNG], UnsupportedMediaTypeError, 415, "unsupported_media_type"),
        ([NOT_DECODABLE], BadRequestError, 400, "image_decode_failed"),
        ([], BadRequestError, 400, "invalid_request"),
    ],
    ids=["png", "undecodable", "no-file"],
)
def test_bad_requests_get_typed_errors(
    server: FakeHumeServer,
    client: ExpressionMeasurementClient,
    bad: list[bytes],
    error: type[ApiError],
    status: int,
    code: str,
) -> None:
    files = [noisy_jpeg(1), *bad] if bad else []
    with pytest.raises(error) as caught:
        client.video.measure(file=files)
    assert caught.value.status_code == status
    assert caught.value.body.type == "error"
    assert caught.value.body.code == code
    assert caught.value.body.request_id
    assert server.images == 0, "one bad image fails the whole request"


def test_truncated_jpeg_fails_to_decode(client: ExpressionMeasurementClient) -> None:
    image = noisy_jpeg(4)
    with pytest.raises(BadRequestError) as caught:
        client.video.measure(file=[image[: len(image) // 2]])
    assert caught.value.body.code == "image_decode_failed"


def test_bad_config_is_config_invalid(client: ExpressionMeasurementClient) -> None:
    bad = VideoFileConfig(face=VideoFileConfigFace(threshold=2.0))
    with pytest.raises(BadRequestError) as caught:
        client.video.measure(file=[noisy_jpeg(1)], config=bad)
    assert caught.value.body.code == "config_invalid"


def test_image_over_2mb_is_too_large(
    server: FakeHumeServer, client: ExpressionMeasurementClient
) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (1200, 1200, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=100)
    big = buffer.getvalue()
    assert len(big) > MAX_IMAGE_BYTES
    with pytest.raises(ContentTooLargeError) as caught:
        client.video.measure(file=[noisy_jpeg(1), big])
    assert caught.value.body.code == "image_too_large"
    assert server.images == 0


def test_too_many_pixels_is_too_large(client: ExpressionMeasurementClient) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 2200), "grey").save(buffer, "JPEG", quality=20)
    assert len(buffer.getvalue()) < MAX_IMAGE_BYTES
    with pytest.raises(ContentTooLargeError) as caught:
        client.video.measure(file=[buffer.getvalue()])
    assert caught.value.body.code == "image_too_large"


def test_request_over_25mb_is_too_large(server: FakeHumeServer) -> None:
    body = b"\0" * (MAX_REQUEST_BYTES + 1)
    response = httpx.post(
        f"{server.base_url}/v1/expression/video/file",
        content=body,
        headers={"X-Hume-Api-Key": KEY, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"


def test_wrong_method_and_unknown_path(server: FakeHumeServer) -> None:
    headers = {"X-Hume-Api-Key": KEY}
    wrong = httpx.get(f"{server.base_url}/v1/expression/video/file", headers=headers)
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "POST"
    assert wrong.json()["code"] == "method_not_allowed"
    unknown = httpx.get(f"{server.base_url}/v1/nothing", headers=headers)
    assert unknown.status_code == 404
    assert set(unknown.json()) == {"type", "code", "message", "request_id"}
    assert server.requests == 2


def test_runs_are_listed_and_found(client: ExpressionMeasurementClient) -> None:
    first = client.video.measure(file=[noisy_jpeg(1)])
    second = client.video.measure(file=[noisy_jpeg(2)] * 45)
    page = client.runs.list()
    assert [run.run_id for run in page.runs] == [second.run_id, first.run_id]
    assert page.next_cursor is None
    run = client.runs.get(second.run_id)
    assert run.status == "ended" and run.mode == "file" and run.endpoint == "video"
    assert run.metered_seconds == 15.0
    assert client.runs.get(first.run_id).metered_seconds == 10.0
    assert client.runs.list_events(first.run_id).events == []
    with pytest.raises(NotFoundError):
        client.runs.get("no-such-run")


def test_rate_limit_is_retried_after_retry_after(
    server: FakeHumeServer, client: ExpressionMeasurementClient
) -> None:
    server.rate_limit_next(1, retry_after=1)
    started = time.monotonic()
    response = client.video.measure(file=[noisy_jpeg(1)])
    assert time.monotonic() - started >= 0.9
    assert response.received.frames == 1
    assert server.requests == 2
    assert server.images == 1


def test_internal_error_is_retried(
    server: FakeHumeServer, client: ExpressionMeasurementClient
) -> None:
    server.fail_next(1, 500)
    assert client.video.measure(file=[noisy_jpeg(1)]).received.frames == 1
    assert server.requests == 2


def test_busy_server_raises_after_the_sdk_retries(server: FakeHumeServer) -> None:
    client = ExpressionMeasurementClient(api_key=KEY, environment=server.environment())
    server.fail_next(5, 503, retry_after=1)
    with pytest.raises(ServiceUnavailableError) as caught:
        client.video.measure(file=[noisy_jpeg(1)])
    assert caught.value.body.code == "server_busy"
    assert server.requests == 3
    assert server.pending_faults == 2
    assert server.images == 0


def test_faults_from_the_constructor_and_without_retries() -> None:
    with FakeHumeServer(KEY, fail_next=1, fail_status=500) as server:
        client = ExpressionMeasurementClient(
            api_key=KEY, environment=server.environment(), max_retries=0
        )
        with pytest.raises(InternalServerError):
            client.video.measure(file=[noisy_jpeg(1)])
        assert client.video.measure(file=[noisy_jpeg(1)]).received.frames == 1
        assert server.requests == 2
        server.rate_limit_next(1)
        with pytest.raises(ApiError) as caught:
            client.video.measure(file=[noisy_jpeg(1)])
        assert caught.value.status_code == 429
        assert caught.value.headers["retry-after"] == "1"


def test_no_request_is_counted_until_one_is_sent(server: FakeHumeServer) -> None:
    assert (server.requests, server.images, server.image_hashes) == (0, 0, [])
    server.stop()
    with pytest.raises(RuntimeError):
        _ = server.base_url
