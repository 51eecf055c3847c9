"""Summing the units' figures as the form says, and the Báo cáo that reports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, joinedload

from doc_templates.formatting import format_number, format_percent
from registry.calendar import Period
from registry.memo import Memo
from registry.models import Organization, ReportRequest, Submission
from reporting.drafting import one_line
from reporting.forms import FormDef, Indicator


@dataclass
class Figures:
    """The aggregated period: totals, derived figures, per-unit values, who did not report."""

    period: str
    owed: int
    reported: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (unit name, values)
    missing: list[str] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)

    @property
    def coverage(self) -> str:
        """"8/10"-style coverage."""
        return f"{len(self.reported)}/{self.owed}"


def aggregate_values(form: FormDef, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate indicator values over units: sum, count, min, max, list."""
    totals: dict[str, Any] = {}
    for ind in form.indicators:
        present = [r[ind.key] for r in rows if r.get(ind.key) is not None]
        if ind.aggregate == "sum":
            totals[ind.key] = sum(present) if present else 0
        elif ind.aggregate == "count":
            totals[ind.key] = sum(1 for v in present if (v > 0 if ind.count_if_positive else True))
        elif ind.aggregate == "min":
            totals[ind.key] = min(present) if present else None
        elif ind.aggregate == "max":
            totals[ind.key] = max(present) if present else None
        elif ind.aggregate == "list":
            totals[ind.key] = [v for v in present if v]
    return totals


def derive(form: FormDef, totals: dict[str, Any], *, reported: int, owed: int) -> dict[str, str]:
    """Derived figures, printed the Vietnamese way (decimal comma, one decimal)."""
    out: dict[str, str] = {}
    for d in form.derived:
        if d.kind == "coverage":
            out[d.key] = f"{reported}/{owed}"
            continue
        num = totals.get(d.numerator or "") or 0
        den = totals.get(d.denominator or "") or 0
        if not den:
            out[d.key] = "—"
        elif d.kind == "percent":
            out[d.key] = format_percent(num / den, decimals=d.decimals)
        else:
            out[d.key] = format_number(round(num / den, d.decimals))
    return out


def aggregate(*, session: Session, duty_id: int, period_key: str, form: FormDef) -> Figures:
    """The figures of one duty and period from the current valid submissions."""
    # The units in the same query: one lazy load per unit was most of the deadlines board's time
    # for 3,321 units (bench/web.py).
    requests = list(session.scalars(select(ReportRequest).where(
        ReportRequest.duty_id == duty_id, ReportRequest.period == period_key
    ).order_by(ReportRequest.unit_id).options(joinedload(ReportRequest.unit))))
    current = {s.request_id: s.values for s in session.scalars(select(Submission).where(
        Submission.request_id.in_([r.id for r in requests]),
        Submission.current.is_(True), Submission.valid.is_(True)))} if requests else {}
    figures = Figures(period=period_key, owed=len(requests))
    for request in requests:
        name = unit_name(request.unit)
        if request.id in current:
            figures.reported.append((name, current[request.id]))
        else:
            figures.missing.append(name)
    figures.totals = aggregate_values(form, [v for _, v in figures.reported])
    figures.derived = derive(form, figures.totals, reported=len(figures.reported),
                             owed=figures.owed)
    return figures


@dataclass
class Progress:
    """The figures so far of one duty and period, summed by the database (the deadlines board):
    the totals and derived figures of :func:`aggregate` without the per-unit values, and the
    first ``missing`` units that have not reported."""

    period: str
    owed: int
    reported: int
    missing: list[str]
    missing_count: int
    totals: dict[str, Any]
    derived: dict[str, str]

    @property
    def coverage(self) -> str:
        """"8/10"-style coverage."""
        return f"{self.reported}/{self.owed}"


def progress(*, session: Session, duty_id: int, period_key: str, form: FormDef,
             missing_limit: int = 30) -> Progress:
    """The same totals as :func:`aggregate` (current valid submissions; sum, count, min, max;
    a "list" indicator as its non-empty entries' count) computed in SQL: loading every
    submission and unit took seconds for 3,321 units (bench/web.py)."""
    scope = and_(ReportRequest.duty_id == duty_id, ReportRequest.period == period_key)
    current = and_(Submission.request_id == ReportRequest.id, Submission.current.is_(True),
                   Submission.valid.is_(True))
    columns: list[Any] = [func.count()]
    for ind in form.indicators:
        columns.append(_sql_total(ind))
    row = session.execute(select(*columns).select_from(Submission).join(
        ReportRequest, current).where(scope)).one()
    reported, values = row[0], list(row[1:])
    owed = session.scalar(select(func.count()).select_from(ReportRequest).where(scope)) or 0
    totals = {ind.key: _python_total(ind, value)
              for ind, value in zip(form.indicators, values, strict=True)
              if ind.aggregate != "none"}
    missing_query = (select(Organization).join(ReportRequest,
                                               ReportRequest.unit_id == Organization.id)
                     .where(scope, ~exists().where(current))
                     .order_by(ReportRequest.unit_id).limit(missing_limit))
    missing = [unit_name(unit) for unit in session.scalars(missing_query)]
    return Progress(period=period_key, owed=owed, reported=reported, missing=missing,
                    missing_count=owed - reported, totals=totals,
                    derived=derive(form, totals, reported=reported, owed=owed))


_PROGRESS = Memo(ttl=30.0, size=256)


