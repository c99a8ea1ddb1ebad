"""Words of help, written for whoever reads them.

- `signposting`: where a person can get help now (occupational health, the employee assistance
  programme, a crisis line), from the deployment's settings; shown first on their page when
  their own check-in is in the high or severe range.
- `for_person`: "what may help", in the second person, on a person's own page.
- `for_occupational_health`: the actions an alert suggests to occupational health.
- `driver_phrase`: a risk driver as it reads when it raises the early warning; a protective
  signal (calm and content expressions) raises it by its absence, and is worded so.

A manager's action (rotas across a unit, a team debrief) is never written for a person's page.
What colleagues found helpful comes from the NYC healthcare-worker survey (Shechter et al. 2020).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from burnout_lib.config import Settings
from burnout_lib.sources import survey

#: The CBI score from which a check-in is in the high (75–99) or severe (100) burnout range: the
#: person is shown where to get help at once, and occupational health is alerted at once.
URGENT_SCORE = 75

#: Drivers that protect: they raise the early warning when they are low.
PROTECTIVE_DRIVERS = {"calm and content expressions": "fewer calm or content expressions"}

TALK_IT_OVER = (
    "Talk it over in confidence with occupational health: they are there for you, not for your "
    "manager"
)
#: What may help, by main driver, for the person themselves.
FOR_PERSON: dict[str, str] = {
    "fatigue-related expressions": (
        "Rest between shifts matters: take the breaks you are due, and if your rota leaves too "
        "little time to recover, ask occupational health to help you raise it"
    ),
    "calm and content expressions": "Make time this week for something restorative outside work",
    "recent check-in scores": TALK_IT_OVER,
    "this week's check-in": TALK_IT_OVER,
    "missed check-ins": "Keep in touch with a colleague you trust: a short, honest chat helps",
}

#: What occupational health may do, by the person's main driver.
FOR_OCCUPATIONAL_HEALTH: dict[str, str] = {
    "fatigue-related expressions": "review the rota and rest between shifts; protect breaks",
    "calm and content expressions": "make time for something restorative outside work",
    "recent check-in scores": "offer a confidential conversation with occupational health",
    "missed check-ins": "a gentle, voluntary check-in from a trusted colleague",
}

#: What occupational health may do when a person's own check-in is in the high or severe range.
URGENT_ACTION = (
    "contact them in confidence within one working day: ask how they are, offer support and "
    "the employee assistance programme, and check their safety"
)


def driver_phrase(driver: str, own: bool = False) -> str:
    """How a driver reads when it raises the early warning (`own`: on the person's own page)."""
    fewer = PROTECTIVE_DRIVERS.get(driver)
    if fewer is None:
        return driver
    return f"{fewer} than {'your ' if own else ''}usual"


def driver_phrases(drivers: list[dict] | None, own: bool = False) -> str:
    """A week's drivers (`weekly_risk.drivers`) in plain words, or a dash when there are none."""
    return ", ".join(driver_phrase(d["driver"], own) for d in drivers or []) or "—"


@dataclass(frozen=True)
class HelpContact:
    """One place to get help: what it is, and how to reach it (or that it is not set up)."""

    name: str
    how: str
    #: False when the deployment has not set it: `how` then says which setting to set
    configured: bool
    #: when to use it, in a few words
    when: str


#: The places to get help: name, when to use it, its setting, and what the page says unset.
HELP_CONTACTS = (
    ("Occupational health", "to talk in confidence, this week", "oh_contact",
     "BURNOUT_OH_CONTACT", "ask your hospital's occupational health service"),
    ("Employee assistance programme", "free, confidential support", "eap_contact",
     "BURNOUT_EAP_CONTACT", "ask human resources for your employee assistance programme"),
    ("If you are thinking of harming yourself", "now", "crisis_line", "BURNOUT_CRISIS_LINE",
     "call your local emergency number (999 in the UK, 112 in the EU, 911 in the US) or go to "
     "the nearest emergency department"),
)  # fmt: skip


def signposting(settings: Settings) -> list[HelpContact]:
    """Where to get help now, from this deployment's settings; a contact not set says what to
    do instead, and which setting the team running Burnout Monitor should set."""
    found = []
    for name, when, field_name, setting, unset in HELP_CONTACTS:
        value = getattr(settings, field_name)
        how = (
            value
            or f"{unset} (not set up here yet: the team running Burnout Monitor sets {setting})"
        )
        found.append(HelpContact(name, how, bool(value), when))
    return found


def _from_drivers(actions_by_driver: dict[str, str], drivers: list[dict] | None) -> list[str]:
    """The actions for a person's main drivers, each once, main driver first."""
    found = (actions_by_driver.get(d.get("driver", "")) for d in drivers or [])
    return list(dict.fromkeys(action for action in found if action))


def for_person(drivers: list[dict] | None = None) -> list[str]:
    """What may help, for the person themselves: from their main drivers, then what colleagues
    found helpful."""
    colleagues = [
        f"Colleagues found this helpful: {item}" for item in what_colleagues_found_helpful()
    ]
    return [*_from_drivers(FOR_PERSON, drivers), *colleagues]


def for_occupational_health(drivers: list[dict] | None = None) -> list[str]:
    """What occupational health may do for a person: from their main drivers, then what
    colleagues found helpful."""
    return [*_from_drivers(FOR_OCCUPATIONAL_HEALTH, drivers), *what_colleagues_found_helpful()]


@functools.cache
def what_colleagues_found_helpful() -> tuple[str, ...]:
    """The published resources and coping behaviour, read once per process (every alert
    quotes them)."""
    resources = survey.helpful_resources()
    resources = resources[resources["resource"] != "none"].nlargest(3, "percent")
    coping = survey.coping().nlargest(1, "percent")
    found = [
        f"{row.resource} ({row.percent}% of NYC healthcare workers would find it helpful)"
        for row in resources.itertuples()
    ]
    found += [f"{row.behaviour} ({row.percent}% used it to cope)" for row in coping.itertuples()]
    return tuple(found)
