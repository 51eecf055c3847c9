"""Channels: one small protocol, several ways to hand a message over.

``Channel.send`` either returns a :class:`~outbox.message.SendResult` or raises
:class:`~outbox.errors.TransientDeliveryError` /
:class:`~outbox.errors.PermanentDeliveryError`. Anything else it raises is
treated by the relay as transient and written onto the delivery row.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from outbox.message import OutgoingMessage, SendResult


@runtime_checkable
class Channel(Protocol):
    """Something that can deliver one message."""

    def send(self, message: OutgoingMessage) -> SendResult:
        """Deliver ``message`` or raise a DeliveryError."""
        ...


__all__ = ["Channel"]
