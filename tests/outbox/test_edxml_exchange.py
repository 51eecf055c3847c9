"""edXML intake and answers: BussinessDocType honoured, statuses both ways, through the relay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox.channels.edxml import EdxmlChannel
from outbox.compose import official_name
from outbox.edxml import exchange
from outbox.edxml.model import BusinessType, DocumentKey, StatusMessage
from outbox.edxml.parse import parse, parse_document, parse_status
from outbox.edxml.receive import receive
from outbox.enqueue import enqueue_document
from outbox.errors import EdxmlError
from outbox.relay import relay_once
from registry import documents
from registry.models import (
    AuditEvent,
    Delivery,
    DeliveryStatus,
    Direction,
    Document,
    DocumentStatus,
    Organization,
)
from tests import factories
from tests.outbox.conftest import issued_document, savepoint_factory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edxml"
ARRIVED = datetime(2025, 10, 13, 8, 0, tzinfo=UTC)
OLD = "000.00.00.G12,2025/10/13,2440/BTC-VP"


def committee(session: Session) -> Organization:
    """The receiving committee (edXML id …Z18) with its incoming register, and the ministry."""
    ours = factories.org(session, name="BAN CHỈ ĐẠO PCTP, TNXH\nVÀ XÂY DỰNG PHONG TRÀO\n"
                         "TOÀN DÂN BVANTQ TỈNH", place="Kon Tum", edxml_id="000.00.00.Z18",
                         header_parent="UBND TỈNH KON TUM")
    factories.register(session, ours, code="DEN", name="Sổ văn bản đến",
                       direction=Direction.INCOMING)
    factories.org(session, name="BỘ TÀI CHÍNH", place="Hà Nội", edxml_id="000.00.00.G12")
    return ours


def take(session: Session, ours: Organization, name: str, files: Path) -> object:
    return receive(session=session, organization_id=ours.id,
                   data=(FIXTURES / name).read_bytes(), arrived_at=ARRIVED, files_root=files)


def statuses(session: Session, document_id: int) -> list[str]:
    return list(session.scalars(select(Delivery.kind).where(
        Delivery.document_id == document_id).order_by(Delivery.id)))


class TestIntake:
    def test_new_document_is_registered_with_statuses_01_and_03(self, session: Session,
                                                                tmp_path: Path) -> None:
        """A new document gets an incoming number, its signature state, and 01 then 03 queued."""
        ours = committee(session)
        result = take(session, ours, "document_new.edxml", tmp_path)
        doc = result.document  # type: ignore[attr-defined]
        assert isinstance(doc, Document) and doc.number == 1
        assert doc.original_number == "2440/BTC-VP" and doc.original_date == date(2025, 10, 13)
        assert doc.signature_state == "invalid"  # the sample's Signature is not XML-DSig
        assert doc.urgency == "KHẨN"
        assert statuses(session, doc.id) == ["status:01", "status:03"]
        assert sorted(Path(f.path).name.split("-", 1)[1] for f in doc.files) == [
            "CV 2440 gửi Kon Tum.doc", "CV 2440 gửi Kon Tum_Approved.pdf"]
        stored = {Path(f.path).suffix: (tmp_path / f.path).read_bytes() for f in doc.files}
        assert stored[".pdf"] == (FIXTURES / "attachment.pdf").read_bytes()
        assert stored[".doc"] == (FIXTURES / "attachment.doc").read_bytes()

    def test_redelivery_is_not_registered_twice(self, session: Session, tmp_path: Path) -> None:
        """The same DocumentId arriving again is recognised, not given a second number."""
        ours = committee(session)
        first = take(session, ours, "document_new.edxml", tmp_path)
        again = take(session, ours, "document_stray_prefix.edxml", tmp_path)
        assert again.kind == "duplicate"  # type: ignore[attr-defined]
        assert again.document.id == first.document.id  # type: ignore[attr-defined]

    def test_revocation_marks_revoked_and_answers_15(self, session: Session,
                                                     tmp_path: Path) -> None:
        """BussinessDocType 1 revokes the registered document with the reason; 15 is queued."""
        ours = committee(session)
        doc = take(session, ours, "document_new.edxml", tmp_path).document  # type: ignore[attr-defined]
        result = take(session, ours, "document_revoke.edxml", tmp_path)
        assert result.kind == "revoke" and result.document.id == doc.id  # type: ignore[attr-defined]
        assert doc.status is DocumentStatus.REVOKED
        reason = session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "revoke", AuditEvent.object_id == doc.id))
        assert reason is not None and reason["reason"] == "Thu hồi do ban hành sai thẩm quyền"
        assert statuses(session, doc.id)[-1] == "status:15"
        assert session.scalar(select(Document.id).where(
            Document.direction == Direction.INCOMING, Document.id != doc.id)) is None

    def test_revocation_of_unknown_document_is_recorded_and_answered_16(
            self, session: Session, tmp_path: Path) -> None:
        """A revocation for a document never received: recorded, answered 16, and the
        document registered already revoked if it arrives later."""
        ours = committee(session)
        result = take(session, ours, "document_revoke.edxml", tmp_path)
        assert result.kind == "revoke_unknown"  # type: ignore[attr-defined]
        [answer] = result.statuses  # type: ignore[attr-defined]
        assert answer.kind == "status:16" and answer.payload["document_id"] == OLD
        late = take(session, ours, "document_new.edxml", tmp_path).document  # type: ignore[attr-defined]
        assert late.status is DocumentStatus.REVOKED
        assert statuses(session, late.id) == ["status:01", "status:03", "status:15"]

    @pytest.mark.parametrize(("name", "link"), [("document_update.edxml", "corrects"),
                                                ("document_replace.edxml", "replaces")])
    def test_update_and_replace_link_new_to_old(self, session: Session, tmp_path: Path,
                                                name: str, link: str) -> None:
        """Update (2) and replace (3) register the new version linked to the old one."""
        ours = committee(session)
        old = take(session, ours, "document_new.edxml", tmp_path).document  # type: ignore[attr-defined]
        new = take(session, ours, name, tmp_path).document  # type: ignore[attr-defined]
        assert new.id != old.id and new.number == 2
        [row] = documents.links(session=session, document_id=new.id)
        assert (row.from_id, row.to_id, row.kind) == (new.id, old.id, link)

    def test_refused_package_leaves_nothing(self, session: Session, tmp_path: Path) -> None:
        """A package with a missing attachment is refused: no row, no file, no status."""
        ours = committee(session)
        data = (FIXTURES / "document_new.edxml").read_bytes()
        broken = data.replace(b"<ContentId>cid:cbc23df4", b"<ContentId>cid:xxxxxxxx")
        with pytest.raises(EdxmlError, match="không chứa tệp"):
            receive(session=session, organization_id=ours.id, data=broken, arrived_at=ARRIVED,
                    files_root=tmp_path)
        assert session.scalar(select(Document.id).where(
            Document.direction == Direction.INCOMING)) is None
        assert session.scalar(select(Delivery.id)) is None
        assert not any(tmp_path.rglob("*.pdf"))


class TestAnswers:
    def test_statuses_go_out_through_the_relay(self, session: Session, tmp_path: Path) -> None:
        """01 and 03 are sent as Status messages to the sender, matched by the full
        DocumentId; 04/05/06 follow handling; 02 carries the refusal's reason."""
        ours = committee(session)
        doc = take(session, ours, "document_new.edxml", tmp_path).document  # type: ignore[attr-defined]
        exchange.report_progress(session=session, document_id=doc.id, code="04")
        from outbox import handling

        handling.refuse(session=session, document_id=doc.id, clerk=factories.person(session, ours),
                        reason="Gửi nhầm cơ quan")
        with pytest.raises(Exception, match="04, 05 hoặc 06"):
            exchange.report_progress(session=session, document_id=doc.id, code="03")
        drop = tmp_path / "drop"
        report = relay_once(channels={"edxml": EdxmlChannel(drop)},
                            session_factory=savepoint_factory(session), files_root=tmp_path)
        assert report.sent == 4 and report.dead == 0
        sent = sorted((parse_status(p.read_bytes()) for p in drop.rglob("edxml.xml")),
                      key=lambda s: s.status_code)
        assert [s.status_code for s in sent] == ["01", "02", "03", "04"]
        assert {s.response_for.key for s in sent} == {DocumentKey.parse(OLD)}
        assert sent[1].description == "Gửi nhầm cơ quan"
        assert sent[0].sender.organ_id == "000.00.00.Z18"
        assert sent[0].sender.name.endswith("TỈNH KON TUM")
        assert all(p.parent.parent.name == "000.00.00.G12" for p in drop.rglob("edxml.xml"))

    def test_our_revocation_goes_to_edxml_recipients(self, session: Session,
                                                     tmp_path: Path) -> None:
        """Revoking our document sends BussinessDocType 1 with the reason to every recipient
        that got it by edXML, once."""
        doc = issued_document(session, tmp_path / "files", recipients=2)
        enqueue_document(session=session, document_id=doc.id, channels=("edxml", "email"))
        drop = tmp_path / "drop"
        factory = savepoint_factory(session)
        relay_once(channels={"edxml": EdxmlChannel(drop)}, session_factory=factory,
                   files_root=tmp_path / "files")
        added = exchange.enqueue_revocation(session=session, document_id=doc.id,
                                            reason="Ban hành sai thẩm quyền")
        assert len(added) == 2 and {d.channel for d in added} == {"edxml"}
        assert exchange.enqueue_revocation(session=session, document_id=doc.id,
                                           reason="x") == []
        report = relay_once(channels={"edxml": EdxmlChannel(drop)}, session_factory=factory,
                            files_root=tmp_path / "files")
        assert report.sent == 2
        revocations = [m for m in (parse(p.read_bytes()) for p in drop.rglob("edxml.xml"))
                       if not isinstance(m, StatusMessage)
                       and m.business.doc_type is BusinessType.REVOKE]
        assert len(revocations) == 2
        assert {r.business.reason for r in revocations} == {"Ban hành sai thẩm quyền"}
        assert all(r.business.document_id.endswith(f"{doc.number:02d}/BCĐ-NC")
                   for r in revocations)

    def test_correction_is_sent_as_update_of_the_old(self, session: Session,
                                                     tmp_path: Path) -> None:
        """A document that corrects an issued one travels as BussinessDocType 2 naming it."""
        old = issued_document(session, tmp_path / "files", recipients=1)
        new = issued_document(session, tmp_path / "files", recipients=1)
        documents.link(session=session, source=new, target=old, kind="corrects")
        enqueue_document(session=session, document_id=new.id, channels=("edxml",))
        drop = tmp_path / "drop"
        relay_once(channels={"edxml": EdxmlChannel(drop)},
                   session_factory=savepoint_factory(session), files_root=tmp_path / "files")
        [path] = list(drop.rglob("edxml.xml"))
        sent = parse_document(path.read_bytes())
        assert sent.business.doc_type is BusinessType.UPDATE
        assert sent.business.document_id == (
            f"000.00.00.H34,{old.issue_date:%Y/%m/%d},{old.number:02d}/BCĐ-NC")

    def test_full_name_and_distinct_places(self, session: Session, tmp_path: Path) -> None:
        """OrganName carries the place; same-printed "Nơi nhận" lines get full names."""
        ours = committee(session)
        assert official_name(ours).endswith("BVANTQ TỈNH KON TUM")
        issuer = factories.org(session, code="BCĐ", edxml_id="000.00.00.H34",
                               name="BAN CHỈ ĐẠO\nTỈNH", place="Kon Tum")
        factories.register(session, issuer)
        units = [factories.org(session, name="BAN CHỈ ĐẠO HUYỆN", place=place,
                               edxml_id=f"000.00.00.Z{n}")
                 for n, place in ((19, "Đắk Glei"), (20, "Ngọc Hồi"))]
        doc = documents.create(session=session, doc_type="cong_van", issuer=issuer,
                               drafting_unit="NC", subject="V/v thử",
                               recipients=[("BCĐ huyện", u) for u in units])
        documents.issue_number(session=session, document=doc, on=date(2023, 1, 5))
        doc.status = DocumentStatus.ISSUED
        enqueue_document(session=session, document_id=doc.id, channels=("edxml",))
        drop = tmp_path / "drop"
        relay_once(channels={"edxml": EdxmlChannel(drop)},
                   session_factory=savepoint_factory(session), files_root=tmp_path)
        sent = [parse_document(p.read_bytes()) for p in sorted(drop.rglob("edxml.xml"))]
        assert sent[0].sender.name == "BAN CHỈ ĐẠO TỈNH KON TUM"
        assert sent[0].to_places == ("BAN CHỈ ĐẠO HUYỆN ĐẮK GLEI", "BAN CHỈ ĐẠO HUYỆN NGỌC HỒI")
        assert {s.recipients[0].name for s in sent} == {"BAN CHỈ ĐẠO HUYỆN ĐẮK GLEI",
                                                        "BAN CHỈ ĐẠO HUYỆN NGỌC HỒI"}
        assert sent[0].promulgation_amount == 2

    def test_status_from_them_updates_the_delivery(self, session: Session,
                                                   tmp_path: Path) -> None:
        """Their Status 05 on our document lands on the delivery's receipt state."""
        doc = issued_document(session, tmp_path / "files", recipients=1)
        [row] = enqueue_document(session=session, document_id=doc.id, channels=("edxml",))
        data = (FIXTURES / "status.edxml").read_bytes()
        data = data.replace(b"000.00.00.Z18,2023/01/05,01/BC",
                            f"000.00.00.H34,{doc.issue_date:%Y/%m/%d},{doc.number:02d}/BC"
                            .encode())
        data = data.replace(b"<edXML:OrganId>000.00.00.Z19</edXML:OrganId>",
                            b"<edXML:OrganId>000.01.01.H34</edXML:OrganId>")
        data = data.replace(b"<edXML:StatusCode>01<", b"<edXML:StatusCode>05<")
        ours = session.get(Organization, doc.issuer_id)
        assert ours is not None
        result = receive(session=session, organization_id=ours.id, data=data,
                         arrived_at=ARRIVED, files_root=tmp_path)
        assert result.kind == "status" and result.deliveries == [row]
        assert row.payload is not None and row.payload["receipt_state"] == "in_progress"
        assert row.status is DeliveryStatus.ACKNOWLEDGED


