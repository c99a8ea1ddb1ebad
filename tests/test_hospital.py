import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hume_expression_measurement.types import VideoFileResponse
from sqlalchemy import select

from burnout_lib.emotions import EXPRESSION_SLUGS, FATIGUE, summary_column
from burnout_lib.errors import InvalidInput
from burnout_lib.mock.hospital import (
    UNITS,
    MockSpec,
    generate_hospital,
    measurement_response,
    recordings,
    write_mock,
)
from burnout_lib.store import db

from helpers.databases import table_dump


@pytest.fixture(scope="module")
def generated():
    """What the generator makes of a 400-staff × 30-week spec, in memory (no database)."""
    return generate_hospital(MockSpec(staff=400, weeks=30, seed=11))


def test_same_seed_same_hospital_other_seed_other_hospital() -> None:
    spec = MockSpec(staff=60, weeks=10, seed=5)
    first, again = generate_hospital(spec), generate_hospital(spec)
    for name in ("staff", "consent", "checkins", "truth"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    pd.testing.assert_frame_equal(
        recordings(first, 0, 60).summaries, recordings(again, 0, 60).summaries
    )
    other = generate_hospital(MockSpec(staff=60, weeks=10, seed=6))
    assert not first.staff.pseudonym.equals(other.staff.pseudonym)


def test_recordings_do_not_depend_on_how_work_is_split() -> None:
    hospital = generate_hospital(MockSpec(staff=600, weeks=4, seed=2))
    whole = recordings(hospital, 250, 500).summaries
    pd.testing.assert_frame_equal(whole, recordings(hospital, 250, 500).summaries)
    assert recordings(hospital, 0, 250).summaries.sha256.isin(whole.sha256).sum() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"staff": -5, "weeks": 3}, "staff must be at least 1"),
        ({"staff": 5, "weeks": 0}, "weeks must be at least 1"),
        ({"staff": 5, "weeks": 3, "seed": -1}, "seed"),
        ({"staff": 5, "weeks": 3, "frames_per_recording": 0}, "frames-per-recording"),
    ],
)
def test_bad_sizes_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        MockSpec(**kwargs)


def test_start_snaps_to_monday() -> None:
    spec = MockSpec(staff=1, weeks=2, start=dt.date(2026, 3, 5))
    assert spec.week_starts == [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]


def test_roster_is_a_realistic_hospital(generated) -> None:
    staff = generated.staff
    assert staff.pseudonym.is_unique
    assert set(staff.unit) == set(UNITS)
    assert staff.role.value_counts().idxmax() == "Nurse"
    assert not staff.columns.str.contains("name|mail", case=False).any()


def test_consent_shapes_what_is_generated(generated) -> None:
    consent = generated.consent.pivot(index="pseudonym", columns="channel", values="granted")
    assert 0.85 < consent.checkin.mean() < 0.98
    assert 0.5 < consent.face.mean() < 0.8
    assert set(generated.checkins.pseudonym) <= set(consent.index[consent.checkin])
    batch = recordings(generated, 0, 400)
    assert set(batch.recordings.pseudonym) <= set(consent.index[consent.face])
    per_week = batch.recordings.groupby(["pseudonym", "week_start"]).size()
    assert set(per_week) <= {1, 2}


def test_checkins_follow_the_instrument(generated) -> None:
    checkins = generated.checkins
    items = checkins[list(db.PERSONAL_ITEMS)].astype("float")
    assert set(np.unique(items.stack().dropna())) <= {0, 25, 50, 75, 100}
    enough = items.notna().sum(axis=1) >= 3
    np.testing.assert_allclose(checkins.score[enough], items[enough].mean(axis=1))
    assert checkins.score[~enough].isna().all()
    coverage = len(checkins) / (400 * 30)
    assert 0.5 < coverage < 0.9, "some weeks are skipped, most are not"
    assert 0.15 < (checkins.score >= 50).mean() < 0.45


