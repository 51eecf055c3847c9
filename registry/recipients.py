"""A draft's addressees: "Kính gửi" (ô 9a) and "Nơi nhận" (ô 9b) lines chosen from the directory.

A line names a directory entry — an organisation, a recipient group ("Các huyện",
"Thành viên BCĐ") or a person (their office receives it) — with the channel it
goes by, or it is free text: printed as typed, never sent by the system. The
outbox plans deliveries from these lines (:mod:`outbox.recipients`); the
templates print them (:func:`printed`), and the registers list them
(:func:`destinations`) the same way for every document.

A choice is written ``KEY[:CHANNEL][=LABEL]``: ``bca``, ``cac-huyen:edxml``,
``bca:email=Bộ Công an (để b/c)``. Text that is not shaped like a key
("Thường trực Tỉnh ủy") is a free-text line; a key-shaped text that is not in
the directory is refused with the nearest keys, since it is almost always a typo.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit
from registry.errors import ImmutableDocument, NotFound, PermissionDenied, ValidationError
from registry.models import (
    Document,
    DocumentRecipient,
    DocumentStatus,
    Organization,
    Person,
    RecipientGroup,
)
from registry.text import nfc

CHANNELS = ("edxml", "email", "folder")
KINDS = ("to", "cc")
EDITABLE = {DocumentStatus.DRAFT, DocumentStatus.RETURNED}
NOT_SENT = "không gửi qua hệ thống"
AS_ABOVE = "Như trên"
ARCHIVE_PREFIX = "Lưu"

_CHOICE = re.compile(r"(?P<key>[a-z0-9][a-z0-9._-]*)(?::(?P<channel>[a-z]+))?(?:=(?P<label>.+))?",
                     re.DOTALL)


@dataclass(frozen=True)
class Choice:
    """One line as the drafter chose it: a directory key (or free text), a channel, a label."""

    text: str
    key: str | None = None
    channel: str | None = None
    label: str | None = None

    @classmethod
    def parse(cls, text: str) -> Choice:
        """``KEY[:CHANNEL][=LABEL]`` names a directory entry; anything else is free text."""
        text = nfc(text).strip()
        if "\r" in text or "\n" in text:
            raise ValidationError("mỗi nơi nhận viết trên một dòng (không có ký tự xuống dòng)",
                                  field="recipients")
        if not text:
            raise ValidationError("nơi nhận trống; hãy ghi khoá trong danh bạ hoặc tên nơi nhận",
                                  field="recipients")
        match = _CHOICE.fullmatch(text)
        if match is None:
            return cls(text=text)
        channel = match["channel"]
        if channel is not None and channel not in CHANNELS:
            raise ValidationError(
                f"«{text}»: kênh '{channel}' không có; dùng edxml, email hoặc folder "
                "(ví dụ bca:email)", field="recipients")
        label = match["label"].strip() if match["label"] else None
        return cls(text=text, key=match["key"], channel=channel, label=label or None)


    @classmethod
    def from_spec(cls, item: object, *, field: str) -> Choice:
        """A line of a spec file: a string as in :meth:`parse`, or ``{key, channel, label}``."""
        if isinstance(item, str):
            return cls.parse(item)
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or set(item) - {
                "key", "channel", "label"}:
            raise ValidationError("mỗi nơi nhận là một chuỗi (khoá danh bạ hoặc tên) hoặc "
                                  "{key: …, channel: …, label: …}", field=field)
        text = str(item["key"])
        if item.get("channel"):
            text += f":{item['channel']}"
        if item.get("label"):
            text += f"={item['label']}"
        choice = cls.parse(text)
        if choice.key is None:
            raise ValidationError(f"«{item['key']}» không phải khoá danh bạ (chữ thường không "
                                  "dấu, số, '.', '-', '_')", field=f"{field}.key")
        return choice


@dataclass(frozen=True)
class Entry:
    """A resolved directory entry: exactly one of organization, group, person."""

    organization: Organization | None = None
    group: RecipientGroup | None = None
    person: Person | None = None

    @property
    def label(self) -> str:
        """The line printed for this entry, in running-text form and never re-cased."""
        if self.group is not None:
            return self.group.name
        if self.person is not None:
            return f"Đồng chí {self.person.full_name}, {self.person.organization.name_in_text}"
        assert self.organization is not None
        return self.organization.name_in_text


def resolve(*, session: Session, key: str) -> Entry:
    """The directory entry with ``key`` (group, organisation or person), or NotFound with hints."""
    group = session.scalar(select(RecipientGroup).where(RecipientGroup.key == key))
    if group is not None:
        return Entry(group=group)
    org = session.scalar(select(Organization).where(Organization.key == key))
    if org is not None:
        return Entry(organization=org)
    person = session.scalar(select(Person).where(Person.key == key))
    if person is not None:
        return Entry(person=person)
    keys = [*session.scalars(select(RecipientGroup.key)),
            *session.scalars(select(Organization.key)), *session.scalars(select(Person.key))]
    near = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    hint = f"; có phải: {', '.join(near)}?" if near else ""
    raise NotFound(
        f"không có '{key}' trong danh bạ (cơ quan, nhóm hoặc cán bộ){hint} — xem `congvan "
        "directory export`; muốn ghi một dòng không gửi qua hệ thống thì viết tên đầy đủ "
        "có dấu cách")


def _line(session: Session, choice: Choice, kind: str, position: int) -> DocumentRecipient:
    if choice.key is None:
        return DocumentRecipient(label=choice.text, kind=kind, position=position)
    entry = resolve(session=session, key=choice.key)
    organization = entry.organization or (entry.person.organization if entry.person else None)
    return DocumentRecipient(
        label=choice.label or entry.label, kind=kind, position=position,
        organization=organization, group=entry.group, person=entry.person,
        channel=choice.channel)


def set_lines(
    *, session: Session, document: Document, actor: Person | None,
    to: Sequence[Choice] | None = None, cc: Sequence[Choice] | None = None,
) -> list[DocumentRecipient]:
    """Replace the document's "Kính gửi" (``to``) and/or "Nơi nhận" (``cc``) lines.

    ``None`` leaves that kind as it is. Only a draft (or one returned for changes) is
    edited, by its drafter, a clerk or a leader. Returns the free-text lines, which are
    printed but not sent.
    """
    if document.status not in EDITABLE:
        raise ImmutableDocument(
            f"văn bản #{document.id} không còn là dự thảo; chỉ sửa nơi nhận khi đang soạn hoặc "
            "bị trả lại")
    if actor is not None and not (actor.id == document.created_by_id or actor.has_role("clerk")
                                  or actor.has_role("leader")):
        raise PermissionDenied(f"{actor.full_name} không soạn văn bản #{document.id}; chỉ người "
                               "soạn, văn thư hoặc lãnh đạo được sửa nơi nhận")
    wanted = {"to": to, "cc": cc}
    kept = {kind: [r for r in document.recipients if r.kind == kind] for kind in KINDS}
    lines: list[DocumentRecipient] = []
    for kind in KINDS:
        choices = wanted[kind]
        if choices is None:
            lines.extend(kept[kind])
        else:
            lines.extend(_line(session, c, kind, 0) for c in choices)
    for position, line in enumerate(lines):
        line.position = position
    document.recipients = lines
    session.flush()
    audit.record(session=session, action="recipients", object_type="document",
                 object_id=document.id, actor=actor,
                 detail={kind: [_describe(r) for r in lines if r.kind == kind]
                         for kind in KINDS if wanted[kind] is not None})
    return not_sent(document)


def copy_lines(*, session: Session, source: Document, target: Document) -> None:
    """Give ``target`` (a correction or replacement draft) the same lines as ``source``: the
    same entries, groups, people's offices and channels, so it reaches the same recipients."""
    target.recipients = [
        DocumentRecipient(label=r.label, kind=r.kind, position=r.position,
                          organization=r.organization, group=r.group, person=r.person,
                          channel=r.channel)
        for r in source.recipients
    ]
    session.flush()


