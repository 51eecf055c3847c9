"""Read incoming edXML documents and Status messages: streaming, bounded, safe.

The bytes are fed in 64 KiB chunks to lxml's SAX-style target interface, so:

* no tree of the whole message is built and each ContentTransferEncoded is
  base64-decoded as it streams in — a 50 MB attachment is held once, decoded,
  and libxml2's 10 MB text-node limit does not apply (there is no text node);
* a DOCTYPE is refused the moment it starts (entity bombs and external entities
  live there), entities are never resolved, nothing is fetched from the network;
* depth, element count, plain-text size and attachment sizes are bounded.

A tolerant receiver: stray bytes before the XML declaration (seen in public
samples: ``1212<?xml …``) are skipped with a warning; an element whose prefix
was never declared (``<edXML:From>`` under a default namespace) is read as edXML;
elements are found by local name in the edXML namespace or none, in any order.
"""

from __future__ import annotations

import binascii
import contextlib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from outbox.edxml.attachments import Limits, check_name, unpack
from outbox.edxml.build import DSIG, NS
from outbox.edxml.model import (
    Business,
    BusinessType,
    DocumentKey,
    EdxmlAttachment,
    EdxmlDocument,
    Organ,
    Replacement,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    TraceHeader,
)
from outbox.errors import EdxmlError

CHUNK = 1 << 16
MAX_DEPTH = 40
MAX_ELEMENTS = 50_000
MAX_TEXT = 1 << 20  # one plain (non-attachment) text value
MAX_PLAIN = 8 << 20  # all plain text of one message (metadata, whitespace between elements)
IDENTIFY_BYTES = 4 << 20  # the header a refused package is read for (From, DocumentId)
_WHITESPACE = b" \t\r\n"
_ORGAN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # QĐ 20/2020: 000.00.00.G22


