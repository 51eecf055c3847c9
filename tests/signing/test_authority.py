"""Signing authority: the signature block is derived from SigningRight rows (ND30 art. 13)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from registry.errors import PermissionDenied
from signing import authority
from tests import factories

DAY = date(2026, 6, 15)


def _block(session: Session, who, issuer, doc_type: str = "cong_van", on: date = DAY):
    return authority.signature_block(session=session, person=who, issuer_id=issuer.id,
                                     doc_type=doc_type, on=on)


class TestSignatureBlock:
    def test_chair_signs_for_the_committee(self, session: Session) -> None:
        """The chair signing for a collective prints TM. <body> over his title."""
        ubnd = factories.org(session, name="ỦY BAN NHÂN DÂN\nTỈNH KON TUM", code="UBND")
        chair = factories.person(session, ubnd, full_name="Lê Ngọc Tuấn", title="CHỦ TỊCH",
                                 roles=["leader"])
        factories.right(session, chair, ubnd, authority="TM.", on_behalf_of="ỦY BAN NHÂN DÂN")
        block = _block(session, chair, ubnd)
        assert block.lines() == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
        assert block.as_spec() == {"authority": "TM.", "on_behalf_of": "ỦY BAN NHÂN DÂN",
                                   "for_title": None, "title": "CHỦ TỊCH",
                                   "name": "Lê Ngọc Tuấn"}

    def test_vice_chair_stacks_tm_and_kt(self, session: Session) -> None:
        """A vice chair signs TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH."""
        ubnd = factories.org(session, code="UBND")
        vice = factories.person(session, ubnd, title="PHÓ CHỦ TỊCH", roles=["leader"])
        factories.right(session, vice, ubnd, authority="KT.", for_title="CHỦ TỊCH",
                        on_behalf_of="ỦY BAN NHÂN DÂN")
        assert _block(session, vice, ubnd).lines() == [
            "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]

    def test_committee_deputy_as_in_kontum(self, session: Session) -> None:
        """The Kon Tum deputy signs TM. BAN CHỈ ĐẠO / KT. TRƯỞNG BAN / PHÓ TRƯỞNG BAN."""
        bcd = factories.org(session, code="BCĐ", kind="advisory")
        deputy = factories.person(session, bcd, title="PHÓ TRƯỞNG BAN", roles=["leader"])
        factories.right(session, deputy, bcd, authority="KT.", for_title="TRƯỞNG BAN",
                        on_behalf_of="BAN CHỈ ĐẠO")
        assert _block(session, deputy, bcd).lines() == [
            "TM. BAN CHỈ ĐẠO", "KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"]

    def test_head_of_office_signs_by_order(self, session: Session) -> None:
        """The head of office signs TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG, without the collective."""
        ubnd = factories.org(session, code="UBND")
        cvp = factories.person(session, ubnd, title="CHÁNH VĂN PHÒNG", roles=["leader"])
        factories.right(session, cvp, ubnd, authority="TL.", for_title="CHỦ TỊCH",
                        on_behalf_of="ỦY BAN NHÂN DÂN")
        assert _block(session, cvp, ubnd).lines() == ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]

    def test_acting_head(self, session: Session) -> None:
        """An acting head prints Q. <head's title> and his name."""
        so = factories.org(session, code="STP")
        acting = factories.person(session, so, full_name="Đỗ Văn Quyền", title="PHÓ GIÁM ĐỐC",
                                  roles=["leader"])
        factories.right(session, acting, so, authority="Q.", for_title="GIÁM ĐỐC")
        block = _block(session, acting, so)
        assert block.lines() == ["Q. GIÁM ĐỐC"]
        assert block.name == "Đỗ Văn Quyền"

    def test_delegation_within_its_dates(self, session: Session) -> None:
        """TUQ. with a recorded, dated delegation prints TUQ. <head> / <own title>."""
        so = factories.org(session, code="SNV")
        tp = factories.person(session, so, title="TRƯỞNG PHÒNG TỔ CHỨC CÁN BỘ", roles=["leader"])
        factories.right(session, tp, so, authority="TUQ.", for_title="GIÁM ĐỐC",
                        delegation_ref="Giấy ủy quyền số 05/GUQ-SNV",
                        valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))
        assert _block(session, tp, so).lines() == ["TUQ. GIÁM ĐỐC", "TRƯỞNG PHÒNG TỔ CHỨC CÁN BỘ"]

    def test_expired_delegation_is_refused_with_its_date(self, session: Session) -> None:
        """After valid_until a TUQ. right is refused and the message names the last day."""
        so = factories.org(session, code="SNV")
        tp = factories.person(session, so, title="TRƯỞNG PHÒNG", roles=["leader"])
        factories.right(session, tp, so, authority="TUQ.", for_title="GIÁM ĐỐC",
                        delegation_ref="Giấy ủy quyền số 05/GUQ-SNV",
                        valid_from=date(2026, 1, 1), valid_until=date(2026, 3, 31))
        with pytest.raises(PermissionDenied, match=r"31/03/2026") as info:
            _block(session, tp, so)
        assert "05/GUQ-SNV" in str(info.value)

    def test_undated_delegation_is_refused(self, session: Session) -> None:
        """TUQ. without a written, dated delegation cannot be used at all."""
        so = factories.org(session, code="SNV")
        tp = factories.person(session, so, title="TRƯỞNG PHÒNG", roles=["leader"])
        factories.right(session, tp, so, authority="TUQ.", for_title="GIÁM ĐỐC")
        with pytest.raises(PermissionDenied, match="văn bản ủy quyền"):
            _block(session, tp, so)

    def test_right_limited_to_types(self, session: Session) -> None:
        """A right listing document types does not cover other types."""
        bcd = factories.org(session, code="BCĐ")
        deputy = factories.person(session, bcd, title="PHÓ TRƯỞNG BAN", roles=["leader"])
        row = factories.right(session, deputy, bcd, authority="KT.", for_title="TRƯỞNG BAN",
                              on_behalf_of="BAN CHỈ ĐẠO")
        row.doc_types = ["cong_van", "bao_cao"]
        session.flush()
        assert _block(session, deputy, bcd, doc_type="bao_cao").authority == "KT."
        with pytest.raises(PermissionDenied, match="quyet_dinh"):
            _block(session, deputy, bcd, doc_type="quyet_dinh")

    def test_no_right_at_all(self, session: Session) -> None:
        """Someone without a right for the issuer is told who must add one."""
        org = factories.org(session)
        nobody = factories.person(session, org, roles=["leader"])
        with pytest.raises(PermissionDenied, match="không có quyền ký"):
            _block(session, nobody, org)


class TestEligibleSigners:
    def test_head_first_and_expired_left_out(self, session: Session) -> None:
        """Eligible signers list the head before a deputy and leave out expired rights."""
        org = factories.org(session)
        deputy = factories.person(session, org, title="PHÓ GIÁM ĐỐC", roles=["leader"])
        factories.right(session, deputy, org, authority="KT.", for_title="GIÁM ĐỐC")
        head = factories.person(session, org, title="GIÁM ĐỐC", roles=["leader"])
        factories.right(session, head, org, authority=None)
        old = factories.person(session, org, title="TRƯỞNG PHÒNG", roles=["leader"])
        factories.right(session, old, org, authority="TUQ.", for_title="GIÁM ĐỐC",
                        delegation_ref="GUQ 1", valid_from=date(2025, 1, 1),
                        valid_until=date(2025, 12, 31))
        people = [p for p, _ in authority.eligible_signers(
            session=session, issuer_id=org.id, doc_type="cong_van", on=DAY)]
        assert people == [head, deputy]
