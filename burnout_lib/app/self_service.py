"""Staff self-service: the signed-in person's own check-in, consent and erasure.

Every function here takes the signed-in `Viewer` (from `viewer_for`, i.e. from the login the
front proxy vouched for), never a pseudonym from the browser: no function has a parameter that
could name anyone else. Each call looks the login's account up again, so a removed account, an
erased person or a `Viewer` that does not match its account is refused at once; anything that is
not a signed-in staff member linked to a pseudonym is refused with one clear line
(`NotSignedIn`, `AccessDenied`, `ConsentError` or `InvalidInput`) and nothing is written.

- `checkin_form` / `submit_checkin`: this week's Copenhagen Burnout Inventory check-in, stored
  through the same validation and upsert as `burnout checkin import` (one row per person and
  week; answers can be changed until the week ends), then that person's week re-scored with the
  live model;
- `my_consent` / `set_my_consent`: the person's consent per channel, in plain words;
- `erase_me`: the complete erasure of `burnout erase`, after a typed confirmation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from burnout_lib import channels
from burnout_lib.config import Settings
from burnout_lib.errors import (
    AccessDenied,
    BurnoutError,
    InvalidInput,
    NotFound,
    NotSignedIn,
)
from burnout_lib.privacy.accounts import STAFF, Viewer, viewer_for
from burnout_lib.privacy.consent import (
    Decision,
    ErasureReport,
    decision,
    erase_person,
    has_consent,
    require_consent,
    set_consent,
)
from burnout_lib.risk.advice import URGENT_SCORE, for_person
from burnout_lib.risk.alerts import raise_checkin_alerts
from burnout_lib.risk.scoring import monday, score_people
from burnout_lib.sources.checkins import store_checkins, validate_rows
from burnout_lib.sources.instruments import PERSONAL, WORK, Item
from burnout_lib.sources.instruments import level as cbi_band
from burnout_lib.store import db
from burnout_lib.store.transactions import write_transaction

log = logging.getLogger(__name__)

#: `checkin.source` of the answers a person gives on their own page.
SOURCE = "self"


# --- Who is asking -----------------------------------------------------------------------------


def own_account(connection: Connection, viewer: Viewer) -> Viewer:
    """The signed-in staff member behind `viewer`, as their account says now; else a refusal.

    The account is read again (the `Viewer` may come from a page opened before the account was
    removed or changed), and must be the same person the `Viewer` names.
    """
    if not isinstance(viewer, Viewer):
        raise NotSignedIn("You are not signed in.")
    if viewer.role != STAFF:
        raise AccessDenied(
            f"{viewer.login} ({viewer.role.replace('_', ' ')}) has no check-in, consent or "
            "data of their own here: only a staff member's own page can change them"
        )
    account = viewer_for(connection, viewer.login)
    if account.role != STAFF or account.staff_id is None or not account.pseudonym:
        raise AccessDenied(f"{viewer.login} is not linked to a staff member's pseudonym")
    if (account.staff_id, account.pseudonym) != (viewer.staff_id, viewer.pseudonym):
        raise NotSignedIn(f"The account of {viewer.login} has changed: please sign in again.")
    return account


# --- This week's check-in ------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One check-in question as a form shows it: its answers, and the person's current one."""

    column: str
    text: str
    #: the instrument's five answers, as (label, score) from 0 to 100
    options: tuple[tuple[str, int], ...]
    #: the person's stored answer this week (a score), or None
    answer: int | None = None


@dataclass(frozen=True)
class CheckinForm:
    """What the check-in form of one week shows."""

    week: date
    #: the last day answers can be changed (the week's Sunday)
    closes: date
    #: True for the current ISO week only: earlier weeks are over, later ones have not started
    is_open: bool
    #: the person's latest check-in decision is a grant
    consent: bool
    questions: tuple[Question, ...]
    #: the stored personal-burnout score (0–100) and its CBI band, when they answered
    score: float | None = None
    band: str | None = None

    @property
    def answered(self) -> bool:
        return any(q.answer is not None for q in self.questions)


def checkin_items(settings: Settings) -> tuple[Item, ...]:
    """The check-in's questions: the six personal-burnout items, and the seven work-related ones
    when `BURNOUT_CHECKIN_WORK_ITEMS` is on."""
    return PERSONAL.items + (WORK.items if settings.checkin_work_items else ())


