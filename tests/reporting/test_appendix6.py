"""The Appendix VI reports on a hand-built office: incoming and outgoing handling figures by unit
and handler (on-time/late boundaries and Vietnam day edges), the document and file indexes."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from registry.calendar import WorkingCalendar
from registry.models import (
    CaseFile,
    CaseFileDocument,
    Direction,
    Document,
    DocumentFile,
    DocumentSignature,
    DocumentStatus,
    HandlingAssignment,
    Organization,
    Person,
    Register,
    SigningCertificate,
)
from reporting import handling_stats, indexes
from tests import factories

Q1 = (date(2026, 1, 1), date(2026, 3, 31))
AFTER_Q1 = date(2026, 4, 15)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass
class Office:
    org: Organization
    unit: Organization
    officer: Person  # in the unit
    deputy: Person  # in the office itself
    register: Register
    session: Session
    numbers: int = 0

    def incoming(self, arrived: datetime, *, due: date | None = None,
                 secrecy: str | None = None, subject: str | None = None) -> Document:
        self.numbers += 1
        doc = Document(direction=Direction.INCOMING, status=DocumentStatus.RECEIVED,
                       secrecy=secrecy, doc_type="cong_van",
                       subject=subject or f"Văn bản đến {self.numbers}",
                       register_id=self.register.id, number=self.numbers, year=2026,
                       arrived_at=arrived, due_date=due, sender_name="Sở Tư pháp",
                       original_number=f"{self.numbers}/STP-VP", original_date=arrived.date())
        self.session.add(doc)
        self.session.flush()
        return doc

    def assign(self, doc: Document, *, due: date | None, person: Person | None = None,
               unit: Organization | None = None, done: datetime | None = None,
               status: str | None = None) -> HandlingAssignment:
        row = HandlingAssignment(
            document_id=doc.id, role="main", person_id=person.id if person else None,
            organization_id=unit.id if unit else None, due_date=due,
            assigned_by_id=self.deputy.id, assigned_at=utc(2026, 1, 1),
            status=status or ("done" if done else "assigned"), done_at=done)
        self.session.add(row)
        self.session.flush()
        return row


@pytest.fixture
def office(session: Session) -> Office:
    org = factories.org(session, name="SỞ NỘI VỤ", text_name="Sở Nội vụ", code="SNV")
    unit = factories.org(session, name="PHÒNG CÔNG CHỨC", text_name="Phòng Công chức",
                         kind="unit", parent_id=org.id)
    register = factories.register(session, org, code="DEN", direction=Direction.INCOMING)
    officer = factories.person(session, unit, full_name="Lê Văn Xử", roles=["reviewer"])
    deputy = factories.person(session, org, full_name="Trần Phó", roles=["leader"])
    return Office(org, unit, officer, deputy, register, session)


def _by_row(report: handling_stats.HandlingReport) -> dict[tuple[str, str], tuple[int, ...]]:
    return {(r.unit, r.handler): (r.total, r.done_on_time, r.done_late, r.pending_on_time,
                                  r.pending_late) for r in report.rows}


class TestIncomingHandling:
    def test_figures_by_unit_and_handler(self, session: Session, office: Office) -> None:
        """On time up to 23:59 of the due day in Viet Nam, late from 00:00 the next; arrival days
        are Vietnam days; a replaced assignment does not count; pending is judged at the
        period's end, overdue once the due day has passed."""
        o = office
        on_time = o.incoming(utc(2026, 1, 5, 2))
        o.assign(on_time, person=o.officer, due=date(2026, 1, 10), done=utc(2026, 1, 10, 16, 59))
        late = o.incoming(utc(2026, 1, 6, 2))
        o.assign(late, person=o.officer, due=date(2026, 1, 10), done=utc(2026, 1, 10, 17, 0))
        o.assign(o.incoming(utc(2026, 2, 1, 2)), unit=o.unit, due=date(2026, 3, 31))
        o.assign(o.incoming(utc(2026, 2, 2, 2)), unit=o.unit, due=date(2026, 3, 30))
        o.incoming(utc(2026, 3, 31, 16, 59))  # 23:59 on 31 March in Viet Nam: in Q1, unassigned
        o.incoming(utc(2026, 3, 31, 17, 0))  # 00:00 on 1 April in Viet Nam: not in Q1
        first_day = o.incoming(utc(2025, 12, 31, 17, 0))  # 00:00 on 1 January: in Q1
        o.assign(first_day, person=o.deputy, due=date(2026, 1, 5), done=utc(2026, 4, 2, 3))
        moved = o.incoming(utc(2026, 2, 10, 2))
        o.assign(moved, person=o.deputy, due=date(2026, 2, 12), status="replaced")
        o.assign(moved, person=o.officer, due=date(2026, 3, 1), done=utc(2026, 2, 15, 3))

        report = handling_stats.incoming(session=session, organization=o.org, start=Q1[0],
                                         end=Q1[1], today=AFTER_Q1)
        assert report.as_of == Q1[1]
        assert _by_row(report) == {
            ("Phòng Công chức", "Lê Văn Xử"): (3, 2, 1, 0, 0),
            ("Phòng Công chức", ""): (2, 0, 0, 1, 1),
            ("Sở Nội vụ", "Trần Phó"): (1, 0, 0, 0, 1),  # done on 2 April: pending at 31 March
            (handling_stats.UNASSIGNED, ""): (1, 0, 0, 1, 0),
        }
        total = report.total
        assert (total.total, total.done, total.pending) == (7, 3, 4)

    def test_a_running_period_is_judged_today(self, session: Session, office: Office) -> None:
        """Before the period ends the report's day is today: a deadline tomorrow is in time."""
        o = office
        o.assign(o.incoming(utc(2026, 1, 5, 2)), person=o.officer, due=date(2026, 1, 21))
        report = handling_stats.incoming(session=session, organization=o.org, start=Q1[0],
                                         end=Q1[1], today=date(2026, 1, 20))
        assert report.as_of == date(2026, 1, 20)
        assert _by_row(report) == {("Phòng Công chức", "Lê Văn Xử"): (1, 0, 0, 1, 0)}


