"""Files (hồ sơ, ND30 art. 29): opened from the approved plan or by a handler with the same
fields; documents filed into them by reference; proposals of a file for a document; a handler's
open files.

A document filed in two files is one document and two rows of ``case_file_documents``. Filing
checks that the actor belongs to the file's organisation and may see the document
(registry.access); a closed or handed-over file takes nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from registry import access, audit
from registry.clock import local_today
from registry.errors import InvalidTransition, NotFound, ValidationError
from registry.labels import CASE_FILE_STATUS
from registry.models import (
    CaseFile,
    CaseFileDocument,
    Document,
    DocumentStatus,
    FilePlan,
    FilePlanEntry,
    Organization,
    Person,
)
from registry.permissions import require_member, require_role
from registry.text import nfc

CODE_MAX = 20


def get(*, session: Session, organization_id: int, year: int, code: str) -> CaseFile:
    """The file with that code, or NotFound."""
    found = session.scalar(select(CaseFile).where(
        CaseFile.organization_id == organization_id, CaseFile.year == year,
        CaseFile.code == nfc(code.strip())))
    if found is None:
        raise NotFound(f"không có hồ sơ «{code}» năm {year} (xem congvan files mine)")
    return found


def _member(actor: Person, organization: Organization, action: str) -> None:
    require_role(actor, action=action)
    require_member(actor, organization.id, action=action,
                   organization_name=organization.name_in_text)


def _plan_entry(session: Session, organization_id: int, year: int, code: str
                ) -> FilePlanEntry | None:
    return session.scalar(select(FilePlanEntry).join(FilePlan).where(
        FilePlan.organization_id == organization_id, FilePlan.year == year,
        FilePlan.status == "approved", FilePlanEntry.code == code))


def open_from_plan(*, session: Session, entry: FilePlanEntry, actor: Person,
                   now: datetime) -> CaseFile:
    """Open the file of an approved plan line (or return it, if already open)."""
    plan = entry.plan
    _member(actor, plan.organization, "mở hồ sơ")
    if plan.status != "approved":
        raise InvalidTransition(f"danh mục hồ sơ năm {plan.year} chưa được phê duyệt; "
                                "người đứng đầu duyệt bằng congvan files plan approve")
    existing = session.scalar(select(CaseFile).where(
        CaseFile.organization_id == plan.organization_id, CaseFile.year == plan.year,
        CaseFile.code == entry.code))
    if existing is not None:
        return existing
    case_file = CaseFile(
        organization_id=plan.organization_id, year=plan.year, code=entry.code,
        title=entry.title, retention_years=entry.retention_years, permanent=entry.permanent,
        plan_entry=entry, unit_id=entry.unit_id,
        handler_id=entry.person_id or actor.id, status="open", opened_at=now)
    session.add(case_file)
    session.flush()
    audit.record(session=session, action="records.open", object_type="case_file",
                 object_id=case_file.id, actor=actor, detail={"code": entry.code, "plan": True})
    return case_file


def open_unplanned(*, session: Session, organization: Organization, year: int, code: str,
                   title: str, retention_years: int | None, permanent: bool,
                   unit: Organization | None, actor: Person, now: datetime,
                   description: str = "") -> CaseFile:
    """A file not on the plan, opened by its handler with the plan's fields (ND30 art. 29)."""
    _member(actor, organization, "mở hồ sơ")
    code, title = nfc(code.strip()), nfc(title.strip())
    if not code or len(code) > CODE_MAX or re.search(r"[\x00-\x1f]", code):
        raise ValidationError(f"số và ký hiệu hồ sơ «{code}» phải có 1–{CODE_MAX} ký tự",
                              field="số và ký hiệu hồ sơ")
    if not title:
        raise ValidationError("thiếu tiêu đề hồ sơ", field="tiêu đề hồ sơ")
    if permanent == (retention_years is not None) or (
            retention_years is not None and not 1 <= retention_years <= 100):
        raise ValidationError("ghi thời hạn bảo quản: số năm từ 1 đến 100, hoặc vĩnh viễn",
                              field="thời hạn bảo quản")
    if _plan_entry(session, organization.id, year, code) is not None:
        raise ValidationError(f"mã «{code}» đã có trong danh mục hồ sơ năm {year}; xếp văn bản "
                              "vào đó (congvan files add) là hồ sơ được mở theo danh mục",
                              field="số và ký hiệu hồ sơ")
    if session.scalar(select(CaseFile.id).where(
            CaseFile.organization_id == organization.id, CaseFile.year == year,
            CaseFile.code == code)) is not None:
        raise ValidationError(f"đã có hồ sơ «{code}» năm {year}", field="số và ký hiệu hồ sơ")
    case_file = CaseFile(
        organization_id=organization.id, year=year, code=code, title=title,
        retention_years=retention_years, permanent=permanent, unit_id=unit.id if unit else None,
        handler_id=actor.id, status="open", opened_at=now, description=nfc(description))
    session.add(case_file)
    session.flush()
    audit.record(session=session, action="records.open", object_type="case_file",
                 object_id=case_file.id, actor=actor, detail={"code": code, "plan": False})
    return case_file