def _today(today: date | None) -> date:
    return today if today is not None else datetime.now(UTC).date()


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def checkin_form(
    connection: Connection,
    settings: Settings,
    viewer: Viewer,
    week: date | None = None,
    today: date | None = None,
) -> CheckinForm:
    """The signed-in person's check-in form for the week of `week` (default: this week)."""
    account = own_account(connection, viewer)
    current = monday(_today(today))
    week = monday(week) if week is not None else current
    stored = (
        connection.execute(
            select(db.checkin).where(
                db.checkin.c.staff_id == account.staff_id, db.checkin.c.week_start == week
            )
        )
        .mappings()
        .one_or_none()
    )
    questions = tuple(
        Question(
            column=item.column,
            text=item.text,
            options=tuple(item.labels.items()),
            answer=None
            if stored is None or stored[item.column] is None
            else int(stored[item.column]),
        )
        for item in checkin_items(settings)
    )
    score = _number(stored["score"]) if stored is not None else None
    return CheckinForm(
        week=week,
        closes=week + timedelta(days=6),
        is_open=week == current,
        consent=has_consent(connection, account.staff_id, "checkin"),
        questions=questions,
        score=score,
        band=None if score is None else cbi_band(pd.Series([score])).iloc[0],
    )


def urgent_checkin(
    connection: Connection, viewer: Viewer, today: date | None = None
) -> float | None:
    """The signed-in person's check-in score of this week or last when it is in the high or
    severe range (their page then shows where to get help now, above everything else); else
    None."""
    account = own_account(connection, viewer)
    current = monday(_today(today))
    latest = connection.execute(
        select(db.checkin.c.score)
        .where(
            db.checkin.c.staff_id == account.staff_id,
            db.checkin.c.week_start >= current - timedelta(weeks=1),
            db.checkin.c.week_start <= current,
            db.checkin.c.score.is_not(None),
        )
        .order_by(db.checkin.c.week_start.desc())
        .limit(1)
    ).scalar()
    return float(latest) if latest is not None and latest >= URGENT_SCORE else None


@dataclass(frozen=True)
class CheckinResult:
    """What a submitted check-in stored, and what the person's week now says."""

    week: date
    #: the personal-burnout score (0–100) and its CBI band
    score: float
    band: str
    #: True when it replaced the person's earlier answers of the week
    replaced: bool
    #: the live model's early warning for the week (None until a model is live)
    model_version_id: int | None = None
    probability: float | None = None
    level: str | None = None
    drivers: tuple[str, ...] = ()
    #: what may help, the person's main drivers first (as alerts suggest)
    what_may_help: tuple[str, ...] = field(default_factory=tuple)
    #: one plain sentence about the early warning (or why there is none yet)
    message: str = ""

    @property
    def urgent(self) -> bool:
        """In the high or severe range: the page shows where to get help now, and occupational
        health was alerted when the answers were stored."""
        return self.score >= URGENT_SCORE


def _refuse_closed_week(week: date, current: date) -> None:
    if week < current:
        raise InvalidInput(
            f"the week of {week} ended on {week + timedelta(days=6)}: its check-in can no longer "
            "be changed"
        )
    if week > current:
        raise InvalidInput(f"the week of {week} has not started yet: answer it from {week} on")


def _form_row(settings: Settings, pseudonym: str, week: date, answers: Mapping) -> pd.DataFrame:
    """The answers as one row of a check-in file, for the import's own validation."""
    if not isinstance(answers, Mapping):
        raise InvalidInput("answers must map each question's column to an answer")
    columns = [item.column for item in checkin_items(settings)]
    unknown = [str(key) for key in answers if key not in columns]
    if unknown:
        raise InvalidInput(
            f"not a question of this check-in: {', '.join(map(repr, unknown))} "
            f"(the questions are {', '.join(columns)})"
        )
    row = {"pseudonym": pseudonym, "week": week.isoformat()}
    for column in columns:
        value = answers.get(column)
        row[column] = "" if value is None else str(value)
    return pd.DataFrame([row], dtype=str)


