"""The mock hospital: a staff roster, weekly check-ins and facial expression scores, all driven by a
latent burnout trajectory that is known, so models can be evaluated honestly.

What is generated, and why it looks the way it does:
- Units, roles and shift patterns of an acute hospital; each person is exposed to stressors that
  healthcare workers reported (Shechter et al. 2020, NYC, n=657), more often in high-acuity units.
- A latent burnout level per person and week: a personal baseline raised by stressors, night work
  and unit acuity; a trajectory (stable, rising, recovering or volatile); unit-wide surges; and
  week-to-week noise.
- Copenhagen Burnout Inventory personal-scale answers (0/25/50/75/100) from the latent level, with
  skipped weeks (more often when a person is struggling) and the odd unanswered item.
- Consent: most people agree to check-ins; fewer to the facial channel, and decliners get no
  recordings at all.
- For consenting people, 1–2 short recordings most weeks. Each frame carries scores for Hume's 48
  face expressions: fatigue-related expressions rise and protective ones fall with the latent level,
  around a person's own baseline expressiveness, with frame-to-frame noise and the API's 0.1
  reporting floor. `measurement_response` renders a recording in the current API's JSON format.

The latent truth is written to `mock_truth.parquet` in the data folder, apart from the tables a
model trains on. The same seed always gives the same hospital.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.engine import Engine
from tqdm.auto import tqdm

from burnout_lib.channels import CHECKIN, FACE
from burnout_lib.config import Settings
from burnout_lib.emotions import (
    API_FLOOR,
    BELOW_FLOOR,
    EXPRESSION_SLUGS,
    EXPRESSIONS,
    FATIGUE,
    PROTECTIVE,
    summarise_frames,
    summary_column,
)
from burnout_lib.errors import InvalidInput
from burnout_lib.mock.nyc_survey import STRESSOR_PREVALENCE
from burnout_lib.sources.instruments import PERSONAL, score
from burnout_lib.store import db
from burnout_lib.store.private_files import private_dir, replacing
from burnout_lib.store.transactions import write_transaction

DEFAULT_START = date(2026, 1, 5)
CHUNK_STAFF = 250

#: Unit: (share of staff, acuity 0–1).
UNITS: dict[str, tuple[float, float]] = {
    "Emergency department": (0.13, 1.0),
    "Intensive care": (0.11, 1.0),
    "Medical-surgical": (0.24, 0.6),
    "Oncology": (0.09, 0.7),
    "Paediatrics": (0.09, 0.5),
    "Operating theatres": (0.09, 0.5),
    "Mental health": (0.07, 0.5),
    "Outpatient clinics": (0.18, 0.2),
}

#: Role: (share of staff, {shift pattern: probability}).
ROLES: dict[str, tuple[float, dict[str, float]]] = {
    "Nurse": (0.44, {"days": 0.45, "nights": 0.2, "rotating": 0.35}),
    "Healthcare assistant": (0.14, {"days": 0.5, "nights": 0.2, "rotating": 0.3}),
    "Resident": (0.12, {"days": 0.3, "rotating": 0.4, "on-call": 0.3}),
    "Attending physician": (0.1, {"days": 0.6, "on-call": 0.4}),
    "Advanced practice provider": (0.08, {"days": 0.7, "rotating": 0.3}),
    "Technician": (0.12, {"days": 0.6, "nights": 0.15, "rotating": 0.25}),
}

#: Stressors a person may carry through the period, with the units where they are more common.
STRESSORS: dict[str, dict[str, float]] = {
    "lack of control": {},
    "redeployed outside specialty": {"Outpatient clinics": 1.2, "Operating theatres": 1.2},
    "patient deaths": {
        "Intensive care": 1.6,
        "Emergency department": 1.4,
        "Oncology": 1.6,
        "Outpatient clinics": 0.3,
        "Paediatrics": 0.5,
    },
    "triage/rationing decisions": {
        "Emergency department": 1.5,
        "Intensive care": 1.5,
        "Outpatient clinics": 0.3,
    },
    "sleep disturbances": {},
    "clinical hours": {"Intensive care": 1.2, "Emergency department": 1.2},
    "childcare/family responsibilities": {},
    "lack of PPE": {"Emergency department": 1.3, "Intensive care": 1.3},
}

TRAJECTORIES = ("stable", "rising", "recovering", "volatile")
TRAJECTORY_SHARES = (0.5, 0.25, 0.15, 0.1)

_ADJECTIVES = (
    "amber", "brisk", "calm", "clear", "coral", "crisp", "deft", "eager", "fair", "fleet",
    "gentle", "glad", "golden", "hardy", "hazel", "ivory", "jade", "keen", "kind", "lively",
    "lucid", "mellow", "misty", "noble", "olive", "pale", "quiet", "rapid", "rosy", "russet",
    "sage", "silver", "steady", "sunny", "swift", "tawny", "teal", "vivid", "warm", "wry",
)  # fmt: skip
_ANIMALS = (
    "badger", "bison", "crane", "curlew", "dove", "eagle", "egret", "falcon", "ferret", "finch",
    "fox", "gannet", "gecko", "hare", "heron", "ibis", "jay", "kestrel", "koala", "lark", "lemur",
    "lynx", "marten", "merlin", "newt", "otter", "owl", "panda", "puffin", "quail", "raven",
    "robin", "seal", "shrike", "stoat", "swift", "tern", "vole", "wren", "yak",
)  # fmt: skip
MAX_STAFF = len(_ADJECTIVES) * len(_ANIMALS) * 100
MAX_WEEKS = 520  # ten years of weekly check-ins
MAX_FRAMES_PER_RECORDING = 90  # a 30-second clip at the realtime endpoint's 3 frames/s
MAX_TENURE_DAYS = 15 * 365  # the longest-serving mock staff member joined this long before start

# Baseline logit of each expression's probability on a neutral working face, and how strongly it
# follows the latent burnout level (fatigue up, protective down).
_BASE_LOGIT = np.full(len(EXPRESSIONS), -3.4)
_SENSITIVITY = np.zeros(len(EXPRESSIONS))
for _name, _logit in {
    "Calmness": -0.6,
    "Concentration": -0.3,
    "Interest": -0.9,
    "Contemplation": -1.2,
    "Boredom": -2.0,
    "Tiredness": -1.8,
    "Contentment": -1.6,
    "Determination": -1.8,
    "Doubt": -2.4,
    "Confusion": -2.4,
    "Satisfaction": -2.2,
    "Joy": -2.4,
    "Amusement": -2.2,
    "Distress": -2.6,
    "Sadness": -2.8,
    "Disappointment": -2.6,
    "Anxiety": -2.8,
}.items():
    _BASE_LOGIT[EXPRESSIONS.index(_name)] = _logit
for _name in FATIGUE:
    _SENSITIVITY[EXPRESSIONS.index(_name)] = 0.3
_SENSITIVITY[EXPRESSIONS.index("Tiredness")] = 0.5
_SENSITIVITY[EXPRESSIONS.index("Boredom")] = 0.35
for _name in PROTECTIVE:
    _SENSITIVITY[EXPRESSIONS.index(_name)] = -0.3


@dataclass(frozen=True)
class MockSpec:
    """The size and seed of a mock hospital. `start` is snapped to its week's Monday."""

    staff: int
    weeks: int
    seed: int = 0
    start: date = DEFAULT_START
    frames_per_recording: int = 10

    def __post_init__(self) -> None:
        for name, most in (
            ("staff", MAX_STAFF),
            ("weeks", MAX_WEEKS),
            ("frames_per_recording", MAX_FRAMES_PER_RECORDING),
        ):
            value, label = getattr(self, name), name.replace("_", "-")
            if not isinstance(value, int) or value < 1:
                raise InvalidInput(f"{label} must be at least 1 (got {value})")
            if value > most:
                raise InvalidInput(f"{label} must be at most {most:,} (got {value:,})")
        if self.seed < 0:
            raise InvalidInput(f"seed must not be negative (got {self.seed})")
        object.__setattr__(self, "start", self.start - timedelta(days=self.start.weekday()))
        try:
            self.start - timedelta(days=MAX_TENURE_DAYS)
            self.start + timedelta(weeks=self.weeks)
        except OverflowError:
            raise InvalidInput(
                f"start {self.start} with {self.weeks:,} weeks (and staff hired up to 15 years "
                "before it) falls outside the calendar"
            ) from None

    @property
    def week_starts(self) -> list[date]:
        return [self.start + timedelta(weeks=w) for w in range(self.weeks)]