def progress_memo(*, session: Session, duty_id: int, period_key: str, form: FormDef,
                  form_id: int, missing_limit: int = 30) -> Progress:
    """:func:`progress`, kept by this process until a request is opened or a submission is
    received anywhere (registry.memo), and for 30 s at most: the deadlines board, opened by many
    people at once, sums the figures once per submission instead of once per view.

    The fingerprint is the newest request id and the newest submission id — two index lookups.
    It sees every change the figures depend on because a submission is never edited in place:
    a correction is a new row, and the one it replaces stops being current in the same
    transaction (reporting.submissions.submit_values); nothing deletes submissions."""
    fingerprint = (session.scalar(select(func.max(ReportRequest.id))),
                   session.scalar(select(func.max(Submission.id))))
    return _PROGRESS.get(session, ("progress", duty_id, period_key, form_id, missing_limit),
                         fingerprint, lambda: progress(session=session, duty_id=duty_id,
                                                       period_key=period_key, form=form,
                                                       missing_limit=missing_limit))


def _sql_total(ind: Indicator) -> Any:
    item = Submission.values[ind.key]
    if ind.aggregate == "list" or ind.type == "text":
        text = item.as_string()
        return func.count(case((and_(text.is_not(None), text != ""), 1)))
    number = item.as_integer() if ind.type == "integer" else item.as_float()
    if ind.aggregate == "count":
        return func.count(case((number > 0, 1))) if ind.count_if_positive \
            else func.count(number)
    if ind.aggregate == "min":
        return func.min(number)
    if ind.aggregate == "max":
        return func.max(number)
    return func.coalesce(func.sum(number), 0)


def _python_total(ind: Indicator, value: Any) -> Any:
    if value is None or ind.aggregate in ("list", "count"):
        return value
    return int(value) if ind.type == "integer" else float(value)


def unit_name(unit: Any) -> str:
    """A unit as listed in a report or a đôn đốc: its printed name on one line; an advisory
    body by its running-text name (district committees share one printed name; the
    directory's text_name says which district)."""
    if unit.kind == "advisory":
        return str(unit.name_in_text)
    return one_line(unit.name)


def _fmt(value: Any) -> str:
    if isinstance(value, (int, float)):
        return format_number(value)
    return str(value)


def report_body(*, form: FormDef, figures: Figures, instruction_ref: str, guidance_ref: str,
                collector_name: str, max_table_rows: int = 60) -> str:
    """The Báo cáo's body markup: situation, results with numbers, assessment, proposals."""
    period = Period.from_key(figures.period)
    t, d = figures.totals, figures.derived
    wording = form.wording
    lines = [
        f"Thực hiện {guidance_ref} và {instruction_ref}, {collector_name} báo cáo "
        f"{wording.topic} {period.in_sentence} như sau:",
        "",
        "**I. TÌNH HÌNH CHUNG**",
        "",
        f"Kỳ báo cáo có {figures.owed} đơn vị phải báo cáo; {figures.coverage} đơn vị đã gửi "
        f"báo cáo đúng mẫu thống kê ({d.get('coverage', figures.coverage)}).",
        "",
        "**II. KẾT QUẢ THỰC HIỆN**",
        "",
    ]
    for ind in form.indicators:
        if ind.type == "text":
            continue
        value = t.get(ind.key)
        if value is None:
            continue
        unit = f" {ind.unit}" if ind.unit else ""
        lines.append(f"- {ind.label}: {_fmt(value)}{unit};")
    for der in form.derived:
        if der.kind != "coverage":
            lines.append(f"- {der.label}: {d.get(der.key, '—')};")
    lines += ["", "Số liệu của từng đơn vị:", ""]
    keys = form.table_columns()
    header = ["STT", "Đơn vị"] + [form.indicator(k).label.replace("Trong đó: ", "") for k in keys]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for n, (name, values) in enumerate(figures.reported[:max_table_rows], start=1):
        lines.append("| " + " | ".join([str(n), name] + [_fmt(values.get(k, "")) for k in keys])
                     + " |")
    if len(figures.reported) > max_table_rows:
        lines.append(f"| | (còn {len(figures.reported) - max_table_rows} đơn vị, xem phụ lục) |"
                     + " |" * len(keys))
    lines.append("| | **Tổng cộng** | " + " | ".join(_fmt(t.get(k, "")) for k in keys) + " |")
    notes = (t.get(wording.highlights) or []) if wording.highlights else []
    if notes:
        lines += ["", wording.highlights_heading, ""]
        lines += [f"- {n};" for n in notes[:20]]
    lines += ["", "**III. ĐÁNH GIÁ CHUNG**", ""]
    lines.append(wording.assessment.format_map(_Derived(d)))
    if figures.missing:
        lines.append(f"Còn {len(figures.missing)} đơn vị chưa gửi báo cáo: "
                     + ", ".join(figures.missing[:50])
                     + ("…" if len(figures.missing) > 50 else "") + ".")
    else:
        lines.append("Tất cả các đơn vị đã gửi báo cáo đúng hạn.")
    lines += ["", "**IV. ĐỀ XUẤT, KIẾN NGHỊ**", ""]
    lines += [f"- {p}" for p in wording.proposals]
    return "\n".join(lines)


class _Derived(dict[str, str]):
    """Derived figures for ``str.format_map``: a figure the form lacks prints as "—"."""

    def __missing__(self, key: str) -> str:
        return "—"
