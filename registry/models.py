"""The data model (SQLAlchemy 2.0, typed). Bare nouns; behaviour lives in services.

Times are stored timezone-aware in UTC; dates that a document prints (issue
date, due date) are local calendar dates of Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base
from registry.doctypes import format_number_symbol


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store the value (readable in SQL), never a native PG enum: migrations stay simple.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Direction(str, enum.Enum):
    OUTGOING = "out"
    INCOMING = "in"


class DocumentStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    SIGNED = "signed"
    ISSUED = "issued"
    REVOKED = "revoked"
    RECEIVED = "received"  # an incoming document, registered in the incoming register
    REFUSED = "refused"  # an incoming document the receiving office refused (Status 02)


class DeliveryStatus(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # a transient failure; will be retried
    DEAD = "dead"  # permanent failure or too many attempts; a clerk may re-queue
    ACKNOWLEDGED = "acknowledged"


class RequestStatus(str, enum.Enum):
    OPEN = "open"
    SUBMITTED = "submitted"
    REJECTED = "rejected"  # the last submission failed validation
    CLOSED = "closed"


class Organization(Base):
    """A body or unit; the tree of the directory."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(Text)  # as printed; may contain line breaks
    code: Mapped[str] = mapped_column(String(40))  # used in symbols: UBND, BCĐ, CAT, NC
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    header_parent: Mapped[str | None] = mapped_column(Text)  # "UBND TỈNH KON TUM"
    # The name as written inside a sentence ("Bộ Công an"); the printed header name is in caps.
    text_name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="body")  # body | unit | advisory
    place: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    edxml_id: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(60))

    parent: Mapped[Organization | None] = relationship(remote_side=[id])
    people: Mapped[list[Person]] = relationship(back_populates="organization")

    @property
    def name_in_text(self) -> str:
        """The name for running text: ``text_name``, else the printed name on one line, as typed."""
        return self.text_name or " ".join(self.name.split())

    def __repr__(self) -> str:
        return f"<Organization {self.key} {self.code}>"