def submit_checkin(
    engine: Engine,
    settings: Settings,
    viewer: Viewer,
    answers: Mapping[str, int | str | None],
    week: date | None = None,
    today: date | None = None,
) -> CheckinResult:
    """Store the signed-in person's check-in for this week and re-score their week.

    `answers` maps question columns (`personal_1` …, and `work_1` … when the setting adds them) to
    an answer score (0/25/50/75/100) or its label; an unanswered question may be left out. `week`
    is the week the form was shown for (default: this week): a form left open past Sunday is
    refused rather than counted in the next week. The answers go through the CSV import's
    validation and upsert, so one person and week is one row and changing an answer updates it.
    """
    db.require_schema(engine)
    with engine.connect() as connection:
        account = own_account(connection, viewer)
    current = monday(_today(today))
    week = monday(week) if week is not None else current
    _refuse_closed_week(week, current)
    with engine.connect() as connection:
        _require_checkin_consent(connection, account)
    frame = _form_row(settings, account.pseudonym, week, answers)
    rows, report = validate_rows(engine, frame, "the check-in form", source=SOURCE)
    if report.errors:
        raise InvalidInput("; ".join(f"{e.column}: {e.value!r} {e.reason}" for e in report.errors))
    if rows["score"].isna().all():
        raise InvalidInput(
            f"answer at least {PERSONAL.min_answered} of the {len(PERSONAL.items)} "
            "personal-burnout questions to get a score"
        )
    rows["answered_at"] = datetime.now(UTC)
    if not settings.checkin_work_items:  # work answers stored by an import stay as they are
        rows = rows.drop(columns=[*WORK.columns, "work_score"])

    def store(connection: Connection) -> bool:
        # checked again inside the transaction: an account removed or consent revoked a moment
        # ago stops the write
        _require_checkin_consent(connection, own_account(connection, viewer))
        earlier = connection.execute(
            select(db.checkin.c.id).where(
                db.checkin.c.staff_id == account.staff_id, db.checkin.c.week_start == week
            )
        ).first()
        store_checkins(connection, rows)
        raise_checkin_alerts(connection, rows)
        return earlier is not None

    replaced = write_transaction(engine, store, f"storing {account.pseudonym}'s check-in")
    score = float(rows["score"].iloc[0])
    result = {
        "week": week,
        "score": score,
        "band": cbi_band(pd.Series([score])).iloc[0],
        "replaced": replaced,
    }
    return CheckinResult(**result, **_rescore(engine, settings, account, week))


def _require_checkin_consent(connection: Connection, account: Viewer) -> None:
    def refusal(decided: Decision) -> str:
        if decided.decided_at is None:
            return ("you have not agreed to the weekly check-in yet: nothing was stored (grant "
                    "check-in consent first)")  # fmt: skip
        return (f"you withdrew your check-in consent on {_as_day(decided.decided_at)}: nothing "
                "was stored (grant it again to answer)")  # fmt: skip

    require_consent(connection, account.staff_id, "checkin", refusal)


def _as_day(moment) -> str:
    return pd.Timestamp(moment).strftime("%Y-%m-%d")


def rescore_own_week(
    engine: Engine, settings: Settings, staff_id: int, week: date
) -> tuple[int | None, pd.Series | None]:
    """Score one person's week again with the live model, after their own check-in or clip:
    (the live model's id or None, the person's new row or None when scoring failed; the detail
    goes to the log, since what they submitted is stored either way)."""
    with engine.connect() as connection:
        live = db.live_model_id(connection)
    if live is None:
        return None, None
    try:
        return live, score_people(engine, settings, [staff_id], week, live).iloc[0]
    except BurnoutError as error:
        log.warning("re-scoring staff %s for the week of %s failed: %s", staff_id, week, error)
        return live, None


def _rescore(engine: Engine, settings: Settings, account: Viewer, week: date) -> dict:
    """The person's week scored again with the live model: the result's early-warning part."""
    live, row = rescore_own_week(engine, settings, account.staff_id, week)
    if row is None:
        why = (
            "Your early warning will appear once a model is live."
            if live is None
            else "Your early warning could not be updated just now; it will be at the next "
            "weekly run."
        )
        return {"what_may_help": tuple(for_person()),
                "message": f"Your answers are stored. {why}"}  # fmt: skip
    with engine.connect() as connection:
        horizon = connection.execute(
            select(db.model_version.c.horizon_weeks).where(db.model_version.c.id == live)
        ).scalar_one()
    drivers = list(row["drivers"] or [])
    return {
        "model_version_id": int(live),
        "probability": float(row["probability"]),
        "level": str(row["level"]),
        "drivers": tuple(d["driver"] for d in drivers),
        "what_may_help": tuple(for_person(drivers)),
        "message": f"Your answers are stored and your early warning is updated: "
        f"{float(row['probability']):.0%} chance of a check-in of 50 or more within "
        f"{horizon or settings.warning_horizon_weeks} weeks; risk level {row['level']}.",
    }


