"""Incoming documents (sổ văn bản đến, ND30 art. 20–24): read, correct, register once.

The one incoming-registration service: ``congvan receive``, the guidance flow and the
web all go through :func:`register_incoming`.

- Reading gives an :class:`Incoming` — what the paper says — from a .docx, a text PDF, a
  scanned PDF or image (Tesseract's Vietnamese model, :mod:`outbox.ocr`, reading only the
  header first) or an edXML package; :func:`paper` builds one from typed fields alone.
- :func:`corrected` applies what the clerk typed (number, symbol, date, issuer, subject,
  urgency, secrecy), each checked with a Vietnamese message naming the option.
- :func:`register_incoming` gives the next incoming number of the organisation's incoming
  register (from 01 each year), records the arrival, stores the files and links the document
  it answers. The same document (receiver, issuer, number and symbol, date) arriving again —
  by e-mail and then by edXML — is recognised by its ``incoming_key`` (unique in the
  database) and recorded as a second arrival of the first registration, never renumbered.
- :func:`attach_text_layer` adds a scan's searchable PDF and text after registration.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outbox import ocr
from outbox.compose import one_line
from outbox.edxml.parse import parse_document
from outbox.errors import EdxmlError, IntakeError
from registry import audit, documents, files
from registry.clock import local_date
from registry.doctypes import DOC_TYPES, format_number
from registry.models import (
    Direction,
    Document,
    DocumentFile,
    DocumentStatus,
    DocumentText,
    IncomingArrival,
    Organization,
    Person,
)
from registry.numbering import allocate_number, register_for
from registry.text import nfc as _nfc

URGENCY_MARKS = ("HỎA TỐC", "HOẢ TỐC", "THƯỢNG KHẨN", "KHẨN")
SECRECY_MARKS = ("TUYỆT MẬT", "TỐI MẬT", "MẬT")
CHANNELS = ("paper", "file", "scan", "email", "edxml", "post", "hand")
_NUMBER = re.compile(r"Số\s*:\s*(\d*)\s*/\s*([^\s,;]+)")
# OCR of «Số: 4267/BCĐ-NC»: the accent or the colon may be misread, spaces may appear.
_OCR_NUMBER = re.compile(r"(?i)\bS[ốôoóồổỗ6é][\s.:;]*([0-9OoIl|]{1,7})?\s*/\s*"
                         r"([^\s,;]+(?:\s*-\s*[^\s,;]+)*)")
_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_OCR_DATE = re.compile(r"(?i)ng[àaá]y\s*(\d{1,2})\s*th[áàa]ng\s*(\d{1,2})\s*n[ăaâ]m\s*(\d{4})")
_REFERENCE = re.compile(r"(?:số|Số)\s+(\d+)\s*/\s*([\wĐđ][\wĐđ-]*)")
_TYPE_NAMES = {t.name.upper(): t.key for t in DOC_TYPES.values()}
_SYMBOL = re.compile(r"[0-9A-ZĐ]+(?:[-./&][0-9A-ZĐ]+)*")
_MAX_TEXT = 1000


@dataclass(frozen=True)
class Incoming:
    """What an incoming document says about itself (fields may be empty until corrected)."""

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
    secrecy: str | None = None
    text: str = field(default="", repr=False)  # the searchable text, when read from the file
    text_source: str | None = None  # docx | pdf | edxml (a scan's text comes after: ocr)
    channel: str = "file"
    # A scan's pages (PIL images), kept for the text layer made after registration.
    scan_pages: tuple[Any, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Registration:
    """The outcome of :func:`register_incoming`: the registered document and this arrival."""

    document: Document
    arrival: IncomingArrival
    duplicate: bool  # True: the document was already registered; no new number was given


def docx_text(data: bytes) -> str:
    """The text of a .docx in reading order, table cells included (the header is a table)."""
    import io

    from docx import Document as Docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Docx(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - python-docx raises many kinds on a bad zip
        raise IntakeError(f"Không đọc được tệp .docx: {error}") from error
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
    try:
        result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data,
                                capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired as error:
        raise IntakeError("Đọc tệp PDF quá lâu: kiểm tra lại tệp.") from error
    if result.returncode != 0:
        raise IntakeError(f"Không đọc được tệp PDF: {ocr.poppler_reason(result.stderr)}")
    return _nfc(result.stdout.decode("utf-8", errors="replace"))


def _block_after(lines: list[str], start: int) -> list[str]:
    block = []
    for line in lines[start:]:
        if not line.strip() or line.strip().startswith("Kính gửi") or _DATE.search(line):
            break
        block.append(line.strip())
    return block


def _mark(text: str, marks: tuple[str, ...]) -> str | None:
    upper = text.upper()
    return next((m for m in marks if re.search(rf"(?m)^\W*{m}\W*$", upper)), None)


def propose_text(text: str) -> Incoming:
    """Number/symbol, date, issuer, type, subject and marks read from a document's text; a
    field not found is left empty for the clerk to type."""
    lines = [line.replace("*", "").strip() for line in text.splitlines()]
    number = _NUMBER.search(text)
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
    when = _DATE.search(text)
    own = f"{number.group(1)}/{number.group(2)}" if number else ""
    return Incoming(
        number_symbol=(own if number.group(1) else f"/{number.group(2)}") if number else "",
        subject=subject, sender_name=sender, doc_type=doc_type,
        original_date=_date_of(when), urgency=_mark(text, URGENCY_MARKS),
        secrecy=_mark(text, SECRECY_MARKS), text=text,
        references=tuple(dict.fromkeys(
            f"{n}/{s}" for n, s in _REFERENCE.findall(text) if f"{n}/{s}" != own
        )),
    )


def _date_of(match: re.Match[str] | None) -> date | None:
    if match is None:
        return None
    try:
        return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None


def read_text(text: str) -> Incoming:
    """Like :func:`propose_text`, refusing text without a number line or a subject."""
    incoming = propose_text(text)
    if not incoming.number_symbol:
        raise IntakeError("Không tìm thấy số, ký hiệu (dòng «Số: …/…») trong văn bản.")
    if not incoming.subject:
        raise IntakeError("Không tìm thấy trích yếu (dòng «V/v …» hoặc tên loại văn bản).")
    return incoming


def propose_scan(lines: list[str]) -> Incoming:
    """Fields read from the OCR'd header of a scan (:func:`outbox.ocr.header_lines`)."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        else:
            blocks.append([])
    left, right, span = (blocks + [[], [], []])[:3]
    everything = "\n".join(line for line in lines if line != ocr.PARAGRAPH)
    number = next((m for m in map(_OCR_NUMBER.search, left + span + right) if m), None)
    issuer: list[str] = []
    for line in left:
        if _OCR_NUMBER.search(line) or line.startswith(("V/v", "VIv", "V/V")):
            break
        if line != ocr.PARAGRAPH:
            issuer.append(line)
    subject = _scan_subject(left, span)
    doc_type = next((_TYPE_NAMES[line.upper()] for line in span if line.upper() in _TYPE_NAMES),
                    "cong_van")
    return Incoming(
        number_symbol=_ocr_number_symbol(number), subject=subject,
        sender_name=" ".join(issuer), doc_type=doc_type,
        original_date=_date_of(_OCR_DATE.search(everything)),
        urgency=_mark(everything, URGENCY_MARKS), secrecy=_mark(everything, SECRECY_MARKS),
        channel="scan",
    )