def _describe(line: DocumentRecipient) -> str:
    ref = (line.group.key if line.group else line.person.key if line.person else
           line.organization.key if line.organization else None)
    return f"{ref}:{line.channel or ''}={line.label}" if ref else line.label


def not_sent(document: Document) -> list[DocumentRecipient]:
    """Lines that name no directory entry: printed as typed, not sent by the system."""
    return [r for r in document.recipients
            if r.organization_id is None and r.organization is None and r.group is None
            and not _is_formula(r.label)]


def _is_formula(label: str) -> bool:
    # "Như trên" and "Lưu: VT, …" are ND30's fixed lines, not addressees.
    text = label.lstrip("- ").strip()
    return text.startswith(AS_ABOVE) or text.startswith(ARCHIVE_PREFIX)


def archive_line(document: Document, archive: str | None = None) -> str:
    """The last line of Nơi nhận without its dash: ``Lưu: VT, NC.`` (ND30 ô 9b)."""
    text = (archive or "").strip() or "VT"
    if text == "VT" and document.drafting_unit:
        text = f"VT, {document.drafting_unit}"
    return f"{ARCHIVE_PREFIX}: {text}"


def printed(document: Document, distribution: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """The "Kính gửi" lines and the "Nơi nhận" lines before ``Lưu`` (ô 9a, 9b).

    Nơi nhận starts with "Như trên" when the document has "Kính gửi" lines (ND30: the
    addressees above also receive it), then the chosen lines, then ``distribution``
    (free text from an older spec), never repeating "Như trên".
    """
    to = [r.label for r in document.recipients if r.kind == "to" and not _is_formula(r.label)]
    extra = [d for d in (x.strip() for x in distribution) if d]
    extra_text = [d.lstrip("- ").strip() for d in extra]
    cc = [r.label for r in document.recipients if r.kind == "cc" and not _is_formula(r.label)]
    lines: list[str] = []
    has_as_above = any(t.startswith(AS_ABOVE) for t in extra_text) or any(
        r.label.lstrip("- ").startswith(AS_ABOVE) for r in document.recipients if r.kind == "cc")
    if to and not has_as_above:
        lines.append(AS_ABOVE)
    lines.extend(r.label for r in document.recipients
                 if r.kind == "cc" and r.label.lstrip("- ").startswith(AS_ABOVE))
    lines.extend(cc)
    lines.extend(d for d, t in zip(extra, extra_text, strict=True)
                 if not t.startswith(ARCHIVE_PREFIX))
    return to, lines


def destinations(document: Document, distribution: Iterable[str] = ()) -> list[str]:
    """Where a document went, one line each, as a register's "Nơi nhận" column prints it.

    The "Kính gửi" addressees, then the other "Nơi nhận" lines; "Như trên" and the archive
    line are left out (they name no new addressee). The same for every document, whether its
    lines came from the directory, a spec or a flow.
    """
    to, lines = printed(document, distribution)
    rest = [x.lstrip("- ").rstrip(";.").strip() for x in lines]
    out: list[str] = []
    for line in [*to, *rest]:
        text = line.rstrip(";.").strip()
        if text and not text.startswith(AS_ABOVE) and text not in out:
            out.append(text)
    return out


__all__ = ["AS_ABOVE", "CHANNELS", "NOT_SENT", "Choice", "Entry", "archive_line", "copy_lines",
           "destinations", "not_sent", "printed", "resolve", "set_lines"]
