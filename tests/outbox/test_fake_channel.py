"""The in-library FakeChannel that unit tests pass instead of a real channel."""

from __future__ import annotations

import pytest

from outbox.channels import Channel
from outbox.channels.fake import FakeChannel
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from tests.outbox.conftest import make_message


class TestFakeChannel:
    def test_is_a_channel(self) -> None:
        """FakeChannel satisfies the Channel protocol."""
        assert isinstance(FakeChannel(), Channel)

    def test_follows_its_script_then_accepts(self) -> None:
        """Scripted errors are raised in order; afterwards every send succeeds."""
        channel = FakeChannel([TransientDeliveryError("451"), None, PermanentDeliveryError("554")])
        with pytest.raises(TransientDeliveryError):
            channel.send(make_message("a"))
        assert channel.send(make_message("a")).message_id == "<a@fake>"
        with pytest.raises(PermanentDeliveryError):
            channel.send(make_message("b"))
        channel.send(make_message("c"))
        assert [m.idempotency_key for m in channel.sent] == ["a", "c"]
        assert len(channel.attempts) == 4
