"""edXML package channel: builds the (signed) message and drops it for offline exchange.

The package lands in ``root/<OrganId>/<key>/edxml.xml`` (atomically, like the folder
channel) where a gateway agent or a clerk with removable media picks it up. The
:mod:`outbox.channels.gateway` channel sends the same message over the axis's HTTP API.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from outbox.channels.folder import drop, recipient_dir
from outbox.edxml.build import EnvelopeSigner, build_document, build_status
from outbox.edxml.model import (
    Business,
    BusinessType,
    DocumentKey,
    EdxmlAttachment,
    EdxmlDocument,
    Organ,
    Replacement,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from outbox.message import OutgoingMessage, Party, SendResult
from registry.clock import local_now

PACKAGE_NAME = "edxml.xml"

# DocumentType/TypeDetail: the type's place in the list of Decree 30 art. 7 (administrative
# documents); Type 1 as the deployed senders write it for them. TypeName is the printed name.
TYPE_DETAIL = {
    "nghi_quyet": "1", "quyet_dinh": "2", "chi_thi": "3", "quy_che": "4", "quy_dinh": "5",
    "thong_cao": "6", "thong_bao": "7", "huong_dan": "8", "chuong_trinh": "9",
    "ke_hoach": "10", "phuong_an": "11", "de_an": "12", "du_an": "13", "bao_cao": "14",
    "bien_ban": "15", "to_trinh": "16", "hop_dong": "17", "cong_van": "18", "cong_dien": "19",
    "ban_ghi_nho": "20", "ban_thoa_thuan": "21", "giay_uy_quyen": "22", "giay_moi": "23",
    "giay_gioi_thieu": "24", "giay_nghi_phep": "25", "phieu_gui": "26", "phieu_chuyen": "27",
    "phieu_bao": "28", "thu_cong": "29",
}
# OtherInfo/Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ.
PRIORITY = {"KHẨN": "1", "THƯỢNG KHẨN": "2", "HỎA TỐC": "3", "HOẢ TỐC": "3",
            "HỎA TỐC HẸN GIỜ": "4"}
SPHERE = "Liên thông văn bản quốc gia"


def _organ(party: Party, role: str) -> Organ:
    if not party.organ_id:
        raise PermanentDeliveryError(
            f"{role} «{party.name}» chưa có mã định danh cơ quan (OrganId) để gửi edXML; "
            "hãy bổ sung mã định danh rồi gửi lại."
        )
    return Organ(
        organ_id=party.organ_id, name=party.official_name or party.name,
        in_charge=party.in_charge or party.official_name or party.name, email=party.email or "",
        address=party.address or "", telephone=party.telephone or "",
    )


def page_count(pdf: bytes) -> int:
    """The number of pages of a PDF (0 when it cannot be read)."""
    try:
        from pyhanko.pdf_utils.reader import PdfFileReader

        count = PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"]
        return int(count)
    except Exception:  # noqa: BLE001 - a PDF we cannot count is sent with PageAmount 0
        return 0


def _now(clock: Callable[[], datetime] | None) -> datetime:
    """The trace time: Viet Nam's wall clock (the envelope carries no zone), whole seconds."""
    return (clock() if clock else local_now()).replace(microsecond=0, tzinfo=None)


