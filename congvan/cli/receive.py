"""`congvan receive FILE` (sổ văn bản đến) and `congvan registers xlsx|book` (Appendix IV)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from congvan.cli._common import ReaderOption, console, err_console, reader_door
from congvan.cli.outbox import outbox_errors


def _organization(session: Any, key: str) -> Any:
    from registry.lookup import get_by_key
    from registry.models import Organization

    return get_by_key(session=session, model=Organization, key=key)


def _register_data(
    org_key: str, year: int, incoming: bool, *, act: str, as_: str | None
) -> tuple[Any, str, Any, list[dict[str, str]]]:
    """The register's rows; the export (or print) is on the access log."""
    from congvan.runtime import open_registry
    from outbox import registers
    from outbox.compose import one_line
    from registry import access_log, db
    from registry.models import Direction

    open_registry()
    direction = Direction.INCOMING if incoming else Direction.OUTGOING
    with db.transaction() as session:
        org = _organization(session, org_key)
        rows_of = registers.incoming_rows if incoming else registers.outgoing_rows
        door = reader_door(session, as_)
        rows = rows_of(session=session, organization_id=org.id, year=year, reader=door.actor)
        access_log.record(session=session, door=door, act=act,
                          document_id=None, detail={"register": "den" if incoming else "di",
                                                    "organization": org.key, "year": year,
                                                    "rows": len(rows)})
        columns = registers.INCOMING_COLUMNS if incoming else registers.OUTGOING_COLUMNS
        return org, one_line(org.name), (registers.TITLES[direction], columns), rows


def _receive_edxml(file: Path, org: str, at: str | None, clerk: str | None) -> None:
    """An edXML message: a Status is applied to our deliveries; a document is registered,
    revoked, updated or replaced as its BussinessDocType says, and answered (01/03/15/16).
    A package that is refused is answered 02 when its sender can be told, else quarantined;
    either way nothing of it is registered and the command ends with code 1."""
    from sqlalchemy import select

    from congvan.cli.outbox import edxml_trust, refusal_line
    from congvan.runtime import files_dir, open_registry
    from congvan.settings import get_settings
    from outbox.edxml.parse import identify
    from outbox.edxml.refusal import take_in
    from outbox.errors import IntakeError
    from registry import db
    from registry.models import Organization
    from registry.numbering import VN_TZ

    arrived = _arrival_time(at, VN_TZ)
    settings = get_settings()
    open_registry(settings)
    data = file.read_bytes()
    with db.transaction() as session:
        organization_id = session.scalar(select(Organization.id).where(Organization.key == org))
        if organization_id is None and org:
            _organization(session, org)  # names the unknown --org
        if organization_id is None and not identify(data).status:
            raise IntakeError("Cần chỉ cơ quan nhận (--org) để vào sổ văn bản đến.")
        actor_id = _person(session, clerk).id if clerk else None
    lines: list[str] = []
    outcome = take_in(session_factory=db.session_factory(), organization_id=organization_id,
                      data=data, arrived_at=arrived, files_root=files_dir(settings),
                      channel="edxml", actor_id=actor_id, trust=edxml_trust(settings),
                      source=f"file:{file.name}",
                      on_taken=lambda result: lines.extend(_received_lines(result)))
    for line in lines:
        console.print(line, highlight=False)
    if outcome.refusal is not None:
        err_console.print(f"[bold red]Từ chối gói edXML:[/] {outcome.refusal.reason}",
                          highlight=False)
        err_console.print(refusal_line(outcome.refusal), highlight=False)
        raise typer.Exit(1)


def _received_lines(result: Any) -> list[str]:
    """What an edXML message taken in did, for the clerk (read inside its transaction)."""
    from registry.doctypes import format_number

    doc = result.document
    line = {
        "status": f"Trạng thái ghi vào {len(result.deliveries)} lượt gửi.",
        "duplicate": "Văn bản này đã vào sổ trước đây; ghi thêm lần đến, không cấp số mới.",
        "revoke": "Văn bản đến đã bị nơi gửi thu hồi; đã ghi lý do.",
        "revoke_unknown": "Nơi gửi thu hồi một văn bản chưa nhận được; đã ghi lại.",
    }.get(result.kind, "")
    if doc is not None and result.kind in ("document", "update", "replace"):
        line = (f"Đã vào sổ văn bản đến: số đến [bold]{format_number(doc.number or 0)}[/] "
                f"năm {doc.year} — {doc.original_number} của {doc.sender_name}: "
                f"{doc.subject}")
    lines = [line] + [f"[yellow]Lưu ý: {warning}[/]" for warning in result.warnings]
    if result.kind != "status":
        signature = SIGNATURE_STATE[result.signature.state.value]
        lines.append(f"Chữ ký số của gói: {signature}"
                     + (f" ({result.signature.signer})" if result.signature.signer else "")
                     + (f" — {result.signature.reason}" if result.signature.reason else ""))
    answers = ", ".join(d.kind.removeprefix("status:") for d in result.statuses)
    if answers:
        lines.append(f"Đã xếp hàng trạng thái gửi lại nơi gửi: {answers}.")
    return lines


