"""The web tests' world (no tests here): the 4267/BCĐ-NC cycle of Kon Tum, 2022.

An issued công văn sent to three district police units (one sent, one
acknowledged, one dead letter), a draft submitted for approval, and the
quarterly reports it asks for (one late, one submitted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from congvan.auth import passwords
from outbox.enqueue import enqueue_document
from registry import documents
from registry.models import (
    DeliveryStatus,
    Direction,
    DocumentFile,
    DocumentStatus,
    Person,
    ReportForm,
    ReportingDuty,
    ReportRequest,
    RequestStatus,
    Submission,
    UserAccount,
)
from signing import approvals
from tests import factories

PDF = b"%PDF-1.7\n% congvan web test\n%%EOF\n"
PASSWORD = "mật khẩu thử nghiệm 2026"  # every scenario account has it
SUBJECT = "V/v triển khai thực hiện Hướng dẫn số 22/HD-BCA-V05 của Bộ Công an"
DRAFT_SUBJECT = "V/v báo cáo kết quả thực hiện Hướng dẫn số 22/HD-BCA-V05 quý IV năm 2022"
FORM = {
    "code": "bc-138", "version": 1, "name": "Mẫu thống kê kết quả thực hiện HD 22",
    "indicators": [
        {"key": "mo_hinh", "label": "Tổng số mô hình", "unit": "mô hình", "min": 0,
         "max": 100000},
        {"key": "nguoi_tham_gia", "label": "Số người tham gia", "unit": "người", "min": 0},
    ],
}


@dataclass(frozen=True)
class World:
    issued_id: int
    draft_id: int
    file_id: int
    sent_id: int
    acknowledged_id: int
    dead_id: int
    late_request_id: int
    submitted_request_id: int
    chair_key: str
    clerk_key: str
    reporter_key: str
    pdf_sha256: str
    admin_key: str
    other_clerk_key: str
    other_leader_key: str
    other_draft_id: int


@lru_cache(maxsize=1)
def _hash() -> str:
    # argon2 is slow on purpose: hash the scenario's one password once per test run.
    return passwords.hash_password(PASSWORD)


def account(session: Session, person: Person) -> UserAccount:
    """An account for ``person``: login = person key, password = PASSWORD."""
    row = UserAccount(person=person, login=person.key, password_hash=_hash(), active=True,
                      must_change_password=False)
    session.add(row)
    session.flush()
    return row


def build(session: Session, files_root: Path) -> World:
    """Seed the world into ``session`` (flushes; the caller commits)."""
    issuer = factories.org(session, key="bcd-138", name="BAN CHỈ ĐẠO 138\nTỈNH KON TUM",
                           code="BCĐ", kind="advisory", header_parent="UBND TỈNH KON TUM",
                           place="Kon Tum", edxml_id="000.00.00.H34")
    factories.register(session, issuer)
    factories.register(session, issuer, code="DEN", name="Sổ đăng ký văn bản đến",
                       direction=Direction.INCOMING)
    chair = factories.person(session, issuer, key="le-ngoc-tuan", full_name="Lê Ngọc Tuấn",
                             title="TRƯỞNG BAN", roles=["leader"])
    factories.right(session, chair, issuer, authority="TM.", on_behalf_of="BAN CHỈ ĐẠO")
    clerk = factories.person(session, issuer, key="tran-thi-b", full_name="Trần Thị B",
                             title="VĂN THƯ", roles=["clerk"])
    units = [factories.org(session, key=f"ca-{slug}", name=f"CÔNG AN HUYỆN {name.upper()}",
                           code="CAH", kind="unit", email=f"ca.{slug}@example.test",
                           edxml_id=f"000.01.{i:02d}.H34")
             for i, (slug, name) in enumerate(
                 [("dak-ha", "Đăk Hà"), ("sa-thay", "Sa Thầy"), ("ngoc-hoi", "Ngọc Hồi")], 1)]

    # The reporter of the late unit: the JSON door files reports for the person's own unit.
    reporter = factories.person(session, units[2], key="hoang-van-e", full_name="Hoàng Văn E",
                                roles=["reporter"])
    issued = documents.create(
        session=session, doc_type="cong_van", issuer=issuer, drafting_unit="NC",
        subject=SUBJECT, created_by=clerk, due_date=dt.date(2022, 12, 30),
        recipients=[(f"Công an huyện {n}", u) for n, u in
                    zip(("Đăk Hà", "Sa Thầy", "Ngọc Hồi"), units, strict=True)]
        + [("Lưu: VT, NC.", None)],
    )
    files_root.mkdir(parents=True, exist_ok=True)
    (files_root / f"{issued.id}.signed.pdf").write_bytes(PDF)
    stored = DocumentFile(kind="signed_pdf", path=f"{issued.id}.signed.pdf", size=len(PDF),
                          sha256=hashlib.sha256(PDF).hexdigest())
    issued.files.append(stored)
    issued.signer = chair
    documents.issue_number(session=session, document=issued, on=dt.date(2022, 12, 16))
    issued.status = DocumentStatus.ISSUED
    session.flush()
    sent, acknowledged, dead = enqueue_document(session=session, document_id=issued.id)
    moment = dt.datetime(2022, 12, 16, 3, 0, tzinfo=UTC)
    for row in (sent, acknowledged):
        row.status, row.attempts, row.sent_at = DeliveryStatus.SENT, 1, moment
    dead.status, dead.attempts = DeliveryStatus.DEAD, 5
    dead.last_error = "550 5.1.1 Hộp thư ca.ngoc-hoi@example.test không tồn tại"
    acknowledged.status = DeliveryStatus.ACKNOWLEDGED
    acknowledged.acknowledged_at = moment + dt.timedelta(hours=2)

    draft = documents.create(
        session=session, doc_type="cong_van", issuer=issuer, drafting_unit="NC",
        subject=DRAFT_SUBJECT, body="Đề nghị các đơn vị báo cáo trước ngày 10 tháng 12.",
        created_by=clerk, recipients=[("Các thành viên Ban Chỉ đạo", None)],
    )
    approvals.submit(session=session, document_id=draft.id, actor=clerk,
                     files_root=files_root, today=dt.date(2022, 12, 1))

    form = ReportForm(code="bc-138", version=1, name="Mẫu thống kê kết quả thực hiện HD 22",
                      definition=FORM)
    session.add(form)
    session.flush()
    duty = ReportingDuty(form_id=form.id, collector_id=issuer.id, description="Báo cáo quý")
    session.add(duty)
    session.flush()
    late = ReportRequest(duty_id=duty.id, form_id=form.id, unit_id=units[2].id, period="2022-Q4",
                         period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 12, 31),
                         due_date=dt.date(2022, 12, 10), status=RequestStatus.OPEN,
                         reminders_sent=1)
    done = ReportRequest(duty_id=duty.id, form_id=form.id, unit_id=units[0].id, period="2022-Q4",
                         period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 12, 31),
                         due_date=dt.date(2022, 12, 10), status=RequestStatus.SUBMITTED)
    session.add_all([late, done])
    session.flush()
    session.add(Submission(request_id=done.id, unit_id=units[0].id,
                           values={"mo_hinh": 12, "nguoi_tham_gia": 1500},
                           channel="api", valid=True,
                           submitted_at=dt.datetime(2022, 12, 8, 2, 30, tzinfo=UTC)))
    session.flush()
    admin = factories.person(session, issuer, key="quan-tri-vien", full_name="Phạm Quản Trị",
                             title="CHUYÊN VIÊN", roles=["admin"])

    # Another organisation with its own draft: nothing of it is ours to see.
    other = factories.org(session, key="ubnd-sa-thay", name="ỦY BAN NHÂN DÂN\nHUYỆN SA THẦY",
                          code="UBND", kind="body", place="Sa Thầy")
    factories.register(session, other)
    other_leader = factories.person(session, other, key="nguyen-van-c", full_name="Nguyễn Văn C",
                                    title="CHỦ TỊCH", roles=["leader"])
    factories.right(session, other_leader, other)
    other_clerk = factories.person(session, other, key="do-thi-d", full_name="Đỗ Thị D",
                                   title="VĂN THƯ", roles=["clerk"])
    other_draft = documents.create(
        session=session, doc_type="cong_van", issuer=other, drafting_unit="VP",
        subject="V/v dự thảo nội bộ của huyện Sa Thầy", body="Nội dung nội bộ.",
        created_by=other_clerk, recipients=[("Các phòng, ban", None)],
    )
    approvals.submit(session=session, document_id=other_draft.id, actor=other_clerk,
                     files_root=files_root, today=dt.date(2022, 12, 1))
    for who in (chair, clerk, reporter, admin, other_leader, other_clerk):
        account(session, who)
    return World(issued.id, draft.id, stored.id, sent.id, acknowledged.id, dead.id, late.id,
                 done.id, chair.key, clerk.key, reporter.key, stored.sha256, admin.key,
                 other_clerk.key, other_leader.key, other_draft.id)