def _scan_subject(left: list[str], span: list[str]) -> str:
    for i, line in enumerate(left):
        if re.match(r"V\s*[/Il|]\s*[vV]\b", line):
            first = re.sub(r"^V\s*[/Il|]\s*[vV]\b\s*", "", line)
            rest = []
            for x in left[i + 1:]:
                if x == ocr.PARAGRAPH or x.startswith("Kính gửi"):
                    break
                rest.append(x)
            return " ".join(["V/v", first, *rest]).replace("  ", " ").strip()
    for i, line in enumerate(span):
        if line.upper() in _TYPE_NAMES:
            subject: list[str] = []
            for x in span[i + 1:]:
                if x == ocr.PARAGRAPH and not subject:
                    continue
                if x == ocr.PARAGRAPH or x.startswith(("Kính gửi", "Căn cứ")) \
                        or set(x) <= set("-_—–= "):
                    break
                subject.append(x)
            return " ".join(subject)
    return ""


def _ocr_number_symbol(match: re.Match[str] | None) -> str:
    if match is None:
        return ""
    digits = (match[1] or "").translate(str.maketrans("OoIl|", "00111"))
    symbol = re.sub(r"\s*-\s*", "-", match[2]).upper().rstrip(".,;:")
    return f"{int(digits):02d}/{symbol}" if digits else f"/{symbol}"


