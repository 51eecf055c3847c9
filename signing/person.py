"""The competent person's own signature (ký duyệt), made at the moment of decision.

The approved draft is rendered to its final PDF with ô 2 (number) and the day
and month of ô 4 reserved (:mod:`signing.final`), and the person's PAdES
signature with the ND30 appearance (their signature image between title and
name) is applied there with the person's own credential, in one of three ways:

- :func:`sign_with_key` — a key the person opened just now: a .p12 and the
  password they typed, or a PKCS#11 token and the PIN they typed
  (:class:`signing.keyring.KeySource`);
- :func:`begin_external` → :func:`complete_external` — an external signer
  (the leader's ``congvan sign-agent`` next to the USB token, a remote-signing
  service): the server prepares the PDF and shows the digest to sign, the
  signer returns a CMS signature, the server embeds it (pyHanko's interrupted
  signing) after checking it.

In every case the certificate must be registered to the acting person
(:mod:`signing.certificates`) and usable today; anything else raises a
Vietnamese error and stores nothing. The signed PDF is stored as the
document's ``person_signed_pdf`` with a :class:`~registry.models.DocumentSignature`
holding the approved content's hash: :func:`signing.issuing.issue` refuses
to issue when the content changed since.

Rendering the final PDF converts with LibreOffice (about a second): do it
outside any issuing transaction — this module never touches a register counter.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, documents
from registry.clock import local_date
from registry.errors import InvalidTransition, NotFound, PermissionDenied
from registry.models import (
    Document,
    DocumentFile,
    DocumentSignature,
    DocumentStatus,
    PendingSignature,
    Person,
)
from signing import authority, certificates, final, storage
from signing.appearance import PngImage, SignatureImage
from signing.approvals import require_status
from signing.authority import SignatureBlock
from signing.errors import SigningError
from signing.signer import PERSON_FIELD, PadesSigner
from signing.specs import spec_for

PERSON_REASON = "Ký duyệt văn bản"
PERSON_SIGNED_KIND = "person_signed_pdf"
# An external signature not completed within this time must be prepared again.
PENDING_TTL = timedelta(minutes=30)


class PdfConverterLike(Protocol):
    """What rendering needs of :class:`doc_templates.pdf.PdfConverter`."""

    def convert_bytes(self, docx: bytes) -> bytes:
        """The PDF of a .docx."""
        ...


class ContentChanged(SigningError):
    """The document changed after the person signed: the signature is for other content."""


@dataclass(frozen=True)
class FinalPdf:
    """The unsigned final PDF of an approved document and what it was made from."""

    document: Document
    pdf: bytes
    block: SignatureBlock
    content_sha256: str
    location: str | None
    year: int


@dataclass(frozen=True)
class Pending:
    """A prepared external signature: what the signer is shown and signs."""

    id: int
    document_id: int
    document_label: str
    subject: str
    signer: str
    certificate_subject: str
    digest_hex: str
    md_algorithm: str
    pdf_sha256: str


def content_sha256(doc: Document, block: dict[str, Any]) -> str:
    """SHA-256 of what the person approves: the spec the document renders with (type, issuer,
    subject, body, recipients, signature block…), canonical JSON."""
    spec = spec_for(doc, signature=block).model_dump(mode="json")
    spec.pop("date", None)
    spec.pop("number", None)
    data = json.dumps(spec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _require_signable(session: Session, doc: Document, actor: Person) -> None:
    """Approved, or recorded as decided by ``actor`` (a flow's ``approvals.sign``) without
    the PDF signature yet."""
    if doc.status is DocumentStatus.SIGNED and doc.signer_id == actor.id and \
            person_signature(session=session, document_id=doc.id) is None:
        return
    require_status(doc, {DocumentStatus.APPROVED}, "ký")


def _leader_block(session: Session, doc: Document, actor: Person, on: date) -> SignatureBlock:
    if not actor.has_role("leader"):
        who = "văn thư" if actor.has_role("clerk") else "người không có vai trò lãnh đạo"
        raise PermissionDenied(f"{actor.full_name} là {who}, không được ký văn bản")
    assert doc.issuer_id is not None
    return authority.signature_block(session=session, person=actor, issuer_id=doc.issuer_id,
                                     doc_type=doc.doc_type, on=on)


def may_sign(*, session: Session, document_id: int, actor: Person,
             today: date | None = None) -> bool:
    """True when ``actor`` may sign the document now: it waits for a signature and they are a
    leader with a signing right for its issuer and type (what the sign button needs)."""
    try:
        require_may_sign(session=session, document_id=document_id, actor=actor, today=today)
    except (InvalidTransition, PermissionDenied):
        return False
    return True


def require_may_sign(*, session: Session, document_id: int, actor: Person,
                     today: date | None = None) -> Document:
    """The document if ``actor`` may sign it now; InvalidTransition (its status) or
    PermissionDenied (their role or right) otherwise — checked before any key is opened."""
    doc = documents.get(session=session, document_id=document_id)
    _require_signable(session, doc, actor)
    _leader_block(session, doc, actor, today or local_date(datetime.now(UTC)))
    return doc


def prepare_final(*, session: Session, document_id: int, actor: Person,
                  converter: PdfConverterLike, today: date | None = None) -> FinalPdf:
    """The final PDF ``actor`` would sign: rendered with the block of their right and ô 2/ô 4
    reserved. Checks the status and the right; stores nothing."""
    doc = documents.get(session=session, document_id=document_id)
    _require_signable(session, doc, actor)
    on = today or local_date(datetime.now(UTC))
    block = _leader_block(session, doc, actor, on)
    spec = spec_for(doc, signature=block.as_spec())
    pdf = converter.convert_bytes(final.render_reserved_docx(spec, year=on.year))
    pdf = final.add_reserved_fields(pdf, final.locate_slots(pdf))
    return FinalPdf(document=doc, pdf=pdf, block=block,
                    content_sha256=content_sha256(doc, block.as_spec()),
                    location=spec.place or None, year=on.year)


def _appearance(block: SignatureBlock, signature: PngImage) -> SignatureImage:
    return SignatureImage(signature, "\n".join(block.lines()), block.name)


def sign_with_key(*, session: Session, document_id: int, actor: Person, signer: PadesSigner,
                  signature: PngImage, converter: PdfConverterLike, files_root: Path,
                  today: date | None = None) -> Document:
    """The person signs the final PDF with a key they opened (``.p12`` + password, or token +
    PIN). The certificate must be the actor's registered one (checked before signing)."""
    doc = documents.get(session=session, document_id=document_id)
    _require_signable(session, doc, actor)
    _leader_block(session, doc, actor, today or local_date(datetime.now(UTC)))
    cert = certificates.require_person_certificate(session=session, person=actor,
                                                   certificate=signer.certificate_der)
    prepared = prepare_final(session=session, document_id=document_id, actor=actor,
                             converter=converter, today=today)
    signed = signer.sign_pdf(prepared.pdf, appearance=_appearance(prepared.block, signature),
                             reason=PERSON_REASON, location=prepared.location,
                             field_name=PERSON_FIELD)
    return _record(session, prepared.document, actor, prepared.block, signed, cert.id,
                   prepared.content_sha256, files_root, prepared.year)


def begin_external(*, session: Session, document_id: int, actor: Person, certificate: bytes,
                   signature: PngImage, converter: PdfConverterLike,
                   today: date | None = None) -> Pending:
    """Prepare the person's signature for an external signer holding ``certificate``.

    Returns what to show and sign (the document digest); the prepared PDF waits in a
    :class:`~registry.models.PendingSignature` row for :func:`complete_external`.
    """
    from asn1crypto import x509
    from pyhanko.sign.signers import ExternalSigner

    doc = documents.get(session=session, document_id=document_id)
    _require_signable(session, doc, actor)
    _leader_block(session, doc, actor, today or local_date(datetime.now(UTC)))
    cert = certificates.require_person_certificate(session=session, person=actor,
                                                   certificate=certificate)
    prepared = prepare_final(session=session, document_id=document_id, actor=actor,
                             converter=converter, today=today)
    backend = ExternalSigner(signing_cert=x509.Certificate.load(cert.der), cert_registry=None,
                             signature_value=bytes(256))
    output, digest = PadesSigner(backend).prepare_external(
        prepared.pdf, appearance=_appearance(prepared.block, signature), reason=PERSON_REASON,
        location=prepared.location, field_name=PERSON_FIELD)
    row = PendingSignature(
        document_id=doc.id, person_id=actor.id, certificate_id=cert.id,
        content_sha256=prepared.content_sha256, prepared=output, year=prepared.year,
        digest=digest.document_digest.hex(), md_algorithm="sha256",
        reserved_start=digest.reserved_region_start, reserved_end=digest.reserved_region_end,
        created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    audit.record(session=session, action="prepare_signature", object_type="document",
                 object_id=doc.id, actor=actor,
                 detail={"certificate": cert.fingerprint, "digest": row.digest})
    return _pending(row, doc, actor)


def _pending(row: PendingSignature, doc: Document, actor: Person) -> Pending:
    return Pending(id=row.id, document_id=doc.id, document_label=f"#{doc.id} ({doc.doc_type})",
                   subject=doc.subject, signer=actor.full_name,
                   certificate_subject=row.certificate.subject, digest_hex=row.digest,
                   md_algorithm=row.md_algorithm,
                   pdf_sha256=hashlib.sha256(row.prepared).hexdigest())


def pending(*, session: Session, pending_id: int, actor: Person) -> Pending:
    """A prepared external signature of ``actor`` (what the sign page shows)."""
    row = _pending_row(session, pending_id, actor)
    return _pending(row, documents.get(session=session, document_id=row.document_id), actor)


def _pending_row(session: Session, pending_id: int, actor: Person) -> PendingSignature:
    row = session.get(PendingSignature, pending_id)
    if row is None:
        raise NotFound(f"không có yêu cầu ký #{pending_id}; hãy chuẩn bị ký lại")
    if row.person_id != actor.id:
        raise PermissionDenied(f"yêu cầu ký #{pending_id} không phải của {actor.full_name}")
    return row


def complete_external(*, session: Session, pending_id: int, actor: Person, cms: bytes,
                      files_root: Path, now: datetime | None = None) -> Document:
    """Embed the CMS signature returned by the external signer and record the signature.

    Refused (nothing stored) when the CMS was made with another certificate than the one
    prepared (naming both), when it does not sign this document's digest, when the
    document changed since, or when the preparation expired.
    """
    from asn1crypto import cms as asn1_cms
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument

    row = _pending_row(session, pending_id, actor)
    doc = documents.get(session=session, document_id=row.document_id)
    _require_signable(session, doc, actor)
    moment = now or datetime.now(UTC)
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    if moment - created > PENDING_TTL:
        raise SigningError(f"Yêu cầu ký #{pending_id} đã quá {PENDING_TTL.seconds // 60} phút; "
                           "hãy chuẩn bị ký lại.")
    try:
        info = asn1_cms.ContentInfo.load(cms)
        signed_data = info["content"]
        signer_info = signed_data["signer_infos"][0]
        sid = signer_info["sid"].chosen
        signer_cert = next(
            c.chosen for c in signed_data["certificates"] if c.name == "certificate"
            and c.chosen.serial_number == sid["serial_number"].native
            and c.chosen.issuer == sid["issuer"])
        der = signer_cert.dump()
    except (ValueError, KeyError, TypeError, IndexError, StopIteration) as exc:
        raise SigningError(f"Dữ liệu trả về không phải chữ ký CMS đọc được: {exc}") from exc
    if hashlib.sha256(der).hexdigest() != row.certificate.fingerprint:
        other = certificates.read_certificate(der)
        raise certificates.CertificateMismatch(
            f"Chữ ký trả về được tạo bằng chứng thư “{other.common_name}”, không phải chứng thư "
            f"“{certificates.read_certificate(row.certificate.der).common_name}” đã chọn khi "
            f"chuẩn bị ký cho {actor.full_name}; hãy ký bằng đúng khoá của mình.")
    certificates.require_person_certificate(session=session, person=actor, certificate=der,
                                            now=moment)
    current = content_sha256(doc, _leader_block(session, doc, actor,
                                                local_date(moment)).as_spec())
    if current != row.content_sha256:
        raise ContentChanged(f"Văn bản #{doc.id} đã thay đổi sau khi chuẩn bị ký; hãy ký lại.")
    import io

    output = io.BytesIO(row.prepared)
    PdfTBSDocument.finish_signing(output, PreparedByteRangeDigest(
        document_digest=bytes.fromhex(row.digest), reserved_region_start=row.reserved_start,
        reserved_region_end=row.reserved_end), info)
    signed = output.getvalue()
    _require_valid_person_signature(signed)
    block = _leader_block(session, doc, actor, local_date(moment))
    result = _record(session, doc, actor, block, signed, row.certificate_id, row.content_sha256,
                     files_root, row.year)
    session.delete(row)
    session.flush()
    return result


def _require_valid_person_signature(pdf: bytes) -> None:
    """The person's signature in ``pdf`` is cryptographically valid over the file."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from signing.verify import quiet_validator

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    sigs = [s for s in reader.embedded_signatures if s.field_name == PERSON_FIELD]
    if not sigs:
        raise SigningError("Không thấy chữ ký của người ký trong tệp sau khi ghép chữ ký.")
    with quiet_validator():
        status = validate_pdf_signature(sigs[0], ValidationContext(allow_fetching=False))
    if not (status.intact and status.valid):
        raise SigningError("Chữ ký trả về không khớp với nội dung cần ký (sai mã băm hoặc sai "
                           "khoá); không lưu gì. Hãy chuẩn bị ký lại.")


def _record(session: Session, doc: Document, actor: Person, block: SignatureBlock,
            signed: bytes, certificate_id: int, content: str, files_root: Path,
            year: int) -> Document:
    on = local_date(datetime.now(UTC))
    stored = storage.store(files_root, document_id=doc.id, year=on.year, stem="ky-duyet",
                           suffix=".pdf", data=signed)
    row = DocumentFile(document_id=doc.id, kind=PERSON_SIGNED_KIND, path=stored.path,
                       sha256=stored.sha256, size=stored.size)
    session.add(row)
    session.flush()
    for old in session.scalars(select(DocumentSignature).where(
            DocumentSignature.document_id == doc.id, DocumentSignature.role == "person")):
        session.delete(old)
    session.flush()
    session.add(DocumentSignature(document_id=doc.id, role="person", person_id=actor.id,
                                  certificate_id=certificate_id, file_id=row.id,
                                  content_sha256=content, year=year,
                                  signed_at=datetime.now(UTC)))
    before = doc.status
    doc.signer_id, doc.signature_block = actor.id, block.as_spec()
    doc.status = DocumentStatus.SIGNED
    session.flush()
    audit.record(session=session, action="sign", object_type="document", object_id=doc.id,
                 actor=actor, detail={"from": before.value, "to": doc.status.value,
                                      "signature": block.lines(), "pdf_sha256": stored.sha256,
                                      "content_sha256": content})
    return doc


def person_signature(*, session: Session, document_id: int) -> DocumentSignature | None:
    """The recorded person's signature of a document, if any."""
    return session.scalar(select(DocumentSignature).where(
        DocumentSignature.document_id == document_id, DocumentSignature.role == "person"))