def test_signals_follow_the_latent_truth(generated) -> None:
    truth = generated.truth
    checkins = generated.checkins.merge(truth, on=["pseudonym", "week_start"])
    assert np.corrcoef(checkins.score.fillna(50), checkins.true_cbi)[0, 1] > 0.7
    batch = recordings(generated, 0, 400)
    summaries = batch.summaries.merge(batch.recordings, on="sha256").merge(
        truth, on=["pseudonym", "week_start"]
    )
    summaries = summaries.dropna(subset=[summary_column("Tiredness", "mean")])
    fatigue = summaries[[summary_column(e, "mean") for e in FATIGUE]].mean(axis=1)
    calm = summaries[summary_column("Calmness", "mean")]
    assert np.corrcoef(fatigue, summaries.latent)[0, 1] > 0.3
    assert np.corrcoef(calm, summaries.latent)[0, 1] < -0.1
    assert set(truth.trajectory) == {"stable", "rising", "recovering", "volatile"}


def test_frames_respect_the_api_floor(generated) -> None:
    frames = recordings(generated, 0, 100).frames
    scores = frames[list(EXPRESSION_SLUGS)].to_numpy()
    assert ((scores == 0) | (scores > 0.1)).all()
    assert (scores <= 1).all()


def test_measurement_response_is_what_the_sdk_parses() -> None:
    scores = np.full((3, 48), 0.0)
    scores[0, 46] = 0.83  # Tiredness
    scores[0, 9] = 0.41  # Calmness
    scores[1] = np.nan  # no face in this frame
    scores[2, 43] = 0.2  # Surprise (negative)
    response = VideoFileResponse.model_validate(measurement_response(scores, "req-7"))
    assert response.received.frames == 3
    first = response.measurements[0].faces[0]
    assert [(e.name, e.probability) for e in first.expressions] == [
        ("tiredness", 0.83),
        ("calmness", 0.41),
    ]
    assert response.measurements[1].faces == []
    assert response.measurements[2].faces[0].expressions[0].name == "surprise (negative)"


def test_write_twice_identical_and_no_duplicates(engine, settings) -> None:
    spec = MockSpec(staff=50, weeks=12, seed=7)
    result = write_mock(engine, settings, spec, progress=False)
    assert result.staff == 50 and result.recordings > 200
    counts = db.row_counts(engine)
    dumps = {t: table_dump(engine, db.metadata.tables[t]) for t in ("checkin", "recording")}
    truth = pd.read_parquet(settings.mock_truth_path)
    write_mock(engine, settings, spec, progress=False)
    assert db.row_counts(engine) == counts
    for name, dump in dumps.items():
        pd.testing.assert_frame_equal(table_dump(engine, db.metadata.tables[name]), dump)
    pd.testing.assert_frame_equal(pd.read_parquet(settings.mock_truth_path), truth)
    assert counts["staff"] == 50
    assert counts["expression_summary"] == counts["recording"] == result.recordings
    assert counts["consent"] == 100
    assert "latent" not in {c.name for t in db.metadata.tables.values() for c in t.columns}


def test_frames_on_disk_match_the_stored_summaries(engine, settings) -> None:
    write_mock(engine, settings, MockSpec(staff=8, weeks=4, seed=1), progress=False)
    with engine.connect() as connection:
        stored = pd.read_sql(
            select(
                db.staff.c.pseudonym,
                db.recording.c.sha256,
                db.recording.c.frames_path,
                db.expression_summary,
            )
            .join(db.recording, db.recording.c.staff_id == db.staff.c.id)
            .join(db.expression_summary),
            connection,
        )
    row = stored[stored.frames_used > 0].iloc[0]
    frames = pd.read_parquet(settings.data_dir / row.frames_path)
    mine = frames[frames.recording_sha256 == row.sha256]
    assert len(mine) == row.frames_used
    assert mine.tiredness.mean() == pytest.approx(row.tiredness_mean, abs=1e-6)
    assert np.percentile(mine.tiredness, 90) == pytest.approx(row.tiredness_p90, abs=1e-6)
