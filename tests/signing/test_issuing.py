"""Issuing: one transaction numbers, fills the number and date into the PDF the person signed,
applies the organisation's signature, stores and issues; an issued document never changes, and
corrections are new linked documents. Real LibreOffice and pyHanko, a warm converter per module;
the organisation's signer is wrapped to record its calls or fail on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from doc_templates.pdf import PdfConverter
from registry import documents
from registry.errors import ImmutableDocument, InvalidTransition, PermissionDenied
from registry.models import Document, DocumentFile, DocumentLink
from registry.models import DocumentStatus as S
from registry.numbering import last_number, register_for
from signing import approvals, certificates, issuing, keys, person, pkcs12, storage
from signing.appearance import PngImage, SealImage
from signing.keyring import KeySource
from tests.signing.test_approvals_fixtures import World, build_world, new_draft

pytestmark = pytest.mark.libreoffice
ON = datetime(2026, 12, 16, 3, 0, tzinfo=UTC)
PASSWORD = "thu-nghiem"


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    with PdfConverter() as conv:
        yield conv


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> keys.DevCAFiles:
    return keys.create_dev_ca(tmp_path_factory.mktemp("keys"), password=PASSWORD,
                              people=[("deputy", "Nguyễn Văn A")])


class RecordingOrg:
    """The real organisation signer, recording appearances; ``fail`` raises instead."""

    def __init__(self, real: Any, fail: bool = False) -> None:
        self.real, self.fail = real, fail
        self.appearances: list[object] = []

    @property
    def certificate_der(self) -> bytes:
        return bytes(self.real.certificate_der)

    def placement(self, pdf: bytes, appearance: Any) -> Any:
        return self.real.placement(pdf, appearance)

    def sign_pdf(self, pdf: bytes, **kw: Any) -> bytes:
        if self.fail:
            raise RuntimeError("token removed")
        self.appearances.append(kw["appearance"])
        return bytes(self.real.sign_pdf(pdf, **kw))


@pytest.fixture
def world(session: Session) -> World:
    w = build_world(session)
    w.deputy.key = "deputy"
    session.flush()
    return w


@pytest.fixture
def signed(session: Session, world: World, tmp_path: Path, ca: keys.DevCAFiles,
           converter: PdfConverter) -> Any:
    """A builder of documents the deputy signed with their own key."""
    certificates.register(session=session, actor=world.deputy, person=world.deputy,
                          certificate=(ca.people["deputy"].parent / "cert.pem").read_bytes())

    def build() -> Document:
        doc = new_draft(session, world)
        approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                         files_root=tmp_path, reviewers=[world.head_of_dept])
        approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
        with KeySource.pkcs12(ca.people["deputy"], PASSWORD).open() as signer:
            person.sign_with_key(
                session=session, document_id=doc.id, actor=world.deputy, signer=signer,
                signature=PngImage.from_file(ca.people["deputy"].parent / "signature.png"),
                converter=converter, files_root=tmp_path, today=ON.date())
        return doc

    return build


def _issue(session: Session, world: World, doc: Document, tmp_path: Path, ca: keys.DevCAFiles,
           *, actor: Any = None, org: Any = None, on_issued: Any = None) -> issuing.Issued:
    real = pkcs12.pair(ca.ca_cert.parent, PASSWORD)
    keys_ = issuing.IssuingKeys(organization=org or RecordingOrg(real.organization),
                                seal=real.seal)
    return issuing.issue(session=session, document_id=doc.id, actor=actor or world.clerk,
                         keys=keys_, files_root=tmp_path, on=ON, on_issued=on_issued)


class TestIssue:
    def test_issue_numbers_stores_and_calls_the_hook(
            self, session: Session, world: World, tmp_path: Path, signed: Any,
            ca: keys.DevCAFiles) -> None:
        """The clerk's issue gives number and date, stores .docx and signed PDF with their
        SHA-256, records the files, and runs on_issued in the same session."""
        doc = signed()
        seen = []
        result = _issue(session, world, doc, tmp_path, ca,
                        on_issued=lambda s, d: seen.append((s is session, d.status)))
        assert doc.status is S.ISSUED
        assert (doc.number, doc.symbol, doc.number_symbol) == (1, "BCĐ-NC", "01/BCĐ-NC")
        assert doc.issue_date.isoformat() == "2026-12-16"
        assert seen == [(True, S.ISSUED)]
        pdf = storage.read(tmp_path, result.pdf.path, expected_sha256=result.pdf.sha256)
        assert pdf.count(b"%%EOF") >= 4  # render, fields, person, fill, organisation
        storage.read(tmp_path, result.docx.path, expected_sha256=result.docx.sha256)
        kinds = session.scalars(select(DocumentFile.kind).where(
            DocumentFile.document_id == doc.id)).all()
        assert sorted(kinds) == ["docx", "person_signed_pdf", "signed_pdf"]

    def test_seal_names_the_printed_block(
            self, session: Session, world: World, tmp_path: Path, signed: Any,
            ca: keys.DevCAFiles) -> None:
        """The organisation signs with the seal placed by the title lines and the name derived
        from the signing right."""
        doc = signed()
        real = pkcs12.pair(ca.ca_cert.parent, PASSWORD)
        org = RecordingOrg(real.organization)
        _issue(session, world, doc, tmp_path, ca, org=org)
        (seal,) = org.appearances
        assert isinstance(seal, SealImage)
        assert seal.title.splitlines() == ["TM. BAN CHỈ ĐẠO", "KT. TRƯỞNG BAN",
                                           "PHÓ TRƯỞNG BAN"]
        assert seal.name == "Nguyễn Văn A"

    def test_only_a_clerk_issues(self, session: Session, world: World, tmp_path: Path,
                                 signed: Any, ca: keys.DevCAFiles) -> None:
        """The signer himself cannot take a number; that is the văn thư's act."""
        doc = signed()
        with pytest.raises(PermissionDenied, match="văn thư"):
            _issue(session, world, doc, tmp_path, ca, actor=world.deputy)

    def test_issue_before_signature(self, session: Session, world: World, tmp_path: Path,
                                    ca: keys.DevCAFiles) -> None:
        """A draft cannot be issued."""
        doc = new_draft(session, world)
        with pytest.raises(InvalidTransition, match="đã ký, chờ ban hành"):
            _issue(session, world, doc, tmp_path, ca)

    def test_a_failed_signature_consumes_no_number(
            self, session: Session, world: World, tmp_path: Path, signed: Any,
            ca: keys.DevCAFiles) -> None:
        """If the organisation's signature fails, the transaction rolls back with its number."""
        doc = signed()
        real = pkcs12.pair(ca.ca_cert.parent, PASSWORD)
        with pytest.raises(RuntimeError), session.begin_nested():
            _issue(session, world, doc, tmp_path, ca,
                   org=RecordingOrg(real.organization, fail=True))
        session.refresh(doc)
        assert doc.status is S.SIGNED and doc.number is None
        register_id = register_for(
            session=session, organization_id=world.issuer.id,
            direction=doc.direction, doc_type="cong_van").id
        assert last_number(session=session, register_id=register_id, year=2026) == 0


