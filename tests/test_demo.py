"""`burnout demo` builds what is missing, finishes what an interrupted build left undone, and
gives its live model the channels the demo's own evaluation says earn their place."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from burnout_lib.config import load_settings
from burnout_lib.demo import build_demo
from burnout_lib.risk.feature_choice import CHANNEL_WORDS
from burnout_lib.risk.scoring import what_scores_mean
from burnout_lib.store import db
from burnout_lib.store.integrity import table_sums

from helpers.paths import BURNOUT

SIZE = {"staff": 40, "weeks": 6, "seed": 2}


def test_a_second_build_keeps_everything_and_a_stopped_one_is_finished(tmp_path) -> None:
    settings = load_settings(db=f"sqlite:///{tmp_path / 'demo.db'}", data_dir=tmp_path / "data")
    said = list(build_demo(settings, **SIZE, progress=False))
    assert said[0].startswith("mock hospital: 40 staff")
    # 6 weeks are too few to evaluate the facial channel: it is kept, and the build says why
    [trained] = [line for line in said if line.startswith("trained model ")]
    assert trained.endswith(
        "full features): The live model uses weekly check-ins and facial expression scores: the "
        "facial channel has not yet been evaluated on this hospital's data."
    )
    assert any(line.startswith("raised ") for line in said), said
    logins = [line for line in said if line.startswith("demo login ")]
    assert [line.split()[2] for line in logins] == [
        "demo-staff", "demo-manager", "demo-occupational-health", "demo-analyst"
    ]  # fmt: skip
    engine = db.make_engine(settings.db_url)
    built = table_sums(engine)
    assert built["alert"].rows > 0 and built["weekly_risk"].rows > 0

    again = list(build_demo(settings, **SIZE, progress=False))
    assert again[0] == "demo database already holds 40 staff: keeping them"
    assert table_sums(engine) == built

    # stopped while raising alerts: the last weeks' alerts were never written
    with engine.connect() as connection:
        weeks = sorted(connection.execute(select(db.alert.c.week_start).distinct()).scalars())
    with engine.begin() as connection:
        connection.execute(delete(db.alert).where(db.alert.c.week_start >= weeks[-2]))
    resumed = list(build_demo(settings, **SIZE, progress=False))
    [raised] = [line for line in resumed if line.startswith("raised ")]
    assert raised != "raised 0 alerts over 2 weeks" and table_sums(engine) == built, resumed
    engine.dispose()


def test_the_demo_ends_with_the_last_complete_week_before_the_day_it_is_built(tmp_path) -> None:
    settings = load_settings(db=f"sqlite:///{tmp_path / 'demo.db'}", data_dir=tmp_path / "data")
    wednesday = date(2026, 12, 2)
    list(build_demo(settings, **SIZE, progress=False, today=wednesday))
    engine = db.make_engine(settings.db_url)
    with engine.connect() as connection:
        weeks = sorted(connection.execute(select(db.checkin.c.week_start).distinct()).scalars())
        scored = connection.execute(select(func.max(db.weekly_risk.c.week_start))).scalar_one()
    engine.dispose()
    assert weeks[-1] == scored == date(2026, 11, 23)  # the week of Monday 30 Nov is not over
    assert weeks[0] == date(2026, 11, 23) - timedelta(weeks=SIZE["weeks"] - 1)


def test_the_live_model_uses_the_channels_burnout_evaluate_finds_helpful(tmp_path) -> None:
    """Issue 25, point 6: the demo's live model and `burnout evaluate` on the demo agree about
    the facial channel (20 weeks: the fewest a 4-week early warning can be evaluated on)."""
    settings = load_settings(db=f"sqlite:///{tmp_path / 'demo.db'}", data_dir=tmp_path / "data")
    said = list(build_demo(settings, staff=60, weeks=20, seed=2, progress=False))
    engine = db.make_engine(settings.db_url)
    with engine.connect() as connection:
        live = connection.execute(
            select(db.model_version).where(db.model_version.c.id == db.live_model_id(connection))
        ).one()
    engine.dispose()
    evaluated = subprocess.run(
        [str(BURNOUT), "--quiet", "--db", settings.db_url, "--data-dir", str(settings.data_dir),
         "evaluate"], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    [statement] = [line for line in evaluated.stdout.splitlines() if line.startswith("The facial")]
    improved = statement.startswith("The facial channel improved early warning")
    assert live.feature_set["name"] == ("full" if improved else "checkin")
    channels = live.metrics["channels"]
    assert channels["evaluation"] == statement and not channels["against_evaluation"]
    uses = CHANNEL_WORDS[live.feature_set["name"]]
    assert f"So `burnout train` trains on {uses}: " in evaluated.stdout
    # and the build, the dashboard's "What these scores mean" say so
    summary = channels["summary"]
    sentence = f"The live model uses {uses}: {summary}."
    assert f"features): {sentence}" in next(line for line in said if line.startswith("trained "))
    assert sentence in what_scores_mean(settings.warning_horizon_weeks, live.metrics)
    assert ("did not improve" in summary or "worse" in summary) != improved