class _Node:
    __slots__ = ("children", "closed", "decoder", "namespace", "parts", "size", "tag")

    def __init__(self, tag: str, namespace: str | None) -> None:
        self.tag = tag
        self.namespace = namespace
        self.children: list[_Node] = []
        self.parts: list[str] = []
        self.size = 0
        self.decoder: _Base64 | None = None
        self.closed = False  # its end tag was read: its text is whole

    def child(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def find(self, path: str) -> _Node | None:
        node: _Node | None = self
        for part in path.split("/"):
            node = node.child(part) if node is not None else None
        return node

    def findall(self, path: str) -> list[_Node]:
        head, _, last = path.rpartition("/")
        parent = self.find(head) if head else self
        return parent.all(last) if parent is not None else []

    @property
    def text(self) -> str:
        return unicodedata.normalize("NFC", "".join(self.parts).strip())

    def value(self, path: str, *, required: bool = False, where: str = "") -> str:
        found = self.find(path)
        text = found.text if found is not None else ""
        if required and not text:
            raise EdxmlError(f"Gói edXML thiếu trường bắt buộc {where}{path}; bên gửi cần "
                             "điền trường này rồi gửi lại.")
        return text


class _Base64:
    """Decodes base64 text as it streams in, refusing bad characters and oversize files."""

    def __init__(self, budget: _Budget) -> None:
        self.budget = budget
        self.pending: list[str] = []
        self.pending_size = 0
        self.tail = b""
        self.out = io.BytesIO()  # getvalue() hands over its buffer: no second copy
        self.size = 0

    def feed(self, text: str) -> None:
        self.pending.append(text)
        self.pending_size += len(text)
        if self.pending_size >= 1 << 22:
            self._flush(final=False)

    def _flush(self, *, final: bool) -> None:
        try:
            raw = "".join(self.pending).encode("ascii")
        except UnicodeEncodeError:
            raise EdxmlError("Nội dung tệp đính kèm (ContentTransferEncoded) không phải "
                             "base64.") from None
        self.pending, self.pending_size = [], 0
        if any(c in raw for c in (b"\n", b"\r", b" ", b"\t")):  # wrapped lines (MIME style)
            raw = raw.translate(None, _WHITESPACE)
        if self.tail:
            raw = self.tail + raw
        cut = len(raw) if final else len(raw) // 4 * 4
        self.tail = raw[cut:]
        if not cut:
            return
        try:
            chunk = binascii.a2b_base64(raw[:cut], strict_mode=True)
        except binascii.Error as error:
            raise EdxmlError(f"Nội dung tệp đính kèm (ContentTransferEncoded) không phải "
                             f"base64 hợp lệ: {error}.") from None
        self.size += len(chunk)
        self.budget.spend(self.size, len(chunk))
        self.out.write(chunk)

    def finish(self) -> bytes:
        self._flush(final=True)
        data = self.out.getvalue()
        self.out = io.BytesIO()
        return data


class _Skip(_Base64):
    """Attachment text that is only skipped over (reading a refused package's header)."""

    def __init__(self) -> None:
        pass

    def feed(self, text: str) -> None:
        return None

    def finish(self) -> bytes:
        return b""


@dataclass
class _Budget:
    limits: Limits
    total: int = 0

    def spend(self, file_size: int, more: int) -> None:
        self.total += more
        if file_size > self.limits.max_file:
            raise EdxmlError(f"Một tệp đính kèm vượt {self.limits.max_file:,} byte; từ chối "
                             "gói edXML.")
        if self.total > self.limits.max_total:
            raise EdxmlError(f"Các tệp đính kèm vượt tổng {self.limits.max_total:,} byte; từ "
                             "chối gói edXML.")


class _Target:
    """The SAX target: a small tree of names and texts, attachments decoded on the fly."""

    def __init__(self, limits: Limits, *, decode: bool = True) -> None:
        self.root: _Node | None = None
        self.stack: list[_Node] = []
        self.elements = 0
        self.plain = 0
        self.budget = _Budget(limits)
        self.attachments = 0
        self.limits = limits
        self.decode = decode  # False: attachments' base64 is skipped, not decoded

    def doctype(self, *_args: Any) -> None:
        raise EdxmlError("Gói edXML có khai báo DOCTYPE/ENTITY; từ chối vì lý do an toàn "
                         "(XXE, bom thực thể).")

    def start(self, tag: str, attrib: Any, _nsmap: Any = None) -> None:
        self.elements += 1
        if attrib:  # attributes count against the plain-text bound like element text
            self._spend(sum(len(k) + len(v) for k, v in attrib.items()))
        if len(self.stack) >= MAX_DEPTH:
            raise EdxmlError(f"Gói edXML lồng quá {MAX_DEPTH} cấp phần tử; từ chối.")
        if self.elements > MAX_ELEMENTS:
            raise EdxmlError(f"Gói edXML có quá {MAX_ELEMENTS:,} phần tử; từ chối.")
        namespace, local = None, tag
        if tag.startswith("{"):
            namespace, _, local = tag[1:].partition("}")
        local = local.rpartition(":")[2]  # an undeclared prefix: read as edXML
        node = _Node(local, namespace)
        if local == "ContentTransferEncoded":
            self.attachments += 1
            if self.attachments > self.limits.max_count:
                raise EdxmlError(f"Gói edXML có quá {self.limits.max_count} tệp đính kèm.")
            node.decoder = _Base64(self.budget) if self.decode else _Skip()
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def data(self, text: str) -> None:
        if not self.stack:
            return
        node = self.stack[-1]
        if node.decoder is not None:
            node.decoder.feed(text)
            return
        node.size += len(text)
        if node.size > MAX_TEXT:
            raise EdxmlError(f"Trường {node.tag} của gói edXML dài quá {MAX_TEXT:,} ký tự.")
        self._spend(len(text))
        node.parts.append(text)

    def _spend(self, size: int) -> None:
        self.plain += size
        if self.plain > MAX_PLAIN:
            raise EdxmlError(f"Phần thông tin (không kể tệp đính kèm) của gói edXML dài quá "
                             f"{MAX_PLAIN:,} ký tự; từ chối.")

    def end(self, _tag: str) -> None:
        self.stack.pop().closed = True

    def comment(self, _text: str) -> None:
        return None

    def pi(self, _target: str, _data: str = "") -> None:
        return None

    def close(self) -> _Node | None:
        return self.root


@dataclass(frozen=True)
class Parsed:
    """An incoming message, what the receiver tolerated, and whether it carries a Signature."""

    message: EdxmlDocument | StatusMessage
    warnings: tuple[str, ...] = ()
    signed: bool = False


def _chunks_of(data: bytes | BinaryIO) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start:start + CHUNK])
        return
    while chunk := data.read(CHUNK):
        yield chunk


