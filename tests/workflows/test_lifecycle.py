"""The reporting lifecycle: forms, xlsx door, deadlines, reminders, the whole Kon Tum cycle."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outbox import registers
from registry import db
from registry.calendar import WorkingCalendar
from registry.errors import PermissionDenied
from registry.models import (
    Delivery,
    Document,
    DocumentStatus,
    Organization,
    Reminder,
    ReportRequest,
    ReviewStep,
    Submission,
)
from reporting import scenario, submissions, xlsx
from reporting.forms import parse_form
from reporting.requests import due_for
from workflows import steps

FORM = parse_form(scenario.form_dict())
SETTINGS = dict(channels=["folder"])


def _instructed(files_dir: Path, **kw: object) -> tuple[int, int, steps.CycleSettings]:
    settings = steps.CycleSettings(files_dir=str(files_dir), **SETTINGS)
    gid = steps.receive_guidance(scenario.guidance())
    iid = steps.draft_instruction(scenario.instruction(gid, reporting_unit_keys=scenario.DISTRICTS),
                                  settings)
    steps.record_decision(iid, "le-ngoc-tuan")
    steps.issue(iid, date(2022, 12, 16), settings)
    for duty_id, period, units in steps.instruction_plan(iid, ["2023-Q4"]):
        steps.open_requests_chunk(duty_id, period, units)
    return gid, iid, settings


def _workbook(request_id: int, values: dict) -> tuple[bytes, str]:
    with db.transaction() as s:
        r = s.get(ReportRequest, request_id)
        wb = xlsx.build_workbook(FORM, unit_name=r.unit.name, unit_key=r.unit.key,
                                 period_key=r.period, period_label="Quý IV năm 2023",
                                 request_id=r.id, due=str(r.due_date))
        return xlsx.fill_workbook(wb, values, FORM), r.unit.key


def _count(model: type) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


class TestDeadlines:
    @pytest.mark.parametrize(("policy", "period", "expected"), [
        ({"kind": "quarterly"}, "2026-Q1", date(2026, 3, 10)),
        ({"kind": "quarterly"}, "2026-Q2", date(2026, 6, 10)),
        ({"kind": "quarterly"}, "2026-Q3", date(2026, 9, 10)),
        ({"kind": "quarterly"}, "2026-Q4", date(2026, 12, 10)),
        ({"kind": "six_month"}, "2026-H1", date(2026, 5, 11)),  # 10/5/2026 is a Sunday
        ({"kind": "annual"}, "2026", date(2026, 11, 10)),
        ({"kind": "quarterly"}, "2027-Q1", date(2027, 3, 10)),
        ({"kind": "quarterly"}, "2027-Q2", date(2027, 6, 10)),
        ({"kind": "quarterly"}, "2027-Q3", date(2027, 9, 10)),
        ({"kind": "quarterly"}, "2027-Q4", date(2027, 12, 10)),
        ({"kind": "six_month"}, "2027-H1", date(2027, 5, 10)),
        ({"kind": "annual"}, "2027", date(2027, 11, 10)),
    ])
    def test_due_dates_2026_2027(self, policy: dict, period: str, expected: date) -> None:
        """Each period's due date is the policy's day, rolled to the next working day."""
        _, due = due_for(duty_policy=policy, period_key=period, calendar=WorkingCalendar())
        assert due == expected


class TestApproval:
    def test_instruction_awaits_its_signer(self, kontum_url: str, files_dir: Path) -> None:
        """A drafted instruction is submitted to its signer, with a rendered draft version."""
        settings = steps.CycleSettings(files_dir=str(files_dir), **SETTINGS)
        gid = steps.receive_guidance(scenario.guidance())
        iid = steps.draft_instruction(scenario.instruction(gid), settings)
        assert steps.status_of(iid) == "submitted"
        assert steps.issue(iid, date(2022, 12, 16), settings) is None  # approval is data
        with db.transaction() as s:
            doc = s.get(Document, iid)
            assert [v.version for v in doc.versions] == [1]
            assert (files_dir / doc.versions[0].docx_path).is_file()

    def test_return_then_resubmit(self, kontum_url: str, files_dir: Path) -> None:
        """A returned instruction keeps the comment and goes back to the same reviewer."""
        from reporting import drafting

        settings = steps.CycleSettings(files_dir=str(files_dir), **SETTINGS)
        gid = steps.receive_guidance(scenario.guidance())
        iid = steps.draft_instruction(scenario.instruction(gid), settings)
        assert steps.record_decision(iid, "le-ngoc-tuan", approve=False,
                                     comment="Bổ sung hạn báo cáo") == "returned"
        with db.transaction() as s:
            assert s.get(Document, iid).versions[0].comment == "Bổ sung hạn báo cáo"
            drafting.submit(session=s, document_id=iid, files_root=files_dir)
        assert steps.record_decision(iid, "le-ngoc-tuan") == "signed"

    def test_reviewer_cannot_decide_out_of_turn(self, kontum_url: str, files_dir: Path) -> None:
        """Someone who is not the reviewer whose turn it is cannot approve."""
        settings = steps.CycleSettings(files_dir=str(files_dir), **SETTINGS)
        gid = steps.receive_guidance(scenario.guidance())
        iid = steps.draft_instruction(scenario.instruction(gid), settings)
        with pytest.raises(PermissionDenied, match="chờ Lê Ngọc Tuấn"):
            steps.record_decision(iid, "tham-dinh-pv05")
        assert steps.status_of(iid) == "submitted"


@pytest.mark.libreoffice
@pytest.mark.usefixtures("issuing_tools")
class TestXlsxDoor:
    def test_wrong_sheet_refused(self, kontum_url: str, files_dir: Path) -> None:
        """A workbook without the form's sheet is refused and nothing is stored."""
        from openpyxl import Workbook

        _instructed(files_dir)
        buf = io.BytesIO()
        Workbook().save(buf)
        with db.transaction() as s:
            receipt = submissions.submit_xlsx(session=s, data=buf.getvalue(),
                                              unit_key="bcd-kontum.dakto", files_dir=files_dir)
        assert not receipt.ok and "MauThongKe" in receipt.message
        assert _count(Submission) == 0

    def test_text_in_number_cell_names_the_cell(self, kontum_url: str, files_dir: Path) -> None:
        """Text in a number cell is refused with the cell named and nothing stored."""
        _instructed(files_dir)
        rid = steps.request_ids(1, "2023-Q4")[0][0]
        data, unit = _workbook(rid, {**scenario.sample_values(1), "participants": "nhiều"})
        with db.transaction() as s:
            receipt = submissions.submit_xlsx(session=s, data=data, unit_key=unit,
                                              files_dir=files_dir)
        assert not receipt.ok and f"ô {FORM.cell('participants')}" in receipt.message
        assert _count(Submission) == 0 and not (files_dir / "submissions").exists()

    def test_zip_bomb_refused_before_openpyxl(self) -> None:
        """A zip declaring a huge uncompressed size is refused from its directory alone."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
        with pytest.raises(xlsx.XlsxRejected, match="giải nén"):
            xlsx.guard_zip(buf.getvalue())

    def test_50_mb_file_refused(self) -> None:
        """A 50 MB upload is refused by size."""
        with pytest.raises(xlsx.XlsxRejected, match="MB"):
            xlsx.guard_zip(b"PK" + b"\0" * (50 * 1024 * 1024))

    def test_other_units_request_refused(self, kontum_url: str, files_dir: Path) -> None:
        """A submission for another unit's request is refused and nothing is stored."""
        _instructed(files_dir)
        (rid, owner), (_, other) = steps.request_ids(1, "2023-Q4")[:2]
        with pytest.raises(PermissionDenied, match=owner), db.transaction() as s:
            submissions.submit_json(session=s, request_id=rid, unit_key=other,
                                    values=scenario.sample_values(1))
        assert _count(Submission) == 0

    def test_resubmission_replaces_and_keeps(self, kontum_url: str, files_dir: Path) -> None:
        """A resubmission becomes current and the earlier one is kept."""
        _instructed(files_dir)
        rid, unit = steps.request_ids(1, "2023-Q4")[0]
        for n in (1, 2):
            with db.transaction() as s:
                assert submissions.submit_json(session=s, request_id=rid, unit_key=unit,
                                               values=scenario.sample_values(n)).ok
        with db.transaction() as s:
            rows = s.scalars(select(Submission).order_by(Submission.id)).all()
            assert [r.current for r in rows] == [False, True]


