"""The channel registry (`burnout_lib/channels.py`): one entry per channel, read by every room.

Checked here: the registry's entries and names (earlier names still work, with a note), its
settings, `burnout channels` and the README and docs that print it, the migration that renamed
the facial channel's consent, and a throwaway channel added in a test that consent, scoring,
erasure and `burnout channels` pick up with no other edits.
"""

from __future__ import annotations

import dataclasses
import warnings
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import select, text

from burnout_lib import channels
from burnout_lib.channels import Channel
from burnout_lib.config import load_settings
from burnout_lib.errors import ConsentError, InvalidInput
from burnout_lib.mock.hospital import MockSpec, write_mock
from burnout_lib.privacy.consent import (
    consenting,
    decision,
    erase_person,
    has_consent,
    require_consent,
    set_consent,
    staff_id_for,
)
from burnout_lib.store import db

from helpers.paths import ROOT


def test_the_registry_names_each_channel_once_with_what_a_privacy_officer_asks() -> None:
    assert channels.names() == ("checkin", "face")
    face = channels.get("face")
    assert face.biometric and face.setting == "BURNOUT_FACE_CHANNEL" and face.passive
    assert not channels.get("checkin").biometric and not channels.get("checkin").passive
    assert "never stored" in face.stored and "Hume AI" in face.processed_by
    assert [c.name for c in channels.passive()] == ["face"]
    assert [c.name for c in channels.enabled({"face"})] == ["checkin"]
    with pytest.raises(InvalidInput, match="unknown consent channel 'video'"):
        channels.get("video")
    with pytest.raises(InvalidInput, match="exists"):
        channels.register(dataclasses.replace(face, name="face-again"))  # its aliases are taken


def test_earlier_names_still_work_with_a_note() -> None:
    with pytest.warns(DeprecationWarning, match="'recording' channel is now called 'face'"):
        assert channels.canonical("recording") == "face"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert channels.canonical("face") == "face"  # no note for the name itself
    assert channels.alias_note("checkin") is None
    assert "recording" in channels.accepted_names()