class RecipientGroup(Base):
    """A named set of organisations a document can be addressed to ("Các huyện", "Thành viên BCĐ").

    ``name`` is the line printed in "Kính gửi" / "Nơi nhận"; the document goes to every member.
    """

    __tablename__ = "recipient_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(Text)  # as printed: "UBND các huyện, thành phố"
    members: Mapped[list[RecipientGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan",
        order_by="RecipientGroupMember.position",
    )


class RecipientGroupMember(Base):
    """One organisation of a recipient group, in the directory's order."""

    __tablename__ = "recipient_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("recipient_groups.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    group: Mapped[RecipientGroup] = relationship(back_populates="members")
    organization: Mapped[Organization] = relationship()


class Person(Base):
    """A person who drafts, reviews, signs, reports or administers."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))  # as printed: PHÓ TRƯỞNG BAN
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    organization: Mapped[Organization] = relationship(back_populates="people")
    signing_rights: Mapped[list[SigningRight]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])


class UserAccount(Base):
    """A person's credential for the web pages: a login and an argon2 hash (never the password)."""

    __tablename__ = "user_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    login: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by an admin's reset: the person must choose a new password at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    person: Mapped[Person] = relationship()


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here.

    A session belongs to an account, or (``link_id``) to a reporter link that opens one
    report request. ``ended_at`` set means signed out or revoked: the cookie is dead.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("user_accounts.id"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("reporter_links.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    client: Mapped[str | None] = mapped_column(String(200))

    account: Mapped[UserAccount | None] = relationship()
    link: Mapped[ReporterLink | None] = relationship()


class SignInFailure(Base):
    """One refused sign-in, kept to slow password guessing (per login and per client address)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_login_at", "login", "at"),
                      Index("ix_sign_in_failures_client_at", "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(120))
    client: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReporterLink(Base):
    """A single-use, expiring link that lets a unit's reporter open one report request."""

    __tablename__ = "reporter_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("report_requests.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    request: Mapped[ReportRequest] = relationship()


class SigningRight(Base):
    """Who may sign what, for which issuer, with which authority prefix (ND30 art. 13)."""

    __tablename__ = "signing_rights"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    authority: Mapped[str | None] = mapped_column(String(8))  # None | TM. | KT. | TL. | TUQ. | Q.
    on_behalf_of: Mapped[str | None] = mapped_column(Text)  # the body for TM.
    for_title: Mapped[str | None] = mapped_column(String(200))  # the head's title for KT./TL./…
    doc_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # [] = every type
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    delegation_ref: Mapped[str | None] = mapped_column(String(200))  # TUQ: the written delegation

    person: Mapped[Person] = relationship(back_populates="signing_rights")
    issuer: Mapped[Organization] = relationship()


class SigningCertificate(Base):
    """A certificate registered as a person's own signing certificate, or an organisation's.

    A signature is accepted as the person's (or the organisation's) only when it is made
    with one of their registered certificates (SHA-256 of the DER, hex).
    """

    __tablename__ = "signing_certificates"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(Text)
    serial: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now())

    person: Mapped[Person | None] = relationship()
    organization: Mapped[Organization | None] = relationship()


class Register(Base):
    """An organisation's outgoing or incoming register and its number series."""

    __tablename__ = "registers"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # "DI", "DEN", "MAT", "QD"
    name: Mapped[str] = mapped_column(String(200))
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    # Document types that share this series; empty = every type not claimed by another register.
    doc_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization] = relationship()


class RegisterCounter(Base):
    """The last number given by a register in a year. Locked by every allocation."""

    __tablename__ = "register_counters"

    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    """An outgoing document (draft to issued) or an incoming one."""

    __tablename__ = "documents"
    __table_args__ = (
        # ND30 art. 15: number + symbol unique per issuer and year; the Hệ thống must refuse
        # duplicates (Phụ lục VI). NULL numbers (drafts) do not collide.
        UniqueConstraint("issuer_id", "year", "number", "symbol", name="uq_documents_number"),
        UniqueConstraint("register_id", "year", "number", name="uq_documents_register_number"),
        Index("ix_documents_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction), default=Direction.OUTGOING)
    doc_type: Mapped[str] = mapped_column(String(40))  # cong_van, bao_cao, …
    status: Mapped[DocumentStatus] = mapped_column(
        _enum(DocumentStatus), default=DocumentStatus.DRAFT
    )
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    drafting_unit: Mapped[str | None] = mapped_column(String(40))  # code in công văn symbols
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the doc_templates spec
    urgency: Mapped[str | None] = mapped_column(String(20))
    secrecy: Mapped[str | None] = mapped_column(String(20))

    register_id: Mapped[int | None] = mapped_column(ForeignKey("registers.id"))
    number: Mapped[int | None] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    symbol: Mapped[str | None] = mapped_column(String(60))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)  # reply deadline, if any

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    signature_block: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # Incoming register fields (sổ văn bản đến).
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    sender_name: Mapped[str | None] = mapped_column(Text)
    original_number: Mapped[str | None] = mapped_column(String(80))  # "22/HD-BCA-V05"
    original_date: Mapped[date | None] = mapped_column(Date)
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The same incoming document (receiver, sender, number and symbol, date) is registered once:
    # a second arrival (e-mail, then edXML) finds this key and is linked, not renumbered.
    incoming_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    # edXML intake: the XML-DSig of the message as received — valid | invalid | absent.
    signature_state: Mapped[str | None] = mapped_column(String(10))

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    issuer: Mapped[Organization | None] = relationship(foreign_keys=[issuer_id])
    sender: Mapped[Organization | None] = relationship(foreign_keys=[sender_id])
    register: Mapped[Register | None] = relationship()
    signer: Mapped[Person | None] = relationship(foreign_keys=[signer_id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    recipients: Mapped[list[DocumentRecipient]] = relationship(
        back_populates="document", cascade="all, delete-orphan",
        order_by="DocumentRecipient.position",
    )
    files: Mapped[list[DocumentFile]] = relationship(
        back_populates="document", cascade="all, delete-orphan"
    )
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DraftVersion.version"
    )

    @property
    def number_symbol(self) -> str | None:
        """``4267/BCĐ-NC`` once numbered."""
        if self.number is None or not self.symbol:
            return None
        return format_number_symbol(self.number, self.symbol)


class DocumentRecipient(Base):
    """A "Kính gửi" addressee (``to``) or a "Nơi nhận" line (``cc``), see registry.recipients."""

    __tablename__ = "document_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    label: Mapped[str] = mapped_column(Text)  # as printed
    kind: Mapped[str] = mapped_column(String(8), default="to")  # to | cc
    position: Mapped[int] = mapped_column(Integer, default=0)
    # A directory entry other than an organisation: a group (every member receives it) or a
    # person (their organisation receives it). None of the three: printed, not sent.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("recipient_groups.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str | None] = mapped_column(String(20))  # chosen channel; None = default

    document: Mapped[Document] = relationship(back_populates="recipients")
    organization: Mapped[Organization | None] = relationship()
    group: Mapped[RecipientGroup | None] = relationship()
    person: Mapped[Person | None] = relationship()


class DocumentFile(Base):
    """A stored file of a document with its SHA-256."""

    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # docx | pdf | signed_pdf | attachment | source
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    document: Mapped[Document] = relationship(back_populates="files")


class DocumentText(Base):
    """The searchable text of a document's stored file (a scan's OCR, a PDF's or .docx's text),
    kept apart from the frozen record so a text layer made after registration can be added."""

    __tablename__ = "document_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    source: Mapped[str] = mapped_column(String(20))  # ocr | pdf | docx | edxml
    text: Mapped[str] = mapped_column(Text)


class DocumentSignature(Base):
    """A PAdES signature applied to a document's PDF: the person's (ký duyệt) or the
    organisation's (ký phát hành), with the certificate and what was signed."""

    __tablename__ = "document_signatures"
    __table_args__ = (UniqueConstraint("document_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # person | organization
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("signing_certificates.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("document_files.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))  # the approved content signed
    year: Mapped[int | None] = mapped_column(Integer)  # the year printed in ô 4 when signed
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    certificate: Mapped[SigningCertificate] = relationship()
    file: Mapped[DocumentFile] = relationship()
    person: Mapped[Person | None] = relationship()


class PendingSignature(Base):
    """A person's signature prepared on the server and waiting for the CMS from an external
    signer (pyHanko interrupted signing): the prepared PDF and the digest to sign."""

    __tablename__ = "pending_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("signing_certificates.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    prepared: Mapped[bytes] = mapped_column(LargeBinary)
    year: Mapped[int] = mapped_column(Integer)  # the year printed in ô 4
    digest: Mapped[str] = mapped_column(String(128))  # hex of the document digest
    md_algorithm: Mapped[str] = mapped_column(String(20))
    reserved_start: Mapped[int] = mapped_column(Integer)
    reserved_end: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    certificate: Mapped[SigningCertificate] = relationship()


class DocumentLink(Base):
    """A typed link between documents: cites, answers, instructs, aggregates, forwards, corrects."""

    __tablename__ = "document_links"
    __table_args__ = (UniqueConstraint("from_id", "to_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    to_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))


class IncomingArrival(Base):
    """One arrival of an incoming document (paper, e-mail, edXML, scan); a second arrival of the
    same document adds a row here instead of a second incoming number."""

    __tablename__ = "incoming_arrivals"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))  # paper | file | scan | email | edxml
    source_name: Mapped[str | None] = mapped_column(Text)  # the file as received
    sha256: Mapped[str | None] = mapped_column(String(64))
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False)


class HandlingAssignment(Base):
    """A leader's assignment of an incoming document (ND30 art. 22): who handles it (chủ trì),
    who coordinates or is informed, by when, with the leader's opinion (bút phê)."""

    __tablename__ = "handling_assignments"
    __table_args__ = (
        CheckConstraint("(organization_id IS NOT NULL) OR (person_id IS NOT NULL)",
                        name="has_assignee"),
        Index("ix_handling_assignments_open", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # main | coordinate | inform
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    due_date: Mapped[date | None] = mapped_column(Date)
    opinion: Mapped[str] = mapped_column(Text, default="")
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # assigned | in_progress | done | replaced (the leader assigned someone else)
    status: Mapped[str] = mapped_column(String(16), default="assigned")
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # ký nhận
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(Text)
    answer_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    document: Mapped[Document] = relationship(foreign_keys=[document_id])
    organization: Mapped[Organization | None] = relationship()
    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    assigned_by: Mapped[Person] = relationship(foreign_keys=[assigned_by_id])
    acknowledged_by: Mapped[Person | None] = relationship(foreign_keys=[acknowledged_by_id])
    answer: Mapped[Document | None] = relationship(foreign_keys=[answer_document_id])


class HandlingEvent(Base):
    """The handling history of an incoming document: presented, assigned, progress, done."""

    __tablename__ = "handling_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("handling_assignments.id"))
    kind: Mapped[str] = mapped_column(String(20))  # present|assign|acknowledge|progress|done
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    to_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # present: the leader
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
    to_person: Mapped[Person | None] = relationship(foreign_keys=[to_person_id])


class DraftVersion(Base):
    """One revision of a draft, with the reviewer's comment on it."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text, default="")
    docx_path: Mapped[str | None] = mapped_column(Text)
    docx_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_path: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    document: Mapped[Document] = relationship(back_populates="versions")


class ReviewStep(Base):
    """One reviewer's turn on one submission of a draft, in order (multi-step review)."""

    __tablename__ = "review_steps"
    __table_args__ = (UniqueConstraint("document_id", "round", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer)  # the DraftVersion.version under review
    position: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decision: Mapped[str | None] = mapped_column(String(20))  # None | approved | returned
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    reviewer: Mapped[Person] = relationship()


class Notice(Base):
    """A short plain-text message that is not a registered document (a reminder, an escalation).

    ``key`` is the caller's idempotency key (e.g. request and reminder stage): one notice per
    key, however often the caller retries.
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    sender: Mapped[Organization | None] = relationship()


class Delivery(Base):
    """One outbox row per recipient and channel, carrying a document or a notice."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("document_id", "recipient_id", "channel", "kind"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        CheckConstraint("(document_id IS NULL) <> (notice_id IS NULL)", name="one_payload"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    recipient_label: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(20))  # email | folder | edxml | gateway
    # What an edXML delivery of the document says: "" the document itself, "revoke" its
    # revocation (BussinessDocType 1), "status:NN" a Status message about an incoming one.
    kind: Mapped[str] = mapped_column(String(20), default="", server_default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # reason, status fields
    address: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(300))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    document: Mapped[Document | None] = relationship()
    notice: Mapped[Notice | None] = relationship()
    recipient: Mapped[Organization | None] = relationship()


class ReportForm(Base):
    """The statistics form (mẫu thống kê): indicators, types, aggregation rules."""

    __tablename__ = "report_forms"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReportingDuty(Base):
    """A reporting duty set by a guidance and passed on by an instruction."""

    __tablename__ = "reporting_duties"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    instruction_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    form_id: Mapped[int] = mapped_column(ForeignKey("report_forms.id"))
    collector_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")

    form: Mapped[ReportForm] = relationship()


class ReportRequest(Base):
    """One owed report: a unit, a period, a due date."""

    __tablename__ = "report_requests"
    __table_args__ = (UniqueConstraint("duty_id", "unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_duties.id"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("report_forms.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    period: Mapped[str] = mapped_column(String(20))  # 2022-Q4, 2023-H1, 2023
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), default=RequestStatus.OPEN)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # The Báo cáo that aggregated this request's period (the chain submissions → report).
    report_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)

    unit: Mapped[Organization] = relationship()
    form: Mapped[ReportForm] = relationship()
    duty: Mapped[ReportingDuty | None] = relationship()


class Reminder(Base):
    """A reminder stage sent for a request; the unique key makes it once per stage."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("request_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("report_requests.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))  # notice | don_doc | escalation
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Submission(Base):
    """What a unit sent for a request; a resubmission supersedes, both are kept."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("report_requests.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    # jsonb on PostgreSQL (migration 0015): the deadlines board sums the figures in SQL, and
    # json was parsed again for every indicator of every row.
    values: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"),
                                                   default=dict)
    file_path: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))  # xlsx | api | email
    submitted_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    valid: Mapped[bool] = mapped_column(Boolean, default=False)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    current: Mapped[bool] = mapped_column(Boolean, default=True)

    request: Mapped[ReportRequest] = relationship()


class SubmissionBatch(Base):
    """JSON posts received together (a bulk door), staged until a flow ingests them."""

    __tablename__ = "submission_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default="api")
    posted_by: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class StagedPost(Base):
    """One staged post: what came in and, once ingested, its submission or its errors."""

    __tablename__ = "staged_posts"
    __table_args__ = (UniqueConstraint("batch_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("submission_batches.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    # As posted, not yet checked: the request may not exist or be another unit's.
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    unit_key: Mapped[str] = mapped_column(String(120))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ingested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class AuditEvent(Base):
    """Append-only: who did what to which object, when."""

    __tablename__ = "audit_events"
    __table_args__ = (CheckConstraint("action <> ''", name="action_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_label: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FilePlan(Base):
    """The year's list of files (Danh mục hồ sơ, ND30 art. 28) of an organisation.

    Imported as a draft, approved by the head (an audited act); an approved plan's entries are
    the files handlers open during the year.
    """

    __tablename__ = "file_plans"
    __table_args__ = (UniqueConstraint("organization_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | approved
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    organization: Mapped[Organization] = relationship()
    approved_by: Mapped[Person | None] = relationship()
    entries: Mapped[list[FilePlanEntry]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="FilePlanEntry.position")


class FilePlanEntry(Base):
    """One line of the Danh mục hồ sơ: file code (số và ký hiệu hồ sơ), title, retention, who
    keeps it, and what it is meant to hold (document types, subject words, drafting unit) so a
    document can be proposed a file."""

    __tablename__ = "file_plan_entries"
    __table_args__ = (
        UniqueConstraint("plan_id", "code"),
        CheckConstraint("(retention_years IS NULL) = (permanent = true)", name="one_retention"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("file_plans.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    section: Mapped[str] = mapped_column(Text, default="")  # heading of the plan it sits under
    code: Mapped[str] = mapped_column(String(20))  # FileNotation: "01.TH", "02/KH-NC"
    title: Mapped[str] = mapped_column(Text)
    retention_years: Mapped[int | None] = mapped_column(Integer)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)  # "vĩnh viễn"
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    doc_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[FilePlan] = relationship(back_populates="entries")
    unit: Mapped[Organization | None] = relationship()
    person: Mapped[Person | None] = relationship()


class CaseFile(Base):
    """A file (hồ sơ, ND30 art. 29): opened from a plan entry or by its handler with the same
    fields; closed when the work ends; handed to the agency archive (then read-only).

    The Appendix VI file metadata (11 fields) is these columns; documents are linked through
    :class:`CaseFileDocument`, never copied.
    """

    __tablename__ = "case_files"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", "code"),
        CheckConstraint("(retention_years IS NULL) = (permanent = true)", name="one_retention"),
        Index("ix_case_files_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # FileCatalog
    code: Mapped[str] = mapped_column(String(20))  # FileNotation
    title: Mapped[str] = mapped_column(Text)
    retention_years: Mapped[int | None] = mapped_column(Integer)  # Maintenance
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    rights: Mapped[str] = mapped_column(String(100), default="Công khai")  # chế độ sử dụng
    language: Mapped[str] = mapped_column(String(30), default="Tiếng Việt")
    description: Mapped[str] = mapped_column(Text, default="")
    plan_entry_id: Mapped[int | None] = mapped_column(ForeignKey("file_plan_entries.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)  # Creator
    # open | closed | handed_over (archive mode: read-only)
    status: Mapped[str] = mapped_column(String(12), default="open")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    start_date: Mapped[date | None] = mapped_column(Date)  # StartDate, fixed at closing
    end_date: Mapped[date | None] = mapped_column(Date)  # EndDate
    doc_total: Mapped[int | None] = mapped_column(Integer)  # DocTotal
    page_total: Mapped[int | None] = mapped_column(Integer)  # PageTotal
    handover_due: Mapped[date | None] = mapped_column(Date)  # art. 30: a year after closing
    handed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handover_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    unit: Mapped[Organization | None] = relationship(foreign_keys=[unit_id])
    handler: Mapped[Person | None] = relationship()
    plan_entry: Mapped[FilePlanEntry | None] = relationship()
    items: Mapped[list[CaseFileDocument]] = relationship(
        back_populates="case_file", order_by="CaseFileDocument.ordinal")


class CaseFileDocument(Base):
    """A document filed in a file, by reference (the document exists once, in the registry).

    ``ordinal`` is DocOrdinal; ``frozen`` is set when the document is recalled: it stays in every
    file that holds it and can no longer be removed.
    """

    __tablename__ = "case_file_documents"
    __table_args__ = (UniqueConstraint("case_file_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_file_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int | None] = mapped_column(Integer)  # PageAmount, counted at closing
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    case_file: Mapped[CaseFile] = relationship(back_populates="items")
    document: Mapped[Document] = relationship()
    added_by: Mapped[Person | None] = relationship()


class AccessEvent(Base):
    """Append-only (like AuditEvent): who opened, downloaded, viewed, printed or exported which
    document, when, through which door — and every read that was refused."""

    __tablename__ = "access_events"
    __table_args__ = (
        CheckConstraint("act <> ''", name="act_not_empty"),
        Index("ix_access_events_document_at", "document_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(200))
    # No foreign key: the log outlives anything it names (as audit_events.object_id).
    document_id: Mapped[int | None] = mapped_column(Integer)
    file_id: Mapped[int | None] = mapped_column(Integer)
    act: Mapped[str] = mapped_column(String(20))  # open | view | download | print | export
    channel: Mapped[str] = mapped_column(String(10))  # web | api | cli
    allowed: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DocumentGrant(Base):
    """A person explicitly allowed by the head to read one secret document."""

    __tablename__ = "document_grants"
    __table_args__ = (UniqueConstraint("document_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    granted_by: Mapped[Person] = relationship(foreign_keys=[granted_by_id])


# The filing tables' guard (archived files read-only, recalled documents frozen) must hold for
# every door that loads these models.
from registry import filing as _filing  # noqa: E402, F401