def read_edxml(data: bytes) -> Incoming:
    """Read an edXML package (its metadata and attached files)."""
    doc = parse_document(data)
    type_key = _TYPE_NAMES.get(doc.type_name.upper(), "cong_van")
    response = next((r.key.number_symbol for r in doc.response_for if r.key), None)
    return Incoming(
        number_symbol=doc.number_symbol, subject=doc.subject, sender_name=one_line(doc.sender.name),
        original_date=doc.issued_date, doc_type=type_key, sender_organ_id=doc.sender.organ_id,
        urgency="KHẨN" if doc.priority not in ("", "0") else None, due_date=doc.due_date,
        references=(response,) if response else (),
        files=tuple((a.name, a.content) for a in doc.attachments), channel="edxml",
    )


def read_file(path: Path) -> Incoming:
    """Read an incoming .docx, PDF (text or scanned), image scan or edXML (.xml/.edxml) file.

    Fields that cannot be read are left empty: :func:`corrected` fills them from what the
    clerk typed and :func:`register_incoming` refuses what is still missing.
    """
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".xml", ".edxml"):
        try:
            return read_edxml(data)
        except EdxmlError as error:
            raise IntakeError(str(error)) from error
    if suffix == ".docx":
        text = docx_text(data)
        incoming = replace(propose_text(text), text_source="docx")
    elif suffix == ".pdf":
        text = pdf_text(data)
        if len("".join(text.split())) >= 40:
            incoming = replace(propose_text(text), text_source="pdf")
        else:  # no text layer: a scan
            incoming = read_scan(data, suffix)
    elif suffix in ocr.IMAGE_SUFFIXES:
        incoming = read_scan(data, suffix)
    else:
        raise IntakeError(f"Không nhận loại tệp «{path.suffix}»; dùng .docx, .pdf, ảnh quét "
                          "(.png, .jpg, .tiff) hoặc edXML (.xml).")
    return replace(incoming, files=((path.name, data),))


def read_scan(data: bytes, suffix: str) -> Incoming:
    """A scan's fields proposed from the OCR of page 1's header; the pages kept for later."""
    pages = ocr.load_pages(data, suffix)
    return replace(propose_scan(ocr.header_lines(pages[0])), scan_pages=tuple(pages))


# The fields of an Incoming that a proposal keeps (the file's bytes and a scan's pages are not).
_PROPOSED = ("number_symbol", "subject", "sender_name", "doc_type", "sender_organ_id",
             "urgency", "secrecy", "text", "text_source", "channel")


def proposal_fields(incoming: Incoming) -> dict[str, Any]:
    """What :func:`read_file` read, as JSON values: the web keeps it beside a staged upload so
    that registering the clerk's confirmed fields does not read (OCR) the file a second time."""
    out: dict[str, Any] = {k: getattr(incoming, k) for k in _PROPOSED}
    out["original_date"] = incoming.original_date.isoformat() if incoming.original_date else None
    out["due_date"] = incoming.due_date.isoformat() if incoming.due_date else None
    out["references"] = list(incoming.references)
    return out


def from_proposal(fields: dict[str, Any], *, name: str, data: bytes) -> Incoming:
    """The :class:`Incoming` that :func:`proposal_fields` kept, with the file it was read from
    (a scan's pages are not kept: the text layer is made from the stored file later).
    ValueError when ``fields`` is not such a record."""
    try:
        kept = {k: fields[k] for k in _PROPOSED}
        if not all(v is None or isinstance(v, str) for v in kept.values()) or not isinstance(
                fields["references"], list):
            raise ValueError("not a kept proposal")
        return Incoming(**kept, files=((name, data),),
                        original_date=_iso_date(fields["original_date"]),
                        due_date=_iso_date(fields["due_date"]),
                        references=tuple(str(r) for r in fields["references"]))
    except (KeyError, TypeError) as exc:
        raise ValueError("not a kept proposal") from exc


def _iso_date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def paper(*, channel: str = "paper") -> Incoming:
    """A paper document with no file: every field comes from :func:`corrected`."""
    return Incoming(number_symbol="", subject="", sender_name="", channel=channel)


