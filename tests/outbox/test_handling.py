"""Handling incoming documents: present, assign (bút phê), progress, done, reminders, register."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outbox import handling, registers
from outbox.channels.edxml import to_edxml
from outbox.compose import response_for
from outbox.edxml.build import build_document
from outbox.handling import Assignee
from outbox.intake import corrected, paper, read_file, register_incoming
from registry import documents
from registry.errors import InvalidTransition, PermissionDenied, ValidationError
from registry.models import Delivery, Direction, Document, HandlingEvent, Notice
from tests import factories
from tests.outbox.conftest import issued_document, make_message

ARRIVED = datetime(2023, 1, 6, 2, 15, tzinfo=UTC)


class Office:
    """A committee with its incoming register, a clerk, a leader, a unit with a handler."""

    def __init__(self, session: Session, tmp_path: Path) -> None:
        self.answer = issued_document(session, tmp_path / "files", recipients=1)
        assert self.answer.issuer is not None
        self.org = self.answer.issuer
        factories.register(session, self.org, code="DEN", direction=Direction.INCOMING)
        self.unit = factories.org(session, name="PHÒNG NỘI CHÍNH", parent_id=self.org.id,
                                  kind="unit")
        self.clerk = factories.person(session, self.org, roles=["clerk"])
        self.leader = factories.person(session, self.org, roles=["leader"])
        self.handler = factories.person(session, self.unit, roles=["reporter"])
        self.other = factories.person(session, self.org, roles=["reporter"])
        incoming = corrected(paper(), number="152", symbol="CAH-TH", date_="05/01/2023",
                             issuer="CÔNG AN HUYỆN ĐĂK HÀ", subject="V/v đề nghị hướng dẫn")
        self.doc = register_incoming(session=session, organization_id=self.org.id,
                                     incoming=incoming, arrived_at=ARRIVED,
                                     files_root=tmp_path).document


@pytest.fixture
def office(session: Session, tmp_path: Path) -> Office:
    return Office(session, tmp_path)


def assign(session: Session, office: Office, **kw: object) -> list[object]:
    values: dict[str, object] = {
        "session": session, "document_id": office.doc.id, "leader": office.leader,
        "main": Assignee(organization=office.unit), "due": date(2023, 1, 16),
        "opinion": "Giao Phòng Nội chính chủ trì, trả lời trước ngày 16/01.",
        "inform": [Assignee(person=office.other)]}
    values.update(kw)
    return handling.assign(**values)  # type: ignore[arg-type]


class TestAuthority:
    def test_only_a_leader_assigns(self, session: Session, office: Office) -> None:
        """The clerk cannot assign; the message says only a leader of the office may."""
        with pytest.raises(PermissionDenied, match="chỉ lãnh đạo"):
            assign(session, office, leader=office.clerk)

    def test_only_the_assignee_records_progress(self, session: Session, office: Office) -> None:
        """Someone not in the assigned unit cannot record progress or completion."""
        assign(session, office)
        with pytest.raises(PermissionDenied, match="PHÒNG NỘI CHÍNH"):
            handling.progress(session=session, document_id=office.doc.id, actor=office.other,
                              note="Đang làm")
        with pytest.raises(PermissionDenied):
            handling.done(session=session, document_id=office.doc.id, actor=office.leader,
                          result="Xong")

    def test_clerk_presents_to_a_leader(self, session: Session, office: Office) -> None:
        """The văn thư presents to a leader; presenting to someone who is not one is refused."""
        event = handling.present(session=session, document_id=office.doc.id,
                                 clerk=office.clerk, leader=office.leader)
        assert event.to_person_id == office.leader.id
        with pytest.raises(PermissionDenied, match="không phải lãnh đạo"):
            handling.present(session=session, document_id=office.doc.id, clerk=office.clerk,
                             leader=office.other)

    def test_due_before_arrival_is_refused(self, session: Session, office: Office) -> None:
        """A due date before the document arrived names --due."""
        with pytest.raises(ValidationError, match="--due"):
            assign(session, office, due=date(2023, 1, 2))

    def test_outgoing_document_cannot_be_assigned(self, session: Session,
                                                  office: Office) -> None:
        """Only a registered incoming document is handled."""
        with pytest.raises(InvalidTransition, match="không phải văn bản đến"):
            assign(session, office, document_id=office.answer.id)


class TestLifecycle:
    def test_assign_progress_answer(self, session: Session, office: Office) -> None:
        """Assigned with a due date and opinion, progress signs for it, the answer is linked."""
        seen: list[str] = []

        def hook(_session: Session, event: HandlingEvent) -> None:
            seen.append(handling.EDXML_STATUS.get(event.kind, "-"))

        handling.on_transition(hook)
        try:
            rows = assign(session, office)
            handling.progress(session=session, document_id=office.doc.id,
                              actor=office.handler, note="Đã dự thảo công văn trả lời",
                              now=datetime(2023, 1, 9, 3, tzinfo=UTC))
            main = handling.done(session=session, document_id=office.doc.id,
                                 actor=office.handler, answer_document_id=office.answer.id)
        finally:
            handling.remove_hook(hook)
        assert [r.role for r in rows] == ["main", "inform"]  # type: ignore[attr-defined]
        assert main.status == "done" and main.answer_document_id == office.answer.id
        assert main.result == f"Trả lời bằng văn bản {office.answer.number_symbol}"
        assert seen == ["04", "05", "06"]
        [link] = documents.links(session=session, document_id=office.doc.id)
        assert (link.from_id, link.to_id, link.kind) == (office.answer.id, office.doc.id,
                                                         "answers")

    def test_answer_must_be_issued_outgoing(self, session: Session, office: Office) -> None:
        """Recording the incoming document itself as its answer is refused."""
        assign(session, office)
        with pytest.raises(InvalidTransition, match="văn bản đi đã ban hành"):
            handling.done(session=session, document_id=office.doc.id, actor=office.handler,
                          answer_document_id=office.doc.id)

    def test_reassignment_replaces_the_open_one(self, session: Session, office: Office) -> None:
        """A second assignment replaces the first; the first assignee may no longer act."""
        assign(session, office)
        assign(session, office, main=Assignee(person=office.other), inform=[])
        with pytest.raises(PermissionDenied, match=office.other.full_name):
            handling.progress(session=session, document_id=office.doc.id,
                              actor=office.handler, note="x")
        handling.progress(session=session, document_id=office.doc.id, actor=office.other,
                          note="Tôi làm")


class TestEdxmlStatuses:
    def test_edxml_document_reports_04_05_06(self, session: Session, tmp_path: Path) -> None:
        """A document that came through edXML queues Status 04, 05 and 06 to its sender as it
        is assigned, progressed and finished; a paper one queues none."""
        office = Office(session, tmp_path)
        sender = factories.org(session, name="CÔNG AN HUYỆN ĐĂK HÀ", edxml_id="000.01.34.H34")
        message = make_message(sender=make_message().recipient, recipient=make_message().sender,
                               number="153", symbol="BC-CAH", subject="Báo cáo quý IV",
                               issued_date=date(2023, 1, 5))
        package = tmp_path / "goi.edxml"
        package.write_bytes(build_document(to_edxml(message)))
        doc = register_incoming(session=session, organization_id=office.org.id,
                                incoming=read_file(package), arrived_at=ARRIVED,
                                files_root=tmp_path).document
        assert doc.sender_id == sender.id
        for target in (doc, office.doc):
            handling.assign(session=session, document_id=target.id, leader=office.leader,
                            main=Assignee(person=office.handler), due=date(2023, 1, 16))
            handling.progress(session=session, document_id=target.id, actor=office.handler,
                              note="Đang làm")
        handling.done(session=session, document_id=doc.id, actor=office.handler,
                      answer_document_id=office.answer.id)
        handling.done(session=session, document_id=office.doc.id, actor=office.handler,
                      result="Xong")
        # The answer sent by edXML names what it answers (ResponseFor = the sender's DocumentId).
        assert response_for(office.answer) == "000.01.34.H34,2023/01/05,153/BC-CAH"
        kinds = sorted(d.kind for d in session.scalars(select(Delivery).where(
            Delivery.document_id == doc.id)))
        assert kinds == ["status:04", "status:05", "status:06"]
        assert session.scalars(select(Delivery).where(
            Delivery.document_id == office.doc.id)).all() == []


class TestRegisterColumns:
    def test_columns_filled(self, session: Session, office: Office) -> None:
        """'Đơn vị hoặc người nhận', 'Ngày chuyển' and 'Ký nhận' come from the handling."""
        assign(session, office, now=datetime(2023, 1, 6, 3, tzinfo=UTC))
        handling.acknowledge(session=session, document_id=office.doc.id, actor=office.handler,
                             now=datetime(2023, 1, 6, 8, 30, tzinfo=UTC))
        [row] = registers.incoming_rows(session=session, organization_id=office.org.id,
                                        year=2023, reader=None)
        assert row["don_vi_nhan"] == (f"PHÒNG NỘI CHÍNH (chủ trì)\n{office.other.full_name} "
                                      f"({office.org.name_in_text}) (để biết)")
        assert row["ngay_chuyen"] == "06/01/2023"
        assert row["ky_nhan"] == f"{office.handler.full_name} 15:30 06/01/2023"
        assert "Đã giao, hạn 16/01/2023" in row["ghi_chu"]


class TestReminders:
    def test_overdue_reminded_once_per_due_date(self, session: Session,
                                                office: Office) -> None:
        """An overdue handler gets one notice through the outbox, not one per run."""
        assign(session, office)
        assert handling.remind_overdue(session=session, today=date(2023, 1, 16)) == []
        first = handling.remind_overdue(session=session, today=date(2023, 1, 17))
        again = handling.remind_overdue(session=session, today=date(2023, 1, 18))
        assert [d.recipient_id for d in first] == [office.unit.id] and again == []
        notice = session.scalar(select(Notice).join(Delivery).where(
            Delivery.id == first[0].id))
        assert notice is not None and "quá hạn 1 ngày" in notice.body
        assert "Giao Phòng Nội chính chủ trì" in notice.body

    def test_done_is_not_reminded(self, session: Session, office: Office) -> None:
        """A finished assignment is never overdue."""
        assign(session, office)
        handling.done(session=session, document_id=office.doc.id, actor=office.handler,
                      result="Đã trả lời qua điện thoại")
        assert handling.overdue(session=session, today=date(2023, 2, 1)) == []


class TestListing:
    def test_search_finds_subject_and_shows_main(self, session: Session,
                                                 office: Office) -> None:
        """The listing finds the document by a word of its subject and shows who handles it."""
        assign(session, office)
        [entry] = handling.listing(session=session, organization_key=office.org.key,
                                   year=2023, reader=None, search="HƯỚNG DẪN")
        assert entry.document.id == office.doc.id
        assert entry.main is not None and entry.main.organization_id == office.unit.id
        assert handling.listing(session=session, organization_key=office.org.key, year=2023,
                                reader=None,
                                search="không có") == []

    def test_secret_subject_hidden_and_not_searchable_without_the_right(
            self, session: Session, office: Office) -> None:
        """A MẬT incoming document: a staff member without the right finds it by its number,
        not by its subject, and sees the placeholder in the listing and the register; the head
        of the office sees and finds the subject."""
        from registry.labels import HIDDEN_SUBJECT

        session.execute(update(Document).where(Document.id == office.doc.id)
                        .values(secrecy="MẬT"))
        session.expire_all()
        key = office.org.key
        assert handling.listing(session=session, organization_key=key, year=2023,
                                reader=office.other, search="hướng dẫn") == []
        [entry] = handling.listing(session=session, organization_key=key, year=2023,
                                   reader=office.other, search="152")
        assert entry.subject == HIDDEN_SUBJECT
        [row] = registers.incoming_rows(session=session, organization_id=office.org.id,
                                        year=2023, reader=office.other)
        assert HIDDEN_SUBJECT in row["trich_yeu"] and "hướng dẫn" not in row["trich_yeu"]
        assert "MẬT" in row["ghi_chu"] and row["so_den"] == "01"

        [entry] = handling.listing(session=session, organization_key=key, year=2023,
                                   reader=office.leader, search="hướng dẫn")
        assert entry.subject == "V/v đề nghị hướng dẫn"
        [row] = registers.incoming_rows(session=session, organization_id=office.org.id,
                                        year=2023, reader=office.leader)
        assert "V/v đề nghị hướng dẫn" in row["trich_yeu"]
