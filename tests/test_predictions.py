"""Hume's JSON, current and legacy, into the tidy frame table; and the face choice."""

import json
from pathlib import Path

import pytest

from burnout_lib.emotions import BELOW_FLOOR, EXPRESSION_SLUGS
from burnout_lib.errors import InvalidInput
from burnout_lib.sources.hume.predictions import (
    ID_COLUMNS,
    choose_face,
    parse_current,
    parse_legacy,
)

LEGACY = Path(__file__).resolve().parent.parent / "data" / "samples" / "hume_legacy"


def face(face_id, expressions, bbox=(10, 20, 110, 140), confidence=0.98):
    return {
        "face_id": face_id,
        "bbox": list(bbox),
        "confidence": confidence,
        "expressions": [{"name": n, "probability": p} for n, p in expressions],
        "descriptions": [],
    }


RESPONSE = {
    "request_id": "req-1",
    "run_id": "run-1",
    "received": {"frames": 3},
    "measurements": [
        {"frame_id": 0, "faces": [face(0, [("tiredness", 0.71), ("surprise (negative)", 0.2)])]},
        {"frame_id": 1, "faces": []},
        {
            "frame_id": 2,
            "faces": [
                face(0, [("calmness", 0.5), ("quiet resolve", 0.3)]),
                face(1, [("joy", 0.4)], bbox=(300, 20, 340, 70)),
                {"face_id": None, "bbox": [0, 0, 9, 9], "confidence": 0.9, "expressions": None},
            ],
        },
    ],
}


def test_current_response_becomes_the_tidy_table() -> None:
    table = parse_current(RESPONSE, "abc", times=[0.0, 1.0, 2.0], first_frame=30)
    assert list(table.columns[: len(ID_COLUMNS)]) == list(ID_COLUMNS)
    assert list(table.columns[len(ID_COLUMNS) : len(ID_COLUMNS) + 48]) == list(EXPRESSION_SLUGS)
    assert list(table.columns[len(ID_COLUMNS) + 48 :]) == ["quiet_resolve"], "new names are kept"
    assert list(table.frame) == [30, 32, 32]
    assert list(table.time_s) == [0.0, 2.0, 2.0]
    assert list(table.face_id) == ["0", "0", "1"]
    first = table.iloc[0]
    assert first.tiredness == 0.71 and first.surprise_negative == 0.2
    assert first.calmness == BELOW_FLOOR, "a name the API left out is below its floor"
    assert not table[list(EXPRESSION_SLUGS)].isna().any().any()
    assert (first.bbox_x0, first.bbox_y1) == (10.0, 140.0)


def test_current_response_without_faces_is_an_empty_table() -> None:
    empty = parse_current({"measurements": [{"frame_id": 0, "faces": []}]}, "abc")
    assert empty.empty and list(empty.columns[:9]) == list(ID_COLUMNS)


@pytest.mark.parametrize(
    "bad",
    [{}, {"measurements": [{"faces": [{"face_id": 0, "expressions": []}]}]}, {"measurements": 3}],
)
def test_a_response_that_is_not_humes_is_refused(bad) -> None:
    with pytest.raises(InvalidInput, match="not a Hume expression response"):
        parse_current(bad, "abc")


@pytest.mark.parametrize(
    ("name", "detections", "frames", "faces", "top_first"),
    [
        ("face_only_5_frames.json", 5, 5, 1, "confusion"),
        ("interviewiq_url_source.json", 65, 65, 1, "confusion"),
        ("interreviewer_file_source.json", 516, 258, 2, "interest"),
        ("hume_api_examples_visualization.json", 1075, 419, 4, "amusement"),
    ],
)
def test_every_legacy_sample_imports(name, detections, frames, faces, top_first) -> None:
    data = json.loads((LEGACY / name).read_text())
    [prediction] = parse_legacy(data, "sha", source=name)
    table = prediction.frames
    assert len(table) == detections
    assert table.frame.nunique() == frames
    assert table.face_id.nunique() == faces
    assert table.frame.is_monotonic_increasing
    scores = table[list(EXPRESSION_SLUGS)]
    assert scores.iloc[0].idxmax() == top_first
    assert ((scores == BELOW_FLOOR) | (scores > 0.1)).all().all()
    assert prediction.errors == []


def test_legacy_face_choice_is_the_most_frequent_face() -> None:
    data = json.loads((LEGACY / "hume_api_examples_visualization.json").read_text())
    choice = choose_face(parse_legacy(data, "sha")[0].frames)
    assert choice.face_id == "face_1"
    assert "376 frames" in choice.reason and "4 faces" in choice.reason


def test_face_choice_breaks_ties_by_size() -> None:
    table = parse_current(
        {
            "measurements": [
                {"faces": [face(0, [], bbox=(0, 0, 50, 50)), face(1, [], bbox=(0, 0, 200, 200))]}
            ]
        },
        "abc",
    )
    assert choose_face(table).face_id == "1"
    assert choose_face(table.iloc[:0]).face_id is None


def test_legacy_errors_are_kept_and_reported() -> None:
    data = json.loads((LEGACY / "face_only_5_frames.json").read_text())
    data[0]["results"]["errors"] = [{"file": "x.mp4", "message": "transcoding failed"}]
    assert parse_legacy(data, "sha")[0].errors == ["transcoding failed"]
    data[0]["results"]["predictions"] = []
    with pytest.raises(InvalidInput, match="transcoding failed"):
        parse_legacy(data, "sha", source="job.json")


@pytest.mark.parametrize(
    "bad", [{}, [], [{"source": {}}], [{"results": {"predictions": [{"models": 1}]}}], "text"]
)
def test_a_document_that_is_not_legacy_predictions_is_refused(bad) -> None:
    with pytest.raises(InvalidInput, match="preds.json"):
        parse_legacy(bad, "sha", source="preds.json")


def test_legacy_floor_matches_current_api() -> None:
    data = json.loads((LEGACY / "face_only_5_frames.json").read_text())
    model = data[0]["results"]["predictions"][0]["models"]["face"]
    emotions = model["grouped_predictions"][0]["predictions"][0]["emotions"]
    raw = {e["name"]: e["score"] for e in emotions}
    first = parse_legacy(data, "sha")[0].frames.iloc[0]
    for name, score in raw.items():
        column = name.lower().replace(" (", "_").replace(")", "").replace(" ", "_")
        expected = score if score > 0.1 else BELOW_FLOOR
        assert first[column] == pytest.approx(expected), name
