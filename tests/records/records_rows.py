"""Fixtures for records (hồ sơ): an organisation with its head, a deputy and a clerk, and
documents made as rows (issued, received, draft)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from registry.models import (
    Direction,
    Document,
    DocumentStatus,
    Organization,
    Person,
    Register,
)
from tests import factories

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
_numbers = itertools.count(1)


@dataclass
class Office:
    org: Organization
    unit: Organization
    head: Person
    deputy: Person
    clerk: Person
    out_register: Register
    in_register: Register


@pytest.fixture
def office(session: Session) -> Office:
    org = factories.org(session, name="BAN CHỈ ĐẠO THỬ", code="BCĐ")
    unit = factories.org(session, name="Phòng Nghiệp vụ", code="NV", parent_id=org.id,
                         kind="unit")
    head = factories.person(session, org, roles=["leader"], title="TRƯỞNG BAN")
    factories.right(session, head, org, authority="TM.", on_behalf_of="BAN CHỈ ĐẠO")
    deputy = factories.person(session, org, roles=["leader"], title="PHÓ TRƯỞNG BAN")
    factories.right(session, deputy, org, authority="KT.", for_title="TRƯỞNG BAN")
    clerk = factories.person(session, org, roles=["clerk"])
    out_register = factories.register(session, org)
    in_register = factories.register(session, org, code="DEN", name="Sổ văn bản đến",
                                     direction=Direction.INCOMING)
    return Office(org, unit, head, deputy, clerk, out_register, in_register)


def issued(session: Session, office: Office, **kw: Any) -> Document:
    """An issued outgoing document (a row; no files unless the test adds them)."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "direction": Direction.OUTGOING, "doc_type": "cong_van", "status": DocumentStatus.ISSUED,
        "issuer_id": office.org.id, "drafting_unit": "NV", "subject": f"V/v thử số {n}",
        "register_id": office.out_register.id, "number": n, "year": 2026,
        "symbol": "BCĐ-NV", "issue_date": date(2026, 3, 1 + n % 20),
        "signer_id": office.head.id, "created_by_id": office.clerk.id,
    }
    values.update(kw)
    doc = Document(**values)
    session.add(doc)
    session.flush()
    return doc


def draft(session: Session, office: Office, **kw: Any) -> Document:
    """A draft of the office (no number)."""
    doc = Document(direction=Direction.OUTGOING, doc_type="cong_van",
                   status=DocumentStatus.DRAFT, issuer_id=office.org.id, subject="V/v dự thảo",
                   created_by_id=office.clerk.id, symbol="BCĐ-NV", **kw)
    session.add(doc)
    session.flush()
    return doc


def received(session: Session, office: Office, **kw: Any) -> Document:
    """A registered incoming document."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "direction": Direction.INCOMING, "doc_type": "huong_dan",
        "status": DocumentStatus.RECEIVED, "register_id": office.in_register.id, "number": n,
        "year": 2026, "symbol": "HD-BCA", "sender_name": "Bộ Công an",
        "original_number": f"{n}/HD-BCA", "original_date": date(2026, 2, 10),
        "subject": "Hướng dẫn thử", "arrived_at": NOW,
    }
    values.update(kw)
    doc = Document(**values)
    session.add(doc)
    session.flush()
    return doc
