"""What an edXML StatusCode means for a delivery and for the recipient's receipt."""

from __future__ import annotations

from enum import StrEnum

from outbox.errors import EdxmlError


class ReceiptState(StrEnum):
    """The recipient's side of a delivery, as reported by edXML Status messages."""

    ARRIVED = "arrived"
    REJECTED = "rejected"
    REGISTERED = "registered"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    RECALL_REQUESTED = "recall_requested"
    RECALL_ACCEPTED = "recall_accepted"
    RECALL_REFUSED = "recall_refused"


STATUS_CODES: dict[str, ReceiptState] = {
    "01": ReceiptState.ARRIVED,
    "02": ReceiptState.REJECTED,
    "03": ReceiptState.REGISTERED,
    "04": ReceiptState.ASSIGNED,
    "05": ReceiptState.IN_PROGRESS,
    "06": ReceiptState.FINISHED,
    "13": ReceiptState.RECALL_REQUESTED,
    "15": ReceiptState.RECALL_ACCEPTED,
    "16": ReceiptState.RECALL_REFUSED,
}

# These codes prove the document reached the recipient: the delivery is acknowledged.
ACKNOWLEDGING = frozenset({"01", "03", "04", "05", "06"})


def receipt_state(code: str) -> ReceiptState:
    """The receipt state for a StatusCode (``"3"`` and ``"03"`` alike)."""
    normalised = code.strip().zfill(2)
    try:
        return STATUS_CODES[normalised]
    except KeyError:
        raise EdxmlError(
            f"StatusCode «{code}» không được hỗ trợ; mã hợp lệ: {', '.join(STATUS_CODES)}."
        ) from None


def acknowledges(code: str) -> bool:
    """Whether this StatusCode means the recipient has the document."""
    return code.strip().zfill(2) in ACKNOWLEDGING