SIGNATURE_STATE = {"valid": "hợp lệ, chứng thư tin cậy", "untrusted": "đúng, nhưng chứng thư "
                   "chưa được xác minh là tin cậy", "invalid": "KHÔNG hợp lệ",
                   "absent": "không có"}


def receive(
    file: Annotated[Path | None, typer.Argument(
        exists=True, dir_okay=False,
        help=".docx, .pdf (có chữ hoặc bản quét), ảnh quét .png/.jpg/.tiff hoặc gói edXML; "
             "bỏ trống với --paper")] = None,
    org: Annotated[str, typer.Option("--org", help="Mã cơ quan nhận (khoá trong danh bạ).")]
    = "",
    at: Annotated[str | None, typer.Option(
        "--at", help="Thời điểm đến, YYYY-MM-DD HH:MM giờ Việt Nam (mặc định: bây giờ).")]
    = None,
    paper: Annotated[bool, typer.Option(
        "--paper", help="Văn bản giấy, không có tệp: nhập đủ các trường.")] = False,
    number: Annotated[str | None, typer.Option("--number", help="Số văn bản, ví dụ 152.")]
    = None,
    symbol: Annotated[str | None, typer.Option("--symbol", help="Ký hiệu, ví dụ BC-CAH.")]
    = None,
    date_: Annotated[str | None, typer.Option("--date", help="Ngày văn bản, dd/mm/yyyy.")]
    = None,
    issuer: Annotated[str | None, typer.Option("--issuer", help="Cơ quan ban hành.")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="Trích yếu.")] = None,
    urgency: Annotated[str | None, typer.Option(
        "--urgency", help="Độ khẩn: khẩn, thượng khẩn, hỏa tốc (hoặc «không»).")] = None,
    secret: Annotated[str | None, typer.Option(
        "--secret", help="Độ mật: mật, tối mật, tuyệt mật (hoặc «không»).")] = None,
    via: Annotated[str | None, typer.Option(
        "--via", help="Đến qua: paper, post, hand, email, edxml, file, scan.")] = None,
    clerk: Annotated[str | None, typer.Option(
        "--clerk", help="Văn thư vào sổ (khoá người trong danh bạ).")] = None,
) -> None:
    """Vào sổ văn bản đến: cấp số đến, ghi nơi gửi, số ký hiệu, ngày, trích yếu.

    Bản quét được đọc bằng Tesseract (tiếng Việt), rồi thêm lớp chữ để tra cứu.

    Sửa hoặc nhập mọi trường: --number --symbol --date --issuer --subject.

    Cùng một văn bản đến lần nữa (thư điện tử rồi edXML) không được cấp số mới.

    Thông điệp trạng thái edXML (biên nhận) được ghi vào lượt gửi tương ứng.
    """
    from outbox import intake

    with outbox_errors():
        if file is None and not paper:
            raise typer.BadParameter("chọn một tệp văn bản đến, hoặc --paper cho văn bản giấy "
                                     "không có tệp", param_hint="FILE")
        if file is not None and file.suffix.lower() in (".xml", ".edxml"):
            _receive_edxml(file, org, at, clerk)  # a Status needs no --org
            return
        if not org:
            raise typer.BadParameter("thiếu --org (mã cơ quan nhận trong danh bạ)",
                                     param_hint="--org")
        incoming = intake.paper() if file is None else intake.read_file(file)
        incoming = intake.corrected(incoming, number=number, symbol=symbol, date_=date_,
                                    issuer=issuer, subject=subject, urgency=urgency,
                                    secret=secret)
        intake.require_complete(incoming)
        _register_and_report(incoming, org, at, via, clerk)


