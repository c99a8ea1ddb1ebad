"""Hume's JSON, current and legacy, as one tidy frame table; and which face is the staff member.

The tidy table has one row per measured face per frame: `recording_sha256`, `frame`, `time_s`,
`face_id`, `bbox_x0`, `bbox_y0`, `bbox_x1`, `bbox_y1`, `confidence`, then one column per expression
(the canonical 48 as slugs, followed by any name Hume adds later). A score the current API did not
return is below its 0.1 floor and is stored as `BELOW_FLOOR`, not as missing. Legacy scores are
floored the same way, so summaries compare across the two APIs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from burnout_lib.emotions import (
    API_FLOOR,
    BELOW_FLOOR,
    EXPRESSION_SLUGS,
    canonical_name,
    slug,
)
from burnout_lib.errors import InvalidInput

ID_COLUMNS = (
    "recording_sha256",
    "frame",
    "time_s",
    "face_id",
    "bbox_x0",
    "bbox_y0",
    "bbox_x1",
    "bbox_y1",
    "confidence",
)


def _table(
    rows: list[tuple], names: list[tuple[str, ...]], values: list[list[float]]
) -> pd.DataFrame:
    """Assemble face ids and scores into the tidy table, canonical expression columns first.

    Faces that list the same names in the same order (every legacy face does) are filled in one
    vectorised step.
    """
    slugs = {key: [slug(canonical_name(str(n))) for n in key] for key in set(names)}
    for key, found in slugs.items():
        for name, column in zip(key, found, strict=True):
            if column in ID_COLUMNS:
                raise ValueError(f"expression name {name!r} clashes with the column {column!r}")
    extra = sorted({s for found in slugs.values() for s in found} - set(EXPRESSION_SLUGS))
    columns = list(EXPRESSION_SLUGS) + extra
    position = {name: k for k, name in enumerate(columns)}
    matrix = np.full((len(values), len(columns)), BELOW_FLOOR, dtype=np.float64)
    faces_by_names: dict[tuple[str, ...], list[int]] = {}
    for face, key in enumerate(names):
        faces_by_names.setdefault(key, []).append(face)
    for key, faces in faces_by_names.items():
        if key:
            targets = np.array([position[s] for s in slugs[key]])
            matrix[np.array(faces)[:, None], targets[None, :]] = [values[f] for f in faces]
    matrix[matrix <= API_FLOOR] = BELOW_FLOOR
    ids = pd.DataFrame.from_records(rows, columns=list(ID_COLUMNS))
    return pd.concat([ids, pd.DataFrame(matrix, columns=columns)], axis=1)


def _split(items: Sequence[Mapping], key: str) -> tuple[tuple[str, ...], list[float]]:
    """Names and scores of one face's expression list."""
    names = tuple(item["name"] for item in items)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"expression name {name!r} is not text")
    return names, [float(item[key]) for item in items]


def parse_current(
    response: Mapping,
    recording_sha256: str,
    times: Sequence[float] | None = None,
    first_frame: int = 0,
) -> pd.DataFrame:
    """One current-API response (`video.measure`) as the tidy table.

    `times` gives each uploaded image's time in the clip; `first_frame` numbers this request's
    images after those of earlier requests of the same recording. Faces that were detected but
    not measured (no `face_id`) are left out.
    """
    rows, names, values = [], [], []
    try:
        for position, measurement in enumerate(response["measurements"]):
            frame = first_frame + position
            time_s = float(times[position]) if times is not None else float(frame)
            for face in measurement["faces"]:
                if face.get("face_id") is None or face.get("expressions") is None:
                    continue
                x0, y0, x1, y1 = (float(v) for v in face["bbox"])
                face_id, confidence = str(face["face_id"]), float(face["confidence"])
                rows.append((recording_sha256, frame, time_s, face_id, x0, y0, x1, y1, confidence))
                face_names, face_values = _split(face["expressions"], "probability")
                names.append(face_names)
                values.append(face_values)
        return _table(rows, names, values)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
        raise InvalidInput(
            f"not a Hume expression response: {type(error).__name__} {error}"
        ) from None


