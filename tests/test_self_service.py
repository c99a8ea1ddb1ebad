"""Staff self-service: a signed-in staff member answers their own check-in, decides their own
consent and erases themselves; nobody else can, and nobody can write for anyone else."""

import dataclasses
import inspect
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from burnout_lib.app.self_service import (
    checkin_form,
    erase_me,
    erasure_phrase,
    my_consent,
    set_my_consent,
    submit_checkin,
    urgent_checkin,
)
from burnout_lib.errors import AccessDenied, ConsentError, InvalidInput, NotSignedIn
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.accounts import Viewer, add_account, viewer_for
from burnout_lib.risk.features import weekly_features
from burnout_lib.risk.model import save_model, train
from burnout_lib.risk.scoring import score_week
from burnout_lib.sources.hume.extract import extract_file
from burnout_lib.sources.instruments import FREQUENCY, PERSONAL, WORK
from burnout_lib.store import db
from burnout_lib.store.integrity import table_sums

from helpers import small_hospital as hospital

#: A Wednesday after the small hospital's weeks: nobody has answered its week yet.
TODAY = date(2026, 4, 22)
WEEK = date(2026, 4, 20)
#: Often, Sometimes, Always, Seldom, Often, Never/almost never: (75+50+100+25+75+0)/6
ANSWERS = {
    "personal_1": "Often",
    "personal_2": 50,
    "personal_3": "always",  # labels in any case, as the import takes them
    "personal_4": "25",
    "personal_5": "Often",
    "personal_6": "Never/almost never",
}
SCORE = (75 + 50 + 100 + 25 + 75 + 0) / 6


@pytest.fixture
def small(engine):
    """The small hand-made hospital (its live model is a placeholder with no file)."""
    hospital.build(engine)
    return engine


def reading(engine, function, *args, **kwargs):
    with engine.connect() as connection:
        return function(connection, *args, **kwargs)


def as_viewer(engine, login: str) -> Viewer:
    return hospital.viewer(engine, login)


def checkins_of(engine, pseudonym: str) -> pd.DataFrame:
    query = (
        select(db.checkin)
        .join(db.staff)
        .where(db.staff.c.pseudonym == pseudonym)
        .order_by(db.checkin.c.week_start)
    )
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def this_week(engine, pseudonym: str, week: date = WEEK) -> pd.DataFrame:
    rows = checkins_of(engine, pseudonym)
    return rows[pd.to_datetime(rows["week_start"]).dt.date == week].reset_index(drop=True)


def consent_of(engine, pseudonym: str) -> dict:
    query = (
        select(db.consent.c.channel, db.consent.c.granted, db.consent.c.decided_at)
        .join(db.staff)
        .where(db.staff.c.pseudonym == pseudonym)
    )
    with engine.connect() as connection:
        return {row.channel: (row.granted, row.decided_at) for row in connection.execute(query)}


# --- The form ------------------------------------------------------------------------------------


