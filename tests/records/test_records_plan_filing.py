"""Records (hồ sơ): the year's file plan and filing documents by reference."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outbox import registers
from records import casefiles, plan
from registry.errors import InvalidTransition, PermissionDenied
from registry.models import AuditEvent, CaseFileDocument, Document, DocumentStatus
from tests.records.records_rows import NOW, Office, draft, issued

PLAN_YAML = """\
organization: ignored-here
year: 2026
files:
  - title: "I. TỔNG HỢP"
  - code: 01.10
    title: Hồ sơ báo cáo quý về phòng, chống tội phạm
    retention: 10 năm
    unit: {unit}
    doc_types: [bao_cao]
    keywords: [báo cáo quý]
  - code: yes
    title: Hồ sơ mô hình điển hình
    retention: vĩnh viễn
    keywords: mô hình, điển hình
"""


def _rows(session: Session, text: str, office: Office) -> list[plan.PlanRow]:
    data = text.format(unit=office.unit.key).encode()
    return plan.check_rows(session=session, plan_file=plan.read_yaml(data, source="dm.yaml"),
                           source="dm.yaml")


def _xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([h for h, _ in plan.COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class TestPlanImport:
    def test_yaml_values_stay_text(self, session: Session, office: Office) -> None:
        """YAML 1.1 traps do not apply: 01.10 and yes stay the codes typed, sections kept."""
        rows = _rows(session, PLAN_YAML, office)
        stored = plan.import_plan(session=session, organization=office.org, year=2026,
                                  rows=rows, actor=office.clerk)
        assert [(e.code, e.section, e.retention_years, e.permanent) for e in stored.entries] == [
            ("01.10", "I. TỔNG HỢP", 10, False), ("yes", "I. TỔNG HỢP", None, True)]
        assert stored.entries[1].keywords == ["mô hình", "điển hình"]

    def test_bad_row_names_row_and_field(self, session: Session, office: Office) -> None:
        """A bad retention and an unknown unit are refused with their line and column."""
        text = PLAN_YAML.replace("10 năm", "mười năm").replace("{unit}", "khong-co")
        with pytest.raises(plan.PlanFileError) as caught:
            _rows(session, text, office)
        problems = caught.value.problems
        assert ("dòng 5", "Thời hạn bảo quản") in [(r, c) for r, c, _ in problems]
        assert ("dòng 5", "Đơn vị lập hồ sơ") in [(r, c) for r, c, _ in problems]
        assert "dòng 5, cột «Thời hạn bảo quản»" in str(caught.value)

    def test_spreadsheet_formula_and_number_code_refused(self, session: Session,
                                                        office: Office) -> None:
        """A formula cell and a code Excel turned into a number name their row and column."""
        data = _xlsx(["01.TH", '=HYPERLINK("http://x","y")', "5"], [1.1, "Hồ sơ B", "5"])
        with pytest.raises(plan.PlanFileError) as caught:
            plan.check_rows(session=session, plan_file=plan.read_xlsx(data, source="dm.xlsx"),
                            source="dm.xlsx")
        where = [(r, c) for r, c, _ in caught.value.problems]
        assert ("dòng 2", "Tên đề mục và tiêu đề hồ sơ") in where
        assert ("dòng 3", "Số và ký hiệu hồ sơ") in where

    def test_zip_bomb_workbook_refused(self, session: Session, office: Office) -> None:
        """A workbook whose sheet inflates 1000:1 is refused from the zip directory alone."""
        import zipfile

        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b" " * 20_000_000)
        with pytest.raises(plan.PlanFileError, match="nén độc hại"):
            plan.read_xlsx(bomb.getvalue(), source="bom.xlsx")

    def test_yaml_alias_refused(self, session: Session, office: Office) -> None:
        """Anchors and aliases are refused before anything is built."""
        with pytest.raises(plan.PlanFileError, match="bí danh"):
            plan.read_yaml(b"files:\n  - &a {code: x, title: y}\n  - *a\n", source="a.yaml")

    def test_exports_read_back_unchanged(self, session: Session, office: Office) -> None:
        """.xlsx and YAML exports import back to the same lines; a title with '=' is text."""
        stored = plan.import_plan(session=session, organization=office.org, year=2026,
                                  rows=_rows(session, PLAN_YAML, office), actor=office.clerk)
        xlsx = plan.export_xlsx(stored)
        for reread in (plan.read_yaml(plan.export_yaml(stored), source="x.yaml"),
                       plan.read_xlsx(xlsx, source="x.xlsx")):
            back = plan.check_rows(session=session, plan_file=reread, source="x")
            assert [(r.code, r.title, r.retention_years, r.permanent, r.unit_key)
                    for r in back] == [
                ("", "I. TỔNG HỢP", None, False, ""),
                ("01.10", "Hồ sơ báo cáo quý về phòng, chống tội phạm", 10, False,
                 office.unit.key),
                ("yes", "Hồ sơ mô hình điển hình", None, True, "")]
        stored.entries[1].title = '=HYPERLINK("http://x","y")'
        cell = load_workbook(io.BytesIO(plan.export_xlsx(stored))).active["B5"]  # type: ignore[index]
        assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


class TestApproval:
    def test_head_approves_and_it_is_audited(self, session: Session, office: Office) -> None:
        """The head (TM.) approves; a deputy (KT.) and a clerk may not; the act is audited."""
        stored = plan.import_plan(session=session, organization=office.org, year=2026,
                                  rows=_rows(session, PLAN_YAML, office), actor=office.clerk)
        for who in (office.deputy, office.clerk):
            with pytest.raises(PermissionDenied):
                plan.approve(session=session, plan=stored, actor=who, now=NOW)
        plan.approve(session=session, plan=stored, actor=office.head, now=NOW)
        assert stored.status == "approved" and stored.approved_by_id == office.head.id
        assert session.scalar(select(AuditEvent.actor_id).where(
            AuditEvent.action == "records.plan_approve")) == office.head.id
        with pytest.raises(InvalidTransition):
            plan.import_plan(session=session, organization=office.org, year=2026, rows=[],
                             actor=office.clerk)


@pytest.fixture
def approved(session: Session, office: Office) -> None:
    stored = plan.import_plan(session=session, organization=office.org, year=2026,
                              rows=_rows(session, PLAN_YAML, office), actor=office.clerk)
    plan.approve(session=session, plan=stored, actor=office.head, now=NOW)


@pytest.mark.usefixtures("approved")
class TestFiling:
    def test_document_in_two_files_exists_once(self, session: Session, office: Office) -> None:
        """Filing into two files adds two links and no document; filing again changes nothing."""
        doc = issued(session, office, doc_type="bao_cao", subject="Báo cáo quý I")
        before = session.scalar(select(func.count(Document.id)))
        first = casefiles.open_or_get(session=session, organization=office.org, year=2026,
                                      code="01.10", actor=office.clerk, now=NOW)
        second = casefiles.open_unplanned(
            session=session, organization=office.org, year=2026, code="99.KH",
            title="Hồ sơ ngoài danh mục", retention_years=5, permanent=False, unit=None,
            actor=office.clerk, now=NOW)
        for case_file in (first, second, first):
            casefiles.file_document(session=session, case_file=case_file, document=doc,
                                    actor=office.clerk, now=NOW)
        assert session.scalar(select(func.count(Document.id))) == before
        assert session.scalar(select(func.count(CaseFileDocument.id)).where(
            CaseFileDocument.document_id == doc.id)) == 2
        assert [f.code for f in casefiles.files_of(session=session, document_id=doc.id)] == [
            "01.10", "99.KH"]
        assert [f.code for f in casefiles.mine(session=session, actor=office.clerk)] == [
            "01.10", "99.KH"]
        [row] = registers.outgoing_rows(session=session, organization_id=office.org.id,
                                        year=2026, reader=None)
        assert row["ho_so"] == "01.10\n99.KH"

    def test_proposal_by_type_subject_and_unit(self, session: Session, office: Office) -> None:
        """A report whose subject names the plan's words is proposed that plan line first."""
        found = casefiles.propose(session=session, organization_id=office.org.id, year=2026,
                                  doc_type="bao_cao", subject="Báo cáo quý I năm 2026",
                                  drafting_unit=office.unit.code)
        assert [p.entry.code for p in found] == ["01.10"]
        assert found[0].reasons == ["loại văn bản", "trích yếu có: báo cáo quý",
                                    "đơn vị soạn thảo"]
        other = casefiles.propose(session=session, organization_id=office.org.id, year=2026,
                                  doc_type="cong_van", subject="V/v xây dựng mô hình")
        assert [p.entry.code for p in other] == ["yes"]

    def test_recall_freezes_links_and_handover_is_read_only(self, session: Session,
                                                           office: Office) -> None:
        """A recalled document's link cannot be removed; a handed-over file cannot change."""
        doc = issued(session, office)
        case_file = casefiles.open_or_get(session=session, organization=office.org, year=2026,
                                          code="01.10", actor=office.clerk, now=NOW)
        link = casefiles.file_document(session=session, case_file=case_file, document=doc,
                                       actor=office.clerk, now=NOW)
        doc.status = DocumentStatus.REVOKED
        session.flush()
        assert link.frozen is True
        with pytest.raises(InvalidTransition, match="đóng băng"), session.begin_nested():
            session.delete(link)

    def test_handed_over_file_refuses_changes(self, session: Session, office: Office) -> None:
        """After handover the file and its links are read-only, whatever the door."""
        doc, other = issued(session, office), draft(session, office)
        case_file = casefiles.open_or_get(session=session, organization=office.org, year=2026,
                                          code="01.10", actor=office.clerk, now=NOW)
        casefiles.file_document(session=session, case_file=case_file, document=doc,
                                actor=office.clerk, now=NOW)
        case_file.status = "handed_over"
        session.flush()
        with pytest.raises(InvalidTransition, match="chỉ được đọc"), session.begin_nested():
            case_file.title = "Đổi tên"
        with pytest.raises(InvalidTransition, match="nộp lưu"), session.begin_nested():
            session.add(CaseFileDocument(case_file_id=case_file.id, document_id=other.id,
                                         ordinal=9, added_at=NOW))