class TestOutgoingHandling:
    def test_release_the_next_working_day_and_answer_deadlines(self, session: Session,
                                                               office: Office) -> None:
        """Issued by the working day after signing is on time (Friday → Monday), later is late;
        an answer issued after its assignment's due date is late; a signed document not issued
        after that day is overdue; drafts are pending in time; older untouched drafts are out."""
        o = office
        cert = SigningCertificate(person_id=o.deputy.id, fingerprint="ab" * 32, subject="CN=x",
                                  issuer="CN=ca", serial="1", valid_from=utc(2025, 1, 1),
                                  valid_until=utc(2027, 1, 1), der=b"x")
        session.add(cert)
        session.flush()

        def outgoing(created: datetime, status: DocumentStatus, *, issued: date | None = None,
                     signed: datetime | None = None, unit: str = "VP") -> Document:
            o.numbers += 1
            doc = Document(direction=Direction.OUTGOING, doc_type="cong_van", issuer_id=o.org.id,
                           drafting_unit=unit, subject=f"Văn bản đi {o.numbers}",
                           created_by_id=o.officer.id, created_at=created, status=status,
                           issue_date=issued, year=issued.year if issued else None,
                           number=o.numbers if issued else None,
                           symbol=f"{o.numbers}/SNV-{unit}" if issued else None)
            session.add(doc)
            session.flush()
            if signed is not None:
                pdf = DocumentFile(document_id=doc.id, kind="pdf", path=f"{doc.id}.pdf",
                                   sha256="0" * 64, size=1)
                session.add(pdf)
                session.flush()
                session.add(DocumentSignature(document_id=doc.id, role="person",
                                              person_id=o.deputy.id, certificate_id=cert.id,
                                              file_id=pdf.id, content_sha256="0" * 64,
                                              signed_at=signed))
                session.flush()
            return doc

        friday = utc(2026, 1, 9, 3)
        outgoing(utc(2026, 1, 3), DocumentStatus.ISSUED, issued=date(2026, 1, 12), signed=friday)
        outgoing(utc(2026, 1, 3), DocumentStatus.ISSUED, issued=date(2026, 1, 13), signed=friday)
        outgoing(utc(2026, 3, 20), DocumentStatus.SIGNED, signed=utc(2026, 3, 27, 3))
        outgoing(utc(2026, 3, 25), DocumentStatus.DRAFT, unit="NC")
        outgoing(utc(2025, 12, 20), DocumentStatus.ISSUED, issued=date(2026, 1, 2), unit="NC")
        answer = outgoing(utc(2026, 2, 1), DocumentStatus.ISSUED, issued=date(2026, 2, 11),
                          signed=utc(2026, 2, 10, 3), unit="NC")
        outgoing(utc(2025, 11, 1), DocumentStatus.DRAFT)  # neither drafted nor issued in Q1
        asked = o.incoming(utc(2026, 1, 20, 2))
        o.assign(asked, person=o.officer, due=date(2026, 2, 10),
                 done=utc(2026, 2, 11, 3)).answer_document_id = answer.id
        session.flush()

        report = handling_stats.outgoing(session=session, organization=o.org, start=Q1[0],
                                         end=Q1[1], today=AFTER_Q1, calendar=WorkingCalendar([]))
        assert _by_row(report) == {
            ("NC", "Lê Văn Xử"): (3, 1, 1, 1, 0),
            ("VP", "Lê Văn Xử"): (3, 1, 1, 0, 1),
        }

    def test_a_reversed_period_names_the_field(self, session: Session, office: Office) -> None:
        """A period whose start is after its end is refused, naming --from."""
        with pytest.raises(Exception, match="--from"):
            handling_stats.outgoing(session=session, organization=office.org, start=Q1[1],
                                    end=Q1[0])


