"""The settings (defined in :mod:`registry.settings`, re-exported for the shell).

``congvan.settings.get_settings()`` is the shell's way in; flows run by a worker read the same
settings through ``workflows.flow_env``.
"""

from __future__ import annotations

from registry.settings import (
    PLACEHOLDER_SECRETS,
    ROLE_NAMES,
    SECRET_MIN_LENGTH,
    WEAK_SECRETS,
    KeyRole,
    Settings,
    get_settings,
)

__all__ = ["PLACEHOLDER_SECRETS", "ROLE_NAMES", "SECRET_MIN_LENGTH", "WEAK_SECRETS", "KeyRole",
           "Settings", "get_settings"]
