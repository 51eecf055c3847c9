"""The recipient options of `congvan draft` (new, edit, submit, issue, recipients) and their output.

Lines are chosen from the directory with ``--to`` (Kính gửi) and ``--cc`` (Nơi nhận):
``KEY[:CHANNEL][=LABEL]``, or free text, which is printed but not sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from congvan.cli._common import console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from outbox.recipients import Plan

CHOICE_HELP = ("KHOÁ[:kênh][=Tên in ra] trong danh bạ (cơ quan, nhóm, cán bộ; kênh edxml, email, "
               "folder), hoặc tên viết tự do (không gửi qua hệ thống); lặp lại cho nhiều dòng")
ToOption = Annotated[list[str] | None, typer.Option("--to", help="Kính gửi: " + CHOICE_HELP)]
CcOption = Annotated[list[str] | None, typer.Option("--cc", help="Nơi nhận: " + CHOICE_HELP)]


def spec_choices(spec: dict[str, Any]) -> tuple[list[Any] | None, list[Any] | None]:
    """Pop "recipients" (Kính gửi) and "distribution" (Nơi nhận) from a --spec file as choices.

    A "Lưu: …" line in distribution becomes the spec's archive line.
    """
    from registry.recipients import Choice

    to = spec.pop("recipients", None)
    cc = spec.pop("distribution", None)
    out: list[list[Any] | None] = []
    for name, items in (("recipients", to), ("distribution", cc)):
        if items is None:
            out.append(None)
            continue
        if not isinstance(items, list):
            from registry.errors import ValidationError

            raise ValidationError("phải là danh sách (mỗi dòng một nơi nhận)", field=name)
        choices = []
        for i, item in enumerate(items):
            if isinstance(item, str) and item.lstrip("- ").startswith("Lưu"):
                spec["archive"] = item.lstrip("- ").split(":", 1)[-1].strip().rstrip(".")
                continue
            choices.append(Choice.from_spec(item, field=f"{name}[{i}]"))
        out.append(choices)
    return out[0], out[1]


def apply(session: Session, document: Any, actor: Any, to: list[Any] | None,
          cc: list[Any] | None) -> None:
    """Set the lines given (choices or option strings) and print those not sent."""
    from registry.recipients import Choice, set_lines

    if to is None and cc is None:
        return

    def parse(items: list[Any] | None) -> list[Choice] | None:
        if items is None:
            return None
        return [i if isinstance(i, Choice) else Choice.parse(i) for i in items]

    set_lines(session=session, document=document, actor=actor, to=parse(to), cc=parse(cc))


def print_lines(session: Session, document_id: int, *, when: str) -> None:
    """The printed lines, each marked when it is not sent by the system, and what is unreachable."""
    from outbox.recipients import plan
    from registry import documents
    from registry.recipients import NOT_SENT, not_sent, printed

    doc = documents.get(session=session, document_id=document_id)
    result = plan(session=session, document_id=document_id)
    free = {id(r) for r in not_sent(doc)}
    for line in doc.recipients:
        kind = "Kính gửi" if line.kind == "to" else "Nơi nhận"
        mark = f" [yellow]— {NOT_SENT}[/]" if id(line) in free else ""
        channel = f" ({line.channel})" if line.channel else ""
        console.print(f"  {kind}: {line.label}{channel}{mark}", highlight=False)
    if doc.recipients and not printed(doc)[0] and doc.doc_type == "cong_van":
        console.print("  [yellow]Công văn chưa có dòng Kính gửi.[/]")
    for u in result.unreachable:
        console.print(f"  [yellow]Không gửi được: {u.organization.name_in_text} ({u.reason})[/]",
                      highlight=False)
    if free or result.unreachable:
        console.print(f"  [yellow]{when}: {len(free)} dòng {NOT_SENT}, "
                      f"{len(result.unreachable)} nơi chưa có địa chỉ gửi.[/]")


def print_plan(result: Plan) -> None:
    """What issuing would queue: one line per recipient and channel."""
    from outbox.recipients import CHANNEL_LABELS

    for p in result.deliveries:
        note = f" (thay cho {CHANNEL_LABELS[p.instead_of]})" if p.instead_of else ""
        console.print(f"  → {p.label}: {CHANNEL_LABELS[p.channel]} {p.address}{note}",
                      highlight=False)


def print_queued(rows: list[Any]) -> None:
    """The deliveries an issue queued, per recipient and channel."""
    from outbox.recipients import CHANNEL_LABELS

    if not rows:
        console.print("Không xếp hàng gửi nào (--no-delivery).")
        return
    console.print(f"Đã xếp hàng {len(rows)} lượt gửi (chạy `congvan outbox run` để gửi):")
    for d in rows:
        console.print(f"  → {d.recipient_label}: {CHANNEL_LABELS.get(d.channel, d.channel)} "
                      f"{d.address}", highlight=False)


def recipients(
    document_id: Annotated[int, typer.Argument(help="Số hiệu dự thảo (#)")],
    as_: Annotated[str | None, typer.Option("--as", help="Khoá người sửa (khi đổi nơi nhận)")
                   ] = None,
    to: ToOption = None,
    cc: CcOption = None,
) -> None:
    """Xem (hoặc đổi, với --to/--cc) nơi nhận của dự thảo và các lượt gửi khi ban hành."""
    from congvan.cli.draft import _person, _transaction
    from outbox.recipients import plan
    from registry import documents
    from registry.errors import ValidationError

    with _transaction() as session:
        doc = documents.get(session=session, document_id=document_id)
        if to is not None or cc is not None:
            if as_ is None:
                raise ValidationError("đổi nơi nhận cần --as KHOÁ_NGƯỜI_SỬA", field="--as")
            apply(session, doc, _person(session, as_), to, cc)
        console.print(f"[bold]#{doc.id}[/] — {doc.subject}")
        print_lines(session, doc.id, when="Nơi nhận")
        result = plan(session=session, document_id=doc.id)
        if result.deliveries:
            console.print(f"Khi ban hành sẽ gửi {len(result.deliveries)} lượt:")
            print_plan(result)
        else:
            console.print("[yellow]Khi ban hành sẽ không gửi đến nơi nào qua hệ thống.[/]")