class TestIndexes:
    def test_document_and_file_index(self, session: Session, office: Office) -> None:
        """The year's document index lists registered documents with their file codes (a secret
        one's subject only for a reader with the right); a file's index follows its order; the
        file index lists the year's files."""
        o = office
        first, second = o.incoming(utc(2026, 1, 5, 2)), o.incoming(utc(2026, 1, 6, 2))
        case_file = CaseFile(organization_id=o.org.id, year=2026, code="05.TCCB",
                             title="Hồ sơ tuyển dụng công chức năm 2026", retention_years=10,
                             handler_id=o.officer.id, unit_id=o.unit.id, opened_at=utc(2026, 1, 2))
        session.add(case_file)
        session.flush()
        for ordinal, doc in enumerate((second, first), start=1):
            session.add(CaseFileDocument(case_file_id=case_file.id, document_id=doc.id,
                                         ordinal=ordinal, added_at=utc(2026, 1, 7)))
        session.flush()
        year = indexes.document_index(session=session, organization=o.org, year=2026)
        assert [(r["stt"], r["so_ky_hieu"], r["ho_so"]) for r in year.rows] == [
            ("1", "1/STP-VP", "05.TCCB"), ("2", "2/STP-VP", "05.TCCB")]
        assert "đến số 01 ngày 05/01/2026" in year.rows[0]["ghi_chu"]
        in_file = indexes.document_index(session=session, organization=o.org, year=2026,
                                         case_file=case_file)
        assert [r["so_ky_hieu"] for r in in_file.rows] == ["2/STP-VP", "1/STP-VP"]
        o.incoming(utc(2026, 1, 8, 2), secrecy="MẬT", subject="V/v phương án bảo vệ")
        masked = indexes.document_index(session=session, organization=o.org, year=2026,
                                        reader=o.officer)
        shown = indexes.document_index(session=session, organization=o.org, year=2026,
                                       reader=o.deputy)  # the head of the office
        assert masked.rows[-1]["trich_yeu"].startswith("Công văn (MẬT: trích yếu chỉ hiện")
        assert shown.rows[-1]["trich_yeu"] == "Công văn: V/v phương án bảo vệ"
        files = indexes.file_index(session=session, organization=o.org, year=2026)
        assert [(r["ma"], r["bao_quan"], r["so_luong"], r["tinh_trang"]) for r in files.rows] == [
            ("05.TCCB", "10 năm", "2 văn bản", "Đang lập")]


class TestOutputs:
    def test_workbook_and_bao_cao(self, session: Session, office: Office) -> None:
        """The workbook has the ND30 heading, figures as numbers and text never as a formula;
        the Báo cáo (and the index's) passes the ND30 checker and prints the figures."""
        from openpyxl import load_workbook

        from doc_templates.check import check_docx
        from doc_templates.render import render_docx
        from reporting import appendix6

        o = office
        o.officer.full_name = "=HYPERLINK(\"http://x\")"
        o.assign(o.incoming(utc(2026, 1, 5, 2)), person=o.officer, due=date(2026, 1, 10),
                 done=utc(2026, 1, 9, 3))
        o.incoming(utc(2026, 1, 6, 2))
        report = handling_stats.incoming(session=session, organization=o.org, start=Q1[0],
                                         end=Q1[1], today=AFTER_Q1)
        sheet = load_workbook(io.BytesIO(appendix6.handling_xlsx(report))).active
        assert sheet is not None
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert values[0][4] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        assert "Quý I năm 2026" in values[4][0]
        assert "ngày 31 tháng 3 năm 2026" in values[5][0]
        total = next(r for r in values if r[0] == "Tổng cộng")
        assert total[3:] == [2, 1, 0, 1, 0]
        handler = next(c for row in sheet.iter_rows() for c in row
                       if c.value == o.officer.full_name)
        assert handler.data_type == "s"
        assert "tỷ lệ đúng hạn 100,0%" in appendix6.summary(report)

        docx = render_docx(appendix6.handling_spec(session=session, report=report,
                                                   signer=o.deputy, on=AFTER_Q1),
                           today=AFTER_Q1)
        assert [v for v in check_docx(docx) if v.severity == "error"] == []
        text = _docx_text(docx)
        assert "TÌNH HÌNH TIẾP NHẬN" in text.upper() and "quý I năm 2026" in text
        index = indexes.document_index(session=session, organization=o.org, year=2026)
        docx = render_docx(appendix6.index_spec(session=session, index=index, signer=o.deputy,
                                                on=AFTER_Q1), today=AFTER_Q1)
        assert [v for v in check_docx(docx) if v.severity == "error"] == []
        assert "1/STP-VP" in _docx_text(docx)
        sheet = load_workbook(io.BytesIO(appendix6.index_xlsx(index))).active
        assert sheet is not None
        rows = [[c.value for c in row] for row in sheet.iter_rows() if row[0].value]
        assert rows[-3][:2] == ["Số TT", "Số, ký hiệu văn bản"]
        assert rows[-2][:2] == ["1", "1/STP-VP"] and rows[-1][:2] == ["2", "2/STP-VP"]


