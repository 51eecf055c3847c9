"""`congvan reports handling|documents|files`: the Appendix VI reports (ND30) — handling of
incoming and outgoing documents for a period, the document index and the file index — as .xlsx,
or as a Báo cáo (.docx or .pdf, checked by the ND30 checker)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from congvan.cli._common import console, err_console, reader_door, user_errors

reports_app = typer.Typer(help="Báo cáo theo Phụ lục VI Nghị định 30: tình hình xử lý văn bản "
                               "đến, đi; mục lục văn bản; mục lục hồ sơ (.xlsx, .docx, .pdf).",
                          no_args_is_help=True)

Org = Annotated[str, typer.Option("--org", help="Mã cơ quan (khoá trong danh bạ).")]
Output = Annotated[Path, typer.Option("--output", "-o", help="Tệp ghi ra: .xlsx, .docx hoặc .pdf.")]
Signer = Annotated[str | None, typer.Option(
    "--signer", help="Khoá người ký Báo cáo (.docx/.pdf; mặc định: lãnh đạo đầu tiên).")]
SUFFIXES = {".xlsx", ".docx", ".pdf"}


OfficeReader = Annotated[str | None, typer.Option(
    "--as", help="Khoá cán bộ xem báo cáo (lãnh đạo hoặc văn thư của cơ quan; ghi nhật ký).")]


def _suffix(output: Path) -> str:
    from registry.errors import ValidationError

    suffix = output.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError("tệp ghi ra phải là .xlsx, .docx hoặc .pdf", field="--output")
    return suffix


def _period(period: str | None, date_from: str | None, date_to: str | None) -> tuple[date, date]:
    from outbox.intake import parse_date
    from registry.calendar import Period
    from registry.errors import ValidationError

    if period and (date_from or date_to):
        raise ValidationError("dùng --period hoặc --from/--to, không dùng cả hai", field="--period")
    if period:
        found = Period.from_key(period)
        return found.start, found.end
    if not (date_from and date_to):
        raise ValidationError("cần --period (ví dụ 2026-Q1) hoặc cả --from và --to (dd/mm/yyyy)",
                              field="--period")
    return parse_date(date_from, "--from"), parse_date(date_to, "--to")


def _signer(session: Any, organization: Any, key: str | None) -> Any:
    from registry.lookup import get_by_key
    from registry.models import Person
    from reporting.appendix6 import default_signer

    if key:
        return get_by_key(session=session, model=Person, key=key, active_only=True)
    return default_signer(session, organization)


def _write(output: Path, suffix: str, xlsx: Any, spec: Any, today: date) -> list[str]:
    """Write the workbook or the Báo cáo; returns the ND30 checker's errors (empty when none)."""
    if suffix == ".xlsx":
        output.write_bytes(xlsx())
        return []
    from congvan.settings import get_settings
    from doc_templates.check import check_docx
    from doc_templates.pdf import PdfConverter
    from doc_templates.render import render_docx

    docx = render_docx(spec(), today=today)
    errors = [f"{v.box}: {v.message}" for v in check_docx(docx) if v.severity == "error"]
    if suffix == ".docx":
        output.write_bytes(docx)
    else:
        with PdfConverter(get_settings().soffice) as converter:
            output.write_bytes(converter.convert_bytes(docx))
    return errors


def _done(output: Path, errors: list[str], what: str) -> None:
    for error in errors:
        err_console.print(f"[red]ND30:[/] {error}", highlight=False)
    console.print(f"Đã ghi {what} vào {output}", highlight=False)
    if errors:
        raise typer.Exit(1)


def _reader(session: Any, as_: str | None, organization: Any) -> Any:
    """The person ``--as`` names, once registry.access says they may see the office's data (a
    leader or văn thư of that office); a clear refusal otherwise."""
    from registry.access import require_office_data

    door = reader_door(session, as_)
    require_office_data(actor=door.actor, organization=organization,
                        action=f"xem báo cáo của {' '.join(organization.name.split())}")
    return door.actor


def _log(session: Any, as_: str | None, report: str, **detail: Any) -> None:
    from registry import access_log

    access_log.record(session=session, door=reader_door(session, as_), act="export",
                      document_id=None, detail={"report": report, **detail})


