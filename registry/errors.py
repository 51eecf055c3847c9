"""The registry's exception tree (imports nothing).

    RegistryError
    ├── NotFound                 — no row with that id or key
    ├── InvalidTransition        — the object's state forbids the action
    ├── ImmutableDocument        — an issued document cannot change
    ├── NumberConflict           — a (number, symbol, issuer, year) already exists
    ├── PermissionDenied         — the actor lacks the role or right
    │   └── RecordedRefusal      — a read refused and put on the access log (kept on rollback)
    ├── ValidationError          — bad input; names the field and the fix
    │   └── DirectoryError       — a directory file with a bad line or field
    └── SchemaOutOfDate          — the database needs `congvan db upgrade`

Messages are Vietnamese: they reach clerks and leaders.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every error raised by the registry."""


class NotFound(RegistryError):
    """No row with that id or key."""


class InvalidTransition(RegistryError):
    """The object's current state does not allow the requested action."""


class ImmutableDocument(InvalidTransition):
    """An issued document never changes; corrections go through a new document."""


class NumberConflict(RegistryError):
    """The number and symbol already exist for this issuer and year."""


class PermissionDenied(RegistryError):
    """The actor lacks the role or signing right for the action."""


class RecordedRefusal(PermissionDenied):
    """A read refused and written on the access log. ``registry.db.transaction()`` commits the
    log row before the error goes on (a rollback would erase the refusal). Raised only by the
    read services (registry.access_log), before anything else is written in the transaction."""

    keep_work = True


class RecordedNotFound(NotFound):
    """A document of another organisation asked for by id: 404 like a missing one, and the
    attempt is on the access log (committed as for RecordedRefusal)."""

    keep_work = True


class ValidationError(RegistryError):
    """Bad input. ``field`` names where; the message says how to fix it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class DirectoryError(ValidationError):
    """A directory file could not be imported; nothing was stored."""

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        self.line = line
        self.field = field
        where = ", ".join(x for x in (f"dòng {line}" if line else "", field or "") if x)
        RegistryError.__init__(self, f"{where}: {message}" if where else message)


class SchemaOutOfDate(RegistryError):
    """The database schema is behind the code."""
