"""Words of help for each reader (`risk/advice.py`): where to get help now, from the deployment's
settings; what may help, in the second person for the person; protective signals as absences."""

from dataclasses import replace

from burnout_lib.config import load_settings
from burnout_lib.risk.advice import (
    FOR_OCCUPATIONAL_HEALTH,
    driver_phrase,
    driver_phrases,
    for_occupational_health,
    for_person,
    signposting,
)

DRIVERS = [
    {"driver": "fatigue-related expressions", "effect": 0.2},
    {"driver": "calm and content expressions", "effect": 0.1},
    {"driver": "recent check-in scores", "effect": 0.05},
]


def test_where_to_get_help_comes_from_the_settings_and_says_when_one_is_not_set(
    monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("BURNOUT_OH_CONTACT", "  Occupational health, ext. 4242  ")
    monkeypatch.setenv("BURNOUT_EAP_CONTACT", "")
    monkeypatch.delenv("BURNOUT_CRISIS_LINE", raising=False)
    settings = load_settings(data_dir=tmp_path)
    oh, eap, crisis = signposting(settings)
    assert (oh.name, oh.how, oh.configured) == (
        "Occupational health",
        "Occupational health, ext. 4242",
        True,
    )
    assert not eap.configured and "BURNOUT_EAP_CONTACT" in eap.how
    assert crisis.name == "If you are thinking of harming yourself" and not crisis.configured
    assert "emergency" in crisis.how and "BURNOUT_CRISIS_LINE" in crisis.how  # still usable
    line = replace(settings, crisis_line="Samaritans 116 123")
    assert signposting(line)[2].how == "Samaritans 116 123" and signposting(line)[2].configured


def test_what_may_help_a_person_is_theirs_and_never_occupational_healths_actions() -> None:
    mine = for_person(DRIVERS)
    theirs = for_occupational_health(DRIVERS)
    assert mine[0].startswith("Rest between shifts matters")  # the main driver first
    assert not set(mine) & set(FOR_OCCUPATIONAL_HEALTH.values())
    assert not any("offer a confidential conversation" in item for item in mine)
    assert theirs[:3] == [
        "review the rota and rest between shifts; protect breaks",
        "make time for something restorative outside work",
        "offer a confidential conversation with occupational health",
    ]
    colleagues = [item for item in mine if item.startswith("Colleagues found this helpful: ")]
    assert len(colleagues) == 4 and colleagues[0].endswith("would find it helpful)")


def test_a_protective_signal_is_worded_as_its_absence() -> None:
    assert driver_phrase("calm and content expressions") == (
        "fewer calm or content expressions than usual"
    )
    assert driver_phrase("calm and content expressions", own=True) == (
        "fewer calm or content expressions than your usual"
    )
    assert driver_phrase("fatigue-related expressions") == "fatigue-related expressions"
    assert driver_phrases(DRIVERS) == (
        "fatigue-related expressions, fewer calm or content expressions than usual, "
        "recent check-in scores"
    )
    assert driver_phrases([]) == "—"