def _register_and_report(incoming: Any, org: str, at: str | None, via: str | None,
                         clerk: str | None) -> None:
    from congvan.runtime import files_dir, open_registry
    from outbox import intake, ocr
    from registry import db
    from registry.doctypes import format_number
    from registry.numbering import VN_TZ

    arrived = _arrival_time(at, VN_TZ)
    open_registry()
    with db.transaction() as session:
        organization = _organization(session, org)
        actor = _person(session, clerk) if clerk else None
        done = intake.register_incoming(session=session, organization_id=organization.id,
                                        incoming=incoming, arrived_at=arrived,
                                        files_root=files_dir(), actor=actor, channel=via)
        doc = done.document
        number, year, sender, original = doc.number, doc.year, doc.sender_name, \
            doc.original_number
        first_at = doc.arrived_at
    assert number is not None
    if done.duplicate:
        console.print(f"Văn bản {original} của {sender} đã vào sổ: số đến "
                      f"[bold]{format_number(number)}[/] năm {year} (đến lần đầu "
                      f"{_local(first_at)}). Ghi thêm lần đến này, không cấp số mới.")
        return
    console.print(f"Đã vào sổ văn bản đến: số đến [bold]{format_number(number)}[/] năm {year} "
                  f"— {original} của {sender}: {doc.subject}")
    if incoming.urgency:
        console.print(f"[bold red]{incoming.urgency}: trình và chuyển giao ngay.[/]")
    if incoming.scan_pages:
        layer = ocr.text_layer(incoming.scan_pages)
        with db.transaction() as session:
            stored = intake.attach_text_layer(session=session, document_id=doc.id, layer=layer,
                                              files_root=files_dir())
            path = files_dir() / stored.path
        console.print(f"Đã thêm lớp chữ (OCR) để tra cứu: {path}")


def _arrival_time(at: str | None, zone: Any) -> datetime:
    if not at:
        return datetime.now(zone)
    try:
        return datetime.fromisoformat(at).replace(tzinfo=zone)
    except ValueError:
        raise typer.BadParameter(f"«{at}»: viết YYYY-MM-DD HH:MM, ví dụ 2023-01-06 09:15",
                                 param_hint="--at") from None


def _local(moment: Any) -> str:
    from datetime import UTC

    from registry.numbering import VN_TZ

    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(VN_TZ):%H:%M %d/%m/%Y}"


def _person(session: Any, key: str) -> Any:
    from registry.lookup import get_by_key
    from registry.models import Person

    return get_by_key(session=session, model=Person, key=key)


def register(app: typer.Typer) -> None:
    app.command("receive")(receive)

    registers_app = typer.Typer(help="Sổ đăng ký văn bản đi/đến (Phụ lục IV).",
                                no_args_is_help=True)
    app.add_typer(registers_app, name="registers")

    @registers_app.command("xlsx")
    def xlsx(
        org: Annotated[str, typer.Option("--org", help="Mã cơ quan.")],
        year: Annotated[int, typer.Option("--year", help="Năm.")],
        output: Annotated[Path, typer.Option("--output", "-o", help="Tệp .xlsx ghi ra.")],
        incoming: Annotated[bool, typer.Option("--incoming", help="Sổ đến (mặc định: sổ đi).")]
        = False,
        as_: ReaderOption = None,
    ) -> None:
        """Xuất sổ đăng ký văn bản ra .xlsx (ghi nhật ký truy cập)."""
        from outbox.registers import to_xlsx

        with outbox_errors():
            _, name, (title, columns), rows = _register_data(org, year, incoming, act="export",
                                                             as_=as_)
            output.write_bytes(to_xlsx(title=f"{title} năm {year} — {name}", columns=columns,
                                       rows=rows))
        console.print(f"Đã ghi {len(rows)} dòng vào {output}")

    @registers_app.command("book")
    def book(
        org: Annotated[str, typer.Option("--org", help="Mã cơ quan.")],
        year: Annotated[int, typer.Option("--year", help="Năm.")],
        output: Annotated[Path, typer.Option("--output", "-o", help="Tệp .pdf hoặc .docx.")],
        incoming: Annotated[bool, typer.Option("--incoming", help="Sổ đến (mặc định: sổ đi).")]
        = False,
        as_: ReaderOption = None,
    ) -> None:
        """In sổ đăng ký văn bản (bìa, bảng theo Phụ lục IV, số trang) ra PDF hoặc .docx (ghi
        nhật ký truy cập)."""
        from congvan.settings import get_settings
        from doc_templates.pdf import PdfConverter
        from doc_templates.register_book import (
            Column,
            RegisterBook,
            register_book_pdf,
            render_register_book,
        )

        with outbox_errors():
            org_row, name, (title, columns), rows = _register_data(org, year, incoming, act="print",
                                                                  as_=as_)
            numbers = [r["so_den" if incoming else "so_ky_hieu"] for r in rows]
            register_book = RegisterBook(
                body_name=name, parent_name=org_row.header_parent or "", title=title, year=year,
                columns=tuple(Column(c.key, c.header, c.width_mm) for c in columns),
                rows=tuple(rows), first_number=numbers[0] if numbers else "",
                last_number=numbers[-1] if numbers else "",
            )
            if output.suffix.lower() == ".docx":
                output.write_bytes(render_register_book(register_book))
            else:
                with PdfConverter(get_settings().soffice) as converter:
                    output.write_bytes(register_book_pdf(register_book, converter))
        console.print(f"Đã in sổ ({len(rows)} dòng) ra {output}")
