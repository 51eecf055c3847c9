"""Is this the document the register says it is? A verified PDF against the registry.

``congvan verify`` with a registry at hand finds the document — by the stored
issued file's SHA-256, else by the number and date written in the reserved
fields — and checks that the person's and the organisation's signatures were
made with the certificates recorded when it was signed and issued.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Document, DocumentFile, DocumentSignature, DocumentStatus
from signing import final, storage
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD
from signing.verify import VerificationReport


@dataclass
class Provenance:
    """What the registry says: problems (verification fails) and notes (information)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _fields(pdf: bytes) -> dict[str, str]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        return {name: str(f.get("/V", "")) for name, (_, f) in
                final.reserved_fields(reader).items()}
    except Exception:  # the report already says what is wrong with the file
        return {}


def _find(session: Session, pdf: bytes) -> tuple[Document | None, bool]:
    digest = storage.sha256(pdf)
    row = session.scalar(select(DocumentFile).where(DocumentFile.kind == "signed_pdf",
                                                    DocumentFile.sha256 == digest))
    if row is not None:
        return row.document, True
    values = _fields(pdf)
    number = values.get(final.NUMBER_FIELD, "")
    if not number.isdigit():
        return None, False
    candidates = [d for d in session.scalars(select(Document).where(
        Document.number == int(number), Document.issue_date.is_not(None)))
        if d.issue_date is not None
        and f"{d.issue_date.day:02d}" == values.get(final.DAY_FIELD)
        and str(d.issue_date.month) == values.get(final.MONTH_FIELD, "").lstrip("0")]
    return (candidates[0], False) if len(candidates) == 1 else (None, False)


def cross_check(*, session: Session, pdf: bytes, report: VerificationReport) -> Provenance:
    """Compare the file's signers with the person and organisation recorded for it."""
    out = Provenance()
    doc, same_file = _find(session, pdf)
    if doc is None:
        out.notes.append("Không tìm thấy văn bản này trong sổ văn bản đi của hệ thống (văn bản "
                         "của nơi khác hoặc chưa ban hành).")
        return out
    label = doc.number_symbol or f"#{doc.id}"
    date = f"{doc.issue_date:%d/%m/%Y}" if doc.issue_date else "?"
    out.notes.append(f"Trong sổ: văn bản số {label} ngày {date} — {doc.subject}")
    if not same_file:
        out.problems.append(f"Tệp không trùng với bản {label} đã ban hành lưu trong sổ "
                            "(SHA-256 khác).")
    if doc.status is DocumentStatus.REVOKED:
        out.problems.append(f"Văn bản {label} đã bị thu hồi.")
    recorded = {r.role: r for r in session.scalars(select(DocumentSignature).where(
        DocumentSignature.document_id == doc.id))}
    by_field = {s.field_name: s for s in report.signatures}
    for role, field_name, who in (("person", PERSON_FIELD, "người ký"),
                                  ("organization", ORGANIZATION_FIELD, "cơ quan")):
        rec, sig = recorded.get(role), by_field.get(field_name)
        if rec is None or sig is None:
            continue
        owner = (rec.person.full_name if role == "person" and rec.person is not None
                 else (doc.issuer.name.replace("\n", " ") if doc.issuer else "?"))
        if sig.certificate_sha256 != rec.certificate.fingerprint:
            out.problems.append(
                f"Chữ ký {who} trong tệp ({sig.signer}) không phải chứng thư đã ghi trong sổ "
                f"cho {owner} (văn bản {label}).")
        else:
            out.notes.append(f"Chữ ký {who} khớp với sổ: {owner}.")
    return out
