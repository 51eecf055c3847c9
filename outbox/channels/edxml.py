"""edXML package channel: builds the envelope and drops it for the interchange gateway.

There is no gateway client yet; the package lands in ``root/<OrganId>/<key>/``
(atomically, like the folder channel) where a gateway agent picks it up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from outbox.channels.folder import drop, recipient_dir
from outbox.edxml.build import build_document
from outbox.edxml.model import EdxmlAttachment, EdxmlDocument, Organ, TraceHeader
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from outbox.message import OutgoingMessage, Party, SendResult
from registry.clock import local_now

PACKAGE_NAME = "edxml.xml"


def _vietnam_now() -> datetime:
    """The trace time: Viet Nam's wall clock (the envelope carries no zone), whole seconds."""
    return local_now().replace(microsecond=0, tzinfo=None)


def _organ(party: Party, role: str) -> Organ:
    if not party.organ_id:
        raise PermanentDeliveryError(
            f"{role} «{party.name}» chưa có mã định danh cơ quan (OrganId) để gửi edXML; "
            "hãy bổ sung mã định danh rồi gửi lại."
        )
    return Organ(
        organ_id=party.organ_id, name=party.name, email=party.email or "",
        address=party.address or "",
    )


def to_edxml(message: OutgoingMessage, *, now: datetime | None = None) -> EdxmlDocument:
    """The edXML model of one outgoing message (one recipient per package)."""
    if message.issued_date is None or not message.number:
        raise PermanentDeliveryError(
            f"Văn bản «{message.subject}» chưa có số và ngày ban hành; không thể gửi edXML."
        )
    sender = _organ(message.sender, "Cơ quan gửi")
    signer = message.signer
    return EdxmlDocument(
        sender=sender,
        recipients=(_organ(message.recipient, "Cơ quan nhận"),),
        code_number=message.number,
        code_notation=message.symbol,
        issued_date=message.issued_date,
        place=message.place,
        type_name=message.type_name,
        subject=message.subject,
        signer_competence=signer.competence if signer else "",
        signer_position=signer.position if signer else "",
        signer_full_name=signer.full_name if signer else "",
        due_date=message.due_date,
        to_places=message.to_places,
        priority="1" if message.urgency else "0",
        response_for=message.response_for,
        trace=(TraceHeader(sender.organ_id, now or _vietnam_now()),),
        attachments=tuple(
            EdxmlAttachment(a.filename, a.mime, a.content) for a in message.attachments
        ),
    )


class EdxmlChannel:
    """Writes one edXML package per delivery under ``root/<recipient OrganId>/<key>/``."""

    def __init__(self, root: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(root)
        self._clock = clock

    def send(self, message: OutgoingMessage) -> SendResult:
        """Build the package and drop it; a full or missing disk is transient."""
        package = build_document(to_edxml(message, now=self._clock() if self._clock else None))
        try:
            path = drop(self.root, recipient_dir(message.recipient), message.idempotency_key,
                        {PACKAGE_NAME: package})
        except OSError as error:
            raise TransientDeliveryError(
                f"Không ghi được gói edXML vào {self.root}: {error}"
            ) from error
        return SendResult(message_id=(path / PACKAGE_NAME).relative_to(self.root).as_posix())
