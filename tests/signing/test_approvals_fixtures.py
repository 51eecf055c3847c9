"""Builders shared by the approval, authority and issuing tests (no tests here).

A small world after examples/kontum-2022.yaml: a steering committee that signs
collectively, its chair (TM.), a deputy (KT.), a reviewer, a clerk and a reporter.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry import documents
from registry.models import Document, Organization, Person
from tests import factories


@dataclass
class World:
    issuer: Organization
    chair: Person
    deputy: Person
    head_of_dept: Person
    clerk: Person
    reporter: Person
    drafter: Person


def build_world(session: Session) -> World:
    """The committee, its register and its people with their rights."""
    issuer = factories.org(session, name="BAN CHỈ ĐẠO PCTP, TNXH\nTỈNH KON TUM", code="BCĐ",
                           header_parent="UBND TỈNH KON TUM", kind="advisory", place="Kon Tum")
    factories.register(session, issuer)
    chair = factories.person(session, issuer, full_name="Lê Ngọc Tuấn", title="TRƯỞNG BAN",
                             roles=["leader"])
    factories.right(session, chair, issuer, authority="TM.", on_behalf_of="BAN CHỈ ĐẠO")
    deputy = factories.person(session, issuer, full_name="Nguyễn Văn A", title="PHÓ TRƯỞNG BAN",
                              roles=["leader"])
    factories.right(session, deputy, issuer, authority="KT.", for_title="TRƯỞNG BAN",
                    on_behalf_of="BAN CHỈ ĐẠO")
    head = factories.person(session, issuer, full_name="Lê Văn C", title="TRƯỞNG PHÒNG",
                            roles=["reviewer"])
    clerk = factories.person(session, issuer, full_name="Trần Thị B", title="VĂN THƯ",
                             roles=["clerk"])
    reporter = factories.person(session, issuer, full_name="Hoàng Văn E", roles=["reporter"])
    drafter = factories.person(session, issuer, full_name="Phạm Thị Soạn", roles=["drafter"])
    return World(issuer, chair, deputy, head, clerk, reporter, drafter)


def new_draft(session: Session, world: World, *, body: str = "Đề nghị các đơn vị báo cáo.",
              ) -> Document:
    """A công văn draft of the committee, written by the drafter."""
    return documents.create(
        session=session, doc_type="cong_van", issuer=world.issuer,
        subject="V/v báo cáo kết quả thực hiện Hướng dẫn số 22/HD-BCA-V05", body=body,
        drafting_unit="NC", created_by=world.drafter,
        recipients=[("Các thành viên Ban Chỉ đạo", None)],
    )