@reports_app.command("handling")
def handling(
    org: Org, output: Output,
    outgoing: Annotated[bool, typer.Option("--outgoing", help="Văn bản đi (mặc định: đến).")]
    = False,
    period: Annotated[str | None, typer.Option("--period", help="Kỳ: 2026-Q1, 2026-H1, 2026.")]
    = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Từ ngày (dd/mm/yyyy).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Đến ngày (dd/mm/yyyy).")] = None,
    signer: Signer = None, as_: OfficeReader = None,
) -> None:
    """Báo cáo tình hình tiếp nhận, giải quyết văn bản đến (hoặc xử lý văn bản đi) trong kỳ,
    theo đơn vị và người xử lý: tổng số, đúng hạn, quá hạn, đang giải quyết."""
    from congvan.runtime import open_registry
    from registry import db
    from registry.clock import local_today
    from registry.lookup import get_by_key
    from registry.models import Organization
    from reporting import appendix6, handling_stats

    with user_errors():
        suffix = _suffix(output)
        start, end = _period(period, date_from, date_to)
        open_registry()
        today = local_today()
        with db.transaction() as session:
            organization = get_by_key(session=session, model=Organization, key=org)
            _reader(session, as_, organization)
            build = handling_stats.outgoing if outgoing else handling_stats.incoming
            report = build(session=session, organization=organization, start=start, end=end,
                           today=today)
            errors = _write(output, suffix, lambda: appendix6.handling_xlsx(report),
                            lambda: appendix6.handling_spec(
                                session=session, report=report, on=today,
                                signer=_signer(session, organization, signer)), today)
            _log(session, as_, "handling-out" if outgoing else "handling-in", organization=org,
                 start=start.isoformat(), end=end.isoformat())
            line = appendix6.summary(report)
    console.print(line, highlight=False)
    _done(output, errors, "báo cáo")


@reports_app.command("documents")
def documents(
    org: Org, output: Output,
    year: Annotated[int, typer.Option("--year", help="Năm.", min=1900, max=2200)],
    file_code: Annotated[str | None, typer.Option("--file", help="Chỉ một hồ sơ (số, ký hiệu).")]
    = None,
    signer: Signer = None, as_: OfficeReader = None,
) -> None:
    """Mục lục văn bản: của một hồ sơ (--file), hoặc mọi văn bản đi, đến của cơ quan trong năm."""
    from congvan.runtime import open_registry
    from records.casefiles import get as get_file
    from registry import db
    from registry.clock import local_today
    from registry.lookup import get_by_key
    from registry.models import Organization
    from reporting import indexes

    with user_errors():
        suffix = _suffix(output)
        open_registry()
        today = local_today()
        with db.transaction() as session:
            organization = get_by_key(session=session, model=Organization, key=org)
            reader = _reader(session, as_, organization)
            case_file = get_file(session=session, organization_id=organization.id, year=year,
                                 code=file_code) if file_code else None
            index = indexes.document_index(session=session, organization=organization,
                                           year=year, case_file=case_file, reader=reader)
            errors = _index_out(session, output, suffix, index, organization, signer, today)
            _log(session, as_, "document-index", organization=org, year=year,
                 file=file_code or "", rows=len(index.rows))
    _done(output, errors, f"mục lục ({len(index.rows)} văn bản)")


@reports_app.command("files")
def files(
    org: Org, output: Output,
    year: Annotated[int, typer.Option("--year", help="Năm.", min=1900, max=2200)],
    signer: Signer = None, as_: OfficeReader = None,
) -> None:
    """Mục lục hồ sơ của cơ quan trong năm (đang lập, đã đóng, đã nộp lưu)."""
    from congvan.runtime import open_registry
    from registry import db
    from registry.clock import local_today
    from registry.lookup import get_by_key
    from registry.models import Organization
    from reporting import indexes

    with user_errors():
        suffix = _suffix(output)
        open_registry()
        today = local_today()
        with db.transaction() as session:
            organization = get_by_key(session=session, model=Organization, key=org)
            _reader(session, as_, organization)
            index = indexes.file_index(session=session, organization=organization, year=year)
            errors = _index_out(session, output, suffix, index, organization, signer, today)
            _log(session, as_, "file-index", organization=org, year=year, rows=len(index.rows))
    _done(output, errors, f"mục lục ({len(index.rows)} hồ sơ)")


def _index_out(session: Any, output: Path, suffix: str, index: Any, organization: Any,
               signer: str | None, today: date) -> list[str]:
    from reporting import appendix6

    return _write(output, suffix, lambda: appendix6.index_xlsx(index),
                  lambda: appendix6.index_spec(session=session, index=index, on=today,
                                               signer=_signer(session, organization, signer)),
                  today)


def register(app: typer.Typer) -> None:
    app.add_typer(reports_app, name="reports")
