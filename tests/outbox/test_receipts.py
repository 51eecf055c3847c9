"""Receipts: the acknowledgement link, edXML Status messages, and a clerk's mark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from outbox import deliveries, receipts
from outbox.edxml.model import DocumentKey, Organ, ResponseFor, StaffInfo, StatusMessage
from outbox.enqueue import enqueue_document
from outbox.errors import ReceiptError
from registry.models import DeliveryStatus
from tests.outbox.conftest import issued_document

SECRET = "khoá-bí-mật-thử"
AT = datetime(2022, 12, 17, 3, 0, tzinfo=UTC)


class TestToken:
    def test_round_trip(self) -> None:
        """A token names its delivery."""
        token = receipts.make_token(secret=SECRET, delivery_id=42)
        assert receipts.delivery_id_of(secret=SECRET, token=token) == 42

    @pytest.mark.parametrize("token", ["43.xxxx", "42", "abc.def", ""])
    def test_forged_or_malformed_is_refused(self, token: str) -> None:
        """A token with another id, no MAC or garbage is refused."""
        real = receipts.make_token(secret=SECRET, delivery_id=42)
        forged = token.replace("xxxx", real.partition(".")[2])
        with pytest.raises(ReceiptError):
            receipts.delivery_id_of(secret=SECRET, token=forged)

    def test_other_secret_is_refused(self) -> None:
        """A token signed with another secret is refused."""
        token = receipts.make_token(secret="khác", delivery_id=42)
        with pytest.raises(ReceiptError):
            receipts.delivery_id_of(secret=SECRET, token=token)


class TestAcknowledge:
    def test_link_sets_acknowledged_once(self, session: Session, tmp_path: Path) -> None:
        """Opening the link acknowledges the delivery; a second visit changes nothing."""
        doc = issued_document(session, tmp_path, recipients=2)
        first, second = enqueue_document(session=session, document_id=doc.id)
        token = receipts.make_token(secret=SECRET, delivery_id=first.id)
        receipts.acknowledge(session=session, token=token, secret=SECRET, at=AT)
        receipts.acknowledge(session=session, token=token, secret=SECRET)
        assert first.acknowledged_at is not None and first.acknowledged_at.day == 17
        states = [deliveries.state(d) for d in deliveries.for_document(
            session=session, document_id=doc.id)]
        assert sorted(states) == ["acknowledged", "queued"]

    def test_link_url_carries_the_token(self) -> None:
        """The acknowledgement URL ends with a valid token for the delivery."""
        url = receipts.AckLinks("https://cv.example.vn/", SECRET).url(7)
        assert url.startswith("https://cv.example.vn/xac-nhan/7.")
        assert receipts.delivery_id_of(secret=SECRET, token=url.rsplit("/", 1)[1]) == 7

    def test_clerk_marks_by_hand(self, session: Session, tmp_path: Path) -> None:
        """A clerk's mark acknowledges the delivery."""
        doc = issued_document(session, tmp_path, recipients=1)
        [row] = enqueue_document(session=session, document_id=doc.id)
        receipts.acknowledge_by_hand(session=session, delivery_id=row.id)
        assert row.status is DeliveryStatus.ACKNOWLEDGED


class TestEdxmlStatus:
    def _status(self, doc_id: str, organ: str, code: str) -> StatusMessage:
        key = DocumentKey.parse(doc_id)
        response = ResponseFor.of(key) if key else ResponseFor("", "", None, doc_id)
        return StatusMessage(response, Organ(organ, "Công an huyện"), code,
                             datetime(2022, 12, 17, 9, 0), staff=StaffInfo(staff="Văn thư CA"))

    def test_registered_status_acknowledges(self, session: Session, tmp_path: Path) -> None:
        """Status 03 from the recipient acknowledges its edXML delivery of that document."""
        doc = issued_document(session, tmp_path, recipients=2)
        rows = enqueue_document(session=session, document_id=doc.id, channels=("edxml",))
        status = self._status(f"000.00.00.H34,2022/12/16,{doc.number:02d}/BCĐ-NC",
                              "000.01.01.H34", "03")
        [matched] = receipts.apply_status(session=session, status=status)
        assert matched.id == rows[0].id and matched.acknowledged_at is not None
        assert rows[1].acknowledged_at is None

    def test_rejection_does_not_acknowledge(self, session: Session, tmp_path: Path) -> None:
        """Status 02 (rejected) is recorded but does not acknowledge."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, channels=("edxml",))
        status = self._status(f"000.00.00.H34,2022/12/16,{doc.number:02d}/BCĐ-NC",
                              "000.01.01.H34", "02")
        [matched] = receipts.apply_status(session=session, status=status)
        assert matched.acknowledged_at is None
        assert matched.payload is not None and matched.payload["receipt_state"] == "rejected"

    def test_date_is_part_of_the_identity(self, session: Session, tmp_path: Path) -> None:
        """A receipt for the same number/symbol dated another year acknowledges nothing."""
        doc = issued_document(session, tmp_path, recipients=1)
        [row] = enqueue_document(session=session, document_id=doc.id, channels=("edxml",))
        other_year = self._status(f"000.00.00.H34,2021/12/16,{doc.number:02d}/BCĐ-NC",
                                  "000.01.01.H34", "03")
        with pytest.raises(ReceiptError, match="2021/12/16"):
            receipts.apply_status(session=session, status=other_year)
        assert row.acknowledged_at is None

    def test_other_issuer_same_number_is_not_matched(self, session: Session,
                                                     tmp_path: Path) -> None:
        """The issuer's OrganId is part of the identity too."""
        doc = issued_document(session, tmp_path, recipients=1)
        enqueue_document(session=session, document_id=doc.id, channels=("edxml",))
        with pytest.raises(ReceiptError):
            receipts.apply_status(session=session, status=self._status(
                f"000.00.00.G22,2022/12/16,{doc.number:02d}/BCĐ-NC", "000.01.01.H34", "03"))

    def test_unknown_document_is_refused(self, session: Session) -> None:
        """A Status about a document we never sent is refused."""
        with pytest.raises(ReceiptError):
            receipts.apply_status(session=session,
                                  status=self._status("000.00.00.H34,2022/12/16,1/XX", "1",
                                                      "01"))
