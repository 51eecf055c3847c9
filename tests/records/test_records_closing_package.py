"""Records (hồ sơ): closing a file, the 30-day handover warning, the export package and its
separate reader."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records import casefiles, closing, export, package
from records.errors import PackageError
from registry.models import AccessEvent, CaseFile, Delivery, Document, Notice
from tests.records.records_rows import NOW, Office, attach_pdf, draft, issued, pdf_bytes, received


@pytest.fixture
def files_root(tmp_path: Path) -> Path:
    return tmp_path / "files"


def _file(session: Session, office: Office, code: str = "05.TH", years: int = 10) -> CaseFile:
    return casefiles.open_unplanned(
        session=session, organization=office.org, year=2026, code=code,
        title="Hồ sơ phòng, chống tội phạm năm 2026", retention_years=years, permanent=False,
        unit=office.unit, actor=office.clerk, now=NOW)


def _add(session: Session, office: Office, case_file: CaseFile, *docs: Document) -> None:
    for doc in docs:
        casefiles.file_document(session=session, case_file=case_file, document=doc,
                                actor=office.clerk, now=NOW)


@pytest.fixture
def closed(session: Session, office: Office, files_root: Path) -> CaseFile:
    """A closed file: two issued documents (2 and 3 pages) and one incoming (1 page)."""
    case_file = _file(session, office)
    first = issued(session, office, issue_date=date(2026, 3, 5))
    second = issued(session, office, issue_date=date(2026, 4, 9), urgency="KHẨN")
    incoming = received(session, office, original_date=date(2026, 2, 10))
    for doc, pages in ((first, 2), (second, 3), (incoming, 1)):
        attach_pdf(session, doc, files_root, pdf_bytes(pages, f"vb{doc.id}"),
                   kind="source" if doc is incoming else "signed_pdf")
    _add(session, office, case_file, first, second, incoming)
    closing.close(session=session, case_file=case_file, actor=office.clerk, now=NOW,
                  files_root=files_root)
    return case_file


class TestClosing:
    def test_closing_removes_drafts_and_duplicates(self, session: Session, office: Office,
                                                   files_root: Path) -> None:
        """Drafts and a second copy of the same paper leave the file and stay in the registry;
        totals, dates and order are fixed."""
        case_file = _file(session, office)
        doc = issued(session, office, issue_date=date(2026, 3, 5))
        copy = received(session, office, sender_id=office.org.id, sender_name="Ban",
                        original_number=doc.number_symbol, original_date=date(2026, 3, 9))
        data = pdf_bytes(2, "cung-noi-dung")
        attach_pdf(session, doc, files_root, data)
        attach_pdf(session, copy, files_root, data, kind="source")
        working = draft(session, office)
        later = issued(session, office, issue_date=date(2026, 6, 1))
        attach_pdf(session, later, files_root, pdf_bytes(3, "sau"))
        _add(session, office, case_file, working, doc, copy, later)
        done = closing.close(session=session, case_file=case_file, actor=office.clerk, now=NOW,
                             files_root=files_root)
        assert done.removed_drafts == [working.id] and done.removed_duplicates == [copy.id]
        assert [(i.ordinal, i.document_id, i.page_count)
                for i in casefiles.items(session=session, case_file=case_file)] == [
            (1, doc.id, 2), (2, later.id, 3)]
        assert (case_file.status, case_file.doc_total, case_file.page_total) == ("closed", 2, 5)
        assert (case_file.start_date, case_file.end_date) == (date(2026, 3, 5), date(2026, 6, 1))
        assert case_file.handover_due == date(2027, 3, 2)
        assert session.get(Document, working.id) is not None
        assert session.get(Document, copy.id) is not None

    def test_short_retention_is_not_handed_over(self, session: Session, office: Office,
                                                files_root: Path) -> None:
        """A file kept under 5 years gets no handover date (art. 31); retention is re-set."""
        case_file = _file(session, office, code="06.TH", years=10)
        _add(session, office, case_file, issued(session, office))
        closing.close(session=session, case_file=case_file, actor=office.clerk, now=NOW,
                      files_root=files_root, retention_years=2)
        assert (case_file.retention_years, case_file.handover_due) == (2, None)


class TestHandoverWarning:
    def test_warning_sent_once_thirty_days_ahead(self, session: Session, office: Office,
                                                 closed: CaseFile) -> None:
        """Nothing 31 days before; at 30 days one notice to the unit; the next run sends none."""
        due = closed.handover_due
        assert due is not None
        early = closing.warn_due_handover(session=session, today=due - timedelta(days=31),
                                          now=NOW)
        first = closing.warn_due_handover(session=session, today=due - timedelta(days=30),
                                          now=NOW)
        again = closing.warn_due_handover(session=session, today=due - timedelta(days=29),
                                          now=NOW)
        assert (len(early), len(first), len(again)) == (0, 1, 0)
        assert first[0].recipient_id == office.unit.id
        notice = session.scalar(select(Notice).where(Notice.key == f"records-handover-{closed.id}"))
        assert notice is not None and "05.TH" in notice.subject and "30 ngày" in notice.body
        assert session.scalar(select(func.count(Delivery.id)).where(
            Delivery.notice_id == notice.id)) == 1


def _rewrite(source: Path, target: Path, change: str | None = None,
             extra: tuple[zipfile.ZipInfo, bytes] | None = None) -> None:
    """Copy a package, flipping one byte in the middle of member ``change``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = bytearray(old.read(info))
            if info.filename == change:
                data[len(data) // 2] ^= 0x01
            new.writestr(info, bytes(data))
        if extra is not None:
            new.writestr(*extra)


@pytest.fixture(scope="module")
def signed_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real PAdES-signed 2-page PDF (dev CA), made once for the module."""
    from signing.keys import create_dev_ca
    from signing.signer import PadesSigner

    ca = create_dev_ca(tmp_path_factory.mktemp("ca"), password="thu")
    signer = PadesSigner.from_pkcs12(ca.signer_p12, "thu")
    return signer.sign_pdf(pdf_bytes(2, "da-ky"), appearance=None, reason="thu")


def _forge(source: Path, target: Path, member: str) -> None:
    """Change one byte inside a PDF's signed range and rewrite the manifest to match it."""
    with zipfile.ZipFile(source) as old:
        data = {i.filename: old.read(i) for i in old.infolist()}
    pdf = bytearray(data[member])
    at = pdf.index(b"da-ky trang 1")
    pdf[at] = ord("D")
    data[member] = bytes(pdf)
    hashes = {n: hashlib.sha256(d).hexdigest() for n, d in data.items() if n != package.MANIFEST}
    data[package.MANIFEST] = package.manifest_bytes(hashes)
    with zipfile.ZipFile(target, "w") as new:
        for name, payload in data.items():
            new.writestr(name, payload)


class TestPackage:
    def test_signatures_catch_a_forgery_with_a_matching_manifest(
            self, session: Session, office: Office, files_root: Path, tmp_path: Path,
            signed_pdf: bytes) -> None:
        """A PDF changed after signing with the manifest rewritten passes the hashes but not
        --signatures; the genuine package passes both (a scan without signature is counted)."""
        case_file = _file(session, office, code="07.KY")
        doc, scan = issued(session, office), received(session, office)
        attach_pdf(session, doc, files_root, signed_pdf)
        attach_pdf(session, scan, files_root, pdf_bytes(1, "quet"), kind="source")
        _add(session, office, case_file, doc, scan)
        closing.close(session=session, case_file=case_file, actor=office.clerk, now=NOW,
                      files_root=files_root)
        path = export.export(session=session, case_file=case_file, files_root=files_root,
                             out_dir=tmp_path)
        found = package.verify(path, signatures=True)
        assert (found.signed, found.unsigned) == (1, 1)
        with zipfile.ZipFile(path) as archive:
            [member] = [n for n in archive.namelist() if n.startswith("van-ban/001/")
                        and n.endswith(".pdf")]
        forged = tmp_path / "gia.zip"
        _forge(path, forged, member)
        assert package.verify(forged).documents == 2
        with pytest.raises(PackageError, match="không còn nguyên vẹn"):
            package.verify(forged, signatures=True)

    def test_round_trip_and_one_byte_change_in_any_member(
            self, session: Session, closed: CaseFile, files_root: Path, tmp_path: Path) -> None:
        """The export verifies and is on the access log; a one-byte change in any member, the
        manifest included, fails."""
        path = export.export(session=session, case_file=closed, files_root=files_root,
                             out_dir=tmp_path / "out")
        found = package.verify(path)
        assert (found.file_code, found.documents, found.pages) == ("05.TH", 3, 6)
        logged = session.scalars(select(AccessEvent).where(AccessEvent.act == "export")).all()
        assert len({e.document_id for e in logged}) == 3  # each exported document is logged
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            doc_xml = archive.read("van-ban/003/van-ban.xml").decode()
        assert package.MANIFEST in names and len([n for n in names if n.endswith(".pdf")]) == 3
        assert "<ArrivalNumber>" in doc_xml and "<PageAmount>1</PageAmount>" in doc_xml
        for name in names:
            altered = tmp_path / "altered.zip"
            _rewrite(path, altered, change=name)
            with pytest.raises(PackageError):
                package.verify(altered)

    @pytest.mark.parametrize("name", ["../thoat-ra.pdf", "/etc/passwd", "C:/x.pdf",
                                      "van-ban\\001\\x.pdf"])
    def test_unsafe_member_names_refused(self, session: Session, closed: CaseFile,
                                         files_root: Path, tmp_path: Path, name: str) -> None:
        """Zip slip, absolute paths and backslashes are refused before anything is read."""
        path = export.export(session=session, case_file=closed, files_root=files_root,
                             out_dir=tmp_path)
        bad = tmp_path / "bad.zip"
        _rewrite(path, bad, extra=(zipfile.ZipInfo(name), b"x"))
        with pytest.raises(PackageError, match="tuyệt đối|thoát ra"):
            package.verify(bad)

    def test_zip_bomb_member_refused(self, session: Session, closed: CaseFile,
                                     files_root: Path, tmp_path: Path) -> None:
        """A member that expands more than 100 times is refused without being inflated."""
        path = export.export(session=session, case_file=closed, files_root=files_root,
                             out_dir=tmp_path)
        bomb = zipfile.ZipInfo("van-ban/009/bom.pdf")
        bomb.compress_type = zipfile.ZIP_DEFLATED
        bad = tmp_path / "bomb.zip"
        _rewrite(path, bad, extra=(bomb, b"\0" * 4_000_000))
        with pytest.raises(PackageError, match="bom nén"):
            package.verify(bad)
