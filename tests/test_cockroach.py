"""The product through the `cockroachdb://` dialect (sqlalchemy-cockroachdb).

CockroachDB cannot be installed here, so the dialect talks to PostgreSQL, with every transaction at
SERIALIZABLE as on CockroachDB. That runs the schema migrations and every query the product makes
through the dialect CockroachDB users get, including the write path CockroachDB takes (batched
INSERT … ON CONFLICT instead of PostgreSQL's COPY into a temporary table), and checks that no
statement uses a feature CockroachDB lacks. The result must equal the same work done through the
plain PostgreSQL dialect.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from burnout_lib.app.dashboard import Dashboard
from burnout_lib.config import load_settings
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.accounts import OCCUPATIONAL_HEALTH, STAFF, add_account, viewer_for
from burnout_lib.privacy.consent import erase_person, set_consent
from burnout_lib.readouts import views
from burnout_lib.report.figures import weekly_report
from burnout_lib.risk.alerts import acknowledge, evaluate_week
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_weeks
from burnout_lib.sources.checkins import import_checkins
from burnout_lib.sources.hume.extract import import_legacy
from burnout_lib.store import db
from burnout_lib.store.integrity import table_sums

from helpers.databases import NEWEST_REVISION, serializable

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DECIDED = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
LEGACY = Path(__file__).resolve().parent.parent / "data" / "samples" / "hume_legacy"
#: What CockroachDB does not have, or the product must not rely on there.
MISSING_IN_COCKROACH = re.compile(
    r"\bCOPY\b|\bTEMP(ORARY)?\s+TABLE\b|ON COMMIT|pg_advisory|\bLISTEN\b|\bNOTIFY\b|"
    r"DEFERRABLE|\bnextval\b|\bsetval\b|\bCREATE\s+SEQUENCE\b|\bVACUUM\b|\bCLUSTER\b|"
    r"\bINHERITS\b|\bTABLESAMPLE\b|\bFOR\s+(NO KEY\s+)?SHARE\b",
    re.IGNORECASE,
)


@pytest.fixture
def statements():
    """Every SQL statement sent through a `cockroachdb://` engine during the test."""
    sent: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        if connection.dialect.name == "cockroachdb":
            sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield sent
    event.remove(Engine, "before_cursor_execute", record)


def checkin_file(path: Path, pseudonyms: list[str], week) -> Path:
    lines = ["pseudonym,week,personal_1,personal_2,personal_3,personal_4,personal_5,personal_6"]
    lines += [f"{p},{week},75,Often,50,25,100,50" for p in pseudonyms]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_everything(url: str, data_dir: Path) -> dict:
    """Every kind of write and read the product does, as its commands and dashboard do them."""
    settings = load_settings(db=url, data_dir=data_dir)
    engine = db.make_engine(url)
    assert db.init_db(engine) == NEWEST_REVISION
    write_mock(engine, settings, MockSpec(staff=60, weeks=8, seed=11), progress=False)
    with engine.connect() as connection:
        people = list(connection.execute(select(db.staff.c.pseudonym).order_by("pseudonym")))
        last = connection.execute(select(db.checkin.c.week_start).order_by(
            db.checkin.c.week_start.desc())).scalars().first()  # fmt: skip
    people = [p for (p,) in people]
    set_consent(engine, people[0], "face", granted=True, at=DECIDED)
    set_consent(engine, people[1], "checkin", granted=True, at=DECIDED)
    import_legacy(engine, settings, LEGACY / "face_only_5_frames.json", people[0])
    new_week = last + timedelta(days=7)
    report = import_checkins(engine, checkin_file(data_dir / "w.csv", people[1:9], new_week), True)
    assert report.imported > 0 and report.written == report.imported
    again = import_checkins(engine, checkin_file(data_dir / "w.csv", people[1:9], new_week), True)
    assert again.written == 0, "a re-import changes nothing and says so"

    model = train(weekly_features(engine), "full", bootstrap_rounds=5, folds=3)
    version = save_model(model, engine, settings, live=True)
    scored = score_weeks(engine, settings, last - timedelta(days=21), new_week, version)
    alerts = [evaluate_week(engine, settings, r.week, version) for r in scored]
    assert sum(map(len, alerts)) > 0
    rescored = score_weeks(engine, settings, new_week, new_week, version)
    assert rescored[0].written == 0

    with engine.connect() as connection:
        alert_id = connection.execute(select(db.alert.c.id).limit(1)).scalar_one()
        summary = weekly_report(connection, last, settings.min_group_size)
    add_account(engine, "staff@h", STAFF, pseudonym=people[2])
    add_account(engine, "oh@h", OCCUPATIONAL_HEALTH)
    with engine.connect() as connection:
        person = views.person_weeks(
            connection, viewer_for(connection, "staff@h"), people[2], last, version
        )
    acknowledge(engine, alert_id)
    app = Dashboard.open(settings, "oh@h")
    for unit in app.unit.options:
        app.unit.value = unit
    app.open_person.click()
    assert "week of" in app.my_week.value
    erase_person(engine, settings, people[3])
    result = {
        "sums": table_sums(engine),
        "scored": [r.levels for r in scored],
        "alerts": sorted(len(a) for a in alerts),
        "report": (summary.headline.to_dict(), len(summary.groups)),
        "person_log": person.log["level"].tolist(),
        "dialect": engine.dialect.name,
    }
    engine.dispose()
    return result


def test_the_product_runs_through_the_cockroachdb_dialect(
    postgres_server, tmp_path, statements
) -> None:
    plain = postgres_server.create_database(f"pg_{uuid.uuid4().hex[:12]}")
    cockroach_db = postgres_server.create_database(f"crdb_{uuid.uuid4().hex[:12]}")
    cockroach = serializable(cockroach_db).replace("postgresql://", "cockroachdb://", 1)

    expected = run_everything(plain, tmp_path / "pg")
    statements.clear()
    got = run_everything(cockroach, tmp_path / "crdb")

    assert got["dialect"] == "cockroachdb" and expected["dialect"] == "postgresql"
    assert any("ON CONFLICT" in s for s in statements), "writes took CockroachDB's upsert path"
    lacking = sorted({s.split("\n")[0][:120] for s in statements if MISSING_IN_COCKROACH.search(s)})
    assert lacking == []
    # model files are named by training time, so rows that name the model differ by that alone
    for table in ("staff", "consent", "recording", "expression_summary", "checkin", "account"):
        assert got["sums"][table] == expected["sums"][table], table
    for table in ("model_version", "weekly_risk", "alert", "access_log"):
        assert got["sums"][table].rows == expected["sums"][table].rows, table
    for key in ("scored", "alerts", "report", "person_log"):
        assert got[key] == expected[key], key