def open_or_get(*, session: Session, organization: Organization, year: int, code: str,
                actor: Person, now: datetime) -> CaseFile:
    """The file with ``code``: already open, or opened now from the approved plan."""
    code = nfc(code.strip())
    existing = session.scalar(select(CaseFile).where(
        CaseFile.organization_id == organization.id, CaseFile.year == year,
        CaseFile.code == code))
    if existing is not None:
        return existing
    entry = _plan_entry(session, organization.id, year, code)
    if entry is None:
        raise NotFound(f"không có hồ sơ «{code}» năm {year} trong danh mục đã duyệt hay ngoài "
                       "danh mục; mở hồ sơ mới bằng congvan files open")
    return open_from_plan(session=session, entry=entry, actor=actor, now=now)


def file_document(*, session: Session, case_file: CaseFile, document: Document, actor: Person,
                  now: datetime) -> CaseFileDocument:
    """File ``document`` into ``case_file`` by reference (idempotent)."""
    _member(actor, case_file.organization, f"xếp văn bản vào hồ sơ {case_file.code}")
    if not access.can_see(session=session, document_id=document.id, actor=actor):
        raise NotFound(f"không có văn bản #{document.id}")
    if case_file.status != "open":
        state = CASE_FILE_STATUS[case_file.status].lower()
        raise InvalidTransition(f"hồ sơ {case_file.code} {state}, không xếp thêm văn bản được")
    if document.status is DocumentStatus.REVOKED:
        raise InvalidTransition("văn bản đã thu hồi, không xếp vào hồ sơ mới được")
    existing = session.scalar(select(CaseFileDocument).where(
        CaseFileDocument.case_file_id == case_file.id,
        CaseFileDocument.document_id == document.id))
    if existing is not None:
        return existing
    last = session.scalar(select(func.max(CaseFileDocument.ordinal)).where(
        CaseFileDocument.case_file_id == case_file.id)) or 0
    link = CaseFileDocument(case_file_id=case_file.id, document_id=document.id,
                            ordinal=last + 1, added_by_id=actor.id, added_at=now)
    session.add(link)
    session.flush()
    audit.record(session=session, action="records.file", object_type="case_file",
                 object_id=case_file.id, actor=actor,
                 detail={"document": document.id, "ordinal": link.ordinal})
    return link


def files_of(*, session: Session, document_id: int) -> Sequence[CaseFile]:
    """The files holding a document."""
    return session.scalars(select(CaseFile).join(CaseFileDocument).where(
        CaseFileDocument.document_id == document_id).order_by(CaseFile.id)).all()


def items(*, session: Session, case_file: CaseFile) -> Sequence[CaseFileDocument]:
    """The links of a file in DocOrdinal order, with their documents loaded."""
    return session.scalars(select(CaseFileDocument).where(
        CaseFileDocument.case_file_id == case_file.id).order_by(CaseFileDocument.ordinal)
        .options(selectinload(CaseFileDocument.document))).all()


