"""The outbox's exceptions, one tree; this module imports nothing of ours.

::

    OutboxError
    ├── DeliveryError                 a channel could not deliver a message
    │   ├── TransientDeliveryError    try again later (4xx, connection refused/dropped, timeout)
    │   └── PermanentDeliveryError    never retried: dead letter (5xx, bad address, bad auth)
    ├── EdxmlError                    an edXML package or Status message is not acceptable
    ├── IntakeError                   an incoming file cannot be registered as given
    ├── NotTheirFault                 intake failed on our side (database, disk): retry, no 02
    ├── ReceiptError                  an acknowledgement token is forged, malformed or unknown
    └── SmtpSettingsError             SMTP settings that would leak credentials (plaintext AUTH)

The relay retries :class:`TransientDeliveryError` with backoff and turns
:class:`PermanentDeliveryError` (or too many attempts) into a dead letter.
"""

from __future__ import annotations


class OutboxError(Exception):
    """Base of every outbox error."""


class DeliveryError(OutboxError):
    """A channel could not deliver a message."""


class TransientDeliveryError(DeliveryError):
    """Delivery failed for a reason that may pass: retry later."""


class PermanentDeliveryError(DeliveryError):
    """Delivery failed for a reason that will not pass: do not retry."""


class EdxmlError(OutboxError):
    """An edXML package or Status message is malformed, unsafe or incomplete."""


class IntakeError(OutboxError):
    """An incoming document cannot be registered as given."""


class ReceiptError(OutboxError):
    """An acknowledgement token is forged, malformed or names no delivery."""


class SmtpSettingsError(OutboxError, ValueError):
    """SMTP settings refused before connecting: they would send the password in clear text."""


class NotTheirFault(OutboxError):
    """Taking a package in failed for a reason of ours — the database unreachable, the disk
    full or read-only — so it is neither refused nor acknowledged: it waits for the next try.
    ``__cause__`` is the error."""
