"""Recipients chosen from the directory: lines, groups, channels, fallback and the issue check."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox import recipients as plans
from registry import documents
from registry.directory import import_directory
from registry.errors import ImmutableDocument, NotFound, ValidationError
from registry.models import Delivery, Document, DocumentStatus, Organization, Person
from registry.recipients import Choice, destinations, not_sent, printed, set_lines
from signing.specs import spec_for

DIRECTORY = textwrap.dedent("""\
    organizations:
      - key: ubnd
        name: "ỦY BAN NHÂN DÂN\\nTỈNH KON TUM"
        text_name: Ủy ban nhân dân tỉnh Kon Tum
        code: UBND
        place: Kon Tum
        email: vanthu@ubnd.example
      - key: bcd
        name: "BAN CHỈ ĐẠO PCTP"
        text_name: Ban Chỉ đạo tỉnh
        code: BCĐ
        parent: ubnd
        place: Kon Tum
        email: bcd@kontum.example
      - key: bca
        name: BỘ CÔNG AN
        text_name: Bộ Công an
        code: BCA
        edxml_id: 000.00.00.Z01
        email: vanthu@bca.example
      - key: huyen-a
        name: "ỦY BAN NHÂN DÂN\\nHUYỆN A"
        text_name: Ủy ban nhân dân huyện A
        code: UBND
        parent: ubnd
        email: huyena@kontum.example
      - key: huyen-b
        name: "ỦY BAN NHÂN DÂN\\nHUYỆN B"
        text_name: Ủy ban nhân dân huyện B
        code: UBND
        parent: ubnd
        edxml_id: 000.00.00.Z09
      - key: huyen-c
        name: "ỦY BAN NHÂN DÂN\\nHUYỆN C"
        text_name: Ủy ban nhân dân huyện C
        code: UBND
        parent: ubnd
    people:
      - key: van-thu
        name: Nguyễn Thị Văn
        organization: bcd
        roles: [clerk]
      - key: chu-tich
        name: Lê Ngọc Tuấn
        title: CHỦ TỊCH
        organization: ubnd
        roles: [leader]
    groups:
      - key: cac-huyen
        name: UBND các huyện
        members: [huyen-a, huyen-b]
    """)


@pytest.fixture
def draft(session: Session) -> Document:
    """A công văn of the committee, drafted by its clerk, with no recipients yet."""
    import_directory(session=session, text=DIRECTORY)
    issuer = session.scalar(select(Organization).where(Organization.key == "bcd"))
    clerk = session.scalar(select(Person).where(Person.key == "van-thu"))
    assert issuer is not None and clerk is not None
    return documents.create(session=session, doc_type="cong_van", issuer=issuer,
                            subject="V/v báo cáo", body="Nội dung.", drafting_unit="NC",
                            created_by=clerk)


def _set(session: Session, doc: Document, to: list[str], cc: list[str] | None = None) -> None:
    set_lines(session=session, document=doc, actor=doc.created_by,
              to=[Choice.parse(x) for x in to],
              cc=None if cc is None else [Choice.parse(x) for x in cc])


def _issue_number(session: Session, doc: Document) -> None:
    documents.issue_number(session=session, document=doc,
                           on=datetime(2026, 11, 30, 3, tzinfo=UTC))


class TestChoice:
    def test_key_channel_and_label(self) -> None:
        """``KEY:CHANNEL=LABEL`` names the entry, its channel and the printed line."""
        choice = Choice.parse("bca:email=Bộ Công an (để b/c)")
        assert (choice.key, choice.channel, choice.label) == ("bca", "email", "Bộ Công an (để b/c)")

    def test_free_text_is_not_a_key(self) -> None:
        """A line with spaces or diacritics is free text."""
        assert Choice.parse("Thường trực Tỉnh ủy").key is None

    def test_unknown_channel_is_refused(self) -> None:
        """A misspelt channel names the field and the channels that exist."""
        with pytest.raises(ValidationError, match="edxml, email hoặc folder"):
            Choice.parse("bca:fax")

    def test_line_break_is_refused(self) -> None:
        """A CR or LF inside one line is refused."""
        with pytest.raises(ValidationError, match="xuống dòng"):
            Choice.parse("Sở A\r\nBcc: x@y")


class TestLines:
    def test_entries_resolve_to_organisation_group_and_person(self, session: Session,
                                                              draft: Document) -> None:
        """An organisation, a group and a person's office each become a line with its label."""
        _set(session, draft, ["bca", "cac-huyen"], ["chu-tich", "Thường trực Tỉnh ủy"])
        labels = [(r.kind, r.label) for r in draft.recipients]
        assert labels == [("to", "Bộ Công an"), ("to", "UBND các huyện"),
                          ("cc", "Đồng chí Lê Ngọc Tuấn, Ủy ban nhân dân tỉnh Kon Tum"),
                          ("cc", "Thường trực Tỉnh ủy")]
        assert [r.label for r in not_sent(draft)] == ["Thường trực Tỉnh ủy"]

    def test_typo_in_a_key_is_refused_with_hints(self, session: Session, draft: Document) -> None:
        """A key-shaped text not in the directory is refused and the nearest keys are named."""
        with pytest.raises(NotFound, match="cac-huyen"):
            _set(session, draft, ["cac-huyn"])

    def test_printed_lines_follow_nd30(self, session: Session, draft: Document) -> None:
        """Nơi nhận starts with "Như trên" when there are addressees; Lưu names the unit."""
        _set(session, draft, ["bca", "cac-huyen"], ["Thường trực Tỉnh ủy (b/c)"])
        to, lines = printed(draft)
        assert to == ["Bộ Công an", "UBND các huyện"]
        assert lines == ["Như trên", "Thường trực Tỉnh ủy (b/c)"]
        spec = spec_for(draft, signature={"title": "TRƯỞNG BAN", "name": "Lê Ngọc Tuấn"})
        assert spec.recipients == ["Bộ Công an", "UBND các huyện"]
        assert spec.distribution == ["Như trên", "Thường trực Tỉnh ủy (b/c)"]
        assert spec.archive == "VT, NC"

    def test_as_above_is_never_doubled(self, session: Session, draft: Document) -> None:
        """A typed "Như trên (t/h)" is kept once, in first place."""
        _set(session, draft, ["bca"], ["Thường trực Tỉnh ủy", "Như trên (t/h)"])
        assert printed(draft)[1] == ["Như trên (t/h)", "Thường trực Tỉnh ủy"]

    def test_register_destinations_are_the_same_for_every_document(
            self, session: Session, draft: Document) -> None:
        """The register lists addressees and other lines, without "Như trên" or "Lưu"."""
        _set(session, draft, ["bca"], ["Thường trực Tỉnh ủy;"])
        assert destinations(draft, ["- Như trên;", "- Lưu: VT, NC."]) == [
            "Bộ Công an", "Thường trực Tỉnh ủy"]

    def test_issued_document_keeps_its_lines(self, session: Session, draft: Document) -> None:
        """Lines of a document past drafting cannot be changed."""
        draft.status = DocumentStatus.SIGNED
        with pytest.raises(ImmutableDocument):
            _set(session, draft, ["bca"])


