"""Taking a unit's report through three doors: .xlsx upload, JSON post, e-mailed .xlsx.

Every door ends in :func:`submit_values`: the request must belong to the
sending unit, the values must pass the form; then the submission is stored,
the previous one kept but no longer current. A refused or invalid submission
stores nothing but an audit line. Answers are :class:`Receipt` objects whose
``message`` a unit can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from registry import audit, files
from registry.calendar import Period
from registry.errors import NotFound, PermissionDenied
from registry.models import (
    AuditEvent,
    Document,
    DocumentStatus,
    Organization,
    Person,
    ReportRequest,
    RequestStatus,
    Submission,
)
from registry.permissions import require_member, require_role
from reporting.forms import FormDef, Indicator, form_of, validate_values
from reporting.xlsx import FormMeta, XlsxRejected, check_sheet, read_workbook


@dataclass
class Receipt:
    """The answer to a submission: accepted (with its id) or the errors, in Vietnamese."""

    ok: bool
    request_id: int | None
    unit_key: str
    submission_id: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    replaced: int | None = None
    closed_by: int | None = None  # the issued Báo cáo that closed the period (refused)

    @property
    def message(self) -> str:
        """One text for the unit: the receipt, or each error with its cell and fix."""
        if self.ok:
            again = f" (thay thế lần gửi #{self.replaced})" if self.replaced else ""
            return (f"Đã nhận báo cáo của đơn vị {self.unit_key} cho yêu cầu #{self.request_id}: "
                    f"biên nhận số {self.submission_id}{again}.")
        lines = [f"Báo cáo của đơn vị {self.unit_key} chưa được nhận, cần sửa:"]
        for err in self.errors:
            where = f"ô {err['cell']}: " if err.get("cell") else ""
            lines.append(f"- {where}{err['message']}")
        return "\n".join(lines)


def _refusal(*, request_id: int | None, unit_key: str, channel: str,
             errors: list[dict[str, Any]], actor: Person | None = None,
             reason: dict[str, Any] | None = None) -> tuple[Receipt, dict[str, Any]]:
    """The refused receipt and its audit line (:func:`registry.audit.entry`)."""
    line = audit.entry(action="submission_rejected", object_type="report_request",
                       object_id=request_id, actor=actor, actor_label=None if actor else unit_key,
                       detail={"channel": channel, "errors": errors, **(reason or {})})
    closed = (reason or {}).get("report")
    return Receipt(ok=False, request_id=request_id, unit_key=unit_key, errors=errors,
                   closed_by=closed if isinstance(closed, int) else None), line


def _refuse(session: Session, **refusal: Any) -> Receipt:
    receipt, line = _refusal(**refusal)
    session.add(AuditEvent(**line))
    return receipt


def _request_for_unit(session: Session, request_id: int, unit_key: str) -> ReportRequest:
    return _checked_request(session.get(ReportRequest, request_id), request_id, unit_key)


def _checked_request(request: ReportRequest | None, request_id: int, unit_key: str
                     ) -> ReportRequest:
    """The request, if it exists and is ``unit_key``'s; else NotFound / PermissionDenied."""
    if request is None:
        raise NotFound(f"không có yêu cầu báo cáo #{request_id}; kiểm tra mã yêu cầu trên mẫu")
    if request.unit.key != unit_key:
        raise PermissionDenied(
            f"yêu cầu báo cáo #{request_id} là của đơn vị {request.unit.key}, không phải của "
            f"{unit_key}; hãy gửi báo cáo theo đúng mẫu đã cấp cho đơn vị mình")
    return request


def closing_report(*, session: Session, request: ReportRequest) -> Document | None:
    """The issued Báo cáo that aggregated this request's period, if any: once it is issued the
    period is closed for the unit (its figures are in an official record sent upward)."""
    if request.report_document_id is None:
        return None
    report = session.get(Document, request.report_document_id)
    return report if report is not None and report.status is DocumentStatus.ISSUED else None


