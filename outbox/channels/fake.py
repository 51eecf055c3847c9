"""An in-memory channel for unit tests of code around the protocol (like httpx's MockTransport).

Integration tests use the real channels against real servers; this one is for
logic (relay bookkeeping, backoff) where a server would add nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from outbox.errors import DeliveryError
from outbox.message import OutgoingMessage, SendResult


class FakeChannel:
    """Records every message; optionally fails according to a script.

    ``script`` is consumed one item per ``send``: ``None`` means accept, an
    exception instance is raised. When the script is exhausted every send
    succeeds. ``handler`` (if given) decides instead of the script.
    """

    def __init__(
        self,
        script: Iterable[DeliveryError | None] = (),
        *,
        handler: Callable[[OutgoingMessage], DeliveryError | None] | None = None,
    ) -> None:
        self.sent: list[OutgoingMessage] = []
        self.attempts: list[OutgoingMessage] = []
        self._script = list(script)
        self._handler = handler

    def send(self, message: OutgoingMessage) -> SendResult:
        """Record the attempt, then accept it or raise the scripted error."""
        self.attempts.append(message)
        error = self._handler(message) if self._handler else (
            self._script.pop(0) if self._script else None
        )
        if error is not None:
            raise error
        self.sent.append(message)
        return SendResult(message_id=f"<{message.idempotency_key}@fake>")
