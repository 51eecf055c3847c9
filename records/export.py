"""Export a closed file as its handover package (records.package): every document's stored
PDF, byte for byte and checked against the registry's SHA-256, the file's and each document's
Appendix VI metadata, and the manifest.

The documents' values are read with a few column queries for the whole file (not one ORM
object graph per document): a file of 500 documents costs little more than copying its PDFs
(bench/records.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from records import closing, metadata, package
from registry import access_log
from registry import files as file_store
from registry.access_log import Door
from registry.clock import local_date
from registry.doctypes import format_number, format_number_symbol, get_type
from registry.errors import InvalidTransition
from registry.models import (
    CaseFile,
    CaseFileDocument,
    Document,
    DocumentFile,
    DocumentRecipient,
    HandlingAssignment,
    IncomingArrival,
    Organization,
    Person,
)


@dataclass(frozen=True)
class _Pdf:
    id: int
    kind: str
    path: str
    sha256: str


def package_name(case_file: CaseFile) -> str:
    """``ho-so-<year>-<code>.zip``."""
    return f"ho-so-{case_file.year}-{package.safe_name(case_file.code)}.zip"


def _rows(session: Session, case_file: CaseFile) -> list[Any]:
    issuer, sender = aliased(Organization), aliased(Organization)
    return list(session.execute(
        select(CaseFileDocument.ordinal, CaseFileDocument.page_count, Document.id,
               Document.direction, Document.doc_type, Document.status, Document.number,
               Document.symbol, Document.issue_date, Document.subject, Document.urgency,
               Document.due_date, Document.original_number, Document.original_date,
               Document.sender_name, Document.arrived_at, Document.signature_block,
               Person.full_name, Person.title, issuer.text_name, issuer.name,
               sender.text_name, sender.name)
        .join(Document, Document.id == CaseFileDocument.document_id)
        .outerjoin(Person, Person.id == Document.signer_id)
        .outerjoin(issuer, issuer.id == Document.issuer_id)
        .outerjoin(sender, sender.id == Document.sender_id)
        .where(CaseFileDocument.case_file_id == case_file.id)
        .order_by(CaseFileDocument.ordinal)))


def _in_file(case_file: CaseFile) -> Any:
    return select(CaseFileDocument.document_id).where(
        CaseFileDocument.case_file_id == case_file.id).scalar_subquery()


def _pdfs(session: Session, case_file: CaseFile) -> dict[int, _Pdf]:
    """The PDF standing for each document (closing.PDF_KINDS order, then the oldest)."""
    found: dict[int, list[_Pdf]] = {}
    for doc_id, file_id, kind, path, digest in session.execute(
            select(DocumentFile.document_id, DocumentFile.id, DocumentFile.kind,
                   DocumentFile.path, DocumentFile.sha256)
            .where(DocumentFile.document_id.in_(_in_file(case_file)))):
        if path.lower().endswith(".pdf") and kind in closing.PDF_KINDS:
            found.setdefault(doc_id, []).append(_Pdf(file_id, kind, path, digest))
    return {doc_id: min(pdfs, key=lambda p: (closing.PDF_KINDS.index(p.kind), p.id))
            for doc_id, pdfs in found.items()}


def _recipients(session: Session, case_file: CaseFile) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for doc_id, label, edxml_id, code in session.execute(
            select(DocumentRecipient.document_id, DocumentRecipient.label,
                   Organization.edxml_id, Organization.code)
            .outerjoin(Organization, Organization.id == DocumentRecipient.organization_id)
            .where(DocumentRecipient.document_id.in_(_in_file(case_file)))
            .order_by(DocumentRecipient.document_id, DocumentRecipient.position)):
        if not label.lstrip("- ").startswith("Lưu"):
            out.setdefault(doc_id, []).append((edxml_id or code or "", label))
    return out


def _handlers(session: Session, case_file: CaseFile) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for doc_id, person, org_text, org_name in session.execute(
            select(HandlingAssignment.document_id, Person.full_name, Organization.text_name,
                   Organization.name)
            .outerjoin(Person, Person.id == HandlingAssignment.person_id)
            .outerjoin(Organization, Organization.id == HandlingAssignment.organization_id)
            .where(HandlingAssignment.document_id.in_(_in_file(case_file)),
                   HandlingAssignment.status != "replaced")
            .order_by(HandlingAssignment.id)):
        name = person or org_text or " ".join((org_name or "").split())
        places = out.setdefault(doc_id, [])
        if name and name not in places:
            places.append(name)
    return out


def _trace(session: Session, case_file: CaseFile) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for doc_id, channel, at in session.execute(
            select(IncomingArrival.document_id, IncomingArrival.channel,
                   IncomingArrival.arrived_at)
            .where(IncomingArrival.document_id.in_(_in_file(case_file)))
            .order_by(IncomingArrival.id)):
        out.setdefault(doc_id, []).append(f"{channel} {at.isoformat()}")
    return out


def _meta(row: Any, code: metadata.FileCode, language: str,
          recipients: list[tuple[str, str]], handlers: list[str], trace: list[str]
          ) -> metadata.DocumentMeta:
    (ordinal, pages, _id, direction, doc_type, status, number, symbol, issue_date, subject,
     urgency, due, original_number, original_date, sender_name, arrived_at, block,
     signer_name, signer_title, issuer_text, issuer_name, sender_text, sender_org) = row
    incoming = direction.value == "in"
    block = block or {}
    if incoming:
        code_number, _, notation = (original_number or "").partition("/")
        issued = original_date
        organ = sender_name or sender_text or " ".join((sender_org or "").split())
    else:
        code_number = format_number(number) if number is not None else ""
        notation, issued = symbol or "", issue_date
        organ = issuer_text or " ".join((issuer_name or "").split())
    return metadata.DocumentMeta(
        code=code, ordinal=ordinal, incoming=incoming, type_name=get_type(doc_type).name,
        code_number=code_number, code_notation=notation, issued=issued, organ_name=organ,
        subject=subject, language=language, pages=pages or 0,
        recalled=status.value == "revoked",
        signer_position=block.get("title") or signer_title or "",
        signer_name=signer_name or block.get("name", ""), urgency=urgency, due=due,
        recipients=recipients, issued_amount=len(recipients),
        arrival_date=local_date(arrived_at) if arrived_at else None,
        arrival_number=number if incoming else None, handlers=handlers, trace=trace)


def members(*, session: Session, case_file: CaseFile, files_root: Path
            ) -> Iterator[package.Member]:
    """The package members of a closed (or handed-over) file, in DocOrdinal order; each PDF is
    read (and checked against its recorded SHA-256) only when its turn comes."""
    if case_file.status == "open":
        raise InvalidTransition(f"hồ sơ {case_file.code} chưa đóng; đóng hồ sơ trước khi xuất "
                                "gói nộp lưu (congvan files close)")
    code = metadata.file_code(case_file)
    rows = _rows(session, case_file)
    pdfs, recipients = _pdfs(session, case_file), _recipients(session, case_file)
    handlers, trace = _handlers(session, case_file), _trace(session, case_file)

    def generate() -> Iterator[package.Member]:
        yield package.Member(package.FILE_XML, data=metadata.file_xml(case_file))
        for row in rows:
            doc_id = row[2]
            folder = f"{package.DOC_DIR}/{row[0]:03d}"
            yield package.Member(f"{folder}/{package.DOC_XML}", data=metadata.document_xml(
                _meta(row, code, case_file.language, recipients.get(doc_id, []),
                      handlers.get(doc_id, []), trace.get(doc_id, []))))
            pdf = pdfs.get(doc_id)
            if pdf is not None:
                label = (format_number_symbol(row[6], row[7] or "")
                         if row[6] is not None and row[3].value == "out"
                         else row[12] or f"van-ban-{doc_id}")
                data = file_store.read(files_root, pdf.path, expected_sha256=pdf.sha256)
                yield package.Member(f"{folder}/{package.safe_name(label)}.pdf", data=data,
                                     sha256=pdf.sha256)

    return generate()


def export(*, session: Session, case_file: CaseFile, files_root: Path, out_dir: Path,
           door: Door | None = None) -> Path:
    """Write the package of ``case_file`` into ``out_dir``; returns its path. Every document
    exported is on the access log (``door``: who exported; default the system)."""
    target = out_dir / package_name(case_file)
    package.write(target, members(session=session, case_file=case_file, files_root=files_root))
    access_log.record_many(
        session=session, door=door or Door(None, "cli", "hệ thống (gói nộp lưu)"), act="export",
        document_ids=list(session.scalars(select(CaseFileDocument.document_id).where(
            CaseFileDocument.case_file_id == case_file.id).order_by(CaseFileDocument.ordinal))),
        detail={"package": target.name, "file": case_file.code})
    return target


__all__ = ["export", "members", "package_name"]
