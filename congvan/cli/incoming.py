"""`congvan incoming list|show|present|refuse|assign|progress|done|remind|quarantine`:
handling incoming documents, and the edXML packages refused at the door.

A document is named by its incoming number (số đến) in the office's register, with
``--org`` and, when not this year's, ``--year``. The acting person is always given
(``--clerk``, ``--leader``, ``--by``): the services check who may do what.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer

from congvan.cli._common import ReaderOption, console, reader_door, user_errors

incoming_app = typer.Typer(help="Xử lý văn bản đến: trình, giao (bút phê), theo dõi, hoàn thành.",
                           no_args_is_help=True)

Org = Annotated[str, typer.Option("--org", help="Mã cơ quan nhận (khoá trong danh bạ).")]
Year = Annotated[int | None, typer.Option("--year", help="Năm của số đến (mặc định: năm nay).")]
Number = Annotated[int, typer.Argument(help="Số đến trong sổ văn bản đến.")]


@contextmanager
def _session() -> Iterator[Any]:
    from congvan.runtime import open_registry
    from registry import db

    with user_errors():
        open_registry()
        with db.transaction() as session:
            yield session


def _find(session: Any, org_key: str, number: int, year: int | None) -> Any:
    from sqlalchemy import select

    from registry.clock import local_today
    from registry.errors import NotFound
    from registry.lookup import get_by_key
    from registry.models import Direction, Document, Organization, Register

    org = get_by_key(session=session, model=Organization, key=org_key)
    year = year or local_today().year
    doc = session.scalar(select(Document).join(Register, Register.id == Document.register_id)
                         .where(Register.organization_id == org.id,
                                Register.direction == Direction.INCOMING,
                                Document.number == number, Document.year == year)
                         .order_by(Register.secret, Register.id).limit(1))
    if doc is None:
        raise NotFound(f"không có văn bản đến số {number:02d} năm {year} trong sổ của "
                       f"{org.name_in_text} (xem: congvan incoming list --org {org_key} "
                       f"--year {year})")
    return doc


def _person(session: Any, key: str) -> Any:
    from registry.lookup import get_by_key
    from registry.models import Person

    return get_by_key(session=session, model=Person, key=key, active_only=True)


def _assignee(session: Any, key: str) -> Any:
    """An organisation key or a person key."""
    from outbox.handling import Assignee
    from registry.errors import NotFound
    from registry.lookup import find_by_key
    from registry.models import Organization, Person

    org = find_by_key(session=session, model=Organization, key=key)
    if org is not None:
        return Assignee(organization=org)
    person = find_by_key(session=session, model=Person, key=key, active_only=True)
    if person is not None:
        return Assignee(person=person)
    raise NotFound(f"'{key}' không phải mã đơn vị hay cán bộ nào trong danh bạ "
                   "(xem: congvan directory export)")


def _due(value: str | None) -> date | None:
    from outbox.intake import parse_date

    return parse_date(value, "--due") if value else None


def _local(moment: Any) -> str:
    from registry.clock import to_local

    return f"{to_local(moment):%H:%M %d/%m/%Y}"


@incoming_app.command("list")
def list_(
    org: Org, year: Year = None,
    open_only: Annotated[bool, typer.Option("--open", help="Chỉ văn bản chưa xử lý xong.")]
    = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Chỉ văn bản quá hạn xử lý.")]
    = False,
    search: Annotated[str | None, typer.Option(
        "--search", help="Tìm trong trích yếu, nơi gửi, số ký hiệu và toàn văn (cả bản quét).")]
    = None,
    as_: ReaderOption = None,
) -> None:
    """Sổ văn bản đến kèm tình trạng xử lý (ai chủ trì, hạn, đã xong chưa). Trích yếu văn bản
    mật chỉ hiện khi --as là người có quyền đọc."""
    from rich.table import Table

    from outbox import handling
    from registry.clock import local_today
    from registry.labels import DOCUMENT_STATUS, label

    with _session() as session:
        rows = handling.listing(session=session, organization_key=org,
                                year=year or local_today().year,
                                reader=reader_door(session, as_).actor, search=search)
        today = local_today()
        table = Table("Số đến", "Ngày đến", "Số, ký hiệu", "Nơi gửi", "Trích yếu", "Chủ trì",
                      "Hạn", "Tình trạng", show_lines=False)
        shown = 0
        for row in rows:
            main = row.main
            late = main is not None and main.status in handling.OPEN and main.due_date \
                is not None and main.due_date < today
            if (open_only and (main is not None and main.status == "done")) or \
                    (overdue and not late):
                continue
            state = handling.STATUS[main.status] if main else (
                "Đã trình" if row.presented else "Chưa trình")
            if row.document.status.value in ("refused", "revoked"):
                state = label(DOCUMENT_STATUS, row.document.status)
            table.add_row(f"{row.document.number:02d}", _local(row.document.arrived_at),
                          row.document.original_number or "", row.document.sender_name or "",
                          row.subject,
                          handling.assignee_label(main) if main else "",
                          f"{main.due_date:%d/%m/%Y}" if main and main.due_date else "",
                          f"[red]{state}, quá hạn[/]" if late else state)
            shown += 1
    console.print(table)
    console.print(f"{shown} văn bản.")


@incoming_app.command("show")
def show(number: Number, org: Org, year: Year = None, as_: ReaderOption = None) -> None:
    """Một văn bản đến: các lần đến, tệp, giao xử lý, lịch sử và văn bản trả lời (ghi nhật ký
    truy cập)."""
    from outbox import handling
    from registry import access_log
    from registry.labels import CHANNEL, FILE_KIND, label

    with _session() as session:
        doc = access_log.read(session=session, document_id=_find(session, org, number, year).id,
                              act="open", door=reader_door(session, as_))
        console.print(f"[bold]Văn bản đến số {doc.number:02d}/{doc.year}[/] — "
                      f"{doc.original_number} ngày {doc.original_date:%d/%m/%Y} của "
                      f"{doc.sender_name}", highlight=False)
        console.print(f"Trích yếu: {doc.subject}", highlight=False)
        for marks in (doc.urgency, doc.secrecy):
            if marks:
                console.print(f"[bold red]{marks}[/]")
        for arrival in handling.arrivals(session=session, document_id=doc.id):
            again = " (lần sau, không cấp số mới)" if arrival.duplicate else ""
            console.print(f"- Đến {_local(arrival.arrived_at)}: {label(CHANNEL, arrival.channel)}"
                          f"{': ' + arrival.source_name if arrival.source_name else ''}{again}",
                          highlight=False)
        for file in doc.files:
            console.print(f"- Tệp ({label(FILE_KIND, file.kind)}): {file.path}", highlight=False)
        for event in handling.history(session=session, document_id=doc.id):
            who = event.actor.full_name if event.actor else "hệ thống"
            to = f" → {event.to_person.full_name}" if event.to_person else ""
            console.print(f"- {_local(event.at)} {who}: {handling.EVENT[event.kind]}{to}"
                          f"{' — ' + event.note if event.note else ''}", highlight=False)
        for answer in handling.answers_to(session=session, document_id=doc.id):
            console.print(f"- Trả lời bằng: {answer.number_symbol} — {answer.subject}",
                          highlight=False)


@incoming_app.command("present")
def present(
    number: Number, org: Org,
    clerk: Annotated[str, typer.Option("--clerk", help="Văn thư trình (khoá người).")],
    leader: Annotated[str, typer.Option("--leader", help="Lãnh đạo được trình.")],
    year: Year = None,
) -> None:
    """Văn thư trình văn bản đến cho lãnh đạo cho ý kiến."""
    from outbox import handling

    with _session() as session:
        doc = _find(session, org, number, year)
        chief = _person(session, leader)
        handling.present(session=session, document_id=doc.id, clerk=_person(session, clerk),
                         leader=chief)
        console.print(f"Đã trình văn bản đến số {doc.number:02d} cho {chief.full_name}.")


@incoming_app.command("refuse")
def refuse(
    number: Number, org: Org,
    clerk: Annotated[str, typer.Option("--clerk", help="Văn thư từ chối (khoá người).")],
    reason: Annotated[str, typer.Option(
        "--reason", help="Lý do từ chối, gửi cho nơi gửi (ví dụ: gửi nhầm cơ quan).")],
    year: Year = None,
) -> None:
    """Văn thư từ chối tiếp nhận văn bản đến chưa giao xử lý; nơi gửi qua trục liên thông nhận
    trạng thái 02 kèm lý do."""
    from sqlalchemy import select

    from outbox import handling
    from registry.models import Delivery

    with _session() as session:
        doc = _find(session, org, number, year)
        event = handling.refuse(session=session, document_id=doc.id,
                                clerk=_person(session, clerk), reason=reason)
        answer = session.scalar(select(Delivery).where(Delivery.document_id == doc.id,
                                                       Delivery.kind == "status:02"))
        console.print(f"Đã từ chối tiếp nhận văn bản đến số {doc.number:02d} "
                      f"({doc.original_number} của {doc.sender_name}). Lý do: {event.note}",
                      highlight=False)
        if answer is not None:
            console.print(f"Đã xếp hàng trạng thái 02 gửi {answer.recipient_label} "
                          f"({answer.address}) qua trục liên thông (gửi bằng: congvan outbox "
                          "run).", highlight=False)
        else:
            console.print("Văn bản không đến qua trục liên thông: hãy báo nơi gửi bằng cách "
                          "khác (điện thoại, thư điện tử).", highlight=False)


@incoming_app.command("assign")
def assign(
    number: Number, org: Org,
    leader: Annotated[str, typer.Option("--leader", help="Lãnh đạo giao (khoá người).")],
    to: Annotated[str, typer.Option(
        "--to", help="Đơn vị hoặc cán bộ chủ trì xử lý (khoá trong danh bạ).")],
    due: Annotated[str | None, typer.Option(
        "--due", help="Hạn xử lý, dd/mm/yyyy (mặc định: hạn trả lời của văn bản).")] = None,
    opinion: Annotated[str, typer.Option("--opinion", help="Ý kiến chỉ đạo (bút phê).")] = "",
    coordinate: Annotated[list[str] | None, typer.Option(
        "--coordinate", help="Đơn vị/cán bộ phối hợp (lặp lại được).")] = None,
    inform: Annotated[list[str] | None, typer.Option(
        "--inform", help="Đơn vị/cán bộ để biết (lặp lại được).")] = None,
    year: Year = None,
) -> None:
    """Lãnh đạo giao xử lý: chủ trì, hạn, bút phê; phối hợp và để biết."""
    from outbox import handling

    with _session() as session:
        doc = _find(session, org, number, year)
        rows = handling.assign(
            session=session, document_id=doc.id, leader=_person(session, leader),
            main=_assignee(session, to), due=_due(due), opinion=opinion,
            coordinate=[_assignee(session, k) for k in coordinate or []],
            inform=[_assignee(session, k) for k in inform or []])
        console.print(f"Đã giao văn bản đến số {doc.number:02d}:", highlight=False)
        for row in rows:
            deadline = f", hạn {row.due_date:%d/%m/%Y}" if row.due_date else ""
            console.print(f"- {handling.ROLES[row.role]}: {handling.assignee_label(row)}"
                          f"{deadline}", highlight=False)


@incoming_app.command("progress")
def progress(
    number: Number, org: Org,
    by: Annotated[str, typer.Option("--by", help="Người xử lý (khoá người).")],
    note: Annotated[str, typer.Option("--note", help="Tiến độ.")],
    year: Year = None,
) -> None:
    """Người chủ trì ghi tiến độ xử lý."""
    from outbox import handling

    with _session() as session:
        doc = _find(session, org, number, year)
        handling.progress(session=session, document_id=doc.id, actor=_person(session, by),
                          note=note)
        console.print(f"Đã ghi tiến độ văn bản đến số {doc.number:02d}.")


@incoming_app.command("done")
def done(
    number: Number, org: Org,
    by: Annotated[str, typer.Option("--by", help="Người xử lý (khoá người).")],
    result: Annotated[str, typer.Option("--result", help="Kết quả xử lý.")] = "",
    answer: Annotated[str | None, typer.Option(
        "--answer", help="Văn bản đi trả lời, số/ký hiệu (ví dụ 05/BCĐ-NC).")] = None,
    answer_year: Annotated[int | None, typer.Option(
        "--answer-year", help="Năm của văn bản trả lời (mặc định: năm nay).")] = None,
    year: Year = None,
) -> None:
    """Người chủ trì ghi kết quả, có thể kèm văn bản đi trả lời."""
    from outbox import handling

    with _session() as session:
        doc = _find(session, org, number, year)
        reply = handling.outgoing_by_number(session=session, organization_key=org,
                                            number_symbol=answer, year=answer_year) \
            if answer else None
        row = handling.done(session=session, document_id=doc.id, actor=_person(session, by),
                            result=result, answer_document_id=reply.id if reply else None)
        console.print(f"Đã xong văn bản đến số {doc.number:02d}: {row.result}", highlight=False)


@incoming_app.command("quarantine")
def quarantine(
    org: Org,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000,
                                       help="Số gói gần nhất.")] = 50,
) -> None:
    """Gói edXML bị từ chối ở cửa vào của cơ quan: lúc nào, vì sao, của ai, đã báo trạng thái
    02 hay phải cách ly, bản gói lưu ở đâu."""
    from outbox.edxml.refusal import refused
    from registry.lookup import get_by_key
    from registry.models import Organization

    with _session() as session:
        office = get_by_key(session=session, model=Organization, key=org)
        rows = refused(session=session, organization_id=office.id, limit=limit)
        for row in rows:
            detail = row.detail or {}
            what = "đã báo 02" if detail.get("answer") else (
                "chưa báo được" if row.action == "edxml_refused" else "cách ly")
            sender = detail.get("from") or "không rõ nơi gửi"
            console.print(f"- {_local(row.at)} {sender} {detail.get('document_id', '')} "
                          f"({what}; {detail.get('source', '')}): {detail.get('reason', '')}",
                          highlight=False)
            console.print(f"  SHA-256 {detail.get('sha256', '')[:16]}…, "
                          f"{detail.get('size', 0):,} byte"
                          + (f", lưu tại {detail['kept']}" if detail.get("kept") else ""),
                          highlight=False)
    console.print(f"{len(rows)} gói bị từ chối.")


@incoming_app.command("remind")
def remind(
    today: Annotated[str | None, typer.Option(
        "--today", help="Ngày xét quá hạn, dd/mm/yyyy (mặc định: hôm nay).")] = None,
    channel: Annotated[list[str] | None, typer.Option(
        "--channel", help="Kênh gửi nhắc: email, folder (mặc định: email).")] = None,
) -> None:
    """Nhắc người chủ trì xử lý văn bản đến đã quá hạn (mỗi hạn một lần, qua hộp thư đi)."""
    from outbox import handling
    from registry.clock import local_today

    with _session() as session:
        day = _due(today) or local_today()
        added = handling.remind_overdue(session=session, today=day,
                                        channels=channel or ["email"])
        for delivery in added:
            console.print(f"- {delivery.recipient_label} ({delivery.channel})", highlight=False)
    console.print(f"Đã đưa {len(added)} thư nhắc vào hộp thư đi (gửi bằng: congvan outbox run).")


def register(app: typer.Typer) -> None:
    app.add_typer(incoming_app, name="incoming")
