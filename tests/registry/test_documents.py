"""Documents: symbols, issue numbers, and an issued document that never changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from registry import audit, documents
from registry.doctypes import DOC_TYPES, format_number, format_number_symbol, format_symbol
from registry.errors import ImmutableDocument, ValidationError
from registry.models import DocumentStatus
from tests import factories


class TestSymbols:
    @pytest.mark.parametrize(("n", "printed"), [(1, "01"), (5, "05"), (9, "09"), (10, "10"),
                                                 (149, "149"), (1028, "1028")])
    def test_numbers_below_ten_get_one_leading_zero(self, n: int, printed: str) -> None:
        """ND30 art. 15: 01…09, then 10, 149, 1028 unpadded."""
        assert format_number(n) == printed

    def test_type_symbol_is_type_then_issuer(self) -> None:
        """A báo cáo of the steering committee is BC-BCĐ."""
        assert format_symbol(doc_type="bao_cao", issuer_code="BCĐ") == "BC-BCĐ"

    def test_cong_van_symbol_is_issuer_then_drafting_unit(self) -> None:
        """A công văn has no type code: BCĐ-NC."""
        assert format_symbol(doc_type="cong_van", issuer_code="BCĐ", drafting_unit="NC") == "BCĐ-NC"
        assert format_number_symbol(4267, "BCĐ-NC") == "4267/BCĐ-NC"
        assert format_number_symbol(None, "UBND-CAX") == "/UBND-CAX"

    def test_decree_30_abbreviations_not_the_old_ones(self) -> None:
        """BGN, BTT, GUQ and GNP, as Decree 30 has them (not GN, TTh, UQ, NP)."""
        got = {DOC_TYPES[k].abbreviation for k in
               ("ban_ghi_nho", "ban_thoa_thuan", "giay_uy_quyen", "giay_nghi_phep")}
        assert got == {"BGN", "BTT", "GUQ", "GNP"}

    def test_unknown_type_names_the_field(self) -> None:
        """An unknown type is a ValidationError on 'type'."""
        with pytest.raises(ValidationError) as err:
            format_symbol(doc_type="cv", issuer_code="UBND")
        assert err.value.field == "type"


class TestIssuedDocumentsAreFrozen:
    def _issued(self, session: Session):  # type: ignore[no-untyped-def]
        issuer = factories.org(session, code="BCĐ")
        factories.register(session, issuer)
        doc = documents.create(session=session, doc_type="cong_van", issuer=issuer,
                               subject="V/v xây dựng mô hình", drafting_unit="NC")
        documents.issue_number(session=session, document=doc, on=date(2022, 12, 16))
        doc.status = DocumentStatus.ISSUED
        session.flush()
        return doc

    def test_issue_number_sets_number_year_date_and_audits(self, session: Session) -> None:
        """Issuing gives 01/BCĐ-NC dated in its year and writes an audit event."""
        doc = self._issued(session)
        assert (doc.number_symbol, doc.year, doc.issue_date) == ("01/BCĐ-NC", 2022,
                                                                  date(2022, 12, 16))
        assert [e.action for e in audit.history(session=session, object_type="document",
                                                object_id=doc.id)] == ["create", "number"]

    def test_service_refuses_to_edit_an_issued_document(self, session: Session) -> None:
        """documents.update on an issued document raises ImmutableDocument."""
        doc = self._issued(session)
        with pytest.raises(ImmutableDocument, match="đính chính"):
            documents.update(session=session, document=doc, subject="V/v khác")

    def test_direct_attribute_change_is_refused_at_flush(self, session: Session) -> None:
        """Even a script that sets the attribute directly cannot change an issued document."""
        doc = self._issued(session)
        doc.body = "nội dung khác"
        with pytest.raises(ImmutableDocument):
            session.flush()
        session.rollback()

    def test_revoking_keeps_the_number(self, session: Session) -> None:
        """An issued document may be revoked; its number stays on it."""
        doc = self._issued(session)
        doc.status = DocumentStatus.REVOKED
        session.flush()
        assert doc.number == 1

    def test_a_document_is_numbered_once(self, session: Session) -> None:
        """A second issue_number on the same document is refused."""
        doc = self._issued(session)
        with pytest.raises(ImmutableDocument):
            documents.issue_number(session=session, document=doc, on=date(2022, 12, 17))