class TestHandlingReportsBack:
    def test_assign_progress_done_send_04_05_06(self, session: Session, tmp_path: Path) -> None:
        """Incoming handling's transitions queue 04, 05, 06 to the edXML sender, once each."""
        from outbox import handling
        from outbox.edxml.exchange import install_handling_hook

        install_handling_hook()
        ours = committee(session)
        leader = factories.person(session, ours, roles=["leader"])
        officer = factories.person(session, ours, roles=["clerk"])
        doc = take(session, ours, "document_new.edxml", tmp_path).document  # type: ignore[attr-defined]
        handling.assign(session=session, document_id=doc.id, leader=leader,
                        main=handling.Assignee(person=officer), due=date(2025, 10, 30),
                        opinion="Đề nghị xử lý")
        handling.progress(session=session, document_id=doc.id, actor=officer,
                          note="Đang tổng hợp")
        handling.progress(session=session, document_id=doc.id, actor=officer,
                          note="Gần xong")
        handling.done(session=session, document_id=doc.id, actor=officer, result="Đã trả lời")
        assert statuses(session, doc.id) == ["status:01", "status:03", "status:04",
                                             "status:05", "status:06"]
        progress = session.scalar(select(Delivery).where(Delivery.document_id == doc.id,
                                                         Delivery.kind == "status:05"))
        assert progress is not None and progress.payload["description"] == "Đang tổng hợp"


