"""Two issuing processes using a key for the first time at once (issue 14): the organisation's
certificate is registered once and both go on; a leader's demo key is created once and both
processes sign with that one. Real PostgreSQL, two connections."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import db
from registry.models import Organization, Person, SigningCertificate
from signing import certificates, keys
from tests import factories

pytestmark = pytest.mark.postgres
PASSWORD = "thu-nghiem"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> keys.DevCAFiles:
    return keys.create_dev_ca(tmp_path_factory.mktemp("keys"), password=PASSWORD)


def _seed(url: str) -> tuple[Any, int, int]:
    engine = db.make_engine(url)
    with Session(engine) as s, s.begin():
        org = factories.org(s, key="ubnd-xa", code="UBND")
        leader = factories.person(s, org, key="chu-tich", full_name="Nguyễn Văn Tịch",
                                  roles=["leader"])
        ids = org.id, leader.id
    return engine, *ids


def _count(engine: Any) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(SigningCertificate)) or 0)


def test_organisation_certificate_first_used_by_two_transactions(
        fresh_pg_url: str, ca: keys.DevCAFiles) -> None:
    """The second transaction waits for the first one's row and uses it: no unique-key error,
    one row."""
    engine, org_id, _ = _seed(fresh_pg_url)
    cert = (ca.ca_cert.parent / "organization.pem").read_bytes()
    first = Session(engine)
    row_id = certificates.require_organization_certificate(
        session=first, organization=first.get(Organization, org_id), certificate=cert).id
    seen: list[Any] = []

    def second() -> None:
        with Session(engine) as s:
            try:
                other = certificates.require_organization_certificate(
                    session=s, organization=s.get(Organization, org_id), certificate=cert)
                seen.append(other.id)
                s.commit()
            except Exception as exc:  # noqa: BLE001 - asserted below
                seen.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # the second INSERT is now waiting on the first one's row
    first.commit()
    thread.join(30)
    first.close()
    assert seen == [row_id]
    assert _count(engine) == 1
    engine.dispose()


def test_person_certificate_registered_by_two_transactions(
        fresh_pg_url: str, ca: keys.DevCAFiles) -> None:
    """Registering the same certificate for the same person at once: one row, both succeed."""
    engine, _, leader_id = _seed(fresh_pg_url)
    p12 = keys.issue_person(ca.ca_cert.parent, password=PASSWORD, person_key="chu-tich",
                            full_name="Nguyễn Văn Tịch")
    cert = (p12.parent / "cert.pem").read_bytes()
    first = Session(engine)
    row_id = certificates.register(session=first, certificate=cert, actor=None,
                                   person=first.get(Person, leader_id)).id
    seen: list[Any] = []

    def second() -> None:
        with Session(engine) as s:
            other = certificates.register(session=s, certificate=cert, actor=None,
                                          person=s.get(Person, leader_id))
            seen.append(other.id)
            s.commit()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    first.commit()
    thread.join(30)
    first.close()
    assert seen == [row_id]
    assert _count(engine) == 1
    engine.dispose()


def test_leader_demo_key_created_once_by_two_processes(
        fresh_pg_url: str, tmp_path: Path) -> None:
    """Two issuing tool sets (as in two worker processes: separate in-process locks) meet a
    leader without a key at once: one key is created, both sign with it, one certificate row."""
    from workflows.issuance import PersonKeys

    keys_dir = tmp_path / "keys"
    keys.create_dev_ca(keys_dir, password=PASSWORD)
    engine, _, leader_id = _seed(fresh_pg_url)
    start = threading.Barrier(2)
    certs: list[Any] = []

    def process() -> None:
        people = PersonKeys(keys_dir, PASSWORD)
        with Session(engine) as s:
            start.wait()
            try:
                signer = people.signer_for(s, s.get(Person, leader_id))
                certs.append(bytes(signer.certificate_der))
                s.commit()
            except Exception as exc:  # noqa: BLE001 - asserted below
                certs.append(exc)
            finally:
                people.close()

    threads = [threading.Thread(target=process) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(certs) == 2 and all(isinstance(c, bytes) for c in certs), certs
    assert certs[0] == certs[1]
    on_disk = (keys_dir / "people" / "chu-tich" / "cert.pem").read_bytes()
    assert certificates.read_certificate(on_disk).der == certs[0]
    assert _count(engine) == 1
    engine.dispose()