def mine(*, session: Session, actor: Person, include_closed: bool = False
         ) -> Sequence[CaseFile]:
    """The files ``actor`` keeps (handler), open ones first by default only."""
    query = select(CaseFile).where(CaseFile.handler_id == actor.id)
    if not include_closed:
        query = query.where(CaseFile.status == "open")
    return session.scalars(query.order_by(CaseFile.year.desc(), CaseFile.code)).all()


@dataclass
class Proposal:
    """A plan line proposed for a document, with its score and why."""

    entry: FilePlanEntry
    score: int
    reasons: list[str] = field(default_factory=list)
    case_file: CaseFile | None = None


def _words(text: str) -> str:
    return " ".join(nfc(text).casefold().split())


def propose(*, session: Session, organization_id: int, year: int, doc_type: str,
            subject: str, drafting_unit: str | None = None, limit: int = 3
            ) -> list[Proposal]:
    """Plan lines of the approved plan that fit a document (by type, subject words and drafting
    unit), best first — what the drafting form offers."""
    entries = session.scalars(select(FilePlanEntry).join(FilePlan).where(
        FilePlan.organization_id == organization_id, FilePlan.year == year,
        FilePlan.status == "approved").options(selectinload(FilePlanEntry.unit))).all()
    said = _words(subject)
    out: list[Proposal] = []
    for entry in entries:
        proposal = Proposal(entry=entry, score=0)
        if doc_type in (entry.doc_types or []):
            proposal.score += 3
            proposal.reasons.append("loại văn bản")
        hits = [k for k in entry.keywords or [] if _words(k) and _words(k) in said]
        if hits:
            proposal.score += 2 * len(hits)
            proposal.reasons.append("trích yếu có: " + ", ".join(hits))
        if drafting_unit and entry.unit is not None and drafting_unit.casefold() in (
                entry.unit.code.casefold(), entry.unit.key.casefold()):
            proposal.score += 2
            proposal.reasons.append("đơn vị soạn thảo")
        if proposal.score:
            out.append(proposal)
    out.sort(key=lambda p: (-p.score, p.entry.position))
    for proposal in out[:limit]:
        proposal.case_file = session.scalar(select(CaseFile).where(
            CaseFile.organization_id == organization_id, CaseFile.year == year,
            CaseFile.code == proposal.entry.code))
    return out[:limit]


def for_document(*, session: Session, document: Document, actor: Person
                 ) -> tuple[list[CaseFile], list[Proposal]]:
    """What the document and drafting pages show ``actor``: the files of the actor's
    organisation holding the document, and plan lines of its approved plan proposed for it
    (those it is not in yet)."""
    holding = [f for f in files_of(session=session, document_id=document.id)
               if f.organization_id == actor.organization_id]
    # A draft is filed in this year's files; a numbered document in its own year's.
    year = document.year or (document.issue_date.year if document.issue_date else None) or \
        local_today().year
    found = propose(session=session, organization_id=actor.organization_id, year=year,
                    doc_type=document.doc_type, subject=document.subject,
                    drafting_unit=document.drafting_unit)
    held = {f.code for f in holding}
    return holding, [p for p in found if p.entry.code not in held]


def propose_for(*, session: Session, document: Document, limit: int = 3) -> list[Proposal]:
    """:func:`propose` for a stored document (its issuer or receiving office, its year)."""
    organization_id = document.issuer_id
    if document.register is not None:
        organization_id = document.register.organization_id
    if organization_id is None:
        return []
    year = document.year or (document.issue_date.year if document.issue_date else None) or \
        document.created_at.year
    return propose(session=session, organization_id=organization_id, year=year,
                   doc_type=document.doc_type, subject=document.subject,
                   drafting_unit=document.drafting_unit, limit=limit)


__all__ = ["Proposal", "file_document", "files_of", "for_document", "get", "items", "mine",
           "open_from_plan", "open_or_get", "open_unplanned", "propose", "propose_for"]
