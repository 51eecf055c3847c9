"""Fixtures for records (hồ sơ): an organisation with its head, a deputy and a clerk, and
documents made as rows (issued, received, draft)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from registry import files as file_store
from registry.models import (
    Direction,
    Document,
    DocumentFile,
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


def pdf_bytes(pages: int, label: str) -> bytes:
    """A small valid PDF of ``pages`` pages whose text names ``label`` (xref offsets exact)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [{}] /Count {} >>".format(
                   " ".join(f"{3 + 2 * i} 0 R" for i in range(pages)), pages)]
    for i in range(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({label} trang {i + 1}) Tj ET".encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       f"/Contents {4 + 2 * i} 0 R >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode('latin-1')}\n"
                       "endstream")
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)


def attach_pdf(session: Session, document: Document, root: Path, data: bytes,
               kind: str = "signed_pdf") -> DocumentFile:
    """Store ``data`` as the document's PDF in the file store under ``root``."""
    stored = file_store.store(root, document_id=document.id, year=2026, stem="van-ban",
                              suffix=".pdf", data=data)
    row = DocumentFile(document_id=document.id, kind=kind, path=stored.path,
                       sha256=stored.sha256, size=stored.size)
    session.add(row)
    session.flush()
    session.refresh(document, ["files"])
    return row
