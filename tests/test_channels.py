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
def test_a_deployment_switches_a_channel_off(monkeypatch, capsys, tmp_path, env, off, note):
    for name in ("BURNOUT_FACE_CHANNEL", "BURNOUT_FACIAL_CHANNEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(data_dir=tmp_path)
    assert settings.channels_off == off
    assert settings.channel_on("face") is not bool(off) and settings.channel_on("checkin")
    said = capsys.readouterr().err
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
