"""Which deliveries a document's recipient lines make: per organisation, the channel it goes by.

Each line of "Kính gửi" / "Nơi nhận" that names a directory entry reaches one
organisation (a person's office), or every member of a group. Its channel is
the one chosen on the line, else the first of ``order`` (edXML, then e-mail);
an organisation without that address falls back to the next channel, and one
with none is *unreachable*: reported before issue, never a dead letter later.
Free-text lines are printed, not sent ("không gửi qua hệ thống").

:func:`plan` only reads; :func:`enqueue_plan` adds the rows inside the issuing
transaction (through ``signing.issuing``'s ``on_issued`` hook, see
:func:`on_issued`). Nothing here commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox.enqueue import address_for
from registry import audit, documents
from registry import recipients as lines_
from registry.errors import ValidationError
from registry.models import (
    Delivery,
    DeliveryStatus,
    Document,
    DocumentRecipient,
    Organization,
    Person,
)

DEFAULT_ORDER: tuple[str, ...] = ("edxml", "email")
CHANNEL_LABELS = {"email": "thư điện tử", "edxml": "trục liên thông (edXML)",
                  "folder": "thư mục chia sẻ"}
_MISSING = {"email": "chưa có địa chỉ e-mail", "edxml": "chưa có mã định danh edXML"}


@dataclass(frozen=True)
class Planned:
    """One delivery the document will get: an organisation, a channel and its address."""

    organization: Organization
    label: str  # the line, or the member's own name when the line is a group
    channel: str
    address: str
    line: str  # the printed line it comes from (a group's name for its members)
    instead_of: str | None = None  # the channel wanted but not possible, when it fell back


@dataclass(frozen=True)
class Unreachable:
    """An organisation named by a line that no channel reaches, and why."""

    organization: Organization
    line: str
    reason: str


@dataclass
class Plan:
    """What issuing a document would send, and what it would not."""

    deliveries: list[Planned] = field(default_factory=list)
    unreachable: list[Unreachable] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)  # free-text lines

    @property
    def reaches_nobody(self) -> bool:
        """No delivery at all would be queued."""
        return not self.deliveries


def _targets(line: DocumentRecipient) -> list[Organization]:
    if line.group is not None:
        return [m.organization for m in line.group.members]
    return [line.organization] if line.organization is not None else []


def _choose(org: Organization, wanted: str | None, order: Sequence[str]
            ) -> tuple[str, str] | None:
    candidates = [wanted] if wanted else []
    candidates += [c for c in order if c not in candidates]
    for channel in candidates:
        address = address_for(org, channel)
        if address:
            return channel, address
    return None


def plan(*, session: Session, document_id: int, order: Sequence[str] = DEFAULT_ORDER) -> Plan:
    """The deliveries the document's lines make (one per organisation), in printed order."""
    unknown = [c for c in order if c not in lines_.CHANNELS]
    if unknown:
        raise ValidationError(f"kênh {unknown} không có; dùng edxml, email, folder",
                              field="channels")
    document = documents.get(session=session, document_id=document_id)
    result = Plan(not_sent=[r.label for r in lines_.not_sent(document)])
    seen: set[int] = set()
    for line in document.recipients:
        for org in _targets(line):
            if org.id in seen or org.id == document.issuer_id:
                continue
            seen.add(org.id)
            chosen = _choose(org, line.channel, order)
            if chosen is None:
                tried = [line.channel] if line.channel else []
                tried += [c for c in order if c not in tried]
                reason = "; ".join(_MISSING.get(c, c) for c in tried)
                result.unreachable.append(Unreachable(org, line.label, reason))
                continue
            channel, address = chosen
            wanted = line.channel or (order[0] if order else None)
            result.deliveries.append(Planned(
                organization=org, label=org.name_in_text if line.group else line.label,
                channel=channel, address=address,
                line=line.label, instead_of=wanted if wanted and wanted != channel else None))
    return result


def enqueue_plan(
    *, session: Session, document: Document, planned: Sequence[Planned],
    actor: Person | None = None, now: datetime | None = None,
) -> list[Delivery]:
    """Add one queued delivery per planned row not yet queued; returns the new rows."""
    if document.number is None:
        raise ValidationError(
            f"văn bản #{document.id} chưa có số; cấp số (ban hành) trước khi gửi", field="number")
    existing = set(session.execute(
        select(Delivery.recipient_id, Delivery.channel).where(Delivery.document_id == document.id)
    ).tuples())
    moment = now or datetime.now(UTC)
    added = [Delivery(
        document_id=document.id, recipient_id=p.organization.id, recipient_label=p.label,
        channel=p.channel, address=p.address, status=DeliveryStatus.QUEUED, attempts=0,
        next_attempt_at=moment,
        idempotency_key=f"cv{document.id}.{p.organization.id}.{p.channel}.{secrets.token_hex(6)}",
    ) for p in planned if (p.organization.id, p.channel) not in existing]
    session.add_all(added)
    session.flush()
    if added:
        audit.record(session=session, action="enqueue", object_type="document",
                     object_id=document.id, actor=actor,
                     detail={"deliveries": [d.id for d in added],
                             "channels": sorted({d.channel for d in added})})
    return added


def check(result: Plan, *, no_delivery: bool = False, skip_unreachable: bool = False) -> None:
    """Refuse to issue what would reach nobody, or would silently miss someone.

    ``no_delivery``: issue without sending (paper only). ``skip_unreachable``: issue and send
    to the others; the unreachable ones are handled by hand (post, hand delivery).
    """
    if no_delivery:
        return
    if result.unreachable and not skip_unreachable:
        names = "; ".join(f"{u.organization.name_in_text} ({u.reason})" for u in result.unreachable)
        raise ValidationError(
            f"không gửi được đến: {names}. Hãy bổ sung địa chỉ trong danh bạ (congvan directory "
            "import), chọn kênh khác cho dòng đó (ví dụ KHOÁ:folder), hoặc ban hành với "
            "--skip-unreachable rồi gửi bản giấy cho các nơi này", field="recipients")
    if result.reaches_nobody:
        raise ValidationError(
            "văn bản không gửi đến nơi nào qua hệ thống (không có dòng Kính gửi/Nơi nhận nào là "
            "mục trong danh bạ). Hãy chọn nơi nhận từ danh bạ (congvan draft recipients … --to "
            "KHOÁ), hoặc ban hành với --no-delivery nếu chỉ gửi bản giấy", field="recipients")


def on_issued(
    *, order: Sequence[str] = DEFAULT_ORDER, no_delivery: bool = False,
    skip_unreachable: bool = False, actor: Person | None = None,
    queued: list[Delivery] | None = None,
) -> Callable[[Session, Document], None] | None:
    """The ``on_issued`` hook for ``signing.issuing.issue``: plan, check, enqueue.

    Runs inside the issuing transaction, so a refusal rolls the issue back (the number is
    not consumed). The rows added are appended to ``queued`` for the caller to print.
    """
    if no_delivery:
        return None

    def hook(session: Session, document: Document) -> None:
        result = plan(session=session, document_id=document.id, order=order)
        check(result, skip_unreachable=skip_unreachable)
        added = enqueue_plan(session=session, document=document, planned=result.deliveries,
                             actor=actor)
        if queued is not None:
            queued.extend(added)

    return hook


__all__ = ["CHANNEL_LABELS", "DEFAULT_ORDER", "Plan", "Planned", "Unreachable", "check",
           "enqueue_plan", "on_issued", "plan"]
