"""Incoming documents (sổ văn bản đến): read a .docx, a PDF or an edXML package, register it.

Reading gives an :class:`Incoming` (what the paper says); registering gives it
the next incoming number of the organisation's incoming register (from 01
each year), the arrival time, the sender, and a link to the document it
answers when that is one of ours.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox.compose import one_line
from outbox.edxml.parse import parse_document
from outbox.errors import EdxmlError, IntakeError
from registry import audit, documents, files
from registry.doctypes import DOC_TYPES, format_number
from registry.models import (
    Direction,
    Document,
    DocumentFile,
    DocumentStatus,
    Organization,
    Person,
)
from registry.numbering import allocate_number, local_date, register_for
from registry.text import nfc as _nfc

URGENCY_MARKS = ("HỎA TỐC", "HOẢ TỐC", "THƯỢNG KHẨN", "KHẨN")
_NUMBER = re.compile(r"Số\s*:\s*(\d*)\s*/\s*([^\s,;]+)")
_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_REFERENCE = re.compile(r"(?:số|Số)\s+(\d+)\s*/\s*([\wĐđ][\wĐđ-]*)")
_TYPE_NAMES = {t.name.upper(): t.key for t in DOC_TYPES.values()}


@dataclass(frozen=True)
class Incoming:
    """What an incoming document says about itself."""

    number_symbol: str
    subject: str
    sender_name: str
    original_date: date | None = None
    doc_type: str = "cong_van"
    sender_organ_id: str | None = None
    urgency: str | None = None
    due_date: date | None = None
    references: tuple[str, ...] = ()
    files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)


def docx_text(data: bytes) -> str:
    """The text of a .docx in reading order, table cells included (the header is a table)."""
    import io

    from docx import Document as Docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Docx(io.BytesIO(data))
    lines: list[str] = []
    for block in doc.element.body.iterchildren():
        if block.tag.endswith("}p"):
            lines.append(Paragraph(block, doc).text)
        elif block.tag.endswith("}tbl"):
            for row in Table(block, doc).rows:
                for cell in row.cells:
                    lines += [p.text for p in cell.paragraphs] + [""]
    return _nfc("\n".join(lines))


def pdf_text(data: bytes) -> str:
    """The text layer of a PDF (poppler's pdftotext, in reading order)."""
    if shutil.which("pdftotext") is None:
        raise IntakeError("Cần pdftotext (gói poppler-utils) để đọc văn bản PDF.")
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data,
                            capture_output=True, timeout=60, check=False)
    if result.returncode != 0:
        raise IntakeError(f"Không đọc được tệp PDF: {result.stderr.decode(errors='replace')}")
    return _nfc(result.stdout.decode("utf-8"))


def _block_after(lines: list[str], start: int) -> list[str]:
    block = []
    for line in lines[start:]:
        if not line.strip() or line.strip().startswith("Kính gửi") or _DATE.search(line):
            break
        block.append(line.strip())
    return block


def read_text(text: str) -> Incoming:
    """Read number/symbol, date, issuer, type, subject and urgency from a document's text."""
    lines = [line.replace("*", "").strip() for line in text.splitlines()]
    number = _NUMBER.search(text)
    if number is None:
        raise IntakeError("Không tìm thấy số, ký hiệu (dòng «Số: …/…») trong văn bản.")
    motto = next((i for i, line in enumerate(lines) if line.upper().startswith("CỘNG HÒA")),
                 None)
    head = lines[:motto] if motto is not None else lines[:6]
    sender = " ".join(line for line in head if line and not line.startswith("Số"))
    doc_type, subject = "cong_van", ""
    for i, line in enumerate(lines):
        if line.startswith("V/v"):
            subject = " ".join(_block_after(lines, i))
            break
        if line.upper() in _TYPE_NAMES and i > (motto or 0) + 1 and line.isupper():
            doc_type = _TYPE_NAMES[line.upper()]
            subject = " ".join(_block_after(lines, i + 1))
            break
    if not subject:
        raise IntakeError("Không tìm thấy trích yếu (dòng «V/v …» hoặc tên loại văn bản).")
    when = _DATE.search(text)
    upper = text.upper()
    own = f"{number.group(1)}/{number.group(2)}"
    return Incoming(
        number_symbol=own if number.group(1) else f"/{number.group(2)}",
        subject=subject, sender_name=sender, doc_type=doc_type,
        original_date=date(int(when[3]), int(when[2]), int(when[1])) if when else None,
        urgency=next((m for m in URGENCY_MARKS if re.search(rf"(?m)^\W*{m}\W*$", upper)), None),
        references=tuple(dict.fromkeys(
            f"{n}/{s}" for n, s in _REFERENCE.findall(text) if f"{n}/{s}" != own
        )),
    )