def to_edxml(message: OutgoingMessage, *, now: datetime | None = None) -> EdxmlDocument:
    """The edXML model of one outgoing document message (one recipient per package)."""
    if message.issued_date is None or not message.number:
        raise PermanentDeliveryError(
            f"Văn bản «{message.subject}» chưa có số và ngày ban hành; không thể gửi edXML."
        )
    sender = _organ(message.sender, "Cơ quan gửi")
    signer = message.signer
    pdf = next((a.content for a in message.attachments if a.mime == "application/pdf"), None)
    business = BusinessType(message.business)
    concerned = message.replaces
    return EdxmlDocument(
        sender=sender,
        recipients=(_organ(message.recipient, "Cơ quan nhận"),),
        code_number=message.number,
        code_notation=message.symbol,
        issued_date=message.issued_date,
        place=message.place,
        type_code="1",
        type_detail=TYPE_DETAIL.get(message.doc_type, "0"),
        type_name=message.type_name,
        subject=message.subject,
        content=message.subject,
        signer_competence=signer.competence if signer else "",
        signer_position=signer.position if signer else "",
        signer_full_name=signer.full_name if signer else "",
        due_date=message.due_date,
        to_places=message.to_places,
        priority=PRIORITY.get((message.urgency or "").upper(), "0"),
        sphere=SPHERE,
        promulgation_amount=message.copies,
        page_amount=page_count(pdf) if pdf else 0,
        steering_type="1" if message.due_date else "0",
        response_for=tuple(
            ResponseFor.of(key) for key in
            (DocumentKey.parse(message.response_for),) if key is not None
        ) if message.response_for else (),
        business=Business(
            doc_type=business,
            reason=message.business_reason or ("Văn bản điện tử mới" if business is
                                               BusinessType.NEW else ""),
            document_id=concerned[0] if business in (BusinessType.REVOKE, BusinessType.UPDATE)
            and concerned else "",
            replacements=tuple(Replacement(d, (message.recipient.organ_id or "",))
                               for d in concerned) if business is BusinessType.REPLACE else (),
        ),
        trace=(TraceHeader(sender.organ_id, now or _now(None)),),
        attachments=tuple(
            EdxmlAttachment(a.filename, a.mime, a.content, a.filename, f"cid:{n}")
            for n, a in enumerate(message.attachments, start=1)
        ) if business is not BusinessType.REVOKE else (),
    )


def to_status(message: OutgoingMessage, *, now: datetime | None = None) -> StatusMessage:
    """The Status message of a status delivery (fields fixed when it was enqueued)."""
    fields = message.status or {}
    key = DocumentKey.parse(fields.get("document_id", ""))
    if key is None or not fields.get("from_organ_id"):
        raise PermanentDeliveryError(
            f"Trạng thái gửi cho «{message.recipient.name}» thiếu DocumentId của văn bản hoặc "
            "mã định danh cơ quan mình; không gửi được.")
    stamp = fields.get("timestamp")
    return StatusMessage(
        response_for=ResponseFor.of(key),
        sender=Organ(fields["from_organ_id"], fields.get("from_name", "")),
        status_code=fields.get("code", ""),
        timestamp=datetime.fromisoformat(stamp).replace(tzinfo=None) if stamp
        else now or _now(None),
        description=fields.get("description", ""),
        staff=StaffInfo(fields.get("department", ""), fields.get("staff", ""),
                        fields.get("mobile", ""), fields.get("email", "")),
    )


def package(message: OutgoingMessage, *, signer: EnvelopeSigner | None,
            now: datetime | None = None) -> bytes:
    """The edXML bytes of a message: a Status message, or the document (new/revoke/…)."""
    if message.status is not None:
        return build_status(to_status(message, now=now), signer=signer)
    return build_document(to_edxml(message, now=now), signer=signer)


class EdxmlChannel:
    """Writes one edXML package per delivery under ``root/<recipient OrganId>/<key>/``."""

    def __init__(self, root: Path, *, clock: Callable[[], datetime] | None = None,
                 signer: EnvelopeSigner | None = None) -> None:
        self.root = Path(root)
        self._clock = clock
        self._signer = signer

    def send(self, message: OutgoingMessage) -> SendResult:
        """Build the package and drop it; a full or missing disk is transient."""
        data = package(message, signer=self._signer,
                       now=_now(self._clock) if self._clock else None)
        try:
            path = drop(self.root, recipient_dir(message.recipient), message.idempotency_key,
                        {PACKAGE_NAME: data})
        except OSError as error:
            raise TransientDeliveryError(
                f"Không ghi được gói edXML vào {self.root}: {error}"
            ) from error
        return SendResult(message_id=(path / PACKAGE_NAME).relative_to(self.root).as_posix())
