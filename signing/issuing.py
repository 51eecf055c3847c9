"""Issuing (ban hành): the văn thư numbers, dates and seals a document the person signed.

ND30 art. 14–15 and §5 of ND30.md: the competent person signed the final PDF
with their own key (:mod:`signing.person`), the number (ô 2) and the day and
month (ô 4) left blank. Issuing never touches the person's key: it checks the
person's signed PDF is the stored one, intact, and still the approved content;
then, with the register's counter locked, takes the number and the date,
writes them into the reserved fields as an incremental update (a form fill:
the person's signature stays valid), applies the organisation's signature
(the seal at real size over the left third of the person's signature image),
stores the signed PDF and the .docx of record (re-rendered with the number),
records the register entry and runs the caller's ``on_issued`` hook (the
outbox rows) — all in the caller's transaction, so deliveries exist if and only
if the document was issued. Rendering, LibreOffice and the person's signature
all happen before the counter is locked. signing does not import outbox.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from doc_templates.formatting import format_doc_number, nd30_date
from doc_templates.render import render_docx
from registry import audit, documents, recipients
from registry.clock import local_date
from registry.errors import PermissionDenied, ValidationError
from registry.models import Document, DocumentFile, DocumentSignature, DocumentStatus, Person
from registry.permissions import require_member
from signing import certificates, final, person, storage
from signing.appearance import PngImage, SealImage
from signing.approvals import STATUS_LABELS, require_status
from signing.authority import SignatureBlock
from signing.errors import SigningError
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD
from signing.specs import spec_for

CORRECTION_KINDS = {"corrects", "replaces"}

PERSON_REASON = person.PERSON_REASON
ORGANIZATION_REASON = "Chữ ký số của cơ quan, tổ chức"
# Rendered into the .docx of record before the counter is locked, then replaced.
_NUMBER_SENTINEL = 987654321
_DATE_SENTINEL = date(9999, 12, 31)


class OrganizationSigner(Protocol):
    """What issuing needs of :class:`signing.signer.PadesSigner` (the organisation's key)."""

    @property
    def certificate_der(self) -> bytes:
        """The signing certificate in DER."""
        ...

    def placement(self, pdf: bytes, appearance: Any) -> Any:
        """Where the appearance goes."""
        ...

    def sign_pdf(self, pdf: bytes, *, appearance: Any, reason: str,
                 location: str | None = None, field_name: str | None = None,
                 placement: Any = None) -> bytes:
        """``pdf`` with one more signature."""
        ...


@dataclass(frozen=True)
class IssuingKeys:
    """What the văn thư's process holds to issue: the organisation's key and seal image.

    The person's key is not here: the person signed at ``draft sign``.
    """

    organization: OrganizationSigner
    seal: PngImage


@dataclass(frozen=True)
class Issued:
    """An issued document and its two stored files."""

    document: Document
    docx: DocumentFile
    pdf: DocumentFile


class NotSignedByPerson(SigningError):
    """The document has no valid person's signature to issue."""


# asn1crypto builds each ASN.1 class's field tables on its first use, without a lock: two
# threads meeting a class for the first time at once can read a half-built table
# ("KeyError: No field numbered 1 … PublicKeyInfo", seen with two concurrent issues in a fresh
# web process). Until one issue has gone through in this process, issues run one at a time.
_first_issue = threading.Lock()
_warm: list[bool] = []


def issue(
    *, session: Session, document_id: int, actor: Person, keys: IssuingKeys,
    files_root: Path, on: datetime | None = None,
    on_issued: Callable[[Session, Document], None] | None = None,
    timings: dict[str, float] | None = None,
) -> Issued:
    """Number, date and seal the document the person signed (the clerk's act).

    Never commits; if anything fails the caller's transaction rolls back and the
    number was never consumed. ``timings`` (if given) receives ``locked_at``: the
    ``time.perf_counter()`` when the register's counter was locked. Thread-safe.
    """
    if _warm:
        return _issue(session=session, document_id=document_id, actor=actor, keys=keys,
                      files_root=files_root, on=on, on_issued=on_issued, timings=timings)
    with _first_issue:
        issued = _issue(session=session, document_id=document_id, actor=actor, keys=keys,
                        files_root=files_root, on=on, on_issued=on_issued, timings=timings)
        _warm[:] = [True]
        return issued


def _issue(
    *, session: Session, document_id: int, actor: Person, keys: IssuingKeys,
    files_root: Path, on: datetime | None, on_issued: Callable[[Session, Document], None] | None,
    timings: dict[str, float] | None,
) -> Issued:
    # Locked first: a second issuer of the same document waits here, then finds it issued.
    doc = documents.lock(session=session, document_id=document_id)
    require_status(doc, {DocumentStatus.SIGNED}, "ban hành")
    if not actor.has_role("clerk"):
        raise PermissionDenied(f"chỉ văn thư mới cấp số và ban hành văn bản; {actor.full_name} "
                               "không có vai trò văn thư (clerk)")
    assert doc.issuer is not None
    # Only the issuing body's own văn thư numbers and seals its documents.
    require_member(actor, doc.issuer_id, action=f"ban hành văn bản #{doc.id}",
                   organization_name=doc.issuer.name_in_text, unless_role=None)
    if not doc.signature_block:
        raise ValidationError(f"văn bản #{doc.id} chưa có khối chữ ký", field="signature_block")
    moment = on or datetime.now(UTC)
    signed = _person_signed_pdf(session, doc, files_root, local_date(moment))
    assert doc.issuer is not None
    org_cert = certificates.require_organization_certificate(
        session=session, organization=doc.issuer, certificate=keys.organization.certificate_der)
    block = SignatureBlock(**doc.signature_block)
    title, name = "\n".join(block.lines()), block.name
    seal = SealImage(keys.seal, title, name)
    placement = keys.organization.placement(signed, seal)
    spec = spec_for(doc, signature=doc.signature_block, number=_NUMBER_SENTINEL,
                    on=_DATE_SENTINEL)
    docx_template = render_docx(spec, today=_DATE_SENTINEL)

    # The critical section: the register's counter is locked from here to the commit.
    if timings is not None:
        timings["locked_at"] = time.perf_counter()
    documents.issue_number(session=session, document=doc, on=moment)
    assert doc.number is not None and doc.year is not None and doc.issue_date is not None
    filled = final.fill(signed, number=doc.number, on=doc.issue_date)
    sealed = keys.organization.sign_pdf(filled, appearance=seal, reason=ORGANIZATION_REASON,
                                        location=spec.place or None,
                                        field_name=ORGANIZATION_FIELD, placement=placement)
    docx = _docx_of_record(docx_template, spec.place, doc.number, doc.issue_date)
    stem = (doc.number_symbol or str(doc.id)).replace("/", "_")
    rows = []
    for kind, suffix, data in (("docx", ".docx", docx), ("signed_pdf", ".pdf", sealed)):
        stored = storage.store(files_root, document_id=doc.id, year=doc.year, stem=stem,
                               suffix=suffix, data=data)
        row = DocumentFile(document_id=doc.id, kind=kind, path=stored.path, sha256=stored.sha256,
                           size=stored.size)
        session.add(row)
        rows.append(row)
    session.flush()
    session.add(DocumentSignature(document_id=doc.id, role="organization", person_id=actor.id,
                                  certificate_id=org_cert.id, file_id=rows[1].id,
                                  content_sha256=person.content_sha256(doc, doc.signature_block),
                                  signed_at=moment))
    before = doc.status
    doc.status = DocumentStatus.ISSUED
    session.flush()
    audit.record(session=session, action="issue", object_type="document", object_id=doc.id,
                 actor=actor, detail={"from": before.value, "to": doc.status.value,
                                      "number": doc.number_symbol,
                                      "issue_date": doc.issue_date.isoformat(),
                                      "files": {r.kind: r.sha256 for r in rows}})
    if on_issued is not None:
        on_issued(session, doc)
    session.flush()
    return Issued(document=doc, docx=rows[0], pdf=rows[1])


def _person_signed_pdf(session: Session, doc: Document, files_root: Path, today: date) -> bytes:
    """The stored PDF the person signed, checked: same bytes, signature intact, same content."""
    record = person.person_signature(session=session, document_id=doc.id)
    if record is None:
        raise NotSignedByPerson(
            f"văn bản #{doc.id} chưa có chữ ký số của người ký trên bản cuối; người ký chạy "
            "`congvan draft sign` (hoặc ký trên trang web) trước khi văn thư ban hành")
    try:
        signed = storage.read(files_root, record.file.path, expected_sha256=record.file.sha256)
    except (OSError, ValueError) as exc:
        raise NotSignedByPerson(f"không đọc được bản PDF người ký đã ký của văn bản #{doc.id} "
                                f"({exc}); người ký cần ký lại") from exc
    assert doc.signature_block is not None
    if person.content_sha256(doc, doc.signature_block) != record.content_sha256:
        raise person.ContentChanged(
            f"văn bản #{doc.id} đã bị sửa sau khi người ký ký (nội dung khác bản đã ký); "
            "không ban hành được — người ký cần ký lại bản mới (congvan draft sign)")
    if record.year is not None and record.year != today.year:
        raise NotSignedByPerson(
            f"bản PDF người ký đã ký in năm {record.year} ở ô ngày tháng, nay cấp số năm "
            f"{today.year}; người ký cần ký lại để ngày ban hành đúng năm")
    _require_intact(signed, doc.id)
    return signed


def _require_intact(pdf: bytes, document_id: int) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from signing.verify import quiet_validator

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    sigs = list(reader.embedded_signatures)
    if [s.field_name for s in sigs] != [PERSON_FIELD]:
        raise NotSignedByPerson(f"bản PDF của văn bản #{document_id} phải có đúng một chữ ký "
                                "của người ký; người ký cần ký lại")
    with quiet_validator():
        status = validate_pdf_signature(sigs[0], ValidationContext(allow_fetching=False))
    if not (status.intact and status.valid) or status.coverage is None or \
            status.coverage.name != "ENTIRE_FILE":
        raise NotSignedByPerson(f"chữ ký của người ký trên văn bản #{document_id} không còn "
                                "nguyên vẹn; người ký cần ký lại")


def _docx_of_record(template: bytes, place: str, number: int, on: date) -> bytes:
    """The .docx rendered with the sentinels, with the real number and date put in."""
    replacements = {
        format_doc_number(_NUMBER_SENTINEL).encode(): format_doc_number(number).encode(),
        nd30_date(_DATE_SENTINEL).encode(): nd30_date(on).encode(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                for old, new in replacements.items():
                    if data.count(old) != 1:
                        raise SigningError("không ghi được số và ngày vào bản .docx lưu trữ")
                    data = data.replace(old, new)
            dst.writestr(item, data)
    return out.getvalue()


def correct(*, session: Session, document_id: int, actor: Person, kind: str) -> Document:
    """A new draft that corrects (đính chính) or replaces (thay thế) an issued document.

    ND30 art. 10: errors of format or procedure are corrected by công văn; errors of content
    are replaced by a document of the same type. The new draft links to the old one.
    """
    if kind not in CORRECTION_KINDS:
        raise ValidationError("chọn 'corrects' (đính chính) hoặc 'replaces' (thay thế)",
                              field="kind")
    old = documents.get(session=session, document_id=document_id)
    if old.status is not DocumentStatus.ISSUED:
        raise ValidationError(
            f"chỉ đính chính hoặc thay thế văn bản đã ban hành; văn bản #{old.id} đang "
            f"'{STATUS_LABELS[old.status]}' — hãy sửa trực tiếp bản dự thảo", field="document_id")
    if not (actor.has_role("clerk") or actor.has_role("leader")):
        raise PermissionDenied(f"{actor.full_name} không có quyền soạn văn bản đính chính")
    assert old.issuer is not None
    if kind == "corrects":
        doc_type, subject = "cong_van", f"V/v đính chính {old.number_symbol}"
        body = f"Đính chính văn bản số {old.number_symbol} ngày {old.issue_date:%d/%m/%Y} như sau:"
    else:
        doc_type, subject = old.doc_type, old.subject
        body = old.body
    new = documents.create(
        session=session, doc_type=doc_type, issuer=old.issuer, subject=subject, body=body,
        spec={k: v for k, v in (old.spec or {}).items() if k in {"bases", "distribution",
                                                                  "archive", "address", "place"}},
        drafting_unit=old.drafting_unit, created_by=actor,
    )
    # The same Kính gửi and Nơi nhận lines (groups, people, channels): it reaches the same places.
    recipients.copy_lines(session=session, source=old, target=new)
    documents.link(session=session, source=new, target=old, kind=kind)
    audit.record(session=session, action=kind, object_type="document", object_id=old.id,
                 actor=actor, detail={"by": new.id})
    return new
