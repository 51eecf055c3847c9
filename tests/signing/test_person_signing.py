"""The leader signs the final PDF with their own key at `draft sign`; the văn thư issues with
only the organisation's key: number and date filled as a form fill (the person's signature stays
valid), the seal over the person's signature, in one transaction. Real LibreOffice, pyHanko,
poppler; one warm converter per module."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doc_templates.pdf import PdfConverter
from registry import documents
from registry.errors import InvalidTransition, PermissionDenied
from registry.models import (
    Delivery,
    DocumentFile,
    DocumentSignature,
    PendingSignature,
    RegisterCounter,
)
from registry.models import DocumentStatus as S
from signing import approvals, certificates, final, issuing, keys, person, pkcs12, storage
from signing.appearance import PngImage
from signing.errors import BadPassword, CertificateNotUsable
from signing.keyring import KeySource
from signing.locate import page_lines
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD, PadesSigner
from signing.verify import verify_pdf
from tests.signing.test_approvals_fixtures import World, build_world, new_draft

pytestmark = pytest.mark.libreoffice
PASSWORD = "thu-nghiem"
ON = datetime(2026, 12, 16, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    with PdfConverter() as conv:
        yield conv


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> keys.DevCAFiles:
    """A demo CA with one key per leader of the test world (and the organisation's)."""
    return keys.create_dev_ca(tmp_path_factory.mktemp("keys"), password=PASSWORD,
                              organization="BAN CHỈ ĐẠO PCTP, TNXH TỈNH KON TUM",
                              people=[("deputy", "Nguyễn Văn A"), ("chair", "Lê Ngọc Tuấn")])


@pytest.fixture
def world(session: Session, engine) -> World:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "sqlite":
        pytest.skip("LibreOffice runs once per test: the SQLite run covers it")
    w = build_world(session)
    w.deputy.key, w.chair.key = "deputy", "chair"
    session.flush()
    return w


def _own(ca: keys.DevCAFiles, who: str) -> PadesSigner:
    return KeySource.pkcs12(ca.people[who], PASSWORD).open()


def _image(ca: keys.DevCAFiles, who: str) -> PngImage:
    return PngImage.from_file(pkcs12.person_signature_png(ca.ca_cert.parent, who))


def approved(session: Session, world: World, tmp_path: Path) -> int:
    doc = new_draft(session, world)
    approvals.submit(session=session, document_id=doc.id, actor=world.drafter,
                     files_root=tmp_path, reviewers=[world.head_of_dept], signer=world.deputy)
    approvals.approve(session=session, document_id=doc.id, actor=world.head_of_dept)
    return doc.id


def register_own(session: Session, world: World, ca: keys.DevCAFiles) -> None:
    for who, key in ((world.deputy, "deputy"), (world.chair, "chair")):
        certificates.register(session=session, actor=who, person=who,
                              certificate=(ca.people[key].parent / "cert.pem").read_bytes())


def person_signed(session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
                  converter: PdfConverter) -> int:
    doc_id = approved(session, world, tmp_path)
    register_own(session, world, ca)
    with _own(ca, "deputy") as signer:
        person.sign_with_key(session=session, document_id=doc_id, actor=world.deputy,
                             signer=signer, signature=_image(ca, "deputy"), converter=converter,
                             files_root=tmp_path)
    return doc_id


def widget_rects(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Each signature field's page index and widget /Rect, read with pyHanko's reader."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    pages = [reader.find_page_for_modification(i)[0].idnum for i in range(
        int(reader.root["/Pages"]["/Count"]))]
    out = {}
    for name, _, ref in enumerate_sig_fields(reader):
        widget = ref.get_object()
        x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
        out[name] = (pages.index(widget.raw_get("/P").idnum), (x0, y0, x1, y1))
    return out


def _pdftext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