class TestIssuedNeverChanges:
    @pytest.fixture
    def issued(self, session: Session, world: World, tmp_path: Path, signed: Any,
               ca: keys.DevCAFiles) -> Document:
        doc = signed()
        _issue(session, world, doc, tmp_path, ca)
        return doc

    def test_every_service_refuses(self, session: Session, world: World, issued: Document,
                                   tmp_path: Path, ca: keys.DevCAFiles) -> None:
        """edit, submit, approve, return_, sign and issue all refuse an issued document."""
        calls = [
            lambda: approvals.edit(session=session, document_id=issued.id, actor=world.drafter,
                                   body="khác"),
            lambda: approvals.submit(session=session, document_id=issued.id,
                                     actor=world.drafter, files_root=tmp_path),
            lambda: approvals.approve(session=session, document_id=issued.id, actor=world.chair),
            lambda: approvals.return_(session=session, document_id=issued.id, actor=world.chair,
                                      comment="sửa"),
            lambda: approvals.sign(session=session, document_id=issued.id, actor=world.chair),
            lambda: _issue(session, world, issued, tmp_path, ca),
            lambda: documents.update(session=session, document=issued, subject="khác"),
        ]
        for call in calls:
            with pytest.raises(ImmutableDocument, match="đã ban hành"):
                call()
        assert issued.number == 1 and issued.subject.startswith("V/v báo cáo")

    def test_a_direct_change_is_refused_at_flush(self, session: Session,
                                                 issued: Document) -> None:
        """Even setting an attribute by hand is refused when the session flushes."""
        issued.body = "sửa lén"
        with pytest.raises(ImmutableDocument):
            session.flush()
        session.rollback()

    def test_revoke_is_the_only_change(self, session: Session, world: World,
                                       issued: Document) -> None:
        """A leader who may sign revokes an issued document; a clerk may not."""
        with pytest.raises(PermissionDenied):
            approvals.revoke(session=session, document_id=issued.id, actor=world.clerk,
                             reason="sai")
        approvals.revoke(session=session, document_id=issued.id, actor=world.chair,
                         reason="Ban hành nhầm")
        assert issued.status is S.REVOKED and issued.number == 1

    @pytest.mark.parametrize(("kind", "doc_type"), [("corrects", "cong_van"),
                                                    ("replaces", "cong_van")])
    def test_correction_is_a_new_linked_draft(self, session: Session, world: World,
                                              issued: Document, kind: str, doc_type: str) -> None:
        """correct() creates a new draft linked to the issued one; the old stays as issued."""
        new = issuing.correct(session=session, document_id=issued.id, actor=world.clerk,
                              kind=kind)
        assert new.status is S.DRAFT and new.doc_type == doc_type and new.id != issued.id
        link = session.scalar(select(DocumentLink).where(DocumentLink.from_id == new.id))
        assert link is not None and (link.to_id, link.kind) == (issued.id, kind)
        if kind == "corrects":
            assert "01/BCĐ-NC" in new.subject

    def test_correcting_a_draft_is_refused(self, session: Session, world: World) -> None:
        """A draft is edited, not corrected."""
        from registry.errors import ValidationError

        doc = new_draft(session, world)
        with pytest.raises(ValidationError, match="sửa trực tiếp"):
            issuing.correct(session=session, document_id=doc.id, actor=world.clerk,
                            kind="corrects")
