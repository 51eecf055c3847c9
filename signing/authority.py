"""Signing authority (ND30 art. 13, Phụ lục I II.7): who may sign what, and the block printed.

Who may sign is data: :class:`registry.models.SigningRight` rows per person,
issuer and document type, with the prefix (TM., KT., TL., TUQ., Q.), the
collective (``on_behalf_of``), the head's title (``for_title``), a validity
period and, for TUQ., the written delegation. The signature block (ô 7a/7b) is
derived from the right the signer uses, never typed by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from doc_templates.spec import Signature
from registry.errors import PermissionDenied
from registry.models import Organization, Person, SigningRight

AUTHORITIES = (None, "TM.", "KT.", "TL.", "TUQ.", "Q.")
# The head signs before a deputy, a deputy before an acting head, by-order and delegated last.
_PREFERENCE = {None: 0, "TM.": 0, "KT.": 1, "Q.": 2, "TL.": 3, "TUQ.": 4}


@dataclass(frozen=True)
class SignatureBlock:
    """Ô 7a/7b as the doc_templates spec wants it (``Signature``)."""

    authority: str | None
    on_behalf_of: str | None
    for_title: str | None
    title: str | None
    name: str

    def as_spec(self) -> dict[str, Any]:
        """The spec's ``signature`` mapping."""
        return {"authority": self.authority, "on_behalf_of": self.on_behalf_of,
                "for_title": self.for_title, "title": self.title, "name": self.name}

    def lines(self) -> list[str]:
        """The bold caps lines above the signature, as printed."""
        return Signature(**self.as_spec()).authority_lines()


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _covers(right: SigningRight, doc_type: str) -> bool:
    return not right.doc_types or doc_type in right.doc_types


def refusal(right: SigningRight, *, on: date) -> str | None:
    """Why ``right`` cannot be used on ``on`` (Vietnamese), or None when it can."""
    if right.authority not in AUTHORITIES:
        return f"thẩm quyền ký '{right.authority}' không hợp lệ; dùng TM., KT., TL., TUQ. hoặc Q."
    if right.authority == "TUQ." and (
            not right.delegation_ref or right.valid_from is None or right.valid_until is None):
        return ("ký thừa ủy quyền (TUQ.) cần văn bản ủy quyền có ghi thời hạn "
                "(delegation_ref, valid_from, valid_until)")
    if right.authority in {"KT.", "TL.", "TUQ.", "Q."} and not right.for_title:
        return f"quyền ký {right.authority} thiếu chức vụ người đứng đầu (for_title)"
    if right.authority == "TM." and not right.on_behalf_of:
        return "quyền ký TM. thiếu tên tập thể (on_behalf_of), ví dụ ỦY BAN NHÂN DÂN"
    if right.valid_from is not None and on < right.valid_from:
        return f"quyền ký {right.authority or ''} chỉ có hiệu lực từ ngày {_d(right.valid_from)}"
    if right.valid_until is not None and on > right.valid_until:
        ref = f" theo {right.delegation_ref}" if right.delegation_ref else ""
        return (f"quyền ký {right.authority or ''}{ref} đã hết hiệu lực từ sau ngày "
                f"{_d(right.valid_until)}")
    return None


def rights_of(*, session: Session, person: Person, issuer_id: int,
              doc_type: str) -> Sequence[SigningRight]:
    """The person's rights for this issuer and document type, valid or not."""
    rows = session.scalars(select(SigningRight).where(
        SigningRight.person_id == person.id, SigningRight.issuer_id == issuer_id,
    ).order_by(SigningRight.id)).all()
    return [r for r in rows if _covers(r, doc_type)]


def right_for(*, session: Session, person: Person, issuer_id: int, doc_type: str,
              on: date) -> SigningRight:
    """The right ``person`` signs with on ``on``; PermissionDenied naming why not."""
    rights = rights_of(session=session, person=person, issuer_id=issuer_id, doc_type=doc_type)
    issuer = session.get(Organization, issuer_id)
    issuer_label = issuer.code if issuer is not None else f"#{issuer_id}"
    if not rights:
        raise PermissionDenied(
            f"{person.full_name} không có quyền ký văn bản loại '{doc_type}' của {issuer_label}; "
            "người quản trị cần thêm quyền ký (signs) trong danh bạ"
        )
    reasons = []
    for right in sorted(rights, key=lambda r: _PREFERENCE.get(r.authority, 9)):
        why = refusal(right, on=on)
        if why is None:
            return right
        reasons.append(why)
    raise PermissionDenied(f"{person.full_name} không ký được văn bản của {issuer_label} ngày "
                           f"{_d(on)}: " + "; ".join(reasons))


def block_for(right: SigningRight, person: Person) -> SignatureBlock:
    """The signature block derived from ``right`` for ``person`` (name and title from the person).

    TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH; TM. … / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH;
    TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG; TUQ. GIÁM ĐỐC / TRƯỞNG PHÒNG …; Q. GIÁM ĐỐC.
    """
    authority = right.authority
    on_behalf_of = right.on_behalf_of if authority in {"TM.", "KT.", "Q."} else None
    title = person.title
    if authority == "Q.":
        # An acting head prints only "Q. <head's title>" (ND30 Phụ lục I II.7.b).
        title = None
    block = SignatureBlock(
        authority=authority, on_behalf_of=on_behalf_of,
        for_title=right.for_title if authority != "TM." else None,
        title=title, name=person.full_name,
    )
    Signature(**block.as_spec())  # the template's own checks, so a bad right fails here
    return block


def signature_block(*, session: Session, person: Person, issuer_id: int, doc_type: str,
                    on: date) -> SignatureBlock:
    """The block ``person`` signs with on ``on`` (PermissionDenied if they may not sign)."""
    right = right_for(session=session, person=person, issuer_id=issuer_id, doc_type=doc_type,
                      on=on)
    return block_for(right, person)


def eligible_signers(*, session: Session, issuer_id: int, doc_type: str,
                     on: date) -> list[tuple[Person, SigningRight]]:
    """Everyone who may sign this type for this issuer on ``on``, the head first."""
    rows = session.scalars(select(SigningRight).where(
        SigningRight.issuer_id == issuer_id).order_by(SigningRight.id)).all()
    usable = [r for r in rows if _covers(r, doc_type) and refusal(r, on=on) is None
              and r.person.active and r.person.has_role("leader")]
    usable.sort(key=lambda r: _PREFERENCE.get(r.authority, 9))
    return [(r.person, r) for r in usable]
