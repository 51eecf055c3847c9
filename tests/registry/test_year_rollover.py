"""The issuing path (documents.issue_number → numbering.number_document) restarts at 1 on
1 January, Viet Nam time, on both engines (PostgreSQL takes a different, one-statement path)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from registry import documents
from registry.models import Document, Organization
from registry.numbering import last_number
from tests import factories


def _issue(session: Session, issuer: Organization, on: date | datetime) -> Document:
    doc = documents.create(session=session, doc_type="cong_van", issuer=issuer,
                           subject="V/v thử cấp số", drafting_unit="NC")
    return documents.issue_number(session=session, document=doc, on=on)


class TestYearRollover:
    def test_january_after_two_december_documents_is_number_one(self, session: Session) -> None:
        """Two documents issued in December take 1 and 2 of that year; one issued on 4 January
        takes 1 of the new year, and the old year's counter stays at 2."""
        issuer = factories.org(session, code="UBND")
        reg = factories.register(session, issuer)
        dec = [_issue(session, issuer, date(2023, 12, d)) for d in (20, 28)]
        jan = _issue(session, issuer, date(2024, 1, 4))
        assert [(d.number, d.year) for d in dec] == [(1, 2023), (2, 2023)]
        assert (jan.number, jan.year, jan.issue_date) == (1, 2024, date(2024, 1, 4))
        assert jan.symbol == dec[0].symbol
        assert last_number(session=session, register_id=reg.id, year=2023) == 2
        assert last_number(session=session, register_id=reg.id, year=2024) == 1
        again = _issue(session, issuer, date(2024, 1, 5))
        assert (again.number, again.year) == (2, 2024)

    def test_new_year_starts_at_midnight_in_vietnam(self, session: Session) -> None:
        """17:00 UTC on 31 December is 00:00 on 1 January in Viet Nam: the new year's number 1,
        while 16:59 UTC is still the old year's."""
        issuer = factories.org(session, code="UBND")
        factories.register(session, issuer)
        old = _issue(session, issuer, datetime(2023, 12, 31, 16, 59, tzinfo=UTC))
        new = _issue(session, issuer, datetime(2023, 12, 31, 17, 0, tzinfo=UTC))
        assert (old.number, old.year, old.issue_date) == (1, 2023, date(2023, 12, 31))
        assert (new.number, new.year, new.issue_date) == (1, 2024, date(2024, 1, 1))

    def test_back_to_the_old_year_continues_its_series(self, session: Session) -> None:
        """A document dated in the old year after the new year started continues the old
        year's series, not the new one's."""
        issuer = factories.org(session, code="UBND")
        factories.register(session, issuer)
        _issue(session, issuer, date(2023, 12, 30))
        _issue(session, issuer, date(2024, 1, 2))
        _issue(session, issuer, date(2024, 1, 3))
        late = _issue(session, issuer, date(2023, 12, 31))
        assert (late.number, late.year) == (2, 2023)