@pytest.mark.parametrize(
    ("env", "off", "note"),
    [
        ({}, frozenset(), False),
        ({"BURNOUT_FACE_CHANNEL": "off"}, frozenset({"face"}), False),
        ({"BURNOUT_FACIAL_CHANNEL": "off"}, frozenset({"face"}), True),  # the earlier setting
        ({"BURNOUT_FACIAL_CHANNEL": "off", "BURNOUT_FACE_CHANNEL": "on"}, frozenset(), False),
    ],
)
def test_a_deployment_switches_a_channel_off(monkeypatch, caplog, tmp_path, env, off, note):
    for name in ("BURNOUT_FACE_CHANNEL", "BURNOUT_FACIAL_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(data_dir=tmp_path)
    assert settings.channels_off == off
    assert settings.channel_on("face") is not bool(off) and settings.channel_on("checkin")
    said = caplog.text  # logged: in a dashboard kernel, printed text would land in the page
    assert ("BURNOUT_FACIAL_CHANNEL is now BURNOUT_FACE_CHANNEL" in said) is note


def between_markers(path) -> str:
    page = path.read_text()
    start = page.index("<!-- channels:")
    body = page[page.index("\n", start) + 1 : page.index("<!-- channels end -->")]
    return body.strip()


def test_burnout_channels_and_the_docs_print_the_same_registry(cli) -> None:
    printed = cli("channels").stdout.strip()
    assert printed == channels.markdown_table()
    header = printed.splitlines()[0]
    for column in ("channel", "enabled", "consent needed", "what is stored", "retention",
                   "who sees it", "biometric"):  # fmt: skip
        assert f"| {column} |" in header or header.startswith(f"| {column} ")
    assert "| face: Weekly clip (facial expressions) |" in printed
    assert "EU AI Act Art. 5(1)(f)" in printed
    for page in (ROOT / "README.md", ROOT / "docs" / "security.md"):
        assert between_markers(page) == channels.markdown_table(), page


def test_a_switched_off_channel_says_so_in_burnout_channels(cli, monkeypatch) -> None:
    monkeypatch.setenv("BURNOUT_FACE_CHANNEL", "off")
    assert "| off (BURNOUT_FACE_CHANNEL=off) |" in cli("channels").stdout


def test_the_migration_renames_the_facial_channels_consent(engine) -> None:
    write_mock(engine, load_settings(), MockSpec(staff=6, weeks=1, seed=2), progress=False)
    with engine.begin() as connection:  # as a database from before the rename holds it
        connection.execute(text("UPDATE consent SET channel = 'recording' WHERE channel = 'face'"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    db.init_db(engine)
    with engine.connect() as connection:
        names = set(connection.execute(select(db.consent.c.channel)).scalars())
    assert names == {"checkin", "face"}


def test_one_gate_refuses_without_a_grant_in_the_callers_words(engine, settings) -> None:
    write_mock(engine, settings, MockSpec(staff=4, weeks=1, seed=3), progress=False)
    with engine.connect() as connection:
        person = connection.execute(select(db.staff.c.pseudonym).limit(1)).scalar_one()
        staff_id = staff_id_for(connection, person)
    set_consent(engine, person, "face", False, at=datetime(2026, 11, 2, tzinfo=UTC))
    with engine.connect() as connection:
        found = decision(connection, staff_id, "face")
        assert not found.granted and found.decided_at is not None
        with pytest.raises(ConsentError, match="^nothing was sent$"):
            require_consent(connection, staff_id, "face", "nothing was sent")
        with pytest.raises(ConsentError, match="withdrawn 2026-11-02"):
            require_consent(connection, staff_id, "face",
                            lambda d: f"withdrawn {d.decided_at:%Y-%m-%d}")  # fmt: skip
        assert staff_id not in set(connection.execute(consenting("face")).scalars())
    set_consent(engine, person, "face", True)
    with engine.connect() as connection:
        assert require_consent(connection, staff_id, "face", "never said").granted
        assert staff_id in set(connection.execute(consenting("face")).scalars())


@pytest.fixture
def throwaway():
    """A channel added for one test, as a new channel's one registry entry adds it."""
    added = channels.register(
        Channel(
            name="pulse",
            label="Wearable pulse",
            consent_covers="a wearable's resting pulse",
            stored="Your resting pulse, one number a week.",
            retention=channels.UNTIL_ERASED,
            who_sees=channels.PERSON_AND_OH,
            processed_by="Nothing leaves the hospital's server.",
            if_revoked="No pulse is taken in from then on.",
            biometric=True,
            setting="BURNOUT_PULSE_CHANNEL",
        )
    )
    yield added
    channels.unregister(added.name)


def test_a_new_channel_is_picked_up_by_consent_erasure_and_burnout_channels(
    throwaway, engine, settings, cli, monkeypatch
) -> None:
    write_mock(engine, settings, MockSpec(staff=4, weeks=1, seed=4), progress=False)
    with engine.connect() as connection:
        person = connection.execute(select(db.staff.c.pseudonym).limit(1)).scalar_one()
        staff_id = staff_id_for(connection, person)
        assert not has_consent(connection, staff_id, "pulse")  # never asked: no
    set_consent(engine, person, "pulse", True)
    with engine.connect() as connection:
        assert has_consent(connection, staff_id, "pulse")
    # its setting switches it off
    monkeypatch.setenv("BURNOUT_PULSE_CHANNEL", "off")
    assert load_settings().channels_off == frozenset({"pulse"})
    assert [c.name for c in channels.passive(load_settings().channels_off)] == ["face"]
    # erasure follows the foreign keys: the new channel's consent goes with the person
    erase_person(engine, settings, person)
    with engine.connect() as connection:
        left = pd.read_sql(select(db.consent).where(db.consent.c.channel == "pulse"), connection)
    assert left.empty
    table = channels.markdown_table({"pulse"})
    assert "| pulse: Wearable pulse | off (BURNOUT_PULSE_CHANNEL=off) |" in table
    assert table.count("EU AI Act") == 2


#: Where a channel's name may be spelled out: the registry, and each room's per-channel part
#: (keyed by the name); everything else reads the registry. Table names that happen to be
#: words of the same spelling (`recording`, `checkin`) and Hume's model name `face` are listed
#: as such.
ALLOWED = {
    "channels.py": "the registry",
    "risk/features.py": "features: each channel's feature columns and the named feature sets",
    "risk/scoring.py": "scoring: each channel's blanking, has-data and week's-data rules",
    "risk/evaluation.py": "evaluation: the check-in-only and facial comparisons it names",
    "risk/feature_choice.py": "evaluation: the facial channel's words in a model card",
    "plots/model_plots.py": "plots: each channel's colour",
    "readouts/views.py": "team counts: the check-in channel's answered and consenting counts",
    "app/self_service.py": "the check-in panel's service (its consent gate)",
    "app/staff_panels.py": "the check-in panel",
    "app/self_service_frames.py": "the clip panel's service (the face channel's consent gate)",
    "app/dashboard.py": "the clip panel: shown with the face channel's consent and setting",
    "sources/checkins.py": "the check-in channel's source (its consent gate)",
    "sources/hume/extract.py": "the face channel's source (its consent gate)",
    "sources/hume/predictions.py": "Hume's model name 'face', not the channel",
    "testing/hume_server.py": "Hume's model name 'face', not the channel",
    "store/db.py": "the tables `recording` and `checkin`",
    "store/integrity.py": "the table `recording`",
    "demo.py": "the tables' row counts",
    "cli.py": "the `checkin` command group",
}


def test_no_channel_name_is_spelled_outside_the_registry_and_each_rooms_part() -> None:
    import ast

    spelled = set(channels.accepted_names())
    library = ROOT / "burnout_lib"
    found = {}
    for path in sorted(library.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in spelled:
                found.setdefault(path.relative_to(library).as_posix(), node.lineno)
    stray = {place: line for place, line in found.items() if place not in ALLOWED}
    assert not stray, f"a channel's name spelled outside its places (file: first line): {stray}"
    assert set(ALLOWED) <= set(found), "a place listed that no longer needs to be"


def test_a_new_channels_features_are_built_and_blanked_without_its_consent(
    throwaway, engine, settings, monkeypatch
) -> None:
    """Each room's per-channel part, keyed by the new name, is all a channel needs: the weekly
    features gain its columns, and scoring blanks them for whoever did not agree to it."""
    from burnout_lib.risk import features, scoring

    write_mock(engine, settings, MockSpec(staff=6, weeks=3, seed=6), progress=False)
    with engine.connect() as connection:
        staff = pd.read_sql(select(db.staff.c.id, db.staff.c.pseudonym), connection)
    weeks = sorted(features.weekly_features(engine)["week_start"].unique())
    pulse = pd.DataFrame(
        [{"staff_id": i, "week_start": w, "pulse": 60.0 + i} for i in staff["id"] for w in weeks]
    )

    def weekly(_engine, first, last, staff_ids):
        return pulse.copy()

    def history(rows, by):
        rows["pulse_change"] = rows["pulse"] - rows["pulse"].groupby(by).shift(1)

    part = features.ChannelPart(weekly=weekly, derive=history, data=("pulse",))
    monkeypatch.setitem(features.CHANNEL_PARTS, "pulse", part)
    monkeypatch.setitem(features.CHANNEL_FEATURES, "pulse", ("pulse", "pulse_change"))
    monkeypatch.setitem(scoring.CONSENTED_COLUMNS, "pulse", ("pulse", "pulse_change"))

    built = features.weekly_features(engine)
    assert {"pulse", "pulse_change"} <= set(built.columns)
    assert built["pulse"].notna().all()
    with engine.connect() as connection:  # two people who share their check-ins
        answering = set(connection.execute(consenting("checkin")).scalars())
    shown = built[built["staff_id"].isin(answering) & built["score"].notna()]
    agreed, refused = sorted(shown["pseudonym"].unique())[:2]
    set_consent(engine, agreed, "pulse", True)
    set_consent(engine, refused, "pulse", False)
    scored = scoring.consented_features(engine, built)
    assert scored.loc[scored["pseudonym"] == agreed, "pulse"].notna().all()
    assert not scored.loc[scored["pseudonym"] == refused].empty  # still scored on check-ins
    assert scored.loc[scored["pseudonym"] == refused, "pulse"].isna().all()
    assert list(scored.columns) == list(built.columns)  # no consent flag left behind