def _skip_stray(chunks: Iterator[bytes], warnings: list[str]) -> Iterator[bytes]:
    """Drop a short run of stray non-markup bytes before ``<`` (``1212<?xml …``)."""
    first = b""
    for chunk in chunks:
        first += chunk
        if b"<" in first or len(first) > 1024:
            break
    start = first.find(b"<")
    prefix = first[:start] if start > 0 else b""
    if prefix.strip(b" \t\r\n\xef\xbb\xbf"):
        if len(prefix) > 64:
            raise EdxmlError("Tệp không phải gói edXML: có nội dung lạ trước phần tử đầu tiên.")
        shown = "".join(c if c.isprintable() else "�" for c in prefix.decode(
            "utf-8", "replace").strip())  # NUL and controls never reach a log or a reply
        warnings.append(f"Bỏ qua {len(prefix)} byte lạ «{shown}» trước khai báo XML.")
        first = first[start:]
    elif start > 0:
        first = first[start:]  # leading whitespace/BOM before the declaration
    yield first
    yield from chunks


def max_input(limits: Limits) -> int:
    """The most bytes one message may take: its attachments in base64, plus the header."""
    return limits.max_total // 3 * 4 + 2 * MAX_PLAIN + (1 << 20)


def _feed(data: bytes | BinaryIO, limits: Limits, target: _Target | None = None,
          stop_after: int | None = None) -> tuple[_Node, list[str]]:
    warnings: list[str] = []
    target = target or _Target(limits)
    parser = etree.XMLParser(
        target=target, resolve_entities=False, no_network=True, load_dtd=False,
        dtd_validation=False, remove_comments=True, remove_pis=True,
    )
    most, fed = max_input(limits), 0
    try:
        for chunk in _skip_stray(_chunks_of(data), warnings):
            fed += len(chunk)
            if stop_after is not None and fed > stop_after:
                break
            if fed > most:
                raise EdxmlError(f"Gói edXML lớn quá {most:,} byte; từ chối.")
            parser.feed(chunk)
        root = parser.close()
    except etree.XMLSyntaxError as error:
        raise EdxmlError(f"Tệp edXML không đúng cú pháp XML: {error}") from error
    if not isinstance(root, _Node):
        raise EdxmlError("Tệp edXML rỗng.")
    return root, warnings


def _date(value: str, field: str) -> date:
    try:
        return datetime.strptime(value.replace("-", "/")[:10], "%Y/%m/%d").date()
    except ValueError:
        raise EdxmlError(f"Trường {field} «{value}» không phải ngày dạng YYYY/MM/DD.") from None


def _time(value: str, field: str) -> datetime:
    for layout in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d"):
        try:
            return datetime.strptime(value.strip()[:19], layout)
        except ValueError:
            continue
    raise EdxmlError(f"Trường {field} «{value}» không phải thời điểm YYYY/MM/DD HH:MM:SS.")


def _int(value: str, field: str) -> int:
    if not value:
        return 0
    if not value.isdigit():
        raise EdxmlError(f"Trường {field} «{value}» phải là số nguyên.")
    return int(value)


def _organ(node: _Node, where: str) -> Organ:
    organ_id = node.value("OrganId", required=True, where=f"{where}/")
    if not _ORGAN_ID.fullmatch(organ_id):
        shown = organ_id[:40] + ("…" if len(organ_id) > 40 else "")
        raise EdxmlError(f"{where}/OrganId «{shown}» không phải mã định danh cơ quan (dạng "
                         "000.00.00.G22: chữ, số, dấu chấm, gạch; tối đa 64 ký tự).")
    return Organ(
        organ_id=organ_id,
        name=" ".join(node.value("OrganName").split()),
        in_charge=node.value("OrganizationInCharge"),
        address=node.value("OrganAdd"),
        email=node.value("Email"),
        telephone=node.value("Telephone"),
        fax=node.value("Fax"),
        website=node.value("Website"),
    )


