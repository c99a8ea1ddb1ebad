"""The demo database: a mock hospital, a trained model, every week scored, its alerts raised, and
a demo login for each role.

The model's channels are chosen as `burnout train` chooses them: the facial channel only where
`burnout evaluate` on the demo's own weeks shows it improves the early warning
(`evaluation.choose_feature_set`), so the demo's live model and its evaluation never disagree.

The hospital's weeks end with the last complete week before the day it is built, so "last week"
means the same in the demo as in a live deployment (`burnout report --week last`, the dashboard's
latest week). Built once; a database that already holds staff is kept as it is (its missing
steps are done).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import func, select

from burnout_lib.config import Settings, display_url
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.accounts import (
    ANALYST,
    MANAGER,
    OCCUPATIONAL_HEALTH,
    STAFF,
    Viewer,
    add_account,
    list_accounts,
)
from burnout_lib.readouts.views import publish_weeks
from burnout_lib.risk.alerts import evaluate_week, weeks_without_alerts
from burnout_lib.risk.evaluation import choose_feature_set
from burnout_lib.risk.feature_choice import live_model_sentence
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import consented_features, last_complete_week, score_weeks
from burnout_lib.store import db


def demo_start(weeks: int, today: date) -> date:
    """The first Monday of a demo of `weeks` weeks that ends with the last complete week."""
    return last_complete_week(today) - timedelta(weeks=weeks - 1)


def build_demo(
    settings: Settings,
    staff: int,
    weeks: int,
    seed: int,
    progress: bool = True,
    today: date | None = None,
) -> Iterator[str]:
    """Do whatever is missing of mock data → model → weekly scores → alerts; say what was done."""
    engine = db.make_engine(settings.db_url)
    db.init_db(engine)
    counts = db.row_counts(engine)
    if counts["staff"] == 0:
        start = demo_start(weeks, today or date.today())
        spec = MockSpec(staff=staff, weeks=weeks, seed=seed, start=start)
        yield write_mock(engine, settings, spec, progress=progress).summary()
    else:
        yield f"demo database already holds {counts['staff']:,} staff: keeping them"
    if db.row_counts(engine)["model_version"] == 0:
        features = consented_features(engine, weekly_features(engine))
        horizon = settings.warning_horizon_weeks
        # as `burnout train` does: the facial channel only if `burnout evaluate` shows it helps
        choice = choose_feature_set(features, horizon, settings, progress=progress)
        model = train(
            features, choice.feature_set, horizon, high_precision=settings.high_risk_precision
        )
        choice.attach(model)
        version = save_model(model, engine, settings, live=True)
        yield (
            f"trained model {version} ({model.card['chosen']}, {choice.feature_set} features): "
            f"{live_model_sentence(model.card)}"
        )
    with engine.connect() as connection:
        version = db.live_model_id(connection)
        first, last = connection.execute(
            select(func.min(db.checkin.c.week_start), func.max(db.checkin.c.week_start))
        ).one()
        scored = connection.execute(
            select(func.count()).where(db.weekly_risk.c.model_version_id == version)
        ).scalar_one()
    if not scored and first is not None:
        results = score_weeks(engine, settings, first, last, version)
        yield f"scored {len(results)} weeks with model {version}"
    unalerted = weeks_without_alerts(engine, version)
    if unalerted:  # all of them after scoring; some if an earlier build was stopped part-way
        alerts = sum(len(evaluate_week(engine, settings, week, version)) for week in unalerted)
        yield f"raised {alerts:,} alerts over {len(unalerted)} weeks"
    published = publish_weeks(engine, version, settings.min_group_size, progress=progress)
    if published:
        yield f"team views' suppressed figures ready for the latest {published} weeks"
    for viewer in demo_accounts(engine):
        yield f"demo login {viewer.describe()}"
    counts = db.row_counts(engine)
    yield (
        f"demo database ready: {display_url(settings.db_url)} ({counts['staff']:,} staff, "
        f"{counts['checkin']:,} check-ins, {counts['recording']:,} recordings, "
        f"{counts['weekly_risk']:,} weekly scores, {counts['alert']:,} alerts)"
    )
    engine.dispose()


def demo_accounts(engine) -> list[Viewer]:
    """One demo login per role: a member of staff with the most alerts, their unit's manager,
    occupational health and an analyst. Kept as they are once made."""
    with engine.connect() as connection:
        existing = {viewer.login: viewer for viewer in list_accounts(connection)}
        person = connection.execute(
            select(db.staff.c.pseudonym, db.staff.c.unit)
            .join(db.alert, db.alert.c.staff_id == db.staff.c.id, isouter=True)
            .group_by(db.staff.c.pseudonym, db.staff.c.unit)
            .order_by(func.count(db.alert.c.id).desc(), db.staff.c.pseudonym)
            .limit(1)
        ).first()
    if person is None:
        return list(existing.values())
    wanted = {
        "demo-staff": (STAFF, person.pseudonym, ()),
        "demo-manager": (MANAGER, None, (person.unit,)),
        "demo-occupational-health": (OCCUPATIONAL_HEALTH, None, ()),
        "demo-analyst": (ANALYST, None, ()),
    }
    made = []
    for login, (role, pseudonym, units) in wanted.items():
        if login in existing:
            made.append(existing[login])
        else:
            made.append(add_account(engine, login, role, pseudonym=pseudonym, units=units))
    return made