def test_the_form_lists_the_instruments_items_answers_and_state(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    with small.connect() as connection:
        form = checkin_form(connection, settings, nurse, today=TODAY)
    assert form.week == WEEK and form.closes == date(2026, 4, 26)
    assert form.is_open and form.consent and not form.answered
    assert [q.column for q in form.questions] == PERSONAL.columns
    assert [q.text for q in form.questions] == [item.text for item in PERSONAL.items]
    for question in form.questions:
        assert question.options == tuple(FREQUENCY.items())
        assert [score for _, score in question.options] == [0, 25, 50, 75, 100]
        assert question.answer is None
    assert (form.score, form.band) == (None, None)

    with_work = dataclasses.replace(settings, checkin_work_items=True)
    with small.connect() as connection:
        form = checkin_form(connection, with_work, nurse, today=TODAY)
    assert [q.column for q in form.questions] == PERSONAL.columns + WORK.columns
    assert form.questions[6].options[0] == ("To a very low degree", 0)

    with small.connect() as connection:  # an earlier week: its stored score, closed
        form = checkin_form(connection, settings, nurse, week=hospital.LAST, today=TODAY)
    assert not form.is_open and form.score == hospital.CHECKIN_SCORE["high"]
    assert form.band == "moderate"


# --- Answering it ---------------------------------------------------------------------------------


def test_a_checkin_stores_the_expected_row_and_score(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    others = checkins_of(small, "resident-01")
    result = submit_checkin(small, settings, nurse, ANSWERS, today=TODAY)

    assert result.week == WEEK
    assert result.score == pytest.approx(SCORE) and result.band == "moderate"
    assert not result.replaced
    rows = this_week(small, "nurse-01")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert [int(row[c]) for c in PERSONAL.columns] == [75, 50, 100, 25, 75, 0]
    assert row["score"] == pytest.approx(SCORE)
    assert row["source"] == "self" and pd.notna(row["answered_at"])
    assert all(pd.isna(row[c]) for c in WORK.columns) and pd.isna(row["work_score"])
    pd.testing.assert_frame_equal(checkins_of(small, "resident-01"), others)

    with small.connect() as connection:  # the form now shows the answers, to change them
        form = checkin_form(connection, settings, nurse, today=TODAY)
    assert [q.answer for q in form.questions] == [75, 50, 100, 25, 75, 0]
    assert form.score == pytest.approx(SCORE) and form.band == "moderate"
    # the hand-made hospital's live model is a placeholder: the answers stay stored, and the
    # person is told why the early warning is missing
    assert result.probability is None and "could not be updated" in result.message
    assert result.what_may_help


def alerts_of(engine, pseudonym: str) -> pd.DataFrame:
    query = (
        select(db.alert)
        .join(db.staff, db.staff.c.id == db.alert.c.staff_id)
        .where(db.staff.c.pseudonym == pseudonym)
        .order_by(db.alert.c.week_start, db.alert.c.rule)
    )
    with engine.connect() as connection:
        return pd.read_sql(query, connection)


def urgent_alerts(engine, pseudonym: str) -> pd.DataFrame:
    found = alerts_of(engine, pseudonym)
    return found[found["rule"] == "checkin_high"].reset_index(drop=True)


#: "Often" to all six questions (the issue's case, "I can't take it anymore" included): 75
OFTEN = dict.fromkeys(PERSONAL.columns, "Often")


def test_a_checkin_in_the_high_range_alerts_occupational_health_at_once(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    before = alerts_of(small, "nurse-01")
    others = alerts_of(small, "resident-01")

    result = submit_checkin(small, settings, nurse, OFTEN, today=TODAY)
    assert result.score == 75 and result.band == "high" and result.urgent
    [alert] = urgent_alerts(small, "nurse-01").itertuples()
    assert pd.Timestamp(alert.week_start).date() == WEEK and alert.level == "high"
    assert "scored 75" in alert.reason and "high burnout range" in alert.reason
    assert "within one working day" in alert.suggested_action
    assert pd.isna(alert.acknowledged_at) and pd.isna(alert.resolved_week)
    assert len(alerts_of(small, "nurse-01")) == len(before) + 1  # that one, nothing else
    pd.testing.assert_frame_equal(alerts_of(small, "resident-01"), others)
    assert reading(small, urgent_checkin, nurse, today=TODAY) == 75
    # the person's own "what may help" is theirs: no manager's or occupational health's action
    assert not any("offer a confidential" in item for item in result.what_may_help)

    # the same week answered again, lower: the unacknowledged alert closes; higher: it reopens
    submit_checkin(small, settings, nurse, {**OFTEN, "personal_1": "Seldom"}, today=TODAY)
    [closed] = urgent_alerts(small, "nurse-01").itertuples()
    assert pd.Timestamp(closed.resolved_week).date() == WEEK and closed.id == alert.id
    assert reading(small, urgent_checkin, nurse, today=TODAY) is None
    submit_checkin(small, settings, nurse, dict.fromkeys(PERSONAL.columns, "Always"), today=TODAY)
    [again] = urgent_alerts(small, "nurse-01").itertuples()
    assert again.id == alert.id and pd.isna(again.resolved_week) and "scored 100" in again.reason
    assert "severe burnout range" in again.reason

    # next week, still high, while that alert is open: no repeat (reminders follow it)
    submit_checkin(small, settings, nurse, OFTEN, today=TODAY + timedelta(weeks=1))
    assert len(urgent_alerts(small, "nurse-01")) == 1


def test_a_checkin_below_the_high_range_raises_no_alert(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    before = alerts_of(small, "nurse-01")
    result = submit_checkin(small, settings, nurse, {**OFTEN, "personal_6": "Sometimes"},
                            today=TODAY)  # fmt: skip
    assert result.score == pytest.approx((75 * 5 + 50) / 6) and not result.urgent
    pd.testing.assert_frame_equal(alerts_of(small, "nurse-01"), before)
    assert reading(small, urgent_checkin, nurse, today=TODAY) is None


def test_an_imported_checkin_in_the_high_range_alerts_at_once(small, cli, tmp_path) -> None:
    lines = ["pseudonym,week," + ",".join(PERSONAL.columns),
             f"nurse-01,{WEEK}," + ",".join(["Often"] * 6),
             f"resident-01,{WEEK}," + ",".join(["Seldom"] * 6)]  # fmt: skip
    path = tmp_path / "checkins.csv"
    path.write_text("\n".join(lines) + "\n")
    cli("checkin", "import", str(path))
    assert len(urgent_alerts(small, "nurse-01")) == 1
    assert urgent_alerts(small, "resident-01").empty


def test_changing_an_answer_updates_the_same_row(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    submit_checkin(small, settings, nurse, ANSWERS, today=TODAY)
    first = this_week(small, "nurse-01").iloc[0]
    changed = {**ANSWERS, "personal_3": "Seldom", "personal_6": None}  # one left unanswered
    result = submit_checkin(small, settings, nurse, changed, today=TODAY + timedelta(days=4))
    rows = this_week(small, "nurse-01")
    assert len(rows) == 1 and rows.iloc[0]["id"] == first["id"]
    assert pd.isna(rows.iloc[0]["personal_6"]) and rows.iloc[0]["personal_3"] == 25
    assert result.score == pytest.approx((75 + 50 + 25 + 25 + 75) / 5) == rows.iloc[0]["score"]
    assert result.band == "moderate"

    assert result.replaced
    same = submit_checkin(small, settings, nurse, changed, today=TODAY)
    assert len(this_week(small, "nurse-01")) == 1 and same.score == result.score


def test_work_items_when_the_setting_adds_them(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    work = {c: 50 for c in WORK.columns} | {"work_7": "Always"}  # reversed: 100 counts as 0
    with pytest.raises(InvalidInput, match="not a question of this check-in: 'work_1'"):
        submit_checkin(small, settings, nurse, {**ANSWERS, **work}, today=TODAY)
    assert this_week(small, "nurse-01").empty
    with_work = dataclasses.replace(settings, checkin_work_items=True)
    submit_checkin(small, with_work, nurse, {**ANSWERS, **work}, today=TODAY)
    row = this_week(small, "nurse-01").iloc[0]
    assert row["work_7"] == 100 and row["work_score"] == pytest.approx(6 * 50 / 7)
    assert row["score"] == pytest.approx(SCORE)
    # with the setting off again, changing the personal answers leaves the work answers alone
    submit_checkin(small, settings, nurse, {**ANSWERS, "personal_1": 0}, today=TODAY)
    row = this_week(small, "nurse-01").iloc[0]
    assert row["personal_1"] == 0 and row["score"] == pytest.approx(SCORE - 75 / 6)
    assert row["work_7"] == 100 and row["work_score"] == pytest.approx(6 * 50 / 7)


BAD_ANSWERS = [
    ({**ANSWERS, "personal_2": "Maybe"}, r"personal_2: 'Maybe' is not an answer"),
    ({**ANSWERS, "personal_2": 60}, r"personal_2: '60' is not an answer"),
    ({**ANSWERS, "personal_2": True}, r"personal_2: 'True' is not an answer"),
    ({"personal_1": 25, "personal_2": 25}, "answer at least 3 of the 6"),
    ({**ANSWERS, "week": "2026-04-13"}, "not a question of this check-in: 'week'"),
    ({**ANSWERS, "answered_at": "2026-01-01"}, "not a question"),
    (["Often"] * 6, "answers must map"),
]


def test_bad_answers_are_refused_and_nothing_is_written(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    before = table_sums(small)
    for answers, message in BAD_ANSWERS:
        with pytest.raises(InvalidInput, match=message):
            submit_checkin(small, settings, nurse, answers, today=TODAY)
    assert table_sums(small) == before


def test_revoked_or_missing_checkin_consent_refuses_and_writes_nothing(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    set_my_consent(small, nurse, "checkin", False)
    before = table_sums(small)
    with pytest.raises(ConsentError, match="you withdrew your check-in consent on .*nothing was"):
        submit_checkin(small, settings, nurse, ANSWERS, today=TODAY)
    assert table_sums(small) == before
    with small.connect() as connection:
        assert not checkin_form(connection, settings, nurse, today=TODAY).consent

    with small.begin() as connection:  # never asked at all
        connection.execute(db.consent.delete().where(db.consent.c.staff_id == nurse.staff_id))
    before = table_sums(small)
    with pytest.raises(ConsentError, match="you have not agreed to the weekly check-in yet"):
        submit_checkin(small, settings, nurse, ANSWERS, today=TODAY)
    assert table_sums(small) == before

    set_my_consent(small, nurse, "checkin", True)
    assert submit_checkin(small, settings, nurse, ANSWERS, today=TODAY).score == pytest.approx(
        SCORE
    )


def test_a_closed_week_refuses(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    before = table_sums(small)
    # a form shown last week and sent this Monday is not counted in the new week
    with pytest.raises(InvalidInput, match="the week of 2026-04-13 ended on 2026-04-19"):
        submit_checkin(small, settings, nurse, ANSWERS, week=hospital.UNSCORED, today=TODAY)
    with pytest.raises(InvalidInput, match="the week of 2026-04-20 ended on 2026-04-26"):
        submit_checkin(small, settings, nurse, ANSWERS, week=WEEK, today=date(2026, 4, 27))
    with pytest.raises(InvalidInput, match="has not started"):
        submit_checkin(small, settings, nurse, ANSWERS, week=WEEK + timedelta(weeks=1), today=TODAY)
    assert table_sums(small) == before
    # Sunday is still the week's last day
    result = submit_checkin(small, settings, nurse, ANSWERS, week=WEEK, today=date(2026, 4, 26))
    assert result.week == WEEK


def test_without_a_live_model_the_checkin_is_stored_and_the_warning_comes_later(
    small, settings
) -> None:
    with small.begin() as connection:
        connection.execute(update(db.model_version).values(live=False))
    result = submit_checkin(small, settings, as_viewer(small, hospital.NURSE_LOGIN), ANSWERS,
                            today=TODAY)  # fmt: skip
    assert len(this_week(small, "nurse-01")) == 1
    assert result.score == pytest.approx(SCORE)
    assert (result.probability, result.level, result.model_version_id) == (None, None, None)
    assert "once a model is live" in result.message
    assert result.what_may_help  # what colleagues found helpful, even before a model


# --- Nobody else, and never for anyone else ------------------------------------------------------


def refused_everything(small, settings, viewer: Viewer) -> None:
    calls = [
        lambda: submit_checkin(small, settings, viewer, ANSWERS, today=TODAY),
        lambda: set_my_consent(small, viewer, "face", False),
        lambda: erase_me(small, settings, viewer, "nurse-01"),
        lambda: reading(small, checkin_form, settings, viewer, today=TODAY),
        lambda: reading(small, my_consent, viewer),
        lambda: erasure_phrase(viewer),
    ]
    for call in calls:
        with pytest.raises(AccessDenied):
            call()


def test_other_roles_cannot_write_or_read_anything_here(small, settings) -> None:
    before = table_sums(small)
    for login in (hospital.MANAGER_LOGIN, hospital.OH_LOGIN, hospital.ANALYST_LOGIN):
        refused_everything(small, settings, as_viewer(small, login))
    assert table_sums(small) == before


def test_unknown_or_missing_viewers_cannot_write_anything(small, settings) -> None:
    with small.connect() as connection, pytest.raises(NotSignedIn):
        viewer_for(connection, hospital.VISITOR)
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    # a login without an account, dressed up as staff: its account is what counts
    visitor = Viewer(hospital.VISITOR, "staff", nurse.staff_id, "nurse-01")
    before = table_sums(small)
    for viewer in (visitor, None, "nurse-01", {"login": hospital.NURSE_LOGIN}):
        with pytest.raises(NotSignedIn):
            submit_checkin(small, settings, viewer, ANSWERS, today=TODAY)
        with pytest.raises(NotSignedIn):
            set_my_consent(small, viewer, "checkin", False)
        with pytest.raises((NotSignedIn, AccessDenied)):
            erase_me(small, settings, viewer, "nurse-01")
    assert table_sums(small) == before


def test_a_person_can_never_write_for_someone_else(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    other = "resident-01"
    writes = (submit_checkin, set_my_consent, erase_me, checkin_form, my_consent)
    for function in writes:  # nothing to name another person with
        parameters = set(inspect.signature(function).parameters)
        assert not parameters & {"pseudonym", "staff_id", "login", "person", "who"}, function
        assert not any(p.kind is p.VAR_KEYWORD for p in
                       inspect.signature(function).parameters.values())  # fmt: skip
    before = table_sums(small)
    with pytest.raises(TypeError):
        submit_checkin(small, settings, nurse, ANSWERS, today=TODAY, pseudonym=other)
    with pytest.raises(TypeError):
        submit_checkin(small, settings, nurse, ANSWERS, today=TODAY, staff_id=2)
    with pytest.raises(TypeError):
        set_my_consent(small, nurse, "checkin", False, pseudonym=other)
    with pytest.raises(TypeError):
        erase_me(small, settings, nurse, other, pseudonym=other)
    # the other's pseudonym smuggled in with the answers, or a Viewer forged to name them
    with pytest.raises(InvalidInput, match="'pseudonym'"):
        submit_checkin(small, settings, nurse, {**ANSWERS, "pseudonym": other}, today=TODAY)
    resident = as_viewer(small, hospital.RESIDENT_LOGIN)
    forged = dataclasses.replace(nurse, staff_id=resident.staff_id, pseudonym=other)
    with pytest.raises(NotSignedIn, match="has changed"):
        submit_checkin(small, settings, forged, ANSWERS, today=TODAY)
    with pytest.raises(NotSignedIn):
        set_my_consent(small, forged, "checkin", False)
    with pytest.raises(NotSignedIn):
        erase_me(small, settings, forged, other)
    with pytest.raises(NotSignedIn), small.connect() as connection:
        checkin_form(connection, settings, forged, today=TODAY)
    assert table_sums(small) == before
    assert this_week(small, other).empty and this_week(small, "nurse-01").empty

    submit_checkin(small, settings, nurse, ANSWERS, today=TODAY)  # the real one writes their own
    assert this_week(small, other).empty and len(this_week(small, "nurse-01")) == 1


# --- Consent ------------------------------------------------------------------------------------


def test_my_consent_in_plain_words_and_one_click_each(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    with small.connect() as connection:
        mine = my_consent(connection, nurse)
    assert list(mine) == ["checkin", "face"]
    for channel, decision in mine.items():
        assert decision.channel == channel and decision.granted
        assert decision.decided_at.date() == date(2026, 3, 1)
        assert decision.stored and decision.who_sees and decision.processed_by
        assert decision.if_revoked
    assert "Hume AI" in mine["face"].processed_by
    assert "never stored" in mine["face"].stored
    assert "Hume" not in mine["checkin"].processed_by
    assert "5 or more" in mine["checkin"].who_sees

    revoked = set_my_consent(small, nurse, "face", False)
    assert not revoked.granted and revoked.decided_at.date() > date(2026, 3, 1)
    granted, decided_at = consent_of(small, "nurse-01")["face"]
    assert not granted and decided_at is not None
    with small.connect() as connection:
        now = my_consent(connection, nurse)
    assert not now["face"].granted and now["checkin"].granted
    assert now["face"].decided_at == revoked.decided_at
    # the facial channel stops at once: the person's frames are refused before anything is
    # decoded or sent (no client is needed to find that out)
    with pytest.raises(ConsentError, match="has not consented to the facial channel"):
        extract_file(small, settings, None, settings.data_dir / "clip.mp4", "nurse-01")
    assert consent_of(small, "resident-01")["face"][0], "nobody else's consent changed"

    again = set_my_consent(small, nurse, "face", True)
    assert again.granted and again.decided_at >= revoked.decided_at
    assert consent_of(small, "nurse-01")["face"][0]


def test_consent_refuses_what_is_not_a_decision(small) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    before = table_sums(small)
    with pytest.raises(InvalidInput, match="unknown consent channel 'video'"):
        set_my_consent(small, nurse, "video", True)
    with pytest.raises(InvalidInput, match="True or False"):
        set_my_consent(small, nurse, "checkin", "no")
    assert table_sums(small) == before


# --- Erasure ------------------------------------------------------------------------------------


def test_erase_needs_the_exact_confirmation_then_signs_them_out(small, settings) -> None:
    nurse = as_viewer(small, hospital.NURSE_LOGIN)
    assert erasure_phrase(nurse) == "nurse-01"
    before = table_sums(small)
    for typed in ("", "erase", "Nurse-01", "nurse-0", "resident-01", "nurse-01 please", None):
        with pytest.raises(InvalidInput, match="type your pseudonym 'nurse-01' exactly"):
            erase_me(small, settings, nurse, typed)
    assert table_sums(small) == before

    report = erase_me(small, settings, nurse, " nurse-01 ")
    assert report.pseudonym == "nurse-01"
    assert report.rows["account"] == 1 and report.rows["checkin"] == len(hospital.WEEKS)
    with small.connect() as connection:
        assert (
            connection.execute(
                select(db.staff.c.id).where(db.staff.c.pseudonym == "nurse-01")
            ).first()
            is None
        )
        with pytest.raises(NotSignedIn):
            viewer_for(connection, hospital.NURSE_LOGIN)
    after = table_sums(small)
    assert after["staff"].rows == before["staff"].rows - 1
    assert after["account"].rows == before["account"].rows - 1
    # a page left open afterwards can write nothing
    with pytest.raises(NotSignedIn):
        submit_checkin(small, settings, nurse, ANSWERS, today=TODAY)
    with pytest.raises(NotSignedIn):
        erase_me(small, settings, nurse, "nurse-01")
    assert table_sums(small) == after


# --- With a live model: the week is re-scored, for that person only ------------------------------


@pytest.fixture
def live(engine, settings):
    """A 40-staff × 10-week mock hospital with a live model, every week scored, and a staff login
    for one person who agreed to both channels: (viewer, the last week)."""
    write_mock(engine, settings, MockSpec(staff=40, weeks=10, seed=11), progress=False)
    model = train(
        weekly_features(engine), "full", bootstrap_rounds=3, folds=3, candidates=("logistic",)
    )
    version = save_model(model, engine, settings, live=True)
    with engine.connect() as connection:
        last = max(connection.execute(select(db.checkin.c.week_start).distinct()).scalars())
        last = pd.Timestamp(last).date()
        answered = select(db.checkin.c.staff_id).where(db.checkin.c.week_start == last)
        person = connection.execute(
            select(db.staff.c.pseudonym)
            .join(db.consent)
            .where(db.consent.c.granted, db.staff.c.id.in_(answered))
            .group_by(db.staff.c.pseudonym)
            .having(func.count() == 2)
            .order_by(db.staff.c.pseudonym)
            .limit(1)
        ).scalar_one()
    score_week(engine, settings, last, version)
    add_account(engine, "me@hospital.example", "staff", pseudonym=person)
    with engine.connect() as connection:
        return viewer_for(connection, "me@hospital.example"), last, version


def risk_rows(engine, week: date, version: int) -> pd.DataFrame:
    query = select(db.weekly_risk).where(
        db.weekly_risk.c.week_start == week, db.weekly_risk.c.model_version_id == version
    )
    with engine.connect() as connection:
        rows = pd.read_sql(query.order_by(db.weekly_risk.c.staff_id), connection)
    return rows.drop(columns=["id"]).set_index("staff_id")


def test_a_checkin_rescores_only_that_persons_week(engine, settings, live) -> None:
    me, week, version = live
    before = risk_rows(engine, week, version)
    answers = dict.fromkeys(PERSONAL.columns, "Always")  # 100: the burnout range
    result = submit_checkin(engine, settings, me, answers, today=week + timedelta(days=2))

    after = risk_rows(engine, week, version)
    assert list(after.index) == list(before.index), "no one added, no one removed"
    others = after.index != me.staff_id
    pd.testing.assert_frame_equal(after[others], before[others])
    mine = after.loc[me.staff_id]
    assert mine["checkin_score"] == 100 and mine["measured_band"] == "severe"
    assert mine["level"] == "high", "an answer in the burnout range is never below its band"

    assert (result.score, result.band, result.model_version_id) == (100, "severe", version)
    assert result.probability == pytest.approx(mine["probability"])
    assert result.level == "high" and "early warning is updated" in result.message
    assert "within 4 weeks" in result.message
    drivers = tuple(d["driver"] for d in mine["drivers"])
    assert result.drivers == drivers
    assert result.what_may_help and len(result.what_may_help) >= 4  # + colleagues' resources

    # the same numbers a full scoring run gives: re-scoring everyone changes nothing
    assert score_week(engine, settings, week, version).written == 0