class TestPersonSignature:
    def test_the_leader_signs_the_final_pdf_with_blanks(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """After draft sign the document is signed, its stored PDF carries one intact trusted
        signature by the deputy's own certificate, and ô 2 / ô 4 are still blank."""
        doc_id = person_signed(session, world, ca, tmp_path, converter)
        doc = documents.get(session=session, document_id=doc_id)
        assert doc.status is S.SIGNED and doc.signer_id == world.deputy.id
        record = person.person_signature(session=session, document_id=doc_id)
        assert record is not None and record.person_id == world.deputy.id
        pdf = storage.read(tmp_path, record.file.path, expected_sha256=record.file.sha256)
        report = verify_pdf(pdf, trust_roots=[ca.ca_cert.read_bytes()])
        assert [(s.field_name, s.intact, s.trusted) for s in report.signatures] == [
            (PERSON_FIELD, True, True)]
        assert report.signatures[0].signer.startswith("Nguyễn Văn A")
        text = _pdftext(pdf)
        assert "ngày 16" not in text and "/BCĐ-NC" in text

    def test_another_persons_certificate_is_refused_naming_both(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """The deputy trying the chair's key: refused naming the chair and the deputy; nothing
        stored, the draft stays approved."""
        doc_id = approved(session, world, tmp_path)
        register_own(session, world, ca)
        with _own(ca, "chair") as signer, pytest.raises(certificates.CertificateMismatch) as err:
            person.sign_with_key(session=session, document_id=doc_id, actor=world.deputy,
                                 signer=signer, signature=_image(ca, "chair"),
                                 converter=converter, files_root=tmp_path)
        assert "Lê Ngọc Tuấn" in str(err.value) and "Nguyễn Văn A" in str(err.value)
        assert documents.get(session=session, document_id=doc_id).status is S.APPROVED
        assert session.scalar(select(func.count()).select_from(DocumentFile).where(
            DocumentFile.kind == person.PERSON_SIGNED_KIND)) == 0

    def test_unregistered_and_revoked_certificates_are_refused(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """No registered certificate: refused; once registered then revoked: refused, saying
        revoked."""
        doc_id = approved(session, world, tmp_path)
        with _own(ca, "deputy") as signer:
            with pytest.raises(certificates.CertificateMismatch, match="chưa đăng ký"):
                person.sign_with_key(session=session, document_id=doc_id, actor=world.deputy,
                                     signer=signer, signature=_image(ca, "deputy"),
                                     converter=converter, files_root=tmp_path)
            register_own(session, world, ca)
            certificates.revoke(session=session, actor=world.deputy,
                                fingerprint=storage.sha256(signer.certificate_der))
            with pytest.raises(CertificateNotUsable, match="thu hồi"):
                person.sign_with_key(session=session, document_id=doc_id, actor=world.deputy,
                                     signer=signer, signature=_image(ca, "deputy"),
                                     converter=converter, files_root=tmp_path)

    def test_wrong_password_is_a_clear_error(self, ca: keys.DevCAFiles) -> None:
        """A wrong .p12 password is refused before anything is signed."""
        with pytest.raises(BadPassword, match="Mật khẩu"):
            KeySource.pkcs12(ca.people["deputy"], "sai").open()

    def test_a_clerk_cannot_sign(self, session: Session, world: World, ca: keys.DevCAFiles,
                                 tmp_path: Path, converter: PdfConverter) -> None:
        """The văn thư is refused even with a registered key of their own."""
        doc_id = approved(session, world, tmp_path)
        with _own(ca, "deputy") as signer, pytest.raises(PermissionDenied, match="văn thư"):
            person.sign_with_key(session=session, document_id=doc_id, actor=world.clerk,
                                 signer=signer, signature=_image(ca, "deputy"),
                                 converter=converter, files_root=tmp_path)


class TestExternalSigner:
    def test_prepare_then_cms_back(self, session: Session, world: World, ca: keys.DevCAFiles,
                                   tmp_path: Path, converter: PdfConverter) -> None:
        """The server prepares and shows the digest; a signer holding the key returns a CMS
        over it; the completed PDF verifies intact and trusted and the pending row is gone."""
        import asyncio

        from pyhanko.sign.signers import SimpleSigner

        doc_id = approved(session, world, tmp_path)
        register_own(session, world, ca)
        cert = (ca.people["deputy"].parent / "cert.pem").read_bytes()
        pending = person.begin_external(session=session, document_id=doc_id, actor=world.deputy,
                                        certificate=cert, signature=_image(ca, "deputy"),
                                        converter=converter)
        assert len(pending.digest_hex) == 64 and pending.signer == "Nguyễn Văn A"
        remote = SimpleSigner.load_pkcs12(str(ca.people["deputy"]), passphrase=PASSWORD.encode())
        cms = asyncio.run(remote.async_sign(bytes.fromhex(pending.digest_hex), "sha256",
                                            use_pades=True))
        doc = person.complete_external(session=session, pending_id=pending.id,
                                       actor=world.deputy, cms=cms.dump(), files_root=tmp_path)
        assert doc.status is S.SIGNED
        assert session.scalar(select(func.count()).select_from(PendingSignature)) == 0
        record = person.person_signature(session=session, document_id=doc_id)
        assert record is not None
        report = verify_pdf(storage.read(tmp_path, record.file.path),
                            trust_roots=[ca.ca_cert.read_bytes()])
        assert report.ok, [s.problems for s in report.signatures]

    def test_cms_from_another_key_is_refused(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """A CMS made with the chair's key for the deputy's prepared signature is refused,
        naming both; the document stays approved."""
        import asyncio

        from pyhanko.sign.signers import SimpleSigner

        doc_id = approved(session, world, tmp_path)
        register_own(session, world, ca)
        cert = (ca.people["deputy"].parent / "cert.pem").read_bytes()
        pending = person.begin_external(session=session, document_id=doc_id, actor=world.deputy,
                                        certificate=cert, signature=_image(ca, "deputy"),
                                        converter=converter)
        other = SimpleSigner.load_pkcs12(str(ca.people["chair"]), passphrase=PASSWORD.encode())
        cms = asyncio.run(other.async_sign(bytes.fromhex(pending.digest_hex), "sha256",
                                           use_pades=True))
        with pytest.raises(certificates.CertificateMismatch) as err:
            person.complete_external(session=session, pending_id=pending.id, actor=world.deputy,
                                     cms=cms.dump(), files_root=tmp_path)
        assert "Lê Ngọc Tuấn" in str(err.value) and "Nguyễn Văn A" in str(err.value)
        assert documents.get(session=session, document_id=doc_id).status is S.APPROVED

    def test_cms_over_another_digest_is_refused(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """The right key signing some other digest does not make a valid signature."""
        import asyncio

        from pyhanko.sign.signers import SimpleSigner

        doc_id = approved(session, world, tmp_path)
        register_own(session, world, ca)
        cert = (ca.people["deputy"].parent / "cert.pem").read_bytes()
        pending = person.begin_external(session=session, document_id=doc_id, actor=world.deputy,
                                        certificate=cert, signature=_image(ca, "deputy"),
                                        converter=converter)
        remote = SimpleSigner.load_pkcs12(str(ca.people["deputy"]), passphrase=PASSWORD.encode())
        cms = asyncio.run(remote.async_sign(bytes(32), "sha256", use_pades=True))
        with pytest.raises(person.SigningError, match="không khớp"):
            person.complete_external(session=session, pending_id=pending.id, actor=world.deputy,
                                     cms=cms.dump(), files_root=tmp_path)


class TestIssueWithOnlyTheOrganisationKey:
    def test_issue_fills_number_and_date_and_seals(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """With only organization.p12 opened: number and date are filled, both signatures are
        intact and trusted (the person's covering its revision, only a form fill after it),
        the seal's right edge a third into the signature image, the .docx of record carries
        the number, outbox rows exist, and poppler's pdfsig accepts the file."""
        doc_id = person_signed(session, world, ca, tmp_path, converter)
        org_only = pkcs12.pair(ca.ca_cert.parent, PASSWORD)
        assert not hasattr(org_only, "person")

        def hook(s: Session, doc) -> None:  # type: ignore[no-untyped-def]
            s.add(Delivery(document_id=doc.id, channel="folder", recipient_label="test",
                           idempotency_key=f"t-{doc.id}"))

        result = issuing.issue(session=session, document_id=doc_id, actor=world.clerk,
                               keys=org_only, files_root=tmp_path, on=ON, on_issued=hook)
        doc = result.document
        assert doc.status is S.ISSUED and doc.number_symbol == "01/BCĐ-NC"
        pdf = storage.read(tmp_path, result.pdf.path, expected_sha256=result.pdf.sha256)
        report = verify_pdf(pdf, trust_roots=[ca.ca_cert.read_bytes()])
        assert [(s.field_name, s.intact, s.trusted) for s in report.signatures] == [
            (PERSON_FIELD, True, True), (ORGANIZATION_FIELD, True, True)]
        assert report.ok, [s.problems for s in report.signatures]
        assert report.signatures[1].coverage == "entire_file"
        with zipfile.ZipFile(io.BytesIO(storage.read(tmp_path, result.docx.path))) as z:
            xml = z.read("word/document.xml").decode()
        assert "01/" in xml and "ngày 16 tháng 12 năm 2026" in xml
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1
        rects = widget_rects(pdf)
        page, (px0, py0, px1, py1) = rects[PERSON_FIELD]
        _, _, lines = page_lines(pdf, page)
        title = next(ln for ln in lines if ln.text == "PHÓ TRƯỞNG BAN")
        name = next(ln for ln in lines if ln.text == "Nguyễn Văn A")
        assert name.y1 <= py0 < py1 <= title.y0  # between 7a and 7b
        seal_page, (cx0, cy0, cx1, cy1) = rects[ORGANIZATION_FIELD]
        assert seal_page == page
        assert cx1 == pytest.approx(px0 + (px1 - px0) / 3, abs=0.5)  # a third into the image
        assert cy0 < (py0 + py1) / 2 < cy1
        values = {n: str(f.get("/V")) for n, (_, f) in final.reserved_fields(
            PdfFileReader(io.BytesIO(pdf))).items()}
        assert values == {final.NUMBER_FIELD: "01", final.DAY_FIELD: "16",
                          final.MONTH_FIELD: "12"}
        roles = set(session.scalars(select(DocumentSignature.role).where(
            DocumentSignature.document_id == doc_id)))
        assert roles == {"person", "organization"}
        if shutil.which("pdfsig"):
            path = tmp_path / "issued.pdf"
            path.write_bytes(pdf)
            done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
            assert done.returncode == 0 and done.stdout.count("Signature is Valid") == 2

    def test_a_draft_edited_after_signing_cannot_be_issued(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """The body changed behind the state machine's back after the person signed: issuing
        is refused (sign again), and no number is consumed."""
        doc_id = person_signed(session, world, ca, tmp_path, converter)
        doc = documents.get(session=session, document_id=doc_id)
        session.execute(doc.__table__.update().where(doc.__table__.c.id == doc_id)
                        .values(body="Nội dung đã bị sửa sau khi ký."))
        session.expire_all()
        with pytest.raises(person.ContentChanged, match="ký lại"):
            issuing.issue(session=session, document_id=doc_id, actor=world.clerk,
                          keys=pkcs12.pair(ca.ca_cert.parent, PASSWORD), files_root=tmp_path,
                          on=ON)
        assert session.scalar(select(func.count()).select_from(RegisterCounter)) == 0

    def test_editing_a_signed_draft_is_refused(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """The services refuse to edit a signed draft at all."""
        doc_id = person_signed(session, world, ca, tmp_path, converter)
        with pytest.raises(InvalidTransition):
            approvals.edit(session=session, document_id=doc_id, actor=world.drafter,
                           body="khác")

    def test_decision_without_pdf_signature_cannot_be_issued(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path) -> None:
        """A decision recorded without the person's PDF signature is not issuable."""
        doc_id = approved(session, world, tmp_path)
        approvals.sign(session=session, document_id=doc_id, actor=world.deputy)
        with pytest.raises(issuing.NotSignedByPerson, match="draft sign"):
            issuing.issue(session=session, document_id=doc_id, actor=world.clerk,
                          keys=pkcs12.pair(ca.ca_cert.parent, PASSWORD), files_root=tmp_path,
                          on=ON)


class TestVerifyAgainstTheRegistry:
    def test_another_person_of_the_same_office(
            self, session: Session, world: World, ca: keys.DevCAFiles, tmp_path: Path,
            converter: PdfConverter) -> None:
        """A copy of an issued document re-signed with the chair's key (a trusted certificate of
        the same office) passes every cryptographic check but the registry says the person
        recorded for that number is the deputy; the genuine file matches the registry."""
        from signing.provenance import cross_check

        doc_id = approved(session, world, tmp_path)
        register_own(session, world, ca)
        reserved = person.prepare_final(session=session, document_id=doc_id,
                                        actor=world.deputy, converter=converter).pdf
        with _own(ca, "deputy") as signer:
            person.sign_with_key(session=session, document_id=doc_id, actor=world.deputy,
                                 signer=signer, signature=_image(ca, "deputy"),
                                 converter=converter, files_root=tmp_path)
        org = pkcs12.pair(ca.ca_cert.parent, PASSWORD)
        result = issuing.issue(session=session, document_id=doc_id, actor=world.clerk,
                               keys=org, files_root=tmp_path, on=ON)
        genuine = storage.read(tmp_path, result.pdf.path)
        roots = [ca.ca_cert.read_bytes()]
        report = verify_pdf(genuine, trust_roots=roots, profile="nd30")
        found = cross_check(session=session, pdf=genuine, report=report)
        assert report.ok and found.problems == [], found.problems

        from signing.appearance import SealImage, SignatureImage

        block = "TM. BAN CHỈ ĐẠO\nKT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN"
        with _own(ca, "chair") as chair:
            forged = chair.sign_pdf(reserved, appearance=SignatureImage(
                _image(ca, "chair"), block, "Nguyễn Văn A"), reason="x", field_name=PERSON_FIELD)
        forged = final.fill(forged, number=1, on=ON.date())
        forged = org.organization.sign_pdf(
            forged, appearance=SealImage(org.seal, block, "Nguyễn Văn A"), reason="x",
            field_name=ORGANIZATION_FIELD)
        report = verify_pdf(forged, trust_roots=roots, profile="nd30")
        assert all(s.intact and s.trusted for s in report.signatures)
        found = cross_check(session=session, pdf=forged, report=report)
        assert any("Lê Ngọc Tuấn" in p and "Nguyễn Văn A" in p for p in found.problems), \
            found.problems