class TestSenderOutsideTheDirectory:
    def test_revoke_and_answers_by_the_organ_id_it_gave(self, session: Session,
                                                         tmp_path: Path) -> None:
        """A sender we do not know is still matched (revoke) and answered, by its OrganId."""
        ours = factories.org(session, name="BAN CHỈ ĐẠO\nTỈNH", place="Kon Tum",
                             edxml_id="000.00.00.Z18")
        factories.register(session, ours, code="DEN", name="Sổ văn bản đến",
                           direction=Direction.INCOMING)
        doc = take(session, ours, "document_new.edxml", tmp_path).document  # type: ignore[attr-defined]
        assert doc.sender_id is None
        result = take(session, ours, "document_revoke.edxml", tmp_path)
        assert result.kind == "revoke" and doc.status is DocumentStatus.REVOKED  # type: ignore[attr-defined]
        drop = tmp_path / "drop"
        report = relay_once(channels={"edxml": EdxmlChannel(drop)},
                            session_factory=savepoint_factory(session), files_root=tmp_path)
        assert report.sent == 3 and report.dead == 0
        codes = sorted(parse_status(p.read_bytes()).status_code for p in drop.rglob("edxml.xml"))
        assert codes == ["01", "03", "15"]
        assert {p.parent.parent.name for p in drop.rglob("edxml.xml")} == {"000.00.00.G12"}

    def test_revocation_tells_the_handler(self, session: Session, tmp_path: Path) -> None:
        """A revoked document under handling gets its handler a notice with the reason."""
        from outbox import handling
        from registry.models import Notice

        ours = committee(session)
        leader = factories.person(session, ours, roles=["leader"])
        officer = factories.person(session, ours, roles=["clerk"])
        doc = take(session, ours, "document_new.edxml", tmp_path).document  # type: ignore[attr-defined]
        handling.assign(session=session, document_id=doc.id, leader=leader,
                        main=handling.Assignee(person=officer), due=date(2025, 10, 30))
        take(session, ours, "document_revoke.edxml", tmp_path)
        notice = session.scalar(select(Notice).where(Notice.key.like("handling.%.revoked")))
        assert notice is not None
        assert "Thu hồi do ban hành sai thẩm quyền" in notice.body
        assert session.scalar(select(Delivery.id).where(Delivery.notice_id == notice.id))