def closed_message(request: ReportRequest, report: Document) -> str:
    """Why a closed period refuses figures, and how to correct them."""
    issuer = report.issuer.name_in_text if report.issuer is not None else "cơ quan tổng hợp"
    when = f" ngày {report.issue_date:%d/%m/%Y}" if report.issue_date else ""
    return (f"kỳ báo cáo {Period.from_key(request.period).in_sentence} đã khép lại: số liệu đã "
            f"được tổng hợp vào Báo cáo số {report.number_symbol}{when} của {issuer}, đã ban "
            "hành, nên không nhận báo cáo mới hay thay thế. Để sửa số liệu, đơn vị gửi một văn "
            "bản báo cáo đính chính có số, ký hiệu (nêu số liệu đúng và lý do) tới cơ quan tổng "
            "hợp; cơ quan tổng hợp ban hành báo cáo đính chính gửi cấp trên")


def _check_actor(actor: Person, request: ReportRequest) -> None:
    action = f"nộp báo cáo cho yêu cầu #{request.id}"
    require_role(actor, "reporter", "clerk", action=action)
    require_member(actor, request.unit_id, action=action,
                   organization_name=request.unit.name_in_text, unless_role=None)


def submit_values(*, session: Session, request_id: int, unit_key: str, values: dict[str, Any],
                  channel: str, file_bytes: bytes | None = None, files_dir: Path | None = None,
                  now: datetime | None = None, actor: Person | None = None) -> Receipt:
    """Validate and store one submission; raises PermissionDenied for another unit's request.

    ``actor`` is the person filing (the web, the CLI): a reporter or clerk of the unit. The
    e-mail and bulk doors identify the unit by its address or the workbook instead. A period
    whose Báo cáo is issued refuses figures (:func:`closed_message`); the attempt is audited.
    """
    request = _request_for_unit(session, request_id, unit_key)
    if actor is not None:
        _check_actor(actor, request)
    clean, refusal = _screen(session, request, unit_key=unit_key, channel=channel,
                             values=values, actor=actor, form=form_of(request.form))
    if refusal is not None:
        session.add(AuditEvent(**refusal[1]))
        return refusal[0]
    path = sha = None
    if file_bytes is not None and files_dir is not None:
        digest = files.sha256(file_bytes)
        stored = files.put(files_dir, f"submissions/{request_id}/{digest[:16]}.xlsx", file_bytes)
        path, sha = stored.path, stored.sha256
    previous = session.scalar(select(Submission.id).where(
        Submission.request_id == request_id, Submission.current.is_(True)))
    if previous is not None:
        session.execute(update(Submission).where(Submission.request_id == request_id)
                        .values(current=False))
    row = Submission(request_id=request_id, unit_id=request.unit_id, values=clean,
                     file_path=path, file_sha256=sha, channel=channel, valid=True, errors=[],
                     current=True, submitted_at=now or datetime.now(UTC))
    session.add(row)
    request.status = RequestStatus.SUBMITTED
    session.flush()
    audit.record(session=session, action="submit", object_type="report_request",
                 object_id=request_id, actor=actor, actor_label=None if actor else unit_key,
                 detail={"submission": row.id, "channel": channel, "replaces": previous})
    return Receipt(ok=True, request_id=request_id, unit_key=unit_key, submission_id=row.id,
                   replaced=previous)


def _screen(session: Session, request: ReportRequest, *, unit_key: str, channel: str,
            values: dict[str, Any], actor: Person | None, form: FormDef
            ) -> tuple[dict[str, Any], tuple[Receipt, dict[str, Any]] | None]:
    """The checks after the request's: the period still open, the values valid for the form.
    (clean values, None) or (…, the refusal and its audit line)."""
    report = closing_report(session=session, request=request)
    if report is not None:
        return {}, _refusal(request_id=request.id, unit_key=unit_key, channel=channel,
                            actor=actor, reason={"reason": "period_closed", "report": report.id},
                            errors=[{"indicator": None, "cell": None,
                                     "message": closed_message(request, report)}])
    clean, errors = validate_values(form, values)
    if errors:
        return clean, _refusal(request_id=request.id, unit_key=unit_key, channel=channel,
                               errors=errors, actor=actor)
    return clean, None


@dataclass
class Post:
    """One post of a bulk door: the request it names, the unit that sent it, its values."""

    request_id: int
    unit_key: str
    values: dict[str, Any]