# --- Consent in plain words ----------------------------------------------------------------------


WHO_SEES = (
    "You, on your own page. Occupational health sees your page only when they open it from an "
    "alert about you, and every opening is logged. The early-warning model uses it to score "
    "you, and learns from everyone's data, yours included, under pseudonyms. Analysts study it "
    "under your pseudonym (never your name) to check and improve the model and the team "
    "figures. Your manager sees only team figures about 5 or more people, never yours."
)


@dataclass(frozen=True)
class ChannelConsent:
    """A person's consent for one channel, with what it means in plain words."""

    channel: str
    granted: bool
    #: when they last decided (None: never asked, which counts as not granted)
    decided_at: datetime | None
    title: str
    stored: str
    who_sees: str
    processed_by: str
    if_revoked: str


def _channel_consent(channel: str, granted: bool, decided_at) -> ChannelConsent:
    moment = None if decided_at is None else pd.Timestamp(decided_at).to_pydatetime()
    if moment is not None and moment.tzinfo is None:  # SQLite keeps no zone: stored as UTC
        moment = moment.replace(tzinfo=UTC)
    entry = channels.get(channel)
    return ChannelConsent(
        channel=entry.name,
        granted=bool(granted),
        decided_at=moment,
        title=entry.label,
        stored=entry.stored,
        who_sees=WHO_SEES,
        processed_by=entry.processed_by,
        if_revoked=entry.if_revoked,
    )


def my_consent(connection: Connection, viewer: Viewer) -> dict[str, ChannelConsent]:
    """The signed-in person's consent, per channel of the registry, in plain words."""
    account = own_account(connection, viewer)
    return {
        entry.name: _channel_consent(entry.name, found.granted, found.decided_at)
        for entry in channels.all_channels()
        for found in [decision(connection, account.staff_id, entry.name)]
    }


def set_my_consent(engine: Engine, viewer: Viewer, channel: str, granted: bool) -> ChannelConsent:
    """Grant or revoke the signed-in person's consent for one channel, at once, with its time.

    Revoking `face` stops the facial channel for them: extraction refuses their frames
    before anything is decoded or sent, and scoring no longer uses their expression scores.
    """
    if not isinstance(channel, str):
        raise InvalidInput(f"a consent channel is a name, not {channel!r}")
    channel = channels.canonical(channel)
    if not isinstance(granted, bool):
        raise InvalidInput(f"a consent decision is True or False, not {granted!r}")
    db.require_schema(engine)
    with engine.connect() as connection:
        account = own_account(connection, viewer)
    at = set_consent(engine, account.pseudonym, channel, granted)
    return _channel_consent(channel, granted, at)


# --- Erase everything about me -------------------------------------------------------------------


def erasure_phrase(viewer: Viewer) -> str:
    """What the person types to confirm erasing everything about them: their own pseudonym."""
    if not isinstance(viewer, Viewer) or viewer.role != STAFF or not viewer.pseudonym:
        raise AccessDenied("only a staff member can erase their own data here")
    return viewer.pseudonym


def erase_me(
    engine: Engine, settings: Settings, viewer: Viewer, typed_confirmation: str
) -> ErasureReport:
    """Erase every row and file of the signed-in person, their account included (which signs
    them out), once they typed `erasure_phrase` exactly; otherwise refuse and write nothing."""
    db.require_schema(engine)
    with engine.connect() as connection:
        account = own_account(connection, viewer)
    phrase = erasure_phrase(account)
    if not isinstance(typed_confirmation, str) or typed_confirmation.strip() != phrase:
        raise InvalidInput(
            f"to erase everything about you, type your pseudonym {phrase!r} exactly: "
            "nothing was erased"
        )
    try:
        return erase_person(engine, settings, account.pseudonym)
    except NotFound:  # erased a moment ago (another page of theirs)
        raise NotSignedIn("Everything about you has been erased already.") from None