@pytest.mark.libreoffice
class TestPrefectCycle:
    def test_kontum_cycle(self, prefect_harness: None, kontum_url: str, files_dir: Path,
                          issuing_tools: object) -> None:
        """The Kon Tum Q4 cycle: 8 of 10 districts report (one after a correction), 2 reminded
        once each even when the reminder flow runs again, the report issued and forwarded."""
        from workflows.collect import Upload
        from workflows.instruct_units import instruct_units, issue_instruction
        from workflows.quarterly_cycle import quarterly_cycle
        from workflows.receive_guidance import receive_guidance
        from workflows.remind_late_units import remind_late_units

        settings = steps.CycleSettings(files_dir=str(files_dir), **SETTINGS)
        gid = receive_guidance(scenario.guidance())
        iid = instruct_units(scenario.instruction(gid, reporting_unit_keys=scenario.DISTRICTS),
                             settings)
        assert steps.status_of(iid) == "submitted"  # awaiting approval: the flow has ended
        steps.record_decision(iid, "le-ngoc-tuan")
        assert issue_instruction(iid, date(2022, 12, 16), settings, ["2023-Q4"]) == 10
        reqs = steps.request_ids(1, "2023-Q4")
        uploads = []
        for n, (rid, _unit) in enumerate(reqs[:8]):
            values = scenario.sample_values(n)
            if n == 3:
                values = {**values, "models_total": values["models_total"] + 1}
            data, unit = _workbook(rid, values)
            path = files_dir / f"in-{n}.xlsx"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            uploads.append(Upload(path=str(path), unit_key=unit))
        summary = quarterly_cycle(iid, "2023-Q4", "le-ngoc-tuan", "bca",
                                  today=date(2023, 12, 6), uploads=uploads, settings=settings)
        answers = summary["answers"]
        assert [a.ok for a in answers].count(False) == 1 and "D6" in answers[3].message
        fixed, unit = _workbook(reqs[3][0], scenario.sample_values(3))
        with db.transaction() as s:
            assert submissions.submit_xlsx(session=s, data=fixed, unit_key=unit).ok
        late_day = date(2023, 12, 12)
        first = remind_late_units(1, "2023-Q4", "le-ngoc-tuan", today=late_day, settings=settings)
        again = remind_late_units(1, "2023-Q4", "le-ngoc-tuan", today=late_day, settings=settings)
        assert first["don_doc"] is not None and again["don_doc"] is None
        with db.transaction() as s:
            stages = s.execute(select(Reminder.stage, func.count()).group_by(Reminder.stage)).all()
        assert dict(stages)["don_doc"] == 2
        assert steps.record_decision(first["don_doc"], "le-ngoc-tuan") == "signed"
        first_number = steps.issue(first["don_doc"], late_day, settings)
        assert first_number
        summary = quarterly_cycle(iid, "2023-Q4", "le-ngoc-tuan", "bca",
                                  today=date(2023, 12, 19), settings=settings)
        report_id = summary["reports"][0]
        assert steps.status_of(report_id) == "submitted"
        steps.record_decision(report_id, "le-ngoc-tuan")
        assert steps.reconcile(date(2023, 12, 20), settings)
        figures = steps.figures(1, "2023-Q4")
        assert figures.coverage == "8/10" and len(figures.missing) == 2
        with db.transaction() as s:
            report = s.get(Document, report_id)
            assert report.number_symbol.endswith("BC-BCĐ")
            assert "8/10" in report.body and "%" in report.body
            to_bca = s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.document_id == report_id))
        assert to_bca == 1
        with db.transaction() as s:
            self._assert_signed_twice(s, [iid, first["don_doc"], report_id], files_dir)
            steps_rows = s.scalars(select(ReviewStep).where(ReviewStep.document_id == report_id))
            assert [(r.reviewer.key, r.decision) for r in steps_rows] == [
                ("le-ngoc-tuan", "approved")]
            bcd = s.scalar(select(Organization).where(Organization.key == "bcd-kontum"))
            register = registers.outgoing_rows(session=s, organization_id=bcd.id, year=2023,
                                               reader=None)
            report_number = s.get(Document, report_id).number_symbol
        assert [row["so_ky_hieu"] for row in register] == [first_number, report_number]

    @staticmethod
    def _assert_signed_twice(s: object, ids: list[int], files_dir: Path) -> None:
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature

        for document_id in ids:
            doc = s.get(Document, document_id)
            assert doc.status is DocumentStatus.ISSUED
            (pdf,) = [f for f in doc.files if f.kind == "signed_pdf"]
            sigs = PdfFileReader(io.BytesIO((files_dir / pdf.path).read_bytes())
                                 ).embedded_signatures
            assert [sig.field_name for sig in sigs] == ["ChuKyNguoiKy", "ChuKyCoQuan"]
            assert all(validate_pdf_signature(sig).intact for sig in sigs)