def submit_values_many(*, session: Session, posts: Sequence[Post], channel: str = "api",
                       now: datetime | None = None
                       ) -> list[Receipt | NotFound | PermissionDenied]:
    """:func:`submit_values` for many posts (a bulk door: no actor, no file), in their order,
    with the same checks, refusals, audit lines and stored rows — but a handful of statements
    for the lot instead of five per post: the requests (with unit; each form once: a joined
    form would decode its definition again for every request) and their current submissions
    are read once, each form parsed once, and the submissions, the requests'
    state and the audit lines written with one statement each.

    Per post: its :class:`Receipt`, or the NotFound / PermissionDenied that
    :func:`submit_values` would have raised for it (nothing written for that post). A later
    post for the same request replaces an earlier one, as if they came one after another.
    """
    now = now or datetime.now(UTC)
    ids = {p.request_id for p in posts}
    requests = {r.id: r for r in session.scalars(
        select(ReportRequest).where(ReportRequest.id.in_(ids))
        .options(joinedload(ReportRequest.unit), selectinload(ReportRequest.form)))}
    closing = {r.report_document_id for r in requests.values() if r.report_document_id}
    _reports = session.scalars(select(Document).where(Document.id.in_(closing))).all() \
        if closing else []  # held: closing_report finds them in the identity map
    current: dict[int, int] = {}
    for rid, sid in session.execute(select(Submission.request_id, Submission.id).where(
            Submission.request_id.in_(ids), Submission.current.is_(True))
            .order_by(Submission.id.desc())):
        current.setdefault(rid, sid)
    forms: dict[int, FormDef] = {}
    outcomes: list[Receipt | NotFound | PermissionDenied | None] = []
    lines: list[dict[str, Any] | int] = []  # an audit line, or the index of an accepted post
    accepted: list[tuple[int, ReportRequest, dict[str, Any]]] = []
    for n, post in enumerate(posts):
        try:
            request = _checked_request(requests.get(post.request_id), post.request_id,
                                       post.unit_key)
        except (NotFound, PermissionDenied) as exc:
            outcomes.append(exc)
            continue
        form = forms.get(request.form_id)
        if form is None:
            form = forms[request.form_id] = form_of(request.form)
        clean, refusal = _screen(session, request, unit_key=post.unit_key, channel=channel,
                                 values=post.values, actor=None, form=form)
        if refusal is not None:
            outcomes.append(refusal[0])
            lines.append(refusal[1])
            continue
        outcomes.append(None)
        lines.append(n)
        accepted.append((n, request, clean))
    if accepted:
        last = {request.id: n for n, request, _ in accepted}
        replaced = {request.id for _, request, _ in accepted} & current.keys()
        if replaced:
            session.execute(update(Submission).where(Submission.request_id.in_(replaced))
                            .values(current=False).execution_options(synchronize_session=False))
        new_ids = list(session.scalars(
            insert(Submission).returning(Submission.id, sort_by_parameter_order=True),
            [{"request_id": request.id, "unit_id": request.unit_id, "values": clean,
              "file_path": None, "file_sha256": None, "channel": channel, "valid": True,
              "errors": [], "current": last[request.id] == n, "submitted_at": now}
             for n, request, clean in accepted]))
        session.execute(update(ReportRequest).where(ReportRequest.id.in_(list(last)))
                        .values(status=RequestStatus.SUBMITTED))
        for (n, request, _), sid in zip(accepted, new_ids, strict=True):
            previous = current.get(request.id)
            current[request.id] = sid
            outcomes[n] = Receipt(ok=True, request_id=request.id, unit_key=posts[n].unit_key,
                                  submission_id=sid, replaced=previous)
    entries = []
    for line in lines:
        if isinstance(line, int):
            receipt = outcomes[line]
            assert isinstance(receipt, Receipt)
            line = audit.entry(action="submit", object_type="report_request",
                               object_id=receipt.request_id, actor_label=receipt.unit_key,
                               detail={"submission": receipt.submission_id, "channel": channel,
                                       "replaces": receipt.replaced})
        entries.append(line)
    audit.record_many(session=session, entries=entries)
    return [o for o in outcomes if o is not None]


def submit_json(*, session: Session, request_id: int, unit_key: str,
                values: dict[str, Any], actor: Person | None = None) -> Receipt:
    """The web/API door: values posted as JSON by an authenticated unit (``actor``: the
    signed-in reporter, checked to belong to the unit)."""
    return submit_values(session=session, request_id=request_id, unit_key=unit_key,
                         values=values, channel="api", actor=actor)


