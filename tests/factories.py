"""Row factories for tests: the smallest valid rows, every field overridable."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from registry.models import Direction, Organization, Person, Register, SigningRight

_seq = itertools.count(1)


def org(session: Session, **kw: Any) -> Organization:
    n = next(_seq)
    values: dict[str, Any] = {
        "key": f"org-{n}", "name": f"CƠ QUAN THỬ {n}", "code": f"CQ{n}", "kind": "body",
        "place": "Kon Tum", "email": f"org{n}@example.test",
    }
    values.update(kw)
    row = Organization(**values)
    session.add(row)
    session.flush()
    return row


def register(session: Session, organization: Organization, **kw: Any) -> Register:
    values: dict[str, Any] = {
        "organization_id": organization.id, "code": "DI", "name": "Sổ đăng ký văn bản đi",
        "direction": Direction.OUTGOING, "doc_types": [], "secret": False,
    }
    values.update(kw)
    row = Register(**values)
    session.add(row)
    session.flush()
    return row


def person(session: Session, organization: Organization, **kw: Any) -> Person:
    n = next(_seq)
    values: dict[str, Any] = {
        "key": f"person-{n}", "full_name": f"Nguyễn Văn {n}", "title": "CHUYÊN VIÊN",
        "organization": organization, "roles": ["clerk"], "email": f"p{n}@example.test",
    }
    values.update(kw)
    row = Person(**values)
    session.add(row)
    session.flush()
    return row


def right(session: Session, who: Person, issuer: Organization, **kw: Any) -> SigningRight:
    row = SigningRight(person=who, issuer=issuer, doc_types=[], **kw)
    session.add(row)
    session.flush()
    return row
