"""Export a closed file as its handover package (records.package): every document's stored
PDF, byte for byte and checked against the registry's SHA-256, the file's and each document's
Appendix VI metadata, and the manifest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from records import closing, metadata, package
from registry import files as file_store
from registry.errors import InvalidTransition
from registry.models import (
    CaseFile,
    CaseFileDocument,
    Document,
    DocumentRecipient,
    HandlingAssignment,
    IncomingArrival,
)


def _facts(session: Session, document: Document) -> metadata.DocumentFacts:
    if document.direction.value == "in":
        assignments = session.scalars(select(HandlingAssignment).where(
            HandlingAssignment.document_id == document.id).order_by(HandlingAssignment.id)
            .options(selectinload(HandlingAssignment.person),
                     selectinload(HandlingAssignment.organization))).all()
        arrivals = session.scalars(select(IncomingArrival).where(
            IncomingArrival.document_id == document.id).order_by(IncomingArrival.id)).all()
        return metadata.DocumentFacts(
            handlers=metadata.handlers_of(assignments),
            trace=[f"{a.channel} {a.arrived_at.isoformat()}" for a in arrivals])
    addressed = [r for r in document.recipients
                 if not r.label.lstrip("- ").startswith("Lưu")]
    return metadata.DocumentFacts(
        recipients=[(r.organization.edxml_id or r.organization.code if r.organization else "",
                     r.label) for r in addressed],
        issued_amount=len(addressed))


def package_name(case_file: CaseFile) -> str:
    """``ho-so-<year>-<code>.zip``."""
    return f"ho-so-{case_file.year}-{package.safe_name(case_file.code)}.zip"


def members(*, session: Session, case_file: CaseFile, files_root: Path
            ) -> Iterator[package.Member]:
    """The package members of a closed (or handed-over) file, in DocOrdinal order; each PDF is
    read (and checked against its recorded SHA-256) only when its turn comes."""
    if case_file.status == "open":
        raise InvalidTransition(f"hồ sơ {case_file.code} chưa đóng; đóng hồ sơ trước khi xuất "
                                "gói nộp lưu (congvan files close)")
    links = session.scalars(select(CaseFileDocument).where(
        CaseFileDocument.case_file_id == case_file.id).order_by(CaseFileDocument.ordinal)
        .options(selectinload(CaseFileDocument.document).selectinload(Document.files),
                 selectinload(CaseFileDocument.document).selectinload(Document.recipients)
                 .selectinload(DocumentRecipient.organization))).all()
    yield package.Member(package.FILE_XML, data=metadata.file_xml(case_file))
    for link in links:
        folder = f"{package.DOC_DIR}/{link.ordinal:03d}"
        document = link.document
        yield package.Member(f"{folder}/{package.DOC_XML}", data=metadata.document_xml(
            link, _facts(session, document)))
        pdf = closing.main_pdf(document)
        if pdf is not None:
            label = document.number_symbol or document.original_number or f"van-ban-{document.id}"
            data = file_store.read(files_root, pdf.path, expected_sha256=pdf.sha256)
            yield package.Member(f"{folder}/{package.safe_name(label)}.pdf", data=data,
                                 sha256=pdf.sha256)


def export(*, session: Session, case_file: CaseFile, files_root: Path, out_dir: Path) -> Path:
    """Write the package of ``case_file`` into ``out_dir``; returns its path."""
    target = out_dir / package_name(case_file)
    package.write(target, members(session=session, case_file=case_file, files_root=files_root))
    return target


__all__ = ["export", "members", "package_name"]
