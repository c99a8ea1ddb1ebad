"""A small, hand-made hospital whose every weekly count is known, for the view and dashboard tests.

- "Ward A": 12 nurses and 6 residents; "Tiny unit": 3 porters (below the privacy floor of 5).
- Weeks 1–6 are scored; week 7 has check-ins but no scores yet.
- Weeks 1–5: nurses 8 low / 4 moderate, residents all low, porters all low.
- Week 6: nurses 6 low / 5 moderate / 1 high (nurse-01), residents 5 low / 1 high (resident-01).
- Everyone answers the check-in every week, except nurse-12 and resident-06 in week 6.
- nurse-01 shares a recording every week, with fatigue expressions rising; in week 6 they get
  a `first_high` alert.
- Accounts: nurse-01 and resident-01 sign in as staff, Ward A and Tiny unit have a manager each,
  and there is one occupational-health and one analyst login; `VISITOR` has no account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from burnout_lib import channels
from burnout_lib.emotions import EXPRESSION_SLUGS, FATIGUE, PROTECTIVE, slug, summary_column
from burnout_lib.privacy.accounts import Viewer, viewer_for
from burnout_lib.store import db

START = date(2026, 3, 2)
WEEKS = [START + timedelta(weeks=k) for k in range(7)]
SCORED = WEEKS[:6]
LAST = SCORED[-1]
UNSCORED = WEEKS[6]
PROBABILITY = {"low": 0.05, "moderate": 0.3, "high": 0.8}
#: the model's estimate for a week the person did not answer
ESTIMATE = {"low": 0.1, "moderate": 0.35, "high": 0.7}
CHECKIN_SCORE = {"low": 20.0, "moderate": 40.0, "high": 60.0}
BAND = {"low": "low", "moderate": "low", "high": "moderate"}  # the CBI bands of those scores
THRESHOLD = 0.2
#: The tabs a signed-in staff member has: their week, and their own controls
STAFF_TABS = ["My week", "Check-in", "Weekly clip", "Consent and my data"]
ALERT_ACTION = "review the rota and rest between shifts; protect breaks"

NURSES = [f"nurse-{k:02d}" for k in range(1, 13)]
RESIDENTS = [f"resident-{k:02d}" for k in range(1, 7)]
PORTERS = [f"porter-{k}" for k in range(1, 4)]

NURSE_LOGIN = "nurse.one@hospital.example"  # staff: nurse-01
RESIDENT_LOGIN = "resident.one@hospital.example"  # staff: resident-01
MANAGER_LOGIN = "lead.ward-a@hospital.example"  # manager: Ward A
TINY_MANAGER_LOGIN = "lead.tiny@hospital.example"  # manager: Tiny unit
OH_LOGIN = "occupational.health@hospital.example"
ANALYST_LOGIN = "analyst@hospital.example"
VISITOR = "visitor@hospital.example"  # signed in at the hospital, no account here
ACCOUNTS = [
    {"login": NURSE_LOGIN, "role": "staff", "pseudonym": "nurse-01", "units": []},
    {"login": RESIDENT_LOGIN, "role": "staff", "pseudonym": "resident-01", "units": []},
    {"login": MANAGER_LOGIN, "role": "manager", "pseudonym": None, "units": ["Ward A"]},
    {"login": TINY_MANAGER_LOGIN, "role": "manager", "pseudonym": None, "units": ["Tiny unit"]},
    {"login": OH_LOGIN, "role": "occupational_health", "pseudonym": None, "units": []},
    {"login": ANALYST_LOGIN, "role": "analyst", "pseudonym": None, "units": []},
]


@dataclass(frozen=True)
class Person:
    pseudonym: str
    unit: str
    role: str


PEOPLE = (
    [Person(p, "Ward A", "Nurse") for p in NURSES]
    + [Person(p, "Ward A", "Resident") for p in RESIDENTS]
    + [Person(p, "Tiny unit", "Porter") for p in PORTERS]
)


def level(pseudonym: str, week: date) -> str:
    """The risk level everyone gets, by construction."""
    last = week == LAST
    if pseudonym in NURSES:
        k = NURSES.index(pseudonym)
        if last:
            return "high" if k == 0 else "moderate" if k <= 5 else "low"
        return "moderate" if k < 4 else "low"
    if pseudonym == "resident-01" and last:
        return "high"
    return "low"


def answered(pseudonym: str, week: date) -> bool:
    return not (week == LAST and pseudonym in ("nurse-12", "resident-06"))


def fatigue(week_number: int) -> float:
    """nurse-01's weekly fatigue-group score (rising)."""
    return 0.10 + 0.05 * week_number


