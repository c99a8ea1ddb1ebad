"""Settings from the environment (and a `.env` file), with the product's privacy defaults.

Every `burnout` command and notebook reads its settings here, so two deployments
(two databases, two data directories) can live side by side by changing only `BURNOUT_DB_URL`
and `BURNOUT_DATA_DIR`.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import find_dotenv, load_dotenv
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from burnout_lib import channels
from burnout_lib.errors import ConfigError, InvalidInput

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("data")
#: How the project's own pyproject.toml names it (see `default_data_dir`).
PROJECT_NAME_LINE = 'name = "burnout-monitor"'
SUPPORTED_BACKENDS = ("sqlite", "postgresql", "cockroachdb")
PRIVACY_FLOOR_MINIMUM = 3
#: The header the front proxy puts the signed-in login in, unless BURNOUT_USER_HEADER says another.
DEFAULT_USER_HEADER = "X-Forwarded-User"
#: The header that carries BURNOUT_PROXY_SECRET from the proxy, proving a request came through it.
PROXY_SECRET_HEADER = "X-Burnout-Proxy-Secret"
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a yes/no value (use on/off, true/false or 1/0)")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None


def _env_fraction(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        fraction = float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a number") from None
    if not 0 < fraction < 1:
        raise ConfigError(f"{name}={value!r} must be between 0 and 1")
    return fraction


def check_header_name(name: str) -> str:
    """An HTTP header name for the signed-in login, checked (letters, digits and dashes)."""
    if not _HEADER_NAME.match(name):
        raise ConfigError(
            f"user header {name!r} is not an HTTP header name (e.g. X-Forwarded-User)"
        )
    return name


def parse_db_url(url: str) -> URL:
    """Parse and check a database URL; only SQLite, PostgreSQL and CockroachDB are supported."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"database URL {url!r} is not a valid URL "
            "(expected sqlite:///path.db, postgresql://user@host/db or cockroachdb://user@host/db)"
        ) from None
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"database URL scheme {parsed.drivername!r} is not supported "
            f"(use one of: {', '.join(SUPPORTED_BACKENDS)})"
        )
    return parsed


def absolute_db_url(url: str) -> str:
    """The URL with a relative SQLite path made absolute (other URLs are returned unchanged)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return url
    if parsed.database == ":memory:" or Path(parsed.database).is_absolute():
        return url
    return parsed.set(database=str(Path(parsed.database).resolve())).render_as_string(
        hide_password=False
    )


def display_url(url: str | URL) -> str:
    """The URL as it may appear in messages and logs: the password masked."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


@dataclass(frozen=True)
class Settings:
    """Resolved settings for one run. Build with `load_settings`."""

    db_url: str
    data_dir: Path
    hume_api_key: str | None = field(default=None, repr=False)
    hume_base_url: str | None = None
    #: Channels this deployment switches off (`BURNOUT_<CHANNEL>_CHANNEL=off`, e.g.
    #: `BURNOUT_FACE_CHANNEL`): nothing of theirs is taken in, stored or used.
    channels_off: frozenset[str] = frozenset()
    min_group_size: int = 5
    #: Precision the model must reach for a week to count as *high* risk (moderate starts at the
    #: recall-first threshold chosen in training).
    high_risk_precision: float = 0.8
    #: How many weeks ahead the early warning looks (a check-in at or above 50 within them).
    warning_horizon_weeks: int = 4
    #: The request header holding the login the hospital's sign-in vouched for.
    user_header: str = DEFAULT_USER_HEADER
    #: When set, every request to the dashboard must carry it in `PROXY_SECRET_HEADER`.
    proxy_secret: str | None = field(default=None, repr=False)
    #: A login chooser for the demo instead of the hospital's sign-in (`make demo` only).
    demo_signin: bool = False
    #: The weekly check-in adds the CBI's seven work-related items to its six personal ones.
    checkin_work_items: bool = False
    #: Largest upload (one clip, or a few photos) a person's page accepts, in bytes; it travels
    #: in one websocket message, which the dashboard's server caps at 10 MiB.
    upload_max_bytes: int = 8_000_000
    #: Longest uploaded clip, in seconds (its frames are taken at 1 a second).
    clip_max_seconds: int = 60
    #: Seconds a dashboard kernel lives on after its page is closed (no page connected to it):
    #: each holds a Python process of a few hundred megabytes. An open page is never culled.
    kernel_idle_seconds: int = 45
    #: Where a person can get help now, shown first on their page when a check-in is in the
    #: high or severe range (`risk.advice.signposting`): this deployment's occupational health
    #: contact, employee assistance programme, and crisis line. Unset, the page says so.
    oh_contact: str | None = None
    eap_contact: str | None = None
    crisis_line: str | None = None

    def channel_on(self, name: str) -> bool:
        """True unless this deployment switched the channel off."""
        return channels.canonical(name) not in self.channels_off

    @property
    def user_header_env(self) -> str:
        """The variable Voilà puts the user header in for the kernel (RFC 3875 style)."""
        return "HTTP_" + self.user_header.upper().replace("-", "_")

    @property
    def frames_dir(self) -> Path:
        """Frame-level expression tables (Parquet), one folder per person."""
        return self.data_dir / "people"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def named_reports_dir(self) -> Path:
        """The edition for occupational health, which names people: apart from the reports
        managers may be given, so sharing one folder never shares the other."""
        return self.data_dir / "named-reports"

    @property
    def mock_truth_path(self) -> Path:
        """The mock generator's latent truth, kept apart from what models train on."""
        return self.data_dir / "mock_truth.parquet"

    def person_dir(self, pseudonym: str) -> Path:
        """Every file that belongs to one person lives under this folder (erasure removes it)."""
        if pseudonym in ("", ".", "..") or any(c in pseudonym for c in "/\\\0"):
            raise InvalidInput(f"{pseudonym!r} is not a pseudonym (it must name one folder)")
        return self.frames_dir / pseudonym


