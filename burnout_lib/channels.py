"""The channels a person may share, one entry each: the product's one place that names them.

A channel is what a person may share with Burnout Monitor: the weekly check-in, a weekly clip's
facial expressions, and, to come, a voice note and the check-in's comment. Each entry says what
consent covers, what is stored and for how long, who sees it, whether it infers from biometric
data (face and voice: the EU AI Act's Art. 5(1)(f) rule on emotion recognition at work, so they
are governed strictly), which setting switches it off, and which risk drivers it brings.

Every room keeps its own per-channel part keyed by the channel's name (features: the weekly
feature columns and driver groups; scoring: which rows have data; consent: the gate; the app: its
panel), and reads the registry for the rest, so adding a channel is one entry here and those
parts (docs/architecture.md lists them). The registry is the same idea as papermill's engines: a
name looked up by every caller, `register` for a new one.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from burnout_lib.errors import InvalidInput

#: How long what a channel stores is kept, for every channel so far.
UNTIL_ERASED = (
    "Until the person erases it (on their page, or `burnout erase`); withdrawing consent stops "
    "new data and its use at once"
)
#: Who sees a channel's data, for every channel so far (the roles' rules in privacy.access).
PERSON_AND_OH = (
    "The person, on their own page; occupational health, only opening it from an alert about "
    "them (logged); the model, and analysts under pseudonyms; managers only team figures of 5 "
    "or more people"
)


@dataclass(frozen=True)
class Channel:
    """One channel a person may share, as a privacy officer, a consent page and the code read it."""

    #: the one name, everywhere: consent rows, settings, feature sets, the CLI and pages
    name: str
    #: what the channel is called on pages ("Weekly check-in")
    label: str
    #: what agreeing to it covers
    consent_covers: str
    #: what is stored, in the person's words ("Your answers …")
    stored: str
    #: how long it is kept
    retention: str
    #: who sees it
    who_sees: str
    #: who processes it, beyond the hospital's server
    processed_by: str
    #: what withdrawing consent does
    if_revoked: str
    #: True when it infers from biometric data (a face, a voice): EU AI Act Art. 5(1)(f)
    biometric: bool
    #: the environment setting that switches it off for a deployment (`off`), or None
    setting: str | None = None
    #: True when the model may do without it: `burnout evaluate` leaves it out in turn
    passive: bool = True
    #: the risk-driver groups its features make up (risk.features.DRIVER_GROUPS' names)
    drivers: tuple[str, ...] = ()
    #: earlier names that still work, each with a one-line deprecation note
    aliases: tuple[str, ...] = ()
    #: earlier settings that still switch it off, with a deprecation note
    old_settings: tuple[str, ...] = field(default=())


CHECKIN = Channel(
    name="checkin",
    label="Weekly check-in",
    consent_covers="answering the weekly check-in, and its use for the person's early warning",
    stored=(
        "Your answers to the weekly check-in questions (the Copenhagen Burnout Inventory), "
        "their 0–100 score and when you answered, one record per week."
    ),
    retention=UNTIL_ERASED,
    who_sees=PERSON_AND_OH,
    processed_by="Nothing leaves the hospital's server.",
    if_revoked=(
        "No new check-ins are accepted from then on, and your earlier answers are no longer "
        "used for your early warning. What is stored stays until you erase it."
    ),
    biometric=False,
    passive=False,
    drivers=("this week's check-in", "recent check-in scores", "missed check-ins"),
)
FACE = Channel(
    name="face",
    label="Weekly clip (facial expressions)",
    consent_covers=(
        "a weekly clip's still frames sent to Hume AI for facial-expression scores, and their "
        "use for the person's early warning"
    ),
    stored=(
        "Scores only: for each frame of your weekly clip, how strongly 48 facial expressions "
        "appear, and a weekly summary of them. The video itself is never stored."
    ),
    retention=UNTIL_ERASED,
    who_sees=PERSON_AND_OH,
    processed_by=(
        "Hume AI measures the expressions: the frames of your clip (still images, without "
        "your name or pseudonym) are sent to Hume AI's Expression Measurement service, "
        "which returns the scores. Expression scores describe facial movement as a model "
        "perceives it, not what you feel."
    ),
    if_revoked=(
        "No frames of yours are sent to Hume AI or stored from then on, and your expression "
        "scores are no longer used for your early warning. What is stored stays until you "
        "erase it."
    ),
    biometric=True,
    setting="BURNOUT_FACE_CHANNEL",
    drivers=("fatigue-related expressions", "calm and content expressions", "other expressions"),
    aliases=("recording", "facial"),
    old_settings=("BURNOUT_FACIAL_CHANNEL",),
)

_REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    """Add a channel to the registry (a new channel's one entry); its name must be new."""
    taken = set(_REGISTRY) | {alias for c in _REGISTRY.values() for alias in c.aliases}
    if channel.name in taken or set(channel.aliases) & taken:
        raise InvalidInput(f"a channel named {channel.name!r} (or one of its aliases) exists")
    _REGISTRY[channel.name] = channel
    return channel


def unregister(name: str) -> None:
    """Take a channel out of the registry (tests that add a throwaway one)."""
    _REGISTRY.pop(name, None)


register(CHECKIN)
register(FACE)


def all_channels() -> tuple[Channel, ...]:
    """Every registered channel, in registration order."""
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get(name: str) -> Channel:
    """The channel called `name`, or by one of its earlier names (with a deprecation note);
    an unknown name is one clear refusal."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    for channel in _REGISTRY.values():
        if name in channel.aliases:
            warnings.warn(alias_note(name), DeprecationWarning, stacklevel=2)
            return channel
    raise InvalidInput(f"unknown consent channel {name!r} (use one of: {', '.join(_REGISTRY)})")


def alias_note(name: str) -> str | None:
    """The one-line deprecation note for an earlier name of a channel, or None."""
    for channel in _REGISTRY.values():
        if name in channel.aliases:
            return (
                f"note: the {name!r} channel is now called {channel.name!r} ({name!r} still works)"
            )
    return None


def accepted_names() -> tuple[str, ...]:
    """Every name a command accepts for a channel: each one's name, then earlier names."""
    return (*_REGISTRY, *(alias for c in _REGISTRY.values() for alias in c.aliases))


def canonical(name: str) -> str:
    """The channel's one name, for `name` or one of its earlier names."""
    return get(name).name


def enabled(switched_off: Iterable[str] = ()) -> tuple[Channel, ...]:
    """The channels this deployment uses: all but those its settings switch off
    (`Settings.channels_off`)."""
    off = set(switched_off)
    return tuple(c for c in _REGISTRY.values() if c.name not in off)


def passive(switched_off: Iterable[str] = ()) -> tuple[Channel, ...]:
    """The enabled channels the model may do without, each left out in turn by `burnout
    evaluate`."""
    return tuple(c for c in enabled(switched_off) if c.passive)


#: The columns of `burnout channels`, as a privacy officer reads them.
TABLE_COLUMNS = (
    "channel",
    "enabled",
    "consent needed",
    "what is stored",
    "retention",
    "who sees it",
    "biometric",
)


def describe(switched_off: Iterable[str] = ()) -> list[dict[str, str]]:
    """One row per channel for a privacy officer (`burnout channels`, the README, docs)."""
    off = set(switched_off)
    rows = []
    for channel in _REGISTRY.values():
        if channel.name in off:
            state = f"off ({channel.setting}=off)"
        elif channel.setting:
            state = f"on ({channel.setting}=off switches it off)"
        else:
            state = "on (always)"
        rows.append(
            {
                "channel": f"{channel.name}: {channel.label}",
                "enabled": state,
                "consent needed": f"yes, its own, revocable: {channel.consent_covers}",
                "what is stored": channel.stored,
                "retention": channel.retention,
                "who sees it": channel.who_sees,
                "biometric": "yes: EU AI Act Art. 5(1)(f), governed strictly"
                if channel.biometric
                else "no",
            }
        )
    return rows


def markdown_table(switched_off: Iterable[str] = ()) -> str:
    """The registry as a Markdown table (what `burnout channels` prints)."""
    rows = describe(switched_off)
    lines = [
        "| " + " | ".join(TABLE_COLUMNS) + " |",
        "| " + " | ".join("---" for _ in TABLE_COLUMNS) + " |",
    ]
    for row in rows:
        cells = (row[column].replace("|", "\\|") for column in TABLE_COLUMNS)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