def _staff(node: _Node | None) -> StaffInfo:
    if node is None:
        return StaffInfo()
    return StaffInfo(node.value("Department"), node.value("Staff"), node.value("Mobile"),
                     node.value("Email"))


def _response_for(node: _Node) -> ResponseFor | None:
    document_id = node.value("DocumentId")
    organ_id, code, when = node.value("OrganId"), node.value("Code"), node.value(
        "PromulgationDate")
    if not (document_id or organ_id or code):
        return None  # <ResponseFor/> as some senders write it
    return ResponseFor(organ_id, code, _date(when, "ResponseFor/PromulgationDate") if when
                       else None, document_id)


def _business(node: _Node | None) -> Business:
    if node is None:
        return Business()
    raw = node.value("BussinessDocType") or "0"
    try:
        kind = BusinessType(raw.strip().lstrip("0") or "0")
    except ValueError:
        raise EdxmlError(f"BussinessDocType «{raw}» không hợp lệ; dùng 0 (mới), 1 (thu hồi), "
                         "2 (cập nhật) hoặc 3 (thay thế).") from None
    replacements = tuple(
        Replacement(info.value("DocumentId"),
                    tuple(o.text for o in info.findall("OrganIdList/OrganId") if o.text))
        for info in node.findall("ReplacementInfoList/ReplacementInfo")
    )
    return Business(kind, node.value("BussinessDocReason"), node.value("DocumentId"),
                    node.value("Paper") or "0", _staff(node.child("StaffInfo")), replacements)


def _cid(value: str) -> str:
    return value.strip().strip("<>").removeprefix("cid:").strip()


def _attachments(root: _Node, envelope: _Node, limits: Limits,
                 warnings: list[str]) -> tuple[EdxmlAttachment, ...]:
    contents: dict[str, tuple[_Node, bytes]] = {}
    for item in root.findall("AttachmentEncoded/Attachment"):
        content_id = _cid(item.value("ContentId"))
        if not content_id:
            raise EdxmlError("Một tệp đính kèm (AttachmentEncoded/Attachment) không có "
                             "ContentId; bên gửi cần gửi lại gói.")
        if content_id in contents:
            raise EdxmlError(f"ContentId «{content_id}» lặp lại ở hai tệp đính kèm; từ chối vì "
                             "không biết tệp nào là tệp nào.")
        encoded = item.child("ContentTransferEncoded")
        if encoded is None or encoded.decoder is None:
            raise EdxmlError(f"Tệp đính kèm «{content_id}» không có nội dung "
                             "(ContentTransferEncoded).")
        contents[content_id] = (item, encoded.decoder.finish())
    result: list[EdxmlAttachment] = []
    seen: set[str] = set()
    for reference in envelope.findall("edXMLBody/edXMLManifest/Reference"):
        content_id = _cid(reference.value("ContentId"))
        if content_id in seen:
            raise EdxmlError(f"Danh mục edXML nêu ContentId «{content_id}» hai lần; từ chối.")
        seen.add(content_id)
        if content_id not in contents:
            raise EdxmlError(f"Danh mục edXML nêu tệp «{content_id}» "
                             f"({reference.value('AttachmentName')}) nhưng gói không chứa tệp "
                             "này; bên gửi cần gửi lại gói đủ tệp.")
        item, content = contents[content_id]
        name = reference.value("AttachmentName") or item.value("AttachmentName")
        result.append(_attachment(name, reference.value("ContentType") or item.value(
            "ContentType"), content, reference.value("Description"), reference.value(
            "ContentId"), limits))
    for content_id, (item, content) in contents.items():
        if content_id not in seen:
            warnings.append(f"Tệp đính kèm «{content_id}» không có trong danh mục; vẫn nhận.")
            result.append(_attachment(item.value("AttachmentName"), item.value("ContentType"),
                                      content, item.value("Description"),
                                      item.value("ContentId"), limits))
    return tuple(result)


