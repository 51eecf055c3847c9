"""Issuing: one transaction numbers, renders, signs twice, stores and issues; an issued document
never changes, and corrections are new linked documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import documents
from registry.errors import ImmutableDocument, InvalidTransition, PermissionDenied
from registry.models import Document, DocumentFile, DocumentLink
from registry.models import DocumentStatus as S
from registry.numbering import last_number, register_for
from signing import approvals, issuing, storage
from signing.appearance import PngImage, SealImage, SignatureImage
from tests.signing.test_approvals_fixtures import World, build_world, new_draft

ON = datetime(2026, 12, 16, 3, 0, tzinfo=UTC)
PASSWORD = "thu-nghiem"


class FakeConverter:
    """Returns a tiny stand-in PDF; counts calls (unit tests of the transaction only)."""

    def __init__(self) -> None:
        self.calls = 0

    def convert_bytes(self, docx: bytes) -> bytes:
        self.calls += 1
        return b"%PDF-1.7 fake " + storage.sha256(docx).encode()


class FakeSigner:
    """Appends a marker so the order of the two signatures is visible; keeps the appearances."""

    def __init__(self, mark: bytes, fail: bool = False) -> None:
        self.mark, self.fail = mark, fail
        self.appearances: list[object] = []

    def sign_pdf(self, pdf: bytes, *, appearance, reason: str, location=None,
                 field_name=None) -> bytes:
        if self.fail:
            raise RuntimeError("token removed")
        self.appearances.append(appearance)
        return pdf + self.mark


IMAGE = PngImage(png=b"png", width_mm=40.0, height_mm=18.0)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def signed_draft(session: Session, world: World, tmp_path: Path) -> Document:
    doc = new_draft(session, world)
    approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                     files_root=tmp_path, reviewers=[world.head_of_dept])
    approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
    approvals.sign(session=session, document_id=doc.id, actor=world.deputy)
    return doc


def _issue(session, world, doc, tmp_path, *, actor=None, converter=None, person=None,
           org=None, on_issued=None):
    keys = issuing.IssuingKeys(person=person or FakeSigner(b"|person"),
                               organization=org or FakeSigner(b"|org"), signature=IMAGE,
                               seal=IMAGE)
    return issuing.issue(
        session=session, document_id=doc.id, actor=actor or world.clerk,
        converter=converter or FakeConverter(), keys=keys, files_root=tmp_path, on=ON,
        on_issued=on_issued)


class TestIssue:
    def test_issue_numbers_stores_and_calls_the_hook(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """The clerk's issue gives number and date, stores .docx and signed PDF with their
        SHA-256, records the files, and runs on_issued in the same session."""
        doc = signed_draft(session, world, tmp_path)
        seen = []
        result = _issue(session, world, doc, tmp_path,
                        on_issued=lambda s, d: seen.append((s is session, d.status)))
        assert doc.status is S.ISSUED
        assert (doc.number, doc.symbol, doc.number_symbol) == (1, "BCĐ-NC", "01/BCĐ-NC")
        assert doc.issue_date.isoformat() == "2026-12-16"
        assert seen == [(True, S.ISSUED)]
        pdf = storage.read(tmp_path, result.pdf.path, expected_sha256=result.pdf.sha256)
        assert pdf.endswith(b"|person|org")  # the person signs first, then the organisation
        storage.read(tmp_path, result.docx.path, expected_sha256=result.docx.sha256)
        kinds = session.scalars(select(DocumentFile.kind).where(
            DocumentFile.document_id == doc.id)).all()
        assert sorted(kinds) == ["docx", "signed_pdf"]

    def test_appearances_name_the_printed_block(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """The person signs with the signature image and the organisation with the seal, both
        placed by the title lines and the name derived from the signing right."""
        doc = signed_draft(session, world, tmp_path)
        person, org = FakeSigner(b"|person"), FakeSigner(b"|org")
        _issue(session, world, doc, tmp_path, person=person, org=org)
        (signature,), (seal,) = person.appearances, org.appearances
        assert isinstance(signature, SignatureImage) and isinstance(seal, SealImage)
        assert signature.title.splitlines() == ["TM. BAN CHỈ ĐẠO", "KT. TRƯỞNG BAN",
                                                "PHÓ TRƯỞNG BAN"]
        assert (signature.title, signature.name) == (seal.title, seal.name)
        assert signature.name == "Nguyễn Văn A" and signature.image is IMAGE

    def test_only_a_clerk_issues(self, session: Session, world: World, tmp_path: Path) -> None:
        """The signer himself cannot take a number; that is the văn thư's act."""
        doc = signed_draft(session, world, tmp_path)
        with pytest.raises(PermissionDenied, match="văn thư"):
            _issue(session, world, doc, tmp_path, actor=world.deputy)

    def test_issue_before_signature(self, session: Session, world: World, tmp_path: Path) -> None:
        """An approved but unsigned document cannot be issued."""
        doc = new_draft(session, world)
        with pytest.raises(InvalidTransition, match="đã ký, chờ ban hành"):
            _issue(session, world, doc, tmp_path)

    def test_a_failed_signature_consumes_no_number(
            self, session: Session, world: World, tmp_path: Path) -> None:
        """If the organisation's signature fails, the transaction rolls back with its number."""
        doc = signed_draft(session, world, tmp_path)
        with pytest.raises(RuntimeError), session.begin_nested():
            _issue(session, world, doc, tmp_path, org=FakeSigner(b"", fail=True))
        session.refresh(doc)
        assert doc.status is S.SIGNED and doc.number is None
        register_id = register_for(
            session=session, organization_id=world.issuer.id,
            direction=doc.direction, doc_type="cong_van").id
        assert last_number(session=session, register_id=register_id, year=2026) == 0


class TestIssuedNeverChanges:
    @pytest.fixture
    def issued(self, session: Session, world: World, tmp_path: Path) -> Document:
        doc = signed_draft(session, world, tmp_path)
        _issue(session, world, doc, tmp_path)
        return doc

    def test_every_service_refuses(self, session: Session, world: World, issued: Document,
                                   tmp_path: Path) -> None:
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
            lambda: _issue(session, world, issued, tmp_path),
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
