"""Attachments as deployed senders ship them: some travel zipped, every name is checked.

Senders on the axis zip every file that is not pdf/doc/docx/xls/zip and label it
``application/zip`` (some zip a .doc or a PDF too). A receiver unzips an archive
whose AttachmentName is not itself a ``.zip`` — within bounds: one member, its
declared and real size under :data:`MAX_FILE`, a compression ratio under
:data:`MAX_RATIO` (a zip bomb stops at the first block past the bound).
"""

from __future__ import annotations

import io
import mimetypes
import unicodedata
import zipfile
from dataclasses import dataclass, replace

from outbox.edxml.model import EdxmlAttachment
from outbox.errors import EdxmlError

SENT_AS_IS = frozenset({"pdf", "doc", "docx", "xls", "zip"})
ZIP_MIME = "application/zip"
MAX_FILE = 200 * 1024 * 1024  # one attachment, unzipped
MAX_TOTAL = 400 * 1024 * 1024  # all attachments of one message
MAX_COUNT = 100  # attachments in one message
MAX_RATIO = 200  # uncompressed / compressed
_CHUNK = 1 << 20
_BAD_NAME = set('\\/:*?"<>|')
MAX_NAME_BYTES = 200  # leaves room for the register's "NNN-" and " (2)" in 255 bytes


@dataclass(frozen=True)
class Limits:
    """Bounds on what one incoming message may carry."""

    max_file: int = MAX_FILE
    max_total: int = MAX_TOTAL
    max_count: int = MAX_COUNT
    max_ratio: int = MAX_RATIO


def extension(name: str) -> str:
    """``pdf`` for ``Tờ trình.PDF``."""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def mime_of(name: str) -> str:
    """The MIME type of a file name (application/octet-stream when unknown)."""
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def check_name(name: str) -> str:
    """The attachment name in NFC, or EdxmlError when it could escape a folder or hide."""
    cleaned = unicodedata.normalize("NFC", name.strip())
    # Bytes, not characters: a file system allows 255 bytes, and "ệ" takes three.
    if (not cleaned or cleaned in (".", "..") or cleaned.startswith(".")
            or any(c in _BAD_NAME or ord(c) < 32 for c in cleaned)
            or len(cleaned.encode("utf-8")) > MAX_NAME_BYTES):
        raise EdxmlError(
            f"Tên tệp đính kèm «{name[:80]}» không hợp lệ (chứa đường dẫn, ký tự điều khiển, "
            f"ký tự cấm, hoặc dài quá {MAX_NAME_BYTES} byte); bên gửi cần đặt lại tên tệp "
            "(AttachmentName) rồi gửi lại.")
    return cleaned


def pack(attachment: EdxmlAttachment) -> tuple[str, bytes]:
    """(ContentType, bytes) as sent: zipped as ``application/zip`` unless pdf/doc/docx/xls/zip."""
    if extension(attachment.name) in SENT_AS_IS:
        return attachment.mime, attachment.content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(attachment.name, attachment.content)
    return ZIP_MIME, buffer.getvalue()


def _is_zip(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def unpack(attachment: EdxmlAttachment, limits: Limits = Limits()) -> EdxmlAttachment:
    """The file as meant: an archive standing for a non-zip file is unzipped (bounded)."""
    name = attachment.name
    if extension(name) in ("zip", "docx", "xlsx", "pptx", "odt", "ods") or not _is_zip(
            attachment.content):
        return attachment
    try:
        archive = zipfile.ZipFile(io.BytesIO(attachment.content))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError) as error:
        raise EdxmlError(f"Tệp đính kèm «{name}» được nén zip nhưng hỏng: {error}.") from error
    if len(members) != 1:
        raise EdxmlError(
            f"Tệp đính kèm «{name}» được nén zip nhưng chứa {len(members)} tệp; một tệp nén "
            "thay cho một tệp đính kèm phải chứa đúng một tệp.")
    member = members[0]
    if member.file_size > limits.max_file:
        raise EdxmlError(
            f"Tệp đính kèm «{name}» giải nén ra {member.file_size:,} byte, vượt giới hạn "
            f"{limits.max_file:,} byte; từ chối.")
    content = _read_bounded(archive, member, name, limits)
    return replace(attachment, content=content,
                   mime=attachment.mime if attachment.mime != ZIP_MIME else mime_of(name))


def _read_bounded(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str,
                  limits: Limits) -> bytes:
    cap = min(limits.max_file, max(1, member.compress_size) * limits.max_ratio)
    parts: list[bytes] = []
    total = 0
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise EdxmlError(
                        f"Tệp đính kèm «{name}» giải nén vượt {cap:,} byte (tỷ lệ nén quá "
                        f"{limits.max_ratio} lần hoặc quá {limits.max_file:,} byte): nghi là "
                        "bom zip; từ chối.")
                parts.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as error:
        raise EdxmlError(f"Không giải nén được tệp đính kèm «{name}»: {error}.") from error
    return b"".join(parts)
