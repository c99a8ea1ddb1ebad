"""One exception hierarchy, so the CLI can turn any user error into one clear line."""

from __future__ import annotations


class BurnoutError(Exception):
    """Base of every error a user can cause or fix; the message names the input at fault."""


class ConfigError(BurnoutError):
    """A setting (database URL, data directory, …) is malformed or unsupported."""


class DatabaseUnavailable(BurnoutError):
    """The database cannot be reached or opened."""


class WriteConflict(DatabaseUnavailable):
    """Other writers kept conflicting with a transaction until its retries ran out."""


class NotFound(BurnoutError):
    """A named thing (a person's pseudonym, a week, a file) does not exist."""


class ConsentError(BurnoutError):
    """Processing was asked for without the person's consent for that channel."""


class InvalidInput(BurnoutError):
    """An argument or input file is outside what the product accepts."""


class HumeError(BurnoutError):
    """Hume refused or failed a request; the message says which and why."""


class NotSignedIn(BurnoutError):
    """No signed-in login reached the product, or the login has no account."""


class AccessDenied(BurnoutError):
    """The signed-in viewer's role does not allow what was asked; the message names it."""
