"""`congvan access-log export|show|grant`: the access log (who read which document) and the
head's grant to read a secret document."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from congvan.cli._common import console, user_errors

access_app = typer.Typer(help="Nhật ký truy cập văn bản (ai mở, tải, in, xuất; lượt bị từ chối) "
                              "và cho phép đọc văn bản mật.", no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    from outbox.intake import parse_date

    return parse_date(value, option) if value else None


def to_csv(rows: list[dict[str, str]], columns: Any) -> bytes:
    """UTF-8 CSV with a BOM (Excel reads the Vietnamese right); a cell a spreadsheet would take
    for a formula gets a leading apostrophe."""
    from outbox.registers import FORMULA_STARTS

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header, _ in columns])
    for row in rows:
        writer.writerow(["'" + v if v.startswith(FORMULA_STARTS) else v
                         for v in (row.get(key, "") for key, _, _ in columns)])
    return out.getvalue().encode("utf-8-sig")


@access_app.command("export")
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="Tệp .xlsx hoặc .csv ghi ra.")],
    date_from: Annotated[str | None, typer.Option("--from", help="Từ ngày (dd/mm/yyyy).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Đến ngày (dd/mm/yyyy).")] = None,
    document: Annotated[int | None, typer.Option("--document", help="Chỉ văn bản #ID.")] = None,
    person: Annotated[str | None, typer.Option("--person", help="Chỉ cán bộ này (khoá).")] = None,
    refused: Annotated[bool, typer.Option("--refused", help="Chỉ lượt bị từ chối.")] = False,
    as_: Annotated[str | None, typer.Option(
        "--as", help="Khoá cán bộ xuất (lãnh đạo, văn thư hoặc quản trị của cơ quan).")] = None,
) -> None:
    """Xuất nhật ký truy cập của cơ quan người --as (giờ Việt Nam) ra .xlsx hoặc .csv."""
    from congvan.runtime import open_registry
    from outbox.registers import RegisterColumn, to_xlsx
    from registry import access, access_log, db
    from registry.errors import ValidationError
    from registry.lookup import get_by_key
    from registry.models import Person

    with user_errors():
        suffix = output.suffix.lower()
        if suffix not in {".xlsx", ".csv"}:
            raise ValidationError("tệp ghi ra phải là .xlsx hoặc .csv", field="--output")
        start, end = _day(date_from, "--from"), _day(date_to, "--to")
        open_registry()
        with db.transaction() as session:
            actor = get_by_key(session=session, model=Person, key=as_,
                               active_only=True) if as_ else None
            office = actor.organization if actor is not None else None
            access.require_office_data(actor=actor, organization=office, admin=True,
                                       action="xuất nhật ký truy cập")
            who = get_by_key(session=session, model=Person, key=person) if person else None
            events = access_log.entries(session=session, date_from=start, date_to=end,
                                        document_id=document, person=who, refused_only=refused,
                                        organization=office)
            rows = access_log.export_rows(session=session, events=events)
        if suffix == ".csv":
            data = to_csv(rows, access_log.COLUMNS)
        else:
            period = " — ".join(f"{d:%d/%m/%Y}" for d in (start, end) if d)
            data = to_xlsx(title=f"Nhật ký truy cập văn bản{' ' + period if period else ''}",
                           columns=[RegisterColumn(*c) for c in access_log.COLUMNS], rows=rows)
        output.write_bytes(data)
    console.print(f"Đã ghi {len(rows)} dòng nhật ký truy cập vào {output}", highlight=False)


@access_app.command("show")
def show(document: Annotated[int, typer.Argument(help="ID văn bản.")]) -> None:
    """Ai đã mở, tải, in văn bản này (mới nhất trước); lượt bị từ chối tô đỏ."""
    from rich.table import Table

    from congvan.runtime import open_registry
    from registry import access_log, db
    from registry.labels import READ_RIGHT

    with user_errors():
        open_registry()
        with db.transaction() as session:
            rows = access_log.export_rows(
                session=session, events=access_log.for_document(session=session,
                                                                document_id=document))
    table = Table(title=f"Nhật ký truy cập văn bản #{document}")
    for _, header, _ in access_log.COLUMNS:
        table.add_column(header)
    for row in rows:
        style = "red" if row["quyen"] == READ_RIGHT["refused"] else None
        table.add_row(*(row[key] for key, _, _ in access_log.COLUMNS), style=style)
    console.print(table)


@access_app.command("grant")
def grant(
    document: Annotated[int, typer.Argument(help="ID văn bản mật.")],
    to: Annotated[str, typer.Option("--to", help="Khoá cán bộ được đọc.")],
    by: Annotated[str, typer.Option("--by", help="Khoá lãnh đạo cơ quan cho phép.")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do (ghi vào nhật ký).")] = "",
) -> None:
    """Lãnh đạo cơ quan cho phép một cán bộ đọc văn bản mật (ghi nhật ký kiểm tra)."""
    from congvan.runtime import open_registry
    from registry import access, db
    from registry.lookup import get_by_key
    from registry.models import Person

    with user_errors():
        open_registry()
        with db.transaction() as session:
            person = get_by_key(session=session, model=Person, key=to, active_only=True)
            head = get_by_key(session=session, model=Person, key=by, active_only=True)
            access.grant(session=session, document_id=document, person=person, by=head,
                         reason=reason)
            name = person.full_name
    console.print(f"Đã cho phép {name} đọc văn bản #{document}.", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(access_app, name="access-log")