def build(engine: Engine) -> None:
    """Write the hospital into an initialised database."""
    with engine.begin() as connection:
        staff = pd.DataFrame(
            {
                "pseudonym": [p.pseudonym for p in PEOPLE],
                "unit": [p.unit for p in PEOPLE],
                "role": [p.role for p in PEOPLE],
            }
        )
        db.upsert(connection, db.staff, staff, keys=("pseudonym",))
        ids = db.id_map(connection, db.staff.c.id, db.staff.c.pseudonym, staff["pseudonym"])
        decided = datetime(2026, 3, 1, tzinfo=UTC)
        consent = pd.DataFrame(
            [
                {
                    "staff_id": ids[p.pseudonym],
                    "channel": channel,
                    "granted": True,
                    "decided_at": decided,
                }  # fmt: skip
                for p in PEOPLE
                for channel in channels.names()
            ]
        )
        db.upsert(connection, db.consent, consent, keys=("staff_id", "channel"))
        version = connection.execute(
            db.model_version.insert().values(
                trained_at=decided,
                name="hand-made",
                metrics={},
                threshold=THRESHOLD,
                path="models/none.joblib",
                feature_set=["prev_score"],
                horizon_weeks=4,
                live=True,
            )
        ).inserted_primary_key[0]
        checkins, risks = [], []
        for person in PEOPLE:
            for week in WEEKS:
                now = level(person.pseudonym, week)
                answers = answered(person.pseudonym, week)
                if answers:
                    checkins.append(
                        {
                            "staff_id": ids[person.pseudonym],
                            "week_start": week,
                            "score": CHECKIN_SCORE[now],
                            "source": "import",
                        }  # fmt: skip
                    )
                if week in SCORED:
                    risks.append(
                        {
                            "staff_id": ids[person.pseudonym],
                            "week_start": week,
                            "model_version_id": version,
                            "probability": PROBABILITY[now],
                            "level": now,
                            "drivers": [{"driver": "recent check-in scores", "effect": 0.1}]
                            if now != "low"
                            else [],
                            "estimate_probability": None if answers else ESTIMATE[now],
                            "checkin_score": CHECKIN_SCORE[now] if answers else None,
                            "measured_band": BAND[now] if answers else None,
                        }
                    )
        db.upsert(connection, db.checkin, pd.DataFrame(checkins), keys=("staff_id", "week_start"))
        db.upsert(connection, db.weekly_risk, pd.DataFrame(risks),
                  keys=("staff_id", "week_start", "model_version_id"))  # fmt: skip
        _recordings(connection, ids["nurse-01"])
        alert = {
            "staff_id": ids["nurse-01"],
            "unit": "Ward A",
            "subject": f"staff:{ids['nurse-01']}",
            "week_start": LAST,
            "rule": "first_high",
            "level": "high",
            "reason": "at high risk for the first time, mainly from recent check-in scores",
            "suggested_action": ALERT_ACTION,
        }
        db.upsert(
            connection, db.alert, pd.DataFrame([alert]), keys=("subject", "week_start", "rule")
        )
        accounts = pd.DataFrame(
            [
                {
                    "login": a["login"],
                    "role": a["role"],
                    "staff_id": ids[a["pseudonym"]] if a["pseudonym"] else None,
                    "units": a["units"],
                }
                for a in ACCOUNTS
            ]
        )
        db.upsert(connection, db.account, accounts, keys=("login",))


def sqlite_file(path: Path) -> str:
    """The hospital in a new SQLite file, for a server to serve: its database URL."""
    from burnout_lib.store.db import init_db, make_engine

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    init_db(engine)
    build(engine)
    engine.dispose()
    return url


def viewer(engine: Engine, login: str) -> Viewer:
    """The `Viewer` behind one of the hospital's logins (after `build`), as a page gets it."""
    with engine.connect() as connection:
        return viewer_for(connection, login)


def _recordings(connection, staff_id: int) -> None:
    recordings = pd.DataFrame(
        {
            "staff_id": staff_id,
            "recorded_at": [datetime(w.year, w.month, w.day, 9, tzinfo=UTC) for w in SCORED],
            "week_start": SCORED,
            "sha256": [f"{k:064x}" for k in range(len(SCORED))],
            "source": "mock",
            "frames": 10,
            "faces": 10,
        }
    )
    db.upsert(connection, db.recording, recordings, keys=("sha256",))
    ids = db.id_map(connection, db.recording.c.id, db.recording.c.sha256, recordings["sha256"])
    rows = []
    for number, sha in enumerate(recordings["sha256"], start=1):
        row = {"recording_id": ids[sha], "frames_used": 10}
        row.update({summary_column(name, "mean"): 0.01 for name in EXPRESSION_SLUGS})
        row.update({summary_column(slug(name), "mean"): fatigue(number) for name in FATIGUE})
        row.update({summary_column(slug(name), "mean"): 0.3 for name in PROTECTIVE})
        rows.append(row)
    db.upsert(connection, db.expression_summary, pd.DataFrame(rows), keys=("recording_id",))