_URGENCY_WORDS = {"khan": "KHẨN", "thuong khan": "THƯỢNG KHẨN", "hoa toc": "HỎA TỐC"}
_SECRECY_WORDS = {"mat": "MẬT", "toi mat": "TỐI MẬT", "tuyet mat": "TUYỆT MẬT"}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.lower().replace("-", " ").replace("_", " ").split())


def _free_text(value: str, option: str, *, limit: int = _MAX_TEXT) -> str:
    text = one_line(_nfc(value))
    if not text:
        raise IntakeError(f"{option}: không được để trống.")
    if len(text) > limit:
        raise IntakeError(f"{option}: dài {len(text)} ký tự, tối đa {limit}; rút gọn lại.")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise IntakeError(f"{option}: có ký tự điều khiển; gõ lại bằng chữ thường.")
    return text


def parse_date(value: str, option: str = "--date") -> date:
    """A date typed as dd/mm/yyyy (or yyyy-mm-dd)."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        day, month, year = (int(x) for x in re.split(r"[/.-]", text))
        return date(year, month, day)
    except ValueError:
        raise IntakeError(f"{option} «{value}»: ngày viết dd/mm/yyyy, ví dụ 05/01/2023."
                          ) from None


def corrected(incoming: Incoming, *, number: str | None = None, symbol: str | None = None,
              date_: str | None = None, issuer: str | None = None, subject: str | None = None,
              urgency: str | None = None, secret: str | None = None) -> Incoming:
    """``incoming`` with the fields the clerk typed (each checked; errors name the option)."""
    changes: dict[str, Any] = {}
    old_number, _, old_symbol = incoming.number_symbol.partition("/")
    if number is not None or symbol is not None:
        changes["number_symbol"] = _number_symbol(number if number is not None else old_number,
                                                  symbol if symbol is not None else old_symbol)
    if date_ is not None:
        changes["original_date"] = parse_date(date_)
    if issuer is not None:
        changes["sender_name"] = _free_text(issuer, "--issuer", limit=300)
        changes["sender_organ_id"] = None
    if subject is not None:
        changes["subject"] = _free_text(subject, "--subject")
    if urgency is not None:
        changes["urgency"] = _choice(urgency, "--urgency", _URGENCY_WORDS)
    if secret is not None:
        changes["secrecy"] = _choice(secret, "--secret", _SECRECY_WORDS)
    return replace(incoming, **changes)


def _number_symbol(number: str, symbol: str) -> str:
    digits = number.strip()
    if not re.fullmatch(r"\d{1,7}", digits) or int(digits) == 0:
        raise IntakeError(f"--number «{number}»: số văn bản là số nguyên dương (ví dụ 152); "
                          "ký hiệu nhập riêng bằng --symbol.")
    mark = _nfc(symbol.strip()).upper()
    if not _SYMBOL.fullmatch(mark) or len(mark) > 40:
        raise IntakeError(f"--symbol «{symbol}»: ký hiệu gồm chữ in hoa, chữ số và dấu gạch "
                          "nối, không có khoảng trắng, ví dụ BC-CAH hoặc UBND-VX.")
    return f"{int(digits):02d}/{mark}"


def _choice(value: str, option: str, words: dict[str, str]) -> str | None:
    key = _plain(value)
    if key in ("", "khong", "none"):
        return None
    if key not in words:
        raise IntakeError(f"{option} «{value}»: chọn một trong "
                          f"{', '.join(words.values())} (hoặc «không»).")
    return words[key]


def missing_fields(incoming: Incoming) -> list[str]:
    """The options the clerk still has to type (``--number``, ``--symbol``, …)."""
    number, _, symbol = incoming.number_symbol.partition("/")
    # The date is not required: a copy without a readable date is still registered (the
    # register's "Ngày tháng" stays empty until corrected) and simply never matched as a repeat.
    checks = (("--number", number), ("--symbol", symbol),
              ("--issuer", incoming.sender_name.strip()), ("--subject", incoming.subject.strip()))
    return [option for option, value in checks if not value]


_FIELD_NAMES = {"--number": "số", "--symbol": "ký hiệu", "--date": "ngày văn bản",
                "--issuer": "cơ quan ban hành", "--subject": "trích yếu"}


def require_complete(incoming: Incoming) -> None:
    """Refuse an incoming document whose number, symbol, issuer or subject is missing."""
    missing = missing_fields(incoming)
    if missing:
        where = {"scan": "bản quét", "paper": "văn bản giấy"}.get(incoming.channel, "tệp")
        names = ", ".join(_FIELD_NAMES[m] for m in missing)
        read = [f"{_FIELD_NAMES[option]} «{value}»" for option, value in (
            ("--number", incoming.number_symbol.partition("/")[0]),
            ("--symbol", incoming.number_symbol.partition("/")[2]),
            ("--date", f"{incoming.original_date:%d/%m/%Y}" if incoming.original_date else ""),
            ("--issuer", incoming.sender_name.strip()), ("--subject", incoming.subject.strip()),
        ) if value]
        seen = f" Đã đọc được: {'; '.join(read)}." if read and incoming.channel != "paper" \
            else ""
        raise IntakeError(f"Chưa có {names} (không đọc được từ {where}): nhập "
                          f"{' '.join(m + ' …' for m in missing)}.{seen}")


def match_sender(session: Session, incoming: Incoming) -> Organization | None:
    """The directory organisation that sent it: by edXML id, else the longest name in the header."""
    if incoming.sender_organ_id:
        found = session.scalar(
            select(Organization).where(Organization.edxml_id == incoming.sender_organ_id)
        )
        if found is not None:
            return found
    header = one_line(incoming.sender_name).upper()
    if not header:
        return None
    organizations = list(session.scalars(select(Organization)))
    candidates = [o for o in organizations if one_line(o.name).upper() in header]
    if not candidates and incoming.channel == "scan":
        # OCR misreads accents (CÂM for CẨM, CHÍ for CHỈ): compare without them.
        plain = _plain(header)
        candidates = [o for o in organizations if _plain(o.name) in plain]
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


def incoming_key(*, organization_id: int, sender: Organization | None, incoming: Incoming
                 ) -> str | None:
    """The identity of an incoming document at a receiver: issuer, number and symbol, date.

    None when the number or symbol is unknown (such a document is never matched).
    """
    number, _, symbol = incoming.number_symbol.partition("/")
    if not number.isdigit() or not symbol:
        return None
    issuer = f"org:{sender.id}" if sender is not None else "name:" + _plain(incoming.sender_name)
    when = incoming.original_date.isoformat() if incoming.original_date else ""
    key = f"{organization_id}|{issuer}|{int(number)}/{symbol.upper()}|{when}"
    return key if len(key) <= 400 else key[:336] + files.sha256(key.encode())


def register_incoming(
    *, session: Session, organization_id: int, incoming: Incoming, arrived_at: datetime,
    files_root: Path, actor: Person | None = None, channel: str | None = None,
    sender: Organization | None = None,
) -> Registration:
    """Register an incoming document once: next incoming number, sender, files, 'answers' links.

    The same document registered before (same receiver, issuer, number and symbol, date) gets
    a second :class:`IncomingArrival` and no new number; the check is the database's unique
    ``incoming_key``, so two clerks (or the e-mail and edXML doors) racing on both engines
    still end with one registration. ``sender`` is the directory organisation when the caller
    knows it (else it is matched by edXML id or name).
    """
    require_complete(incoming)
    via = channel or incoming.channel
    if via not in CHANNELS:
        raise IntakeError(f"--via «{via}»: chọn một trong {', '.join(CHANNELS)}.")
    sender = sender or match_sender(session, incoming)
    key = incoming_key(organization_id=organization_id, sender=sender, incoming=incoming)
    first = _existing(session, key)
    if first is None:
        try:
            with session.begin_nested():  # the number is given back if the insert collides
                first = _new_document(session, organization_id, incoming, arrived_at, sender,
                                      key, files_root)
        except IntegrityError:
            first = _existing(session, key)
            if first is None:
                raise
        else:
            return Registration(first, _arrival(session, first, incoming, via, arrived_at,
                                                actor, duplicate=False), duplicate=False)
    _store_files(first, incoming.files, files_root, kind="arrival")
    arrival = _arrival(session, first, incoming, via, arrived_at, actor, duplicate=True)
    audit.record(session=session, action="receive_again", object_type="document",
                 object_id=first.id, actor=actor,
                 detail={"channel": via, "arrived": local_date(arrived_at).isoformat()})
    return Registration(first, arrival, duplicate=True)


def find_registered(*, session: Session, organization_id: int, incoming: Incoming,
                    sender: Organization | None = None) -> Document | None:
    """The registration of this same document at this receiver, if there is one."""
    sender = sender or match_sender(session, incoming)
    return _existing(session, incoming_key(organization_id=organization_id, sender=sender,
                                           incoming=incoming))


def _existing(session: Session, key: str | None) -> Document | None:
    if key is None:
        return None
    return session.scalar(select(Document).where(Document.incoming_key == key))


def _new_document(session: Session, organization_id: int, incoming: Incoming,
                  arrived_at: datetime, sender: Organization | None, key: str | None,
                  files_root: Path) -> Document:
    register = register_for(session=session, organization_id=organization_id,
                            direction=Direction.INCOMING, doc_type=incoming.doc_type,
                            secret=incoming.secrecy is not None)
    number, year = allocate_number(session=session, register_id=register.id, on=arrived_at)
    doc = Document(
        direction=Direction.INCOMING, doc_type=incoming.doc_type, status=DocumentStatus.RECEIVED,
        subject=_nfc(incoming.subject), register_id=register.id, number=number, year=year,
        issuer_id=sender.id if sender else None, sender_id=sender.id if sender else None,
        sender_name=one_line(sender.name) if sender else _nfc(incoming.sender_name),
        original_number=incoming.number_symbol, original_date=incoming.original_date,
        arrived_at=arrived_at.astimezone(UTC), urgency=incoming.urgency,
        secrecy=incoming.secrecy, due_date=incoming.due_date, incoming_key=key, spec={},
    )
    session.add(doc)
    session.flush()  # a racer with the same incoming_key fails here, before writing any file
    _store_files(doc, incoming.files, files_root, kind="source", number=number, year=year)
    if incoming.text and incoming.text_source:
        session.add(DocumentText(document_id=doc.id, source=incoming.text_source,
                                 text=_nfc(incoming.text)))
    for target in _answered(session, organization_id, incoming.references):
        documents.link(session=session, source=doc, target=target, kind="answers")
    audit.record(session=session, action="receive", object_type="document", object_id=doc.id,
                 detail={"number": number, "year": year, "original": incoming.number_symbol,
                         "arrived": local_date(arrived_at).isoformat()})
    return doc


def _arrival(session: Session, doc: Document, incoming: Incoming, via: str,
             arrived_at: datetime, actor: Person | None, *, duplicate: bool) -> IncomingArrival:
    name, content = incoming.files[0] if incoming.files else (None, None)
    row = IncomingArrival(
        document_id=doc.id, channel=via, arrived_at=arrived_at.astimezone(UTC),
        source_name=PurePath(name.replace(chr(92), "/")).name if name else None,
        sha256=files.sha256(content) if content is not None else None,
        received_by_id=actor.id if actor else None, duplicate=duplicate)
    session.add(row)
    session.flush()
    return row


def _store_files(doc: Document, named: tuple[tuple[str, bytes], ...], files_root: Path, *,
                 kind: str, number: int | None = None, year: int | None = None) -> None:
    number = number if number is not None else doc.number
    year = year if year is not None else doc.year
    assert number is not None and year is not None
    # The sender's file names, without any folder they claim (../, C:\\…), repeats told apart.
    names = files.unique_names(PurePath(n.replace(chr(92), "/")).name or "tep" for n, _ in named)
    for base, (_, content) in zip(names, named, strict=True):
        relative, n = f"incoming/{year}/{format_number(number)}-{base}", 1
        while files.resolve(files_root, relative).exists():  # same name twice: both kept
            n += 1
            relative = f"incoming/{year}/{format_number(number)}-{n}-{base}"
        stored = files.put(files_root, relative, content)
        doc.files.append(DocumentFile(kind=kind, path=stored.path, sha256=stored.sha256,
                                      size=stored.size))


def attach_text_layer(*, session: Session, document_id: int, layer: ocr.TextLayer,
                      files_root: Path) -> DocumentFile:
    """Store a scan's searchable PDF beside the scan, and its text for the register search."""
    doc = documents.get(session=session, document_id=document_id)
    _store_files(doc, (("ban-quet-tim-kiem.pdf", layer.pdf),), files_root, kind="ocr_pdf")
    existing = session.scalar(select(DocumentText).where(DocumentText.document_id == doc.id))
    if existing is None:
        session.add(DocumentText(document_id=doc.id, source="ocr", text=layer.text))
    else:
        existing.source, existing.text = "ocr", layer.text
    session.flush()
    return doc.files[-1]