@dataclass
class MockHospital:
    """Everything generated apart from recordings (which are made in chunks, see `recordings`)."""

    spec: MockSpec
    staff: pd.DataFrame
    consent: pd.DataFrame
    checkins: pd.DataFrame
    truth: pd.DataFrame
    latent: np.ndarray  # staff × weeks


def _rng(spec: MockSpec, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([spec.seed, stream]))


def _pick(rng: np.random.Generator, options: dict, size: int) -> np.ndarray:
    names = list(options)
    shares = np.array([v[0] if isinstance(v, tuple) else v for v in options.values()], float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=size, p=shares / shares.sum())]


def generate_hospital(spec: MockSpec) -> MockHospital:
    """The roster, consent, check-ins and latent truth of a mock hospital."""
    rng = _rng(spec, 0)
    n, weeks = spec.staff, spec.weeks
    codes = rng.choice(MAX_STAFF, size=n, replace=False)
    adjective, rest = np.divmod(codes, len(_ANIMALS) * 100)
    animal, number = np.divmod(rest, 100)
    pseudonyms = [
        f"{_ADJECTIVES[a]}-{_ANIMALS[b]}-{c:02d}"
        for a, b, c in zip(adjective, animal, number, strict=True)
    ]
    units = _pick(rng, UNITS, n)
    roles = _pick(rng, ROLES, n)
    shifts = np.empty(n, dtype=object)
    for role, (_, patterns) in ROLES.items():
        mask = roles == role
        shifts[mask] = _pick(rng, patterns, int(mask.sum()))
    tenure_days = rng.integers(30, MAX_TENURE_DAYS, size=n)
    start_dates = [spec.start - timedelta(days=int(d)) for d in tenure_days]
    staff = pd.DataFrame(
        {"pseudonym": pseudonyms, "unit": units, "role": roles, "shift_pattern": shifts}
    ).assign(start_date=start_dates)

    # Stressors, more common in high-acuity units.
    stressors = {}
    for name, by_unit in STRESSORS.items():
        factor = np.array([by_unit.get(u, 1.0) for u in units])
        stressors[name] = rng.random(n) < np.clip(STRESSOR_PREVALENCE[name] * factor, 0, 0.95)
    stress_load = np.sum(list(stressors.values()), axis=0)
    acuity = np.array([UNITS[u][1] for u in units])
    night = np.isin(shifts, ["nights", "rotating"]).astype(float)

    # Latent burnout level (a logit): baseline + trajectory + unit surges + AR(1) noise.
    t = np.arange(weeks)
    baseline = rng.normal(-2.5, 0.7, n) + 0.22 * stress_load + 0.5 * acuity + 0.3 * night
    kind = rng.choice(len(TRAJECTORIES), size=n, p=TRAJECTORY_SHARES)
    onset = rng.integers(0, max(weeks // 2, 1), n)
    slope = rng.uniform(0.08, 0.22, n)
    since_onset = np.clip(t[None, :] - onset[:, None], 0, None)
    trajectory = np.zeros((n, weeks))
    trajectory[kind == 1] = np.minimum(slope[kind == 1, None] * since_onset[kind == 1], 2.5)
    recovering = kind == 2
    trajectory[recovering] = 1.6 * np.exp(-t[None, :] * slope[recovering, None] / 1.5)
    noise_scale = np.where(kind == 3, 0.7, 0.3)

    surge = np.zeros((n, weeks))
    sensitivity = rng.uniform(0.5, 1.5, n)
    for unit in UNITS:
        members = units == unit
        for _ in range(rng.poisson(weeks / 20 + 0.3)):
            peak, width, height = (
                rng.uniform(0, weeks),
                rng.uniform(1.5, 3.5),
                rng.uniform(0.6, 1.3),
            )
            bump = height * np.exp(-0.5 * ((t - peak) / width) ** 2)
            surge[members] += sensitivity[members, None] * bump[None, :]

    noise = np.zeros((n, weeks))
    shocks = rng.normal(0, 1, (n, weeks)) * noise_scale[:, None]
    for w in range(weeks):
        noise[:, w] = (0.6 * noise[:, w - 1] if w else 0) + shocks[:, w]
    latent = baseline[:, None] + trajectory + surge + noise
    true_cbi = 100 / (1 + np.exp(-latent))

    # Consent: check-ins are widely accepted, the facial channel less so.
    consent_checkin = rng.random(n) < 0.93
    consent_recording = rng.random(n) < 0.68
    decided = [
        datetime.combine(spec.start - timedelta(days=int(d)), datetime.min.time(), UTC)
        for d in rng.integers(1, 28, n)
    ]
    consent = pd.DataFrame(
        {
            "pseudonym": np.repeat(pseudonyms, 2),
            "channel": np.tile([CHECKIN.name, FACE.name], n),
            "granted": np.column_stack([consent_checkin, consent_recording]).ravel(),
            "decided_at": np.repeat(np.array(decided, dtype=object), 2),
        }
    )

    # Weekly CBI personal-scale answers; struggling people skip more weeks.
    item_offset = np.array([8.0, 2.0, 0.0, -12.0, 4.0, -10.0])
    raw = true_cbi[:, :, None] + item_offset + rng.normal(0, 13, (n, weeks, 6))
    items = np.clip(np.round(raw / 25) * 25, 0, 100)
    items[rng.random(items.shape) < 0.03] = np.nan
    propensity = rng.beta(8, 2, n)
    answered = rng.random((n, weeks)) < propensity[:, None] * np.where(true_cbi > 70, 0.75, 1.0)
    answered &= consent_checkin[:, None]
    who, when = np.nonzero(answered)
    week_starts = np.array(spec.week_starts, dtype=object)
    answered_at = [
        datetime.combine(week_starts[w], datetime.min.time(), UTC) + timedelta(minutes=int(m))
        for w, m in zip(when, rng.integers(6 * 60, 7 * 24 * 60, len(who)), strict=True)
    ]
    checkins = pd.DataFrame(
        {"pseudonym": np.array(pseudonyms, dtype=object)[who], "week_start": week_starts[when]}
    ).assign(answered_at=answered_at)
    for k, column in enumerate(PERSONAL.columns):
        checkins[column] = pd.array(items[who, when, k], dtype="Int16")
    checkins["score"] = score(checkins[PERSONAL.columns], PERSONAL)
    checkins["source"] = "mock"

    truth = pd.DataFrame(
        {
            "pseudonym": np.repeat(pseudonyms, weeks),
            "week_start": np.tile(week_starts, n),
            "latent": latent.ravel(),
            "true_cbi": true_cbi.ravel(),
            "burnout": (true_cbi >= 50).ravel(),
            "unit_surge": surge.ravel(),
            "trajectory": np.repeat(np.array(TRAJECTORIES, dtype=object)[kind], weeks),
            "consent_recording": np.repeat(consent_recording, weeks),
            **{f"stressor: {k}": np.repeat(v, weeks) for k, v in stressors.items()},
        }
    )
    return MockHospital(spec, staff, consent, checkins, truth, latent)


@dataclass
class RecordingBatch:
    """Recordings of a group of people: database rows, summaries and frame tables."""

    recordings: pd.DataFrame
    summaries: pd.DataFrame
    frames: pd.DataFrame


def recordings(hospital: MockHospital, first: int, last: int) -> RecordingBatch:
    """Recordings for staff rows `first`..`last-1` of the roster (those with facial consent).

    Each group of `CHUNK_STAFF` people has its own random stream, so the result does not depend on
    how the work is split.
    """
    spec = hospital.spec
    rng = _rng(spec, 1 + first // CHUNK_STAFF)
    n = last - first
    weeks, frames = spec.weeks, spec.frames_per_recording
    expressiveness = rng.lognormal(0, 0.25, n)
    person_offset = rng.normal(0, 0.6, (n, len(EXPRESSIONS)))
    count = rng.choice(3, size=(n, weeks), p=[0.15, 0.6, 0.25])
    consenting = hospital.truth["consent_recording"].to_numpy()[first * weeks : last * weeks]
    count[~consenting.reshape(n, weeks)] = 0
    who, when = np.nonzero(count)
    who, when = np.repeat(who, count[who, when]), np.repeat(when, count[who, when])
    total = len(who)
    latent = hospital.latent[first:last]
    z = latent + 1.0
    logits = (
        _BASE_LOGIT
        + person_offset[who]
        + (expressiveness[who, None] * _SENSITIVITY) * z[who, when, None]
    )[:, None, :] + rng.normal(0, 0.7, (total, frames, len(EXPRESSIONS)))
    scores = np.round(1 / (1 + np.exp(-logits)), 4)
    scores[scores <= API_FLOOR] = BELOW_FLOOR
    face = rng.random((total, frames)) < 0.95
    face[rng.random(total) < 0.02] = False
    scores[~face] = np.nan
    summary = summarise_frames(scores)

    pseudonyms = hospital.staff["pseudonym"].to_numpy()[first:last][who]
    week_starts = np.array(spec.week_starts, dtype=object)[when]
    minutes = rng.integers(7 * 60, 7 * 24 * 60 - 60, total)
    recorded_at = [
        datetime.combine(w, datetime.min.time(), UTC) + timedelta(minutes=int(m))
        for w, m in zip(week_starts, minutes, strict=True)
    ]
    sha = [
        hashlib.sha256(f"{p}|{r.isoformat()}|".encode() + scores[i].tobytes()).hexdigest()
        for i, (p, r) in enumerate(zip(pseudonyms, recorded_at, strict=True))
    ]
    faces = face.sum(axis=1)
    rows = pd.DataFrame(
        {
            "pseudonym": pseudonyms,
            "recorded_at": recorded_at,
            "week_start": week_starts,
            "sha256": sha,
            "source": "mock",
            "state": "done",
            "frames": frames,
            "faces": faces,
            "face_choice": "single face",
            "frames_path": [f"people/{p}/frames-mock.parquet" for p in pseudonyms],
        }
    )
    summaries = pd.DataFrame({"sha256": sha, "frames_used": faces})
    stats = {
        summary_column(name, stat): values[:, k]
        for stat, values in summary.items()
        for k, name in enumerate(EXPRESSIONS)
    }
    summaries = pd.concat([summaries, pd.DataFrame(stats)], axis=1)

    has_face = face.ravel()
    recording_index = np.repeat(np.arange(total), frames)[has_face]
    frame_table = pd.DataFrame(
        {
            "pseudonym": pseudonyms[recording_index],
            "recording_sha256": np.array(sha, dtype=object)[recording_index],
            "frame": np.tile(np.arange(frames), total)[has_face],
            "time_s": np.tile(np.arange(frames) * 6.0, total)[has_face],
            "face_id": 0,
            "confidence": np.round(rng.uniform(0.93, 1.0, has_face.sum()), 4),
        }
    )
    flat = scores.reshape(total * frames, len(EXPRESSIONS))[has_face].astype(np.float32)
    frame_table = pd.concat(
        [frame_table, pd.DataFrame(flat, columns=list(EXPRESSION_SLUGS))], axis=1
    )
    return RecordingBatch(rows, summaries, frame_table)


def measurement_response(frame_scores: np.ndarray, request_id: str = "mock") -> dict:
    """One recording's frames as the current Hume API's file-endpoint JSON response.

    `frame_scores` is (frames, 48) with NaN rows for frames without a face. Only scores above the
    API's 0.1 floor are listed, highest first, with lowercase names.
    """
    measurements = []
    for frame_id, row in enumerate(frame_scores):
        faces = []
        if not np.isnan(row).all():
            ranked = sorted(
                ((float(p), name.lower()) for name, p in zip(EXPRESSIONS, row, strict=True)),
                key=lambda item: (-item[0], item[1]),
            )
            faces.append(
                {
                    "face_id": 0,
                    "bbox": [412.0, 188.0, 868.0, 702.0],
                    "confidence": 0.99,
                    "expressions": [
                        {"name": name, "probability": round(p, 4)}
                        for p, name in ranked
                        if p > API_FLOOR
                    ],
                    "descriptions": [],
                }
            )
        measurements.append({"frame_id": frame_id, "faces": faces})
    return {
        "request_id": request_id,
        "run_id": f"run-{request_id}",
        "received": {"frames": len(frame_scores)},
        "measurements": measurements,
    }


@dataclass
class MockResult:
    """What `write_mock` stored."""

    staff: int
    checkins: int
    recordings: int
    frames: int

    def summary(self) -> str:
        return (
            f"mock hospital: {self.staff:,} staff, {self.checkins:,} check-ins, "
            f"{self.recordings:,} recordings ({self.frames:,} frames with a face)"
        )


def write_mock(
    engine: Engine, settings: Settings, spec: MockSpec, progress: bool = True
) -> MockResult:
    """Generate a mock hospital and store it: tables in one transaction, frames and truth as files.

    Every write is an upsert on its natural key, so running the same spec again changes nothing.
    Consent decisions already stored (e.g. a later revocation) are kept.
    """
    db.require_schema(engine)
    hospital = generate_hospital(spec)
    n = spec.staff
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    def store(connection) -> dict[str, int]:
        totals = {"recordings": 0, "frames": 0}
        db.upsert(connection, db.staff, hospital.staff, keys=("pseudonym",))
        ids = db.id_map(connection, db.staff.c.id, db.staff.c.pseudonym, hospital.staff.pseudonym)
        for name, table, keys, update in (
            ("consent", db.consent, ("staff_id", "channel"), False),
            ("checkins", db.checkin, ("staff_id", "week_start"), True),
        ):
            frame = getattr(hospital, name)
            frame = frame.drop(columns="pseudonym").assign(staff_id=frame["pseudonym"].map(ids))
            db.upsert(connection, table, frame, keys=keys, update=update)
        bar = tqdm(total=n, desc="mock recordings", unit="staff", disable=not progress)
        for first in range(0, n, CHUNK_STAFF):
            last = min(first + CHUNK_STAFF, n)
            batch = recordings(hospital, first, last)
            rows = batch.recordings.assign(staff_id=batch.recordings.pop("pseudonym").map(ids))
            db.upsert(connection, db.recording, rows, keys=("sha256",), update=False)
            shas = db.id_map(connection, db.recording.c.id, db.recording.c.sha256, rows.sha256)
            summaries = batch.summaries.assign(recording_id=batch.summaries.pop("sha256").map(shas))
            db.upsert(connection, db.expression_summary, summaries, ("recording_id",), False)
            _write_frames(settings, batch.frames)
            totals["recordings"] += len(rows)
            totals["frames"] += len(batch.frames)
            bar.update(last - first)
        bar.close()
        return totals

    totals = write_transaction(engine, store, f"storing the mock hospital ({n:,} staff)")
    _write_atomic(_merged_truth(settings, hospital.truth), settings.mock_truth_path)
    return MockResult(n, len(hospital.checkins), totals["recordings"], totals["frames"])


def _write_frames(settings: Settings, frames: pd.DataFrame) -> None:
    """One Parquet file per person, so erasing a person removes exactly their folder."""
    if frames.empty:  # nobody in this chunk consented to recordings
        return
    ordered = frames.sort_values("pseudonym", kind="stable")
    people = ordered.pop("pseudonym").to_numpy()
    table = pa.Table.from_pandas(ordered, preserve_index=False)
    starts = np.flatnonzero(np.r_[True, people[1:] != people[:-1]])
    ends = np.r_[starts[1:], len(people)]
    for start, end in zip(starts, ends, strict=True):
        folder = private_dir(settings.person_dir(str(people[start])), top=settings.data_dir)
        with replacing(folder / "frames-mock.parquet") as temp:
            pq.write_table(table.slice(start, end - start), temp)


def _merged_truth(settings: Settings, truth: pd.DataFrame) -> pd.DataFrame:
    """The truth file with this run's people replaced, so earlier people keep their truth."""
    if not settings.mock_truth_path.exists():
        return truth
    earlier = pd.read_parquet(settings.mock_truth_path)
    kept = earlier[~earlier["pseudonym"].isin(truth["pseudonym"])]
    return pd.concat([kept, truth], ignore_index=True) if len(kept) else truth


def _write_atomic(frame: pd.DataFrame, path) -> None:
    """The latent truth names people: owner-only, like every file about them."""
    with replacing(path) as temp:
        frame.to_parquet(temp, index=False)