def _attachment(name: str, mime: str, content: bytes, description: str, content_id: str,
                limits: Limits) -> EdxmlAttachment:
    return unpack(EdxmlAttachment(check_name(name), mime or "application/octet-stream",
                                  content, description, content_id), limits)


def _document(root: _Node, envelope: _Node, header: _Node, message: _Node, limits: Limits,
              warnings: list[str]) -> EdxmlDocument:
    sender = message.child("From")
    if sender is None:
        raise EdxmlError("Gói edXML thiếu trường bắt buộc From (cơ quan gửi).")
    due = message.value("DueDate")
    traces = header.child("TraceHeaderList")
    trace = tuple(
        TraceHeader(t.value("OrganId"), _time(t.value("Timestamp"), "TraceHeader/Timestamp"))
        for t in (traces.all("TraceHeader") if traces is not None else ())
        if t.value("Timestamp")
    )
    doc = EdxmlDocument(
        sender=_organ(sender, "From"),
        recipients=tuple(_organ(to, "To") for to in message.all("To")),
        code_number=message.value("Code/CodeNumber"),
        code_notation=message.value("Code/CodeNotation", required=True),
        issued_date=_date(message.value("PromulgationInfo/PromulgationDate", required=True),
                          "PromulgationDate"),
        place=message.value("PromulgationInfo/Place"),
        type_code=message.value("DocumentType/Type"),
        type_detail=message.value("DocumentType/TypeDetail"),
        type_name=message.value("DocumentType/TypeName"),
        subject=message.value("Subject", required=True),
        content=message.value("Content"),
        signer_competence=message.value("SignerInfo/Competence"),
        signer_position=message.value("SignerInfo/Position"),
        signer_full_name=message.value("SignerInfo/FullName"),
        due_date=_date(due, "DueDate") if due else None,
        to_places=tuple(p.text for p in message.findall("ToPlaces/Place")),
        priority=message.value("OtherInfo/Priority") or "0",
        sphere=message.value("OtherInfo/SphereOfPromulgation"),
        typer_notation=message.value("OtherInfo/TyperNotation"),
        promulgation_amount=_int(message.value("OtherInfo/PromulgationAmount"),
                                 "PromulgationAmount"),
        page_amount=_int(message.value("OtherInfo/PageAmount"), "PageAmount"),
        appendixes=tuple(a.text for a in message.findall("OtherInfo/Appendixes/Appendix")),
        steering_type=message.value("SteeringType") or "0",
        response_for=tuple(r for r in map(_response_for, message.all("ResponseFor")) if r),
        business=_business(traces.child("Bussiness") if traces is not None else None),
        trace=trace,
        attachments=_attachments(root, envelope, limits, warnings),
    )
    declared = message.value("DocumentId")
    return replace(doc, declared_id=declared) if declared and declared != doc.document_id \
        else doc


def _status(message: _Node) -> StatusMessage:
    sender = message.child("From")
    if sender is None:
        raise EdxmlError("Thông điệp trạng thái edXML thiếu trường bắt buộc From.")
    node = message.child("ResponseFor")
    response = _response_for(node) if node is not None else None
    if response is None or response.key is None:
        raise EdxmlError("Thông điệp trạng thái edXML thiếu ResponseFor/DocumentId dạng "
                         "«mã cơ quan,YYYY/MM/DD,số/ký hiệu»; không biết trạng thái này nói về "
                         "văn bản nào.")
    code = message.value("StatusCode", required=True)
    return StatusMessage(
        response_for=response,
        sender=_organ(sender, "From"),
        status_code=code.zfill(2) if code.isdigit() else code,
        timestamp=_time(message.value("Timestamp", required=True), "Timestamp"),
        description=message.value("Description"),
        staff=_staff(message.child("StaffInfo")),
    )


DEFAULT_LIMITS = Limits()