def default_data_dir(here: Path | None = None) -> Path:
    """`data/` of the Burnout Monitor project this runs in: the nearest folder, from the working
    folder upwards, whose pyproject.toml is the project's, so a notebook run from `notebooks/`
    uses the same database as `burnout` run from the top. Elsewhere (an installed deployment),
    `data/` in the working folder."""
    here = Path.cwd() if here is None else here
    for folder in (here, *here.parents):
        project = folder / "pyproject.toml"
        if project.is_file() and PROJECT_NAME_LINE in project.read_text(errors="replace"):
            return Path(os.path.relpath(folder / DEFAULT_DATA_DIR, here))
    return DEFAULT_DATA_DIR


def load_settings(db: str | None = None, data_dir: str | Path | None = None) -> Settings:
    """Resolve settings: explicit arguments first, then environment, then `.env`, then defaults
    (the project's data folder, see `default_data_dir`)."""
    load_dotenv(find_dotenv(usecwd=True), override=False)
    resolved_dir = Path(data_dir or os.environ.get("BURNOUT_DATA_DIR") or default_data_dir())
    url = db or os.environ.get("BURNOUT_DB_URL") or f"sqlite:///{resolved_dir / 'burnout.db'}"
    parse_db_url(url)
    min_group = _env_int("BURNOUT_MIN_GROUP_SIZE", 5)
    if min_group < PRIVACY_FLOOR_MINIMUM:
        raise ConfigError(
            f"BURNOUT_MIN_GROUP_SIZE={min_group} is below the privacy floor of "
            f"{PRIVACY_FLOOR_MINIMUM} people"
        )
    horizon = _env_int("BURNOUT_WARNING_HORIZON_WEEKS", 4)
    if not 1 <= horizon <= 26:
        raise ConfigError(f"BURNOUT_WARNING_HORIZON_WEEKS={horizon} is outside 1 to 26 weeks")
    user_header = check_header_name(os.environ.get("BURNOUT_USER_HEADER") or DEFAULT_USER_HEADER)
    return Settings(
        db_url=url,
        data_dir=resolved_dir,
        hume_api_key=os.environ.get("HUME_API_KEY") or None,
        hume_base_url=os.environ.get("HUME_BASE_URL") or None,
        channels_off=_channels_off(),
        min_group_size=min_group,
        high_risk_precision=_env_fraction("BURNOUT_HIGH_PRECISION", 0.8),
        warning_horizon_weeks=horizon,
        user_header=user_header,
        proxy_secret=os.environ.get("BURNOUT_PROXY_SECRET") or None,
        demo_signin=_env_flag("BURNOUT_DEMO_SIGNIN", False),
        checkin_work_items=_env_flag("BURNOUT_CHECKIN_WORK_ITEMS", False),
        upload_max_bytes=_upload_max_bytes(),
        clip_max_seconds=_clip_max_seconds(),
        kernel_idle_seconds=_kernel_idle_seconds(),
        oh_contact=_env_text("BURNOUT_OH_CONTACT"),
        eap_contact=_env_text("BURNOUT_EAP_CONTACT"),
        crisis_line=_env_text("BURNOUT_CRISIS_LINE"),
    )


def _channels_off() -> frozenset[str]:
    """The channels whose setting (or an earlier name of it, with a one-line note) says off."""
    off = set()
    for channel in channels.all_channels():
        if channel.setting is None:
            continue
        on = _env_flag(channel.setting, True)
        for old in channel.old_settings:
            if os.environ.get(old, "") != "" and os.environ.get(channel.setting, "") == "":
                # logged, not printed: in a dashboard kernel, printed text lands in the page
                log.warning("note: %s is now %s; %s still works for now", old, channel.setting,
                            old)  # fmt: skip
                on = _env_flag(old, True)
        if not on:
            off.add(channel.name)
    return frozenset(off)


def _env_text(name: str) -> str | None:
    """A setting of plain words (a phone number, an address), or None when unset or blank."""
    value = (os.environ.get(name) or "").strip()
    return value or None


def _kernel_idle_seconds() -> int:
    seconds = _env_int("BURNOUT_KERNEL_IDLE_SECONDS", Settings.kernel_idle_seconds)
    if seconds < 3:
        raise ConfigError(
            f"BURNOUT_KERNEL_IDLE_SECONDS={seconds} must be at least 3: a page that is still "
            "opening needs a few seconds to connect to its kernel"
        )
    return seconds


def _upload_max_bytes() -> int:
    value = os.environ.get("BURNOUT_UPLOAD_MAX_MB")
    if value is None or value == "":
        return Settings.upload_max_bytes
    try:
        megabytes = float(value)
    except ValueError:
        raise ConfigError(f"BURNOUT_UPLOAD_MAX_MB={value!r} is not a number") from None
    if not 0 < megabytes <= 10:
        raise ConfigError(
            f"BURNOUT_UPLOAD_MAX_MB={value!r} must be above 0 and at most 10 (megabytes): an "
            "upload travels in one websocket message, which the dashboard caps at 10 MiB"
        )
    return int(megabytes * 1_000_000)


def _clip_max_seconds() -> int:
    seconds = _env_int("BURNOUT_CLIP_MAX_SECONDS", Settings.clip_max_seconds)
    if not 1 <= seconds <= 600:
        raise ConfigError(f"BURNOUT_CLIP_MAX_SECONDS={seconds} is outside 1 to 600 seconds")
    return seconds