def load_json(raw: bytes, source: str = "input") -> object:
    """Decode a JSON document (orjson: several times faster than the standard library)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"{source}: not JSON ({error})") from None


@dataclass
class LegacyPrediction:
    """One media file's face predictions from a legacy batch job."""

    file: str
    frames: pd.DataFrame
    errors: list[str]


def _legacy_faces(face_model: Mapping | None, recording_sha256: str) -> pd.DataFrame:
    rows, names, values = [], [], []
    for group in (face_model or {}).get("grouped_predictions", []):
        face_id = str(group["id"])
        for item in group["predictions"]:
            box = item.get("box") or {}
            x, y = float(box.get("x", np.nan)), float(box.get("y", np.nan))
            w, h = float(box.get("w", np.nan)), float(box.get("h", np.nan))
            confidence = float(item.get("prob", np.nan))
            frame, time_s = int(item["frame"]), float(item["time"])
            if not 0 <= frame < 2**63:
                raise ValueError(f"frame {item['frame']!r} is not a frame number")
            rows.append((recording_sha256, frame, time_s, face_id, x, y, x + w, y + h, confidence))
            item_names, item_values = _split(item["emotions"], "score")
            names.append(item_names)
            values.append(item_values)
    table = _table(rows, names, values).sort_values(["frame", "face_id"], kind="stable")
    return table.reset_index(drop=True)


def parse_legacy(
    data: object, recording_sha256: str, source: str = "input"
) -> list[LegacyPrediction]:
    """A legacy batch-API predictions document as tidy tables, one per predicted media file.

    Other models in the document (prosody, language, …) are ignored; job `errors` are kept.
    `source` names the input in error messages.
    """
    if not isinstance(data, list) or not data:
        raise InvalidInput(
            f"{source}: not a Hume predictions file "
            "(expected a JSON list of {source, results: {predictions, errors}})"
        )
    found: list[LegacyPrediction] = []
    for job_index, job in enumerate(data):
        try:
            results = job["results"]
            errors = [str(e.get("message", e)) for e in results.get("errors", [])]
            for prediction in results["predictions"]:
                frames = _legacy_faces(prediction["models"].get("face"), recording_sha256)
                name = str(prediction.get("file", f"job {job_index}"))
                found.append(LegacyPrediction(name, frames, errors))
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
            raise InvalidInput(
                f"{source}: not a Hume predictions file (job {job_index}: "
                f"{type(error).__name__} {error})"
            ) from None
        if not results["predictions"] and errors:
            raise InvalidInput(f"{source}: Hume reported errors and no predictions: {errors[0]}")
    if not found:
        raise InvalidInput(f"{source}: the predictions file holds no predictions")
    return found


@dataclass(frozen=True)
class FaceChoice:
    """Which tracked face is taken to be the staff member, and why."""

    face_id: str | None
    reason: str


def choose_face(frames: pd.DataFrame) -> FaceChoice:
    """The face seen in most frames (ties: the largest on average) is the staff member.

    In a consented clip the person recording is the one nearest the camera for most of it;
    colleagues passing behind them appear in fewer frames and smaller.
    """
    if frames.empty:
        return FaceChoice(None, "no face found")
    area = (frames["bbox_x1"] - frames["bbox_x0"]) * (frames["bbox_y1"] - frames["bbox_y0"])
    stats = (
        frames.assign(area=area)
        .groupby("face_id")
        .agg(seen=("frame", "nunique"), area=("area", "mean"))
        .sort_values(["seen", "area"], ascending=False)
    )
    chosen = str(stats.index[0])
    if len(stats) == 1:
        return FaceChoice(chosen, f"face {chosen}: the only face")
    return FaceChoice(
        chosen,
        f"face {chosen}: in {int(stats.iloc[0].seen)} frames, most often of {len(stats)} faces",
    )