def read(data: bytes | BinaryIO | Path, *, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Parse an edXML document or Status message, with the receiver's warnings."""
    if isinstance(data, Path):
        with data.open("rb") as handle:
            return read(handle, limits=limits)
    root, warnings = _feed(data, limits)
    if root.tag != "edXML" or root.namespace not in (NS, None):
        raise EdxmlError(
            f"Không nhận dạng được gói edXML (phần tử gốc «{root.tag}»); cần phần tử gốc edXML "
            f"thuộc namespace {NS} (QCVN 102:2016).")
    if root.namespace is None:
        warnings.append("Phần tử gốc edXML không khai báo namespace QCVN 102:2016.")
    envelope = root.child("edXMLEnvelope")
    header = envelope.child("edXMLHeader") if envelope is not None else None
    if envelope is None or header is None:
        raise EdxmlError("Gói edXML thiếu edXMLEnvelope/edXMLHeader.")
    signed = any(c.tag == "Signature" and c.namespace in (DSIG, NS, None)
                 for c in header.children)
    message = header.child("MessageHeader") or header.child("Status")
    if message is None:
        raise EdxmlError("Gói edXML không có MessageHeader.")
    if message.child("StatusCode") is not None:
        return Parsed(_status(message), tuple(warnings), signed)
    return Parsed(_document(root, envelope, header, message, limits, warnings),
                  tuple(warnings), signed)


@dataclass(frozen=True)
class Identity:
    """Who sent a package we could not take in, and which document it was — as far as the
    header could be read. Only values whose end tag was read are trusted."""

    sender: Organ | None = None
    key: DocumentKey | None = None
    status: bool = False  # a Status message: never answered with another Status

    @property
    def answerable(self) -> bool:
        """Whether a Status 02 can name the document and reach its sender."""
        return self.sender is not None and self.key is not None and not self.status


def _whole(node: _Node, path: str) -> str:
    found = node.find(path)
    return found.text if found is not None and found.closed else ""


def identify(data: bytes) -> Identity:
    """The sender and DocumentId of a package, read from at most its first
    :data:`IDENTIFY_BYTES` with attachments skipped; whatever stopped the read (bad XML,
    DOCTYPE, bombs), what was read before it counts. Never raises."""
    limits = DEFAULT_LIMITS
    target = _Target(limits, decode=False)
    # Whatever stopped the read of a refused package, what was read before it counts.
    with contextlib.suppress(Exception):
        _feed(data, limits, target, stop_after=IDENTIFY_BYTES)
    root = target.root
    if root is None or root.tag != "edXML" or root.namespace not in (NS, None):
        return Identity()
    message = root.find("edXMLEnvelope/edXMLHeader/MessageHeader")
    if message is None:
        return Identity()
    organ_id = _whole(message, "From/OrganId")
    if not _ORGAN_ID.fullmatch(organ_id):
        return Identity(status=message.child("StatusCode") is not None)
    sender = Organ(organ_id, " ".join(_whole(message, "From/OrganName").split())[:300])
    return Identity(sender, _key_of(message, organ_id), message.child("StatusCode") is not None)


def _key_of(message: _Node, organ_id: str) -> DocumentKey | None:
    declared = DocumentKey.parse(_whole(message, "DocumentId"))
    if declared is not None:
        return declared
    number, notation = _whole(message, "Code/CodeNumber"), _whole(message, "Code/CodeNotation")
    when = _whole(message, "PromulgationInfo/PromulgationDate")
    if not notation or not when:
        return None
    try:
        issued = _date(when, "PromulgationDate")
    except EdxmlError:
        return None
    return DocumentKey(organ_id, issued, f"{number}/{notation}" if number else notation)


def parse(data: bytes | BinaryIO | Path) -> EdxmlDocument | StatusMessage:
    """Parse an edXML document or Status message."""
    return read(data).message


def parse_document(data: bytes | BinaryIO | Path) -> EdxmlDocument:
    """Parse an edXML document; a Status message here is an error."""
    result = parse(data)
    if not isinstance(result, EdxmlDocument):
        raise EdxmlError("Đây là thông điệp trạng thái, không phải văn bản edXML.")
    return result


def parse_status(data: bytes | BinaryIO | Path) -> StatusMessage:
    """Parse an edXML Status message; a document here is an error."""
    result = parse(data)
    if not isinstance(result, StatusMessage):
        raise EdxmlError("Đây là văn bản edXML, không phải thông điệp trạng thái.")
    return result