def read_edxml(data: bytes) -> Incoming:
    """Read an edXML package (its metadata and attached files)."""
    doc = parse_document(data)
    type_key = _TYPE_NAMES.get(doc.type_name.upper(), "cong_van")
    response = doc.response_for.rsplit(",", 1)[-1] if doc.response_for else None
    return Incoming(
        number_symbol=doc.number_symbol, subject=doc.subject, sender_name=one_line(doc.sender.name),
        original_date=doc.issued_date, doc_type=type_key, sender_organ_id=doc.sender.organ_id,
        urgency="KHẨN" if doc.priority not in ("", "0") else None, due_date=doc.due_date,
        references=(response,) if response else (),
        files=tuple((a.name, a.content) for a in doc.attachments),
    )


def read_file(path: Path) -> Incoming:
    """Read an incoming .docx, .pdf or edXML (.xml/.edxml) file."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".xml", ".edxml"):
        try:
            return read_edxml(data)
        except EdxmlError as error:
            raise IntakeError(str(error)) from error
    if suffix == ".docx":
        incoming = read_text(docx_text(data))
    elif suffix == ".pdf":
        incoming = read_text(pdf_text(data))
    else:
        raise IntakeError(f"Không nhận loại tệp «{path.suffix}»; dùng .docx, .pdf hoặc edXML.")
    return Incoming(**{**vars(incoming), "files": ((path.name, data),)})


def match_sender(session: Session, incoming: Incoming) -> Organization | None:
    """The directory organisation that sent it: by edXML id, else the longest name in the header."""
    if incoming.sender_organ_id:
        found = session.scalar(
            select(Organization).where(Organization.edxml_id == incoming.sender_organ_id)
        )
        if found is not None:
            return found
    header = one_line(incoming.sender_name).upper()
    candidates = [o for o in session.scalars(select(Organization))
                  if one_line(o.name).upper() in header]
    return max(candidates, key=lambda o: len(o.name), default=None)


def _answered(session: Session, organization_id: int, references: tuple[str, ...]
              ) -> list[Document]:
    found = []
    for reference in references:
        number, _, symbol = reference.partition("/")
        if not number.isdigit():
            continue
        doc = session.scalar(select(Document).where(
            Document.direction == Direction.OUTGOING, Document.issuer_id == organization_id,
            Document.number == int(number), Document.symbol == symbol,
        ))
        if doc is not None:
            found.append(doc)
    return found


def register_incoming(
    *, session: Session, organization_id: int, incoming: Incoming, arrived_at: datetime,
    files_root: Path, actor: Person | None = None,
) -> Document:
    """Register an incoming document: next incoming number, sender, files, 'answers' links."""
    register = register_for(session=session, organization_id=organization_id,
                            direction=Direction.INCOMING, doc_type=incoming.doc_type)
    number, year = allocate_number(session=session, register_id=register.id, on=arrived_at)
    sender = match_sender(session, incoming)
    doc = Document(
        direction=Direction.INCOMING, doc_type=incoming.doc_type, status=DocumentStatus.RECEIVED,
        subject=_nfc(incoming.subject), register_id=register.id, number=number, year=year,
        sender_id=sender.id if sender else None,
        sender_name=one_line(sender.name) if sender else _nfc(incoming.sender_name),
        original_number=incoming.number_symbol, original_date=incoming.original_date,
        arrived_at=arrived_at.astimezone(UTC), urgency=incoming.urgency,
        due_date=incoming.due_date,
    )
    names = files.unique_names(PurePath(n.replace(chr(92), "/")).name for n, _ in incoming.files)
    for name, (_, content) in zip(names, incoming.files, strict=True):
        stored = files.put(files_root, f"incoming/{year}/{format_number(number)}-{name}", content)
        doc.files.append(DocumentFile(kind="source", path=stored.path, sha256=stored.sha256,
                                      size=stored.size))
    session.add(doc)
    session.flush()
    for target in _answered(session, organization_id, incoming.references):
        documents.link(session=session, source=doc, target=target, kind="answers")
    audit.record(session=session, action="receive", object_type="document", object_id=doc.id,
                 actor=actor, detail={"number": number, "year": year,
                                      "original": incoming.number_symbol,
                                      "arrived": local_date(arrived_at).isoformat()})
    return doc
