"""`burnout demo` builds what is missing, and finishes what an interrupted build left undone."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, select

from burnout_lib.config import load_settings
from burnout_lib.demo import build_demo
from burnout_lib.store import db
from burnout_lib.store.integrity import table_sums

SIZE = {"staff": 40, "weeks": 6, "seed": 2}


def test_a_second_build_keeps_everything_and_a_stopped_one_is_finished(tmp_path) -> None:
    settings = load_settings(db=f"sqlite:///{tmp_path / 'demo.db'}", data_dir=tmp_path / "data")
    said = list(build_demo(settings, **SIZE, progress=False))
    assert said[0].startswith("mock hospital: 40 staff")
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
