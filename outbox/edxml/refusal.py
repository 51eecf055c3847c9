"""Packages we could not take in: answered with Status 02 when the sender can be told,
quarantined otherwise; always recorded, never half-stored.

Other offices' systems send anything: bad XML, a DOCTYPE, bombs, a missing attachment, a
forged signature. :func:`take_in` runs one package through :func:`outbox.edxml.receive.receive`
in its own transaction; when that refuses it (or fails in a way nobody foresaw), the
transaction is rolled back — no document row, no file — and :func:`refuse_package` records the
refusal in a second one:

* the header is read again as far as it goes (:func:`outbox.edxml.parse.identify`); when the
  sender's OrganId and the DocumentId are whole, a Status 02 with the reason (in Vietnamese,
  naming what was wrong) is queued to that sender — once per distinct package;
* when they are not (a DOCTYPE at the top, garbage, a Status message), nobody can be answered;
* either way the bytes are kept under ``quarantine/edxml/`` in the file store (up to
  :data:`KEEP_AT_MOST`; beyond that only the hash and size) and the audit log says what
  happened (``edxml_refused`` answered, ``edxml_quarantined`` not).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from outbox.edxml.exchange import answer_package
from outbox.edxml.parse import Identity, identify
from outbox.edxml.receive import Received, receive
from outbox.edxml.verify import SignerTrust
from outbox.errors import EdxmlError, IntakeError, NotTheirFault, ReceiptError
from registry import audit, files
from registry.clock import to_local
from registry.models import AuditEvent, Delivery, Person

_OUR_DISK = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES,
                       errno.EPERM})
KEEP_AT_MOST = 64 << 20  # a refused package larger than this is recorded, not kept
REASON_LIMIT = 900  # Status Description: the reason, cut to fit
EXPECTED = (EdxmlError, IntakeError, ReceiptError)


def ours(error: BaseException) -> bool:
    """Whether ``error`` is our infrastructure's, not the package's."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(error, OperationalError | InterfaceError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OSError) and error.errno in _OUR_DISK


@dataclass(frozen=True)
class Refusal:
    """What was done with a package we could not take in."""

    reason: str
    identity: Identity
    answer: Delivery | None  # the Status 02 queued to the sender
    kept: str | None  # the quarantined copy, relative to the files root
    sha256: str


@dataclass(frozen=True)
class Outcome:
    """One package: taken in, or refused."""

    received: Received | None = None
    refusal: Refusal | None = None


def reason_of(error: BaseException) -> str:
    """The Vietnamese reason for a refusal; an unforeseen error is named by its kind only."""
    if isinstance(error, EXPECTED):
        return " ".join(str(error).split())
    return (f"Hệ thống không đọc được gói edXML ({type(error).__name__}); gói đã được cách ly "
            "để kiểm tra, bên gửi cần gửi lại.")


def refuse_package(*, session: Session, organization_id: int | None, data: bytes, reason: str,
                   channel: str, arrived_at: datetime, files_root: Path,
                   source: str = "") -> Refusal:
    """Record a refused package: Status 02 to its sender when it can be told, the bytes kept
    in quarantine, one audit event. In the caller's transaction; the kept copy is removed
    again if that transaction's flush fails here."""
    identity = identify(data)
    digest = files.sha256(data)
    kept = _keep(files_root, data, digest, arrived_at)
    try:
        answer = None
        if identity.answerable and organization_id is not None:
            assert identity.sender is not None and identity.key is not None
            description = f"Không tiếp nhận được gói edXML: {reason}"
            answer = answer_package(
                session=session, organization_id=organization_id, sender=identity.sender,
                key=identity.key, code="02", description=description[:REASON_LIMIT],
                channel=channel, now=arrived_at, once_for=digest)
        audit.record(
            session=session, action="edxml_refused" if identity.answerable
            else "edxml_quarantined", object_type="organization", object_id=organization_id,
            detail={"reason": reason, "source": source, "channel": channel, "sha256": digest,
                    "size": len(data), "kept": kept, "answer": answer.id if answer else None,
                    "from": identity.sender.organ_id if identity.sender else "",
                    "document_id": str(identity.key) if identity.key else ""})
        session.flush()
    except BaseException:
        if kept is not None:
            files.resolve(files_root, kept).unlink(missing_ok=True)
        raise
    return Refusal(reason, identity, answer, kept, digest)


def refused(*, session: Session, organization_id: int, limit: int = 50) -> list[AuditEvent]:
    """The packages refused at ``organization_id``'s door, newest first (their audit events:
    when, why, from whom, answered or quarantined, where the bytes are kept)."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("edxml_refused", "edxml_quarantined")),
        AuditEvent.object_type == "organization", AuditEvent.object_id == organization_id)
        .order_by(AuditEvent.id.desc()).limit(limit)))


def _keep(root: Path, data: bytes, digest: str, arrived_at: datetime) -> str | None:
    if not data or len(data) > KEEP_AT_MOST:
        return None
    day = to_local(arrived_at)
    relative = PurePosixPath("quarantine", "edxml", f"{day:%Y}", f"{day:%Y%m%d}-{digest[:24]}.xml")
    return files.put(root, relative, data).path


def take_in(*, session_factory: sessionmaker[Session], organization_id: int | None,
            data: bytes, arrived_at: datetime, files_root: Path, channel: str,
            actor_id: int | None = None, trust: SignerTrust | None = None, source: str = "",
            on_taken: Callable[[Received], None] | None = None) -> Outcome:
    """Take in one package in its own transaction; a refusal is recorded in another. Nothing
    the package contains ends the caller's loop: every exception but a keyboard interrupt or
    exit becomes a refusal (the unforeseen ones named by kind, their bytes quarantined) —
    except a failure of ours (:func:`ours`), raised as :class:`NotTheirFault` so that a good
    package is never answered 02 because our database or disk was down."""
    try:
        with session_factory.begin() as session:
            actor = session.get(Person, actor_id) if actor_id is not None else None
            received = receive(session=session, organization_id=organization_id, data=data,
                               arrived_at=arrived_at, files_root=files_root, actor=actor,
                               channel=channel, trust=trust)
            if on_taken is not None:
                on_taken(received)
        return Outcome(received=received)
    except Exception as error:  # noqa: BLE001 - one hostile package must not end the pass
        if ours(error):
            raise NotTheirFault(
                f"Chưa nhận được gói edXML vì lỗi của hệ thống (cơ sở dữ liệu hoặc ổ đĩa): "
                f"{type(error).__name__}: {str(error)[:300]}; gói không bị từ chối, hãy thử "
                "lại khi hệ thống đã ổn.") from error
        reason = reason_of(error)
    with session_factory.begin() as session:
        refusal = refuse_package(session=session, organization_id=organization_id, data=data,
                                 reason=reason, channel=channel, arrived_at=arrived_at,
                                 files_root=files_root, source=source)
    return Outcome(refusal=refusal)
