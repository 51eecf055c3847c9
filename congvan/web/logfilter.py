"""Keep acknowledgement tokens out of the web server's access log.

The e-mail of a document carries a link ``/xac-nhan/<token>`` (or ``/ack/<token>``):
whoever holds the token can acknowledge the delivery. uvicorn's access log writes
every request path, so the log filter below replaces the token, and any
``token=`` query value, before the line is formatted. ``congvan web`` runs uvicorn
with :func:`log_config`.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

REDACTED = "***"
_PATH = re.compile(r"(/(?:xac-nhan|ack)/)[^/?#\s\"]+")
_QUERY = re.compile(r"((?:^|[?&;])(?:token|ma|key)=)[^&;#\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with acknowledgement tokens replaced by ``***``."""
    return _QUERY.sub(rf"\g<1>{REDACTED}", _PATH.sub(rf"\g<1>{REDACTED}", text))


class TokenFilter(logging.Filter):
    """Redacts tokens in a record's arguments (uvicorn passes the path as one) and message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with :class:`TokenFilter` on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.TokenFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_tokens")
    return config


__all__ = ["REDACTED", "TokenFilter", "log_config", "redact"]
