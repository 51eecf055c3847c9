"""Incoming documents: typed fields, paper documents, and one registration per document."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outbox.channels.edxml import to_edxml
from outbox.edxml.build import build_document
from outbox.errors import IntakeError
from outbox.intake import (
    Incoming,
    corrected,
    paper,
    read_file,
    register_incoming,
    require_complete,
)
from registry import db
from registry.models import Direction, Document, IncomingArrival, Organization
from tests import factories
from tests.outbox.conftest import make_message
from tests.outbox.test_intake import reply_docx

ARRIVED = datetime(2023, 1, 6, 2, 15, tzinfo=UTC)


def receiver(session: Session) -> Organization:
    """An organisation with an incoming register."""
    org = factories.org(session, name="BAN CHỈ ĐẠO THỬ")
    factories.register(session, org, code="DEN", name="Sổ văn bản đến",
                       direction=Direction.INCOMING)
    return org


def typed(**fields: str) -> Incoming:
    """A paper document with the fields a clerk types."""
    values = {"number": "152", "symbol": "BC-CAH", "date_": "05/01/2023",
              "issuer": "CÔNG AN HUYỆN ĐĂK HÀ", "subject": "Báo cáo kết quả quý IV"}
    return corrected(paper(), **{**values, **fields})


class TestCorrected:
    def test_typed_fields_replace_what_was_read(self) -> None:
        """Number, symbol, date, issuer, subject, urgency and secrecy come from what was typed."""
        incoming = corrected(typed(), urgency="thượng khẩn", secret="mat")
        assert incoming.number_symbol == "152/BC-CAH"
        assert incoming.original_date == date(2023, 1, 5)
        assert (incoming.urgency, incoming.secrecy) == ("THƯỢNG KHẨN", "MẬT")

    def test_number_below_ten_is_padded(self) -> None:
        """A typed number 5 is printed 05 (ND30 art. 15)."""
        assert typed(number="5").number_symbol == "05/BC-CAH"

    @pytest.mark.parametrize(("fields", "option"), [
        ({"number": "12a"}, "--number"), ({"number": "0"}, "--number"),
        ({"symbol": "BC CAH"}, "--symbol"), ({"date_": "31/02/2023"}, "--date"),
        ({"date_": "hôm qua"}, "--date"), ({"issuer": "  "}, "--issuer"),
        ({"subject": "x" * 1001}, "--subject"), ({"subject": "a\x00b"}, "--subject"),
    ])
    def test_bad_values_name_the_option(self, fields: dict[str, str], option: str) -> None:
        """Each bad typed value is refused with a Vietnamese message naming its option."""
        with pytest.raises(IntakeError, match=option):
            typed(**fields)

    def test_bad_urgency_lists_the_choices(self) -> None:
        """An unknown urgency names the three ND30 marks."""
        with pytest.raises(IntakeError, match="--urgency.*HỎA TỐC"):
            corrected(paper(), urgency="gấp lắm")

    def test_missing_fields_are_named(self) -> None:
        """A paper document without its fields names every missing option."""
        with pytest.raises(IntakeError, match="--number … --symbol … --issuer … --subject …"):
            require_complete(paper())


class TestPaper:
    def test_paper_document_without_file(self, session: Session, tmp_path: Path) -> None:
        """A paper document is registered from typed fields alone, with no file stored."""
        org = receiver(session)
        done = register_incoming(session=session, organization_id=org.id, incoming=typed(),
                                 arrived_at=ARRIVED, files_root=tmp_path)
        doc = done.document
        assert (doc.number, doc.original_number, doc.files) == (1, "152/BC-CAH", [])
        assert done.arrival.channel == "paper" and not done.duplicate

    def test_secret_document_needs_a_secret_register(self, session: Session,
                                                     tmp_path: Path) -> None:
        """A MẬT document is refused when the office has no secret incoming register."""
        org = receiver(session)
        from registry.errors import NotFound

        with pytest.raises(NotFound, match="mật"):
            register_incoming(session=session, organization_id=org.id,
                              incoming=corrected(typed(), secret="mật"), arrived_at=ARRIVED,
                              files_root=tmp_path)


class TestOnce:
    def test_email_then_edxml_is_one_registration(self, session: Session,
                                                  tmp_path: Path) -> None:
        """The same báo cáo by e-mail (.docx) and by edXML keeps one incoming number."""
        org = receiver(session)
        sender = factories.org(session, name="CÔNG AN HUYỆN 1", edxml_id="000.01.34.H34")
        path = tmp_path / "reply.docx"
        path.write_bytes(reply_docx("1/XX"))
        first = register_incoming(session=session, organization_id=org.id,
                                  incoming=read_file(path), arrived_at=ARRIVED,
                                  files_root=tmp_path, channel="email")
        message = make_message(
            sender=make_message().recipient, recipient=make_message().sender,
            number="152", symbol="BC-CAH", subject="Báo cáo kết quả quý IV",
            issued_date=date(2023, 1, 5))
        package = tmp_path / "goi.edxml"
        package.write_bytes(build_document(to_edxml(message)))
        again = read_file(package)
        second = register_incoming(session=session, organization_id=org.id, incoming=again,
                                   arrived_at=ARRIVED.replace(hour=3), files_root=tmp_path)
        assert second.duplicate and second.document.id == first.document.id
        assert first.document.sender_id == sender.id
        arrivals = session.scalars(select(IncomingArrival).where(
            IncomingArrival.document_id == first.document.id).order_by(IncomingArrival.id)).all()
        assert [(a.channel, a.duplicate) for a in arrivals] == [("email", False),
                                                                 ("edxml", True)]
        third = register_incoming(session=session, organization_id=org.id,
                                  incoming=typed(number="153"), arrived_at=ARRIVED,
                                  files_root=tmp_path)
        assert third.document.number == 2  # the duplicate consumed no number

    def test_different_date_is_another_document(self, session: Session, tmp_path: Path) -> None:
        """Same issuer, number and symbol but another date (another year) is a new document."""
        org = receiver(session)
        one = register_incoming(session=session, organization_id=org.id, incoming=typed(),
                                arrived_at=ARRIVED, files_root=tmp_path)
        two = register_incoming(session=session, organization_id=org.id,
                                incoming=typed(date_="05/01/2022"), arrived_at=ARRIVED,
                                files_root=tmp_path)
        assert not two.duplicate and two.document.number == one.document.number + 1


class TestScanSender:
    def test_misread_accents_still_find_the_sender(self, session: Session,
                                                   tmp_path: Path) -> None:
        """A scan whose issuer OCR read as «CÂM CHÂU» is matched to the directory's «CẨM CHÂU»,
        and the register prints the directory's name."""
        org = receiver(session)
        commune = factories.org(session, name="ỦY BAN NHÂN DÂN\nXÃ CẨM CHÂU")
        scan = replace(typed(issuer="ỦY BAN NHÂN DÂN XÃ CÂM CHÂU"), channel="scan")
        doc = register_incoming(session=session, organization_id=org.id, incoming=scan,
                                arrived_at=ARRIVED, files_root=tmp_path).document
        assert doc.sender_id == commune.id and doc.sender_name == "ỦY BAN NHÂN DÂN XÃ CẨM CHÂU"


def _race(url: str, files: Path, org_id: int, writers: int) -> list[bool]:
    engine = db.make_engine(url)
    barrier = threading.Barrier(writers)
    results: list[bool] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            with Session(engine, expire_on_commit=False) as s, s.begin():
                barrier.wait()
                done = register_incoming(session=s, organization_id=org_id, incoming=typed(),
                                         arrived_at=ARRIVED, files_root=files)
                results.append(done.duplicate)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()
    assert not errors, errors
    return results


class TestConcurrent:
    def test_racing_clerks_register_once(self, fresh_url: str, tmp_path: Path) -> None:
        """Four connections registering the same document at once give one incoming number."""
        engine = db.make_engine(fresh_url)
        with Session(engine) as s, s.begin():
            org_id = receiver(s).id
        results = _race(fresh_url, tmp_path, org_id, 4)
        with Session(engine) as s:
            count = s.scalar(select(func.count()).select_from(Document).where(
                Document.direction == Direction.INCOMING))
            arrivals = s.scalar(select(func.count()).select_from(IncomingArrival))
        engine.dispose()
        assert sorted(results) == [False, True, True, True]
        assert (count, arrivals) == (1, 4)