class TestReportsCli:
    def test_handling_and_file_index_from_the_cli(self, fresh_sqlite_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        """`congvan reports handling` writes the workbook and prints the totals; `reports files`
        writes a checked Báo cáo; both are on the access log as exports; a bad suffix names
        --output. Without --as, or --as someone of another office or not a leader or văn thư,
        the report is refused and nothing is written."""
        from typer.testing import CliRunner

        from congvan.cli import app
        from congvan.settings import get_settings
        from registry import db
        from registry.models import AccessEvent

        for key, value in {"DATABASE_URL": fresh_sqlite_url, "HOME": str(tmp_path),
                           "FILES_DIR": str(tmp_path / "files")}.items():
            monkeypatch.setenv(f"CONGVAN_{key}", value)
        get_settings.cache_clear()
        db.configure(fresh_sqlite_url)
        with db.transaction() as session:
            org = factories.org(session, key="so-noi-vu", name="SỞ NỘI VỤ", text_name="Sở Nội vụ")
            register = factories.register(session, org, code="DEN", direction=Direction.INCOMING)
            factories.person(session, org, key="giam-doc", full_name="Trần Phó", roles=["leader"])
            factories.person(session, org, key="chuyen-vien", full_name="Lê Văn Viên",
                             roles=["reviewer"])
            other = factories.org(session, key="so-tai-chinh", name="SỞ TÀI CHÍNH")
            factories.person(session, other, key="giam-doc-tc", full_name="Phạm Tài",
                             roles=["leader"])
            session.add(Document(direction=Direction.INCOMING, status=DocumentStatus.RECEIVED,
                                 doc_type="cong_van", subject="V/v thi tuyển",
                                 register_id=register.id, number=1, year=2026,
                                 arrived_at=utc(2026, 2, 2, 2), due_date=date(2026, 2, 1)))
        runner = CliRunner()
        try:
            handling = ["reports", "handling", "--org", "so-noi-vu", "--period", "2026-Q1",
                        "-o", str(tmp_path / "q1.xlsx")]
            nobody = runner.invoke(app, handling)
            assert nobody.exit_code == 1 and "--as" in nobody.output
            for who, says in (("giam-doc-tc", "không thuộc đơn vị của SỞ NỘI VỤ"),
                              ("chuyen-vien", "không có vai trò lãnh đạo")):
                refused = runner.invoke(app, [*handling, "--as", who])
                assert refused.exit_code == 1 and says in " ".join(refused.output.split()), who
            assert not (tmp_path / "q1.xlsx").exists()
            done = runner.invoke(app, [*handling, "--as", "giam-doc"])
            assert done.exit_code == 0, done.output
            assert "quá hạn 1" in " ".join(done.output.split())
            files = runner.invoke(app, ["reports", "files", "--org", "so-noi-vu", "--year",
                                        "2026", "-o", str(tmp_path / "files.docx"),
                                        "--as", "giam-doc"])
            assert files.exit_code == 0, files.output
            bad = runner.invoke(app, ["reports", "files", "--org", "so-noi-vu", "--year", "2026",
                                      "-o", str(tmp_path / "files.ods"), "--as", "giam-doc"])
            assert bad.exit_code == 1 and "--output" in bad.output
        finally:
            get_settings.cache_clear()
        assert (tmp_path / "q1.xlsx").stat().st_size > 0
        with db.transaction() as session:
            assert [(e.act, e.detail["report"]) for e in session.query(AccessEvent)] == [
                ("export", "handling-in"), ("export", "file-index")]


def _docx_text(docx: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        xml = archive.read("word/document.xml").decode()
    return re.sub(r"<[^>]+>", "", xml)
