"""The approval state machine of an outgoing document.

    draft    ─submit→   submitted   (each reviewer approves in order; the last one →)
    submitted ─approve→ approved     ─sign→ signed ─issue→ issued   (signing.issuing)
    submitted | approved ─return_→ returned ─submit (resubmit)→ submitted
    anything but revoked ─revoke→ revoked

Each function takes the caller's session and never commits: the caller's
``registry.db.transaction()`` does. Every transition checks the actor's role
and rights and writes an AuditEvent; an illegal one raises
:class:`~registry.errors.InvalidTransition` or
:class:`~registry.errors.PermissionDenied` with a Vietnamese message.
Issuing (number, final files, signatures) lives in :mod:`signing.issuing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doc_templates.render import render_docx
from registry import audit, documents
from registry.errors import ImmutableDocument, InvalidTransition, PermissionDenied, ValidationError
from registry.labels import DOCUMENT_STATUS_IN_TEXT
from registry.models import Document, DocumentStatus, DraftVersion, Person, ReviewStep
from registry.numbering import local_date
from signing import authority, storage
from signing.specs import spec_for

S = DocumentStatus
REVIEW_ROLES = {"leader", "reviewer"}
# The in-sentence words for each status, from the one label table.
STATUS_LABELS = {s: DOCUMENT_STATUS_IN_TEXT[s.value] for s in S}


@dataclass(frozen=True)
class ReviewState:
    """Where a submitted draft stands: the round, its steps, and whose turn it is."""

    round: int
    steps: list[ReviewStep]

    @property
    def current(self) -> ReviewStep | None:
        """The first step without a decision (None when every reviewer approved)."""
        return next((s for s in self.steps if s.decision is None), None)


def _label(doc: Document) -> str:
    return doc.number_symbol or f"#{doc.id}"


def _now() -> datetime:
    return datetime.now(UTC)


def require_status(doc: Document, allowed: set[DocumentStatus], action: str) -> None:
    if doc.status in allowed:
        return
    if doc.status in documents.FROZEN:
        raise ImmutableDocument(
            f"văn bản {_label(doc)} {STATUS_LABELS[doc.status]}, không thể {action}; "
            "hãy tạo văn bản đính chính hoặc thay thế (congvan draft correct)"
        )
    wanted = " hoặc ".join(STATUS_LABELS[s] for s in sorted(allowed, key=list(S).index))
    raise InvalidTransition(
        f"không thể {action} văn bản {_label(doc)}: văn bản đang ở trạng thái "
        f"'{STATUS_LABELS[doc.status]}', cần '{wanted}'"
    )


def _is_drafter(doc: Document, actor: Person) -> bool:
    return doc.created_by_id == actor.id


def _record(session: Session, doc: Document, action: str, actor: Person, before: DocumentStatus,
            **detail: Any) -> None:
    audit.record(session=session, action=action, object_type="document", object_id=doc.id,
                 actor=actor, detail={"from": before.value, "to": doc.status.value, **detail})


def review_state(*, session: Session, document_id: int) -> ReviewState | None:
    """The latest review round of a document (None when never submitted)."""
    last = session.scalar(select(func.max(ReviewStep.round)).where(
        ReviewStep.document_id == document_id))
    latest_version = session.scalar(select(func.max(DraftVersion.version)).where(
        DraftVersion.document_id == document_id))
    if latest_version is None:
        return None
    steps = [] if last != latest_version else list(session.scalars(select(ReviewStep).where(
        ReviewStep.document_id == document_id, ReviewStep.round == last,
    ).order_by(ReviewStep.position)).all())
    return ReviewState(round=latest_version, steps=steps)


def _latest_version(session: Session, doc: Document) -> DraftVersion:
    return session.scalars(select(DraftVersion).where(DraftVersion.document_id == doc.id)
                           .order_by(DraftVersion.version.desc()).limit(1)).one()


def _proposed_signature(session: Session, doc: Document, signer: Person | None,
                        on: date) -> dict[str, Any]:
    assert doc.issuer_id is not None
    if signer is not None:
        block = authority.signature_block(session=session, person=signer,
                                          issuer_id=doc.issuer_id, doc_type=doc.doc_type, on=on)
        return block.as_spec()
    candidates = authority.eligible_signers(session=session, issuer_id=doc.issuer_id,
                                            doc_type=doc.doc_type, on=on)
    if not candidates:
        raise PermissionDenied(
            f"chưa có lãnh đạo nào có quyền ký loại '{doc.doc_type}' cho cơ quan "
            f"{doc.issuer.code if doc.issuer else doc.issuer_id}; thêm quyền ký (signs) vào danh bạ"
        )
    person, right = candidates[0]
    return authority.block_for(right, person).as_spec()


def _check_reviewers(reviewers: Sequence[Person]) -> None:
    seen: set[int] = set()
    for person in reviewers:
        if not REVIEW_ROLES & set(person.roles or []):
            raise PermissionDenied(
                f"{person.full_name} không có vai trò lãnh đạo hoặc thẩm định nên không thể là "
                "người duyệt; chọn người có vai trò leader hoặc reviewer"
            )
        if person.id in seen:
            raise ValidationError(f"{person.full_name} có tên hai lần trong danh sách người duyệt",
                                  field="reviewers")
        seen.add(person.id)


def edit(*, session: Session, document_id: int, actor: Person, **changes: Any) -> Document:
    """Change a draft's editable fields: only its drafter (or a clerk), only before submission
    or after a return."""
    doc = documents.get(session=session, document_id=document_id)
    require_status(doc, {S.DRAFT, S.RETURNED}, "sửa")
    if not (_is_drafter(doc, actor) or actor.has_role("clerk")):
        raise PermissionDenied(f"{actor.full_name} không phải người soạn văn bản {_label(doc)}")
    return documents.update(session=session, document=doc, actor=actor, **changes)


def submit(*, session: Session, document_id: int, actor: Person, files_root: Path,
           reviewers: Sequence[Person] = (), signer: Person | None = None,
           today: date | None = None) -> DraftVersion:
    """Submit (or resubmit after a return) a draft to its reviewers, in the order given.

    Renders the draft .docx, stores it with its SHA-256 and keeps a new
    DraftVersion. With no reviewers, the draft waits for a leader who may sign.
    On resubmission without ``reviewers`` the previous round's reviewers review again.
    """
    doc = documents.get(session=session, document_id=document_id)
    require_status(doc, {S.DRAFT, S.RETURNED}, "trình")
    if not (_is_drafter(doc, actor) or actor.has_role("clerk")):
        raise PermissionDenied(
            f"chỉ người soạn hoặc văn thư mới trình được văn bản {_label(doc)}; "
            f"{actor.full_name} không phải người soạn"
        )
    before = doc.status
    on = today or local_date(_now())
    previous = review_state(session=session, document_id=doc.id)
    if not reviewers and previous is not None and before is S.RETURNED:
        reviewers = [step.reviewer for step in previous.steps]
    _check_reviewers(reviewers)
    signature = _proposed_signature(session, doc, signer, on)
    spec = spec_for(doc, signature=signature)
    number = (previous.round if previous else 0) + 1
    stored = storage.store(files_root, document_id=doc.id, year=on.year, stem=f"v{number}",
                           suffix=".docx", data=render_docx(spec, today=on))
    version = DraftVersion(document_id=doc.id, version=number, spec=spec.model_dump(mode="json"),
                           body=doc.body, docx_path=stored.path, docx_sha256=stored.sha256,
                           author_id=actor.id)
    session.add(version)
    for position, reviewer in enumerate(reviewers, start=1):
        session.add(ReviewStep(document_id=doc.id, round=number, position=position,
                               reviewer_id=reviewer.id))
    doc.status = S.SUBMITTED
    session.flush()
    _record(session, doc, "resubmit" if before is S.RETURNED else "submit", actor, before,
            version=number, reviewers=[r.full_name for r in reviewers],
            docx_sha256=stored.sha256)
    return version


def approve(*, session: Session, document_id: int, actor: Person,
            comment: str | None = None, today: date | None = None) -> Document:
    """The current reviewer approves; the draft moves to the next reviewer, or to 'approved'
    after the last one. Without reviewers, a leader who may sign approves."""
    doc = documents.get(session=session, document_id=document_id)
    require_status(doc, {S.SUBMITTED}, "duyệt")
    if not REVIEW_ROLES & set(actor.roles or []):
        raise PermissionDenied(
            f"{actor.full_name} không có vai trò lãnh đạo hoặc thẩm định nên không duyệt được "
            "văn bản")
    state = review_state(session=session, document_id=doc.id)
    assert state is not None
    step = state.current
    before = doc.status
    if step is None:
        assert doc.issuer_id is not None
        authority.right_for(session=session, person=actor, issuer_id=doc.issuer_id,
                            doc_type=doc.doc_type, on=today or local_date(_now()))
    else:
        _require_turn(step, state, actor)
        step.decision, step.comment, step.decided_at = "approved", comment, _now()
    remaining = [s for s in state.steps if s.decision is None]
    if not remaining:
        doc.status = S.APPROVED
    session.flush()
    _record(session, doc, "approve", actor, before, version=state.round, comment=comment,
            step=step.position if step else None, of=len(state.steps),
            next=remaining[0].reviewer.full_name if remaining else None)
    return doc


def _require_turn(step: ReviewStep, state: ReviewState, actor: Person) -> None:
    if step.reviewer_id != actor.id:
        raise PermissionDenied(
            f"văn bản đang chờ {step.reviewer.full_name} duyệt (bước {step.position}/"
            f"{len(state.steps)}); {actor.full_name} chưa đến lượt hoặc không có trong danh sách"
        )


def return_(*, session: Session, document_id: int, actor: Person, comment: str) -> Document:
    """Return the draft to its drafter with a comment: by the reviewer whose turn it is, or,
    once approved, by a leader who may sign it."""
    doc = documents.get(session=session, document_id=document_id)
    require_status(doc, {S.SUBMITTED, S.APPROVED}, "trả lại")
    if not comment or not comment.strip():
        raise ValidationError("khi trả lại phải ghi ý kiến để người soạn biết cần sửa gì",
                              field="comment")
    state = review_state(session=session, document_id=doc.id)
    assert state is not None
    before = doc.status
    step = state.current if doc.status is S.SUBMITTED else None
    if step is not None:
        _require_turn(step, state, actor)
        step.decision, step.comment, step.decided_at = "returned", comment, _now()
    else:
        assert doc.issuer_id is not None
        if not actor.has_role("leader"):
            raise PermissionDenied(f"{actor.full_name} không phải lãnh đạo nên không trả lại được")
        authority.right_for(session=session, person=actor, issuer_id=doc.issuer_id,
                            doc_type=doc.doc_type, on=local_date(_now()))
    version = _latest_version(session, doc)
    version.comment, version.reviewer_id = comment, actor.id
    doc.status = S.RETURNED
    session.flush()
    _record(session, doc, "return", actor, before, version=version.version, comment=comment)
    return doc


def sign(*, session: Session, document_id: int, actor: Person, today: date | None = None,
         certificate: str | None = None) -> Document:
    """Record the competent person's decision to sign (ký duyệt) — the signer and the block
    derived from their right — without a PDF signature. A clerk never signs.

    The person's own PAdES signature on the final PDF is :mod:`signing.person` (``draft
    sign``, the web sign page); :func:`signing.issuing.issue` refuses a document signed only
    here. Flows whose decisions are recorded data call this, then have the person sign with
    their own key before issuing (``workflows.issuance.sign_for_signer``).
    """
    doc = documents.get(session=session, document_id=document_id)
    require_status(doc, {S.APPROVED}, "ký")
    if not actor.has_role("leader"):
        who = "văn thư" if actor.has_role("clerk") else "người không có vai trò lãnh đạo"
        raise PermissionDenied(f"{actor.full_name} là {who}, không được ký văn bản")
    assert doc.issuer_id is not None
    on = today or local_date(_now())
    block = authority.signature_block(session=session, person=actor, issuer_id=doc.issuer_id,
                                      doc_type=doc.doc_type, on=on)
    before = doc.status
    doc.signer_id, doc.signature_block, doc.status = actor.id, block.as_spec(), S.SIGNED
    session.flush()
    _record(session, doc, "sign", actor, before, signature=block.lines(),
            certificate=certificate)
    return doc


def revoke(*, session: Session, document_id: int, actor: Person, reason: str) -> Document:
    """Revoke (thu hồi) a document: an issued one by a leader who may sign for its issuer; a
    draft by its drafter or a leader."""
    doc = documents.get(session=session, document_id=document_id)
    if doc.status in {S.REVOKED, S.RECEIVED}:
        raise InvalidTransition(f"văn bản {_label(doc)} {STATUS_LABELS[doc.status]}, "
                                "không thu hồi được")
    if not reason or not reason.strip():
        raise ValidationError("cần ghi lý do thu hồi", field="reason")
    assert doc.issuer_id is not None
    if doc.status is S.ISSUED or not _is_drafter(doc, actor):
        if not actor.has_role("leader"):
            raise PermissionDenied(f"{actor.full_name} không phải lãnh đạo nên không thu hồi được "
                                   f"văn bản {_label(doc)}")
        authority.right_for(session=session, person=actor, issuer_id=doc.issuer_id,
                            doc_type=doc.doc_type, on=local_date(_now()))
    before = doc.status
    doc.status = S.REVOKED
    session.flush()
    _record(session, doc, "revoke", actor, before, reason=reason)
    return doc