def submit_xlsx(*, session: Session, data: bytes, unit_key: str, files_dir: Path | None = None,
                channel: str = "xlsx", now: datetime | None = None) -> Receipt:
    """The .xlsx door: the request is the one named in the workbook's hidden keys."""
    request_id = None
    try:
        meta, _ = read_workbook(data, _probe_form())
        request_id = meta.request_id
        if request_id is None:
            raise XlsxRejected("không tìm thấy mã yêu cầu trong tệp (cột ẩn Z); hãy dùng đúng tệp "
                               "mẫu đã được cấp, không sao chép sang tệp khác")
        request = _request_for_unit(session, request_id, unit_key)
        form = form_of(request.form)
        meta, raw = read_workbook(data, form)
        if meta.form_code != form.code:
            raise XlsxRejected(f"tệp là mẫu '{meta.form_code}', không phải mẫu '{form.code}' của "
                               "yêu cầu này; hãy tải đúng mẫu")
    except XlsxRejected as exc:
        return _refuse(session, request_id=request_id, unit_key=unit_key, channel=channel,
                       errors=[{"indicator": None, "cell": None, "message": str(exc)}])
    return submit_values(session=session, request_id=request_id, unit_key=unit_key, values=raw,
                         channel=channel, file_bytes=data, files_dir=files_dir, now=now)


def submit_upload(*, session: Session, request: ReportRequest, data: bytes,
                  actor: Person | None, files_dir: Path | None = None,
                  now: datetime | None = None) -> Receipt:
    """The web door for a filled form workbook: ``request`` is the one the page was opened
    for (the signed-in reporter's unit, or the single-use link's request), and the workbook
    must be that request's own form — same request, unit, period and form — with typed
    values, no formula and no oversized sheet. Refusals store nothing but an audit line."""
    form = form_of(request.form)
    unit_key = request.unit.key
    try:
        check_sheet(data, form)
        meta, raw = read_workbook(data, form)
        _same_request(meta, request, form)
    except XlsxRejected as exc:
        return _refuse(session, request_id=request.id, unit_key=unit_key, channel="xlsx",
                       actor=actor, errors=[{"indicator": None, "cell": None,
                                             "message": str(exc)}])
    return submit_values(session=session, request_id=request.id, unit_key=unit_key, values=raw,
                         channel="xlsx", file_bytes=data, files_dir=files_dir, now=now,
                         actor=actor)


def _same_request(meta: FormMeta, request: ReportRequest, form: FormDef) -> None:
    period = Period.from_key(request.period).in_sentence
    if meta.request_id is None:
        raise XlsxRejected("không tìm thấy mã yêu cầu trong tệp (cột ẩn Z); hãy tải mẫu .xlsx "
                           "của kỳ này trên trang này và nhập số liệu vào đó")
    if meta.form_code != form.code:
        raise XlsxRejected(f"tệp là mẫu '{meta.form_code}', không phải mẫu '{form.code}' "
                           f"({form.name}); hãy tải đúng mẫu trên trang này")
    if meta.unit_key != request.unit.key:
        raise XlsxRejected(f"tệp là mẫu của đơn vị '{meta.unit_key}', không phải của "
                           f"{request.unit.name_in_text}; hãy tải mẫu của đơn vị mình")
    if meta.period != request.period or meta.request_id != request.id:
        raise XlsxRejected(f"tệp là mẫu của kỳ {meta.period} (yêu cầu #{meta.request_id}), không "
                           f"phải của {period} (yêu cầu #{request.id}); hãy tải mẫu của kỳ "
                           "này trên trang này")


def submit_email(*, session: Session, sender_email: str, data: bytes,
                 files_dir: Path | None = None) -> Receipt:
    """The e-mail door: the sending unit is the one whose address sent the .xlsx."""
    unit = session.scalar(select(Organization).where(Organization.email == sender_email.lower()))
    if unit is None:
        raise PermissionDenied(f"địa chỉ {sender_email} không thuộc đơn vị nào trong danh bạ; "
                               "hãy gửi từ hộp thư công vụ của đơn vị")
    return submit_xlsx(session=session, data=data, unit_key=unit.key, files_dir=files_dir,
                       channel="email")


def _probe_form() -> FormDef:
    # Only the hidden keys are needed to find the request; any one-indicator form reads them.
    return FormDef(code="probe", name="probe", indicators=[Indicator(key="x", label="x")])
