"""Folder drop: one directory per recipient organisation, one sub-directory per message.

A document's directory holds its files and ``message.json``; a notice's holds
``thong-bao.txt`` (the e-mail it stands for, as plain text) and ``message.json``.

A message appears all at once or not at all: it is written under ``.tmp`` and
renamed into place, and a message that is already there (a resend after a
crash) is left as it is.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import uuid
from pathlib import Path

from outbox.errors import TransientDeliveryError
from outbox.message import OutgoingMessage, Party, SendResult
from registry.files import unique_names

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_name(name: str) -> str:
    """``name`` (NFC) usable as one path component: separators and controls become ``_``."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    return cleaned or "_"


def recipient_dir(party: Party) -> str:
    """The directory name for an organisation: its organ id, else its name."""
    return safe_name(party.organ_id or party.name)


def drop(root: Path, folder: str, name: str, files: dict[str, bytes]) -> Path:
    """Write ``files`` into ``root/folder/name`` atomically (an existing one is kept)."""
    final = root / folder / name
    if final.exists():
        return final
    tmp = root / ".tmp" / f"{name}.{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    for filename, content in files.items():
        with open(tmp / filename, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(tmp, final)
    except OSError:
        if not final.exists():
            raise
        # Another relay finished the same message first: theirs stands.
        for leftover in tmp.iterdir():
            leftover.unlink()
        tmp.rmdir()
    _fsync_dir(final.parent)
    return final


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def metadata(message: OutgoingMessage) -> dict[str, object]:
    """The message's description written beside its files (``message.json``)."""
    return {
        "idempotency_key": message.idempotency_key,
        "number_symbol": message.number_symbol,
        "type_name": message.type_name,
        "subject": message.subject,
        "issued_date": message.issued_date.isoformat() if message.issued_date else None,
        "due_date": message.due_date.isoformat() if message.due_date else None,
        "urgency": message.urgency,
        "sender": vars(message.sender),
        "recipient": vars(message.recipient),
        "attachments": [{"filename": a.filename, "mime": a.mime} for a in message.attachments],
        "ack_url": message.ack_url,
        "kind": "notice" if message.is_notice else "document",
    }


NOTICE_FILE = "thong-bao.txt"


def notice_text(message: OutgoingMessage) -> str:
    """A notice as a plain-text file: who to, subject, then the body."""
    recipient = message.recipient
    to = f"{recipient.name} <{recipient.email}>" if recipient.email else recipient.name
    return (f"Từ: {message.sender.name}\nGửi: {to}\nTiêu đề: {message.subject}\n\n"
            f"{(message.text or '').rstrip()}\n")


class FolderChannel:
    """Drops each message (its files and ``message.json``) under ``root/<recipient>/<key>/``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def send(self, message: OutgoingMessage) -> SendResult:
        """Write the message's directory; a full or missing disk is transient."""
        # Two attachments may share a name: both are kept ("a.pdf", "a (2).pdf").
        names = unique_names(safe_name(a.filename) for a in message.attachments)
        files = {name: a.content for name, a in zip(names, message.attachments, strict=True)}
        if message.is_notice:
            files[NOTICE_FILE] = notice_text(message).encode("utf-8")
        files["message.json"] = json.dumps(metadata(message), ensure_ascii=False, indent=2).encode()
        try:
            path = drop(self.root, recipient_dir(message.recipient), message.idempotency_key, files)
        except OSError as error:
            raise TransientDeliveryError(f"Không ghi được thư mục {self.root}: {error}") from error
        return SendResult(message_id=path.relative_to(self.root).as_posix())