class TestPlan:
    def test_channels_and_fallback(self, session: Session, draft: Document) -> None:
        """edXML where there is an id, else e-mail; a chosen channel is kept when possible."""
        _set(session, draft, ["bca", "cac-huyen"], ["ubnd:email"])
        result = plans.plan(session=session, document_id=draft.id)
        got = [(p.organization.key, p.channel, p.address, p.instead_of)
               for p in result.deliveries]
        assert got == [("bca", "edxml", "000.00.00.Z01", None),
                       ("huyen-a", "email", "huyena@kontum.example", "edxml"),
                       ("huyen-b", "edxml", "000.00.00.Z09", None),
                       ("ubnd", "email", "vanthu@ubnd.example", None)]
        assert result.unreachable == []

    def test_unreachable_is_reported_before_issue(self, session: Session,
                                                  draft: Document) -> None:
        """An organisation without e-mail or edXML id is named with what is missing."""
        _set(session, draft, ["bca", "huyen-c"])
        result = plans.plan(session=session, document_id=draft.id)
        assert [u.organization.key for u in result.unreachable] == ["huyen-c"]
        assert "chưa có mã định danh edXML; chưa có địa chỉ e-mail" in result.unreachable[0].reason
        with pytest.raises(ValidationError, match="Ủy ban nhân dân huyện C"):
            plans.check(result)
        plans.check(result, skip_unreachable=True)

    def test_folder_channel_reaches_anyone(self, session: Session, draft: Document) -> None:
        """Choosing the shared-folder channel on a line reaches an organisation with no address."""
        _set(session, draft, ["huyen-c:folder"])
        result = plans.plan(session=session, document_id=draft.id)
        assert [(p.channel, p.address) for p in result.deliveries] == [("folder", "huyen-c")]

    def test_free_text_only_reaches_nobody(self, session: Session, draft: Document) -> None:
        """A document whose lines are all free text is refused unless no delivery is wanted."""
        _set(session, draft, ["Các sở, ban, ngành"])
        result = plans.plan(session=session, document_id=draft.id)
        assert result.reaches_nobody and result.not_sent == ["Các sở, ban, ngành"]
        with pytest.raises(ValidationError, match="--no-delivery"):
            plans.check(result)
        plans.check(result, no_delivery=True)

    def test_issuer_and_duplicates_are_not_sent_twice(self, session: Session,
                                                      draft: Document) -> None:
        """A group and one of its members, and the issuer itself, make one delivery at most."""
        _set(session, draft, ["cac-huyen", "huyen-a", "bcd"])
        result = plans.plan(session=session, document_id=draft.id)
        assert [p.organization.key for p in result.deliveries] == ["huyen-a", "huyen-b"]

    def test_hook_enqueues_once_per_organisation_and_channel(self, session: Session,
                                                             draft: Document) -> None:
        """The on_issued hook adds the planned rows, and a second run adds nothing."""
        _set(session, draft, ["bca", "cac-huyen"])
        _issue_number(session, draft)
        queued: list[Delivery] = []
        hook = plans.on_issued(queued=queued)
        assert hook is not None
        hook(session, draft)
        hook(session, draft)
        rows = session.scalars(select(Delivery).where(Delivery.document_id == draft.id)).all()
        assert len(rows) == len(queued) == 3
        assert {(r.recipient_label, r.channel) for r in rows} == {
            ("Bộ Công an", "edxml"), ("Ủy ban nhân dân huyện A", "email"),
            ("Ủy ban nhân dân huyện B", "edxml")}

    def test_hook_refuses_inside_the_transaction(self, session: Session, draft: Document) -> None:
        """The hook raises before adding anything when the document would reach nobody."""
        _set(session, draft, ["Các sở, ban, ngành"])
        _issue_number(session, draft)
        hook = plans.on_issued()
        assert hook is not None
        with pytest.raises(ValidationError):
            hook(session, draft)
        assert session.scalars(select(Delivery)).all() == []
        assert plans.on_issued(no_delivery=True) is None


class TestCorrection:
    def test_correction_reaches_the_same_recipients(self, session: Session,
                                                    draft: Document) -> None:
        """A đính chính draft keeps the issued document's groups, people, channels and cc lines."""
        from signing.issuing import correct

        _set(session, draft, ["cac-huyen", "bca:email"], ["chu-tich", "Thường trực Tỉnh ủy"])
        _issue_number(session, draft)
        draft.status = DocumentStatus.ISSUED
        session.flush()
        clerk = draft.created_by
        assert clerk is not None
        new = correct(session=session, document_id=draft.id, actor=clerk, kind="corrects")
        assert [(r.kind, r.label, r.channel) for r in new.recipients] == [
            (r.kind, r.label, r.channel) for r in draft.recipients]
        planned = plans.plan(session=session, document_id=new.id)
        assert [(p.organization.key, p.channel) for p in planned.deliveries] == [
            ("huyen-a", "email"), ("huyen-b", "edxml"), ("bca", "email"), ("ubnd", "email")]
