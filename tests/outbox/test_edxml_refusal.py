"""Refusing incoming documents: a clerk's refusal from the CLI (state, history, audit, Status
02 with the reason), and packages we cannot take in — answered 02 when the sender can be
told, quarantined otherwise, nothing half-stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from congvan.cli import app
from congvan.cli._common import console
from congvan.settings import get_settings
from outbox.channels.gateway import GatewayClient
from outbox.edxml.build import NS, build_document, build_status
from outbox.edxml.parse import parse_document, parse_status
from outbox.edxml.poll import poll
from outbox.edxml.refusal import Outcome, take_in
from outbox.edxml.verify import SignerTrust
from registry import db
from registry.directory import import_file
from registry.models import (
    AuditEvent,
    Delivery,
    Direction,
    Document,
    DocumentStatus,
    Organization,
    Person,
)
from signing.keys import DevCAFiles, create_dev_ca
from tests import factories
from tests.outbox.conftest import savepoint_factory
from tests.outbox.gateway_server import GatewayTestServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "edxml"
DIRECTORY = Path("examples/kontum-2022.yaml")
WHERE = ["--org", "bcd-kontum", "--year", "2025"]


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCAFiles:
    """A demo CA and the organisation's key, made once for the module."""
    from tests.signing.conftest import PASSWORD

    return create_dev_ca(tmp_path_factory.mktemp("devca"), password=PASSWORD)


@pytest.fixture
def runner(fresh_sqlite_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """Settings on a fresh database with the Kon Tum directory; edXML drops under tmp_path."""
    for key, value in {"DATABASE_URL": fresh_sqlite_url, "HOME": str(tmp_path),
                       "FILES_DIR": str(tmp_path / "files"), "EDXML_SIGN": "false",
                       "SECRET_KEY": "khoa-that-cho-kiem-thu-0123456789"}.items():
        monkeypatch.setenv(f"CONGVAN_{key}", value)
    get_settings.cache_clear()
    monkeypatch.setattr(console, "width", 240)
    db.configure(fresh_sqlite_url)
    with db.transaction() as session:
        import_file(session=session, path=DIRECTORY)
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, args: list[str], code: int = 0) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


class TestClerkRefuses:
    def test_refuse_from_the_cli_sends_02_with_the_reason(self, runner: CliRunner,
                                                          tmp_path: Path) -> None:
        """The committee's văn thư refuses the ministry's document: it is marked refused, the
        reason is in its history and audit log, and the 02 that reaches the ministry carries
        the reason."""
        run(runner, ["receive", str(FIXTURES / "document_new.edxml"), "--org", "bcd-kontum",
                     "--at", "2025-10-13 15:00", "--clerk", "van-thu-bcd"])
        reason = "Văn bản gửi nhầm cơ quan; đề nghị gửi Sở Tài chính tỉnh Kon Tum"
        said = run(runner, ["incoming", "refuse", "1", *WHERE, "--clerk", "van-thu-bcd",
                            "--reason", reason])
        assert "Đã từ chối tiếp nhận văn bản đến số 01" in said and "trạng thái 02" in said
        shown = run(runner, ["incoming", "show", "1", *WHERE])
        assert f"Trần Thị B: từ chối tiếp nhận — {reason}" in shown
        assert "Từ chối tiếp nhận" in run(runner, ["incoming", "list", *WHERE])
        with db.transaction() as session:
            doc = session.scalars(select(Document)).one()
            assert doc.status is DocumentStatus.REFUSED
            audit = session.scalar(select(AuditEvent.detail).where(
                AuditEvent.action == "handling.refuse", AuditEvent.object_id == doc.id))
            assert audit is not None and audit["note"] == reason
        sent = run(runner, ["outbox", "run", "-c", "edxml"])
        assert "đã gửi 3" in sent  # 01, 03 at arrival, then 02
        packages = sorted((tmp_path / "outbox" / "edxml" / "000.00.00.G12").rglob("edxml.xml"))
        statuses = {s.status_code: s for s in map(parse_status, packages)}
        assert set(statuses) == {"01", "02", "03"}
        refusal = statuses["02"]
        assert refusal.description == reason
        assert str(refusal.response_for.key) == "000.00.00.G12,2025/10/13,2440/BTC-VP"
        assert refusal.sender.organ_id == "000.00.00.Z04"

    def test_refused_file_is_answered_and_listed(self, runner: CliRunner,
                                                tmp_path: Path) -> None:
        """congvan receive of a broken package ends with code 1 naming the fault, queues the
        02, and congvan incoming quarantine lists it with where its bytes are kept."""
        broken = tmp_path / "thieu-tep.xml"
        broken.write_bytes(MISSING_FILE)
        said = run(runner, ["receive", str(broken), "--org", "bcd-kontum"], 1)
        assert "Từ chối gói edXML" in said and "không chứa tệp" in said
        assert "trạng thái 02" in said and "000.00.00.G12" in said
        listed = run(runner, ["incoming", "quarantine", "--org", "bcd-kontum"])
        assert "000.00.00.G12,2025/10/13,2440/BTC-VP (đã báo 02; file:thieu-tep.xml)" in listed
        assert "lưu tại quarantine/edxml/" in listed and "1 gói bị từ chối" in listed

    def test_only_the_receiving_offices_clerk_refuses_once_before_assignment(
            self, session: Session, tmp_path: Path) -> None:
        """A leader, or a clerk of another office, may not refuse; an empty reason is named;
        an assigned document is not refused by the văn thư; a refused one is not refused twice
        nor presented."""
        from outbox import handling
        from registry.errors import InvalidTransition, PermissionDenied, ValidationError

        ours = committee(session)
        clerk = factories.person(session, ours, roles=["clerk"])
        leader = factories.person(session, ours, roles=["leader"])
        stranger = factories.person(session, factories.org(session, name="CÔNG AN TỈNH"))
        first = take(session, ours, GOOD, tmp_path).received
        second = take(session, ours, (FIXTURES / "document_update.edxml").read_bytes(),
                      tmp_path).received
        assert first is not None and first.document is not None
        assert second is not None and second.document is not None
        one, two = first.document.id, second.document.id

        def refuse(document_id: int, who: Person, reason: str = "Gửi nhầm") -> object:
            return handling.refuse(session=session, document_id=document_id, clerk=who,
                                   reason=reason)

        with pytest.raises(PermissionDenied, match="không có vai trò văn thư"):
            refuse(one, leader)
        with pytest.raises(PermissionDenied, match="không phải văn thư của"):
            refuse(one, stranger)
        with pytest.raises(ValidationError, match="lý do"):
            refuse(one, clerk, "   ")
        handling.assign(session=session, document_id=one, leader=leader,
                        main=handling.Assignee(person=clerk), due=None)
        with pytest.raises(InvalidTransition, match="đã được giao xử lý"):
            refuse(one, clerk)
        refuse(two, clerk)
        with pytest.raises(InvalidTransition, match="trước đây"):
            refuse(two, clerk)
        with pytest.raises(InvalidTransition, match="đã bị từ chối tiếp nhận"):
            handling.present(session=session, document_id=two, clerk=clerk, leader=leader)
        assert session.scalar(select(Delivery.id).where(
            Delivery.document_id == two, Delivery.kind == "status:02")) is not None
        assert session.scalar(select(Delivery.id).where(
            Delivery.document_id == one, Delivery.kind == "status:02")) is None

ARRIVED = datetime(2025, 10, 13, 8, 0, tzinfo=UTC)
GOOD = (FIXTURES / "document_new.edxml").read_bytes()
_HEAD = GOOD[:GOOD.index(b"<AttachmentEncoded>")]
BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<edXML xmlns="' + NS.encode() + b'">&lol3;</edXML>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       b'<edXML xmlns="' + NS.encode() + b'"><edXMLEnvelope>&e;</edXMLEnvelope></edXML>')
NETWORK = (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">'
           b'<edXML xmlns="' + NS.encode() + b'"/>')
DEEP = b'<edXML xmlns="' + NS.encode() + b'">' + b"<a>" * 5_000 + b"</a>" * 5_000 + b"</edXML>"
# The header is readable, then the package goes wrong: these are answered 02.
MISSING_FILE = GOOD.replace(b"<ContentId>cid:cbc23df4", b"<ContentId>cid:xxxxxxxx")
TRUNCATED = GOOD[:len(_HEAD) + 2_000]
DEEP_AFTER_HEADER = _HEAD + b"<x>" * 5_000
# Ten fields each under the 1 MB bound, together past the 8 MB bound on plain text.
HUGE_AFTER_HEADER = _HEAD + b"".join(b"<n>" + b"y" * 900_000 + b"</n>" for _ in range(10))
# No text at all, under the element bound: 18 MB of attributes count as plain text too.
HUGE_ATTRIBUTES = _HEAD + \
    (b"<a x='" + b"z" * 400 + b"'/>") * 45_000


def committee(session: Session) -> Organization:
    """The receiving committee (edXML id …Z18) with its incoming register."""
    ours = factories.org(session, name="BAN CHỈ ĐẠO\nTỈNH", place="Kon Tum",
                         edxml_id="000.00.00.Z18")
    factories.register(session, ours, code="DEN", name="Sổ văn bản đến",
                       direction=Direction.INCOMING)
    return ours


def take(session: Session, ours: Organization, data: bytes, files: Path,
         trust: SignerTrust | None = None) -> Outcome:
    return take_in(session_factory=savepoint_factory(session), organization_id=ours.id,
                   data=data, arrived_at=ARRIVED, files_root=files, channel="edxml",
                   trust=trust, source="test")


def nothing_registered(session: Session, files: Path) -> None:
    assert session.scalar(select(Document.id)) is None
    stored = [p for p in files.rglob("*") if p.is_file()]
    assert all(p.relative_to(files).parts[:2] == ("quarantine", "edxml") for p in stored)


class TestHostilePackages:
    @pytest.mark.parametrize(("data", "words"), [
        (MISSING_FILE, "không chứa tệp"),
        (TRUNCATED, "cú pháp XML"),
        (DEEP_AFTER_HEADER, "lồng quá 40 cấp"),
    ], ids=["missing-attachment", "truncated", "depth-bomb-after-header"])
    def test_readable_sender_gets_02_naming_the_fault(self, session: Session, tmp_path: Path,
                                                      data: bytes, words: str) -> None:
        """When From and DocumentId are whole, the sender gets Status 02 whose Description
        names what was wrong; nothing is registered, the bytes are quarantined."""
        ours = committee(session)
        outcome = take(session, ours, data, tmp_path)
        refusal = outcome.refusal
        assert refusal is not None and outcome.received is None
        assert words in refusal.reason
        answer = refusal.answer
        assert answer is not None and answer.kind == "status:02"
        assert answer.address == "000.00.00.G12"
        assert answer.payload["document_id"] == "000.00.00.G12,2025/10/13,2440/BTC-VP"
        assert answer.payload["description"].startswith("Không tiếp nhận được gói edXML: ")
        assert words in answer.payload["description"]
        assert refusal.kept is not None and (tmp_path / refusal.kept).read_bytes() == data
        nothing_registered(session, tmp_path)
        again = take(session, ours, data, tmp_path).refusal
        assert again is not None and again.answer is None  # the same package: one 02

    # The content is what is tested here, not the engine: SQLite only (the suite's budget).
    @pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
    @pytest.mark.parametrize(("data", "words"), [
        (HUGE_AFTER_HEADER, "dài quá"),
        (HUGE_ATTRIBUTES, "dài quá"),
        (_HEAD + b"<e/>" * 50_001, "quá 50,000 phần tử"),
    ], ids=["huge-text", "huge-attributes", "element-flood"])
    def test_size_bombs_after_the_header_are_answered(self, session: Session, tmp_path: Path,
                                                      data: bytes, words: str) -> None:
        """Text, attributes or elements past their bounds stop the read with the bound named;
        the header before them is whole, so the sender gets 02 saying so."""
        ours = committee(session)
        refusal = take(session, ours, data, tmp_path).refusal
        assert refusal is not None and refusal.answer is not None
        assert words in refusal.reason and words in refusal.answer.payload["description"]
        nothing_registered(session, tmp_path)

    @pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
    @pytest.mark.parametrize(("data", "words"), [
        (BOMB, "DOCTYPE"), (XXE, "DOCTYPE"), (NETWORK, "DOCTYPE"), (DEEP, "lồng quá"),
        (b"\x00\xff garbage", "cú pháp XML"), (b"", "cú pháp XML"),
        (GOOD.replace(b"000.00.00.G12", b"../../etc"), "OrganId"),
    ], ids=["billion-laughs", "external-entity", "network-dtd", "depth-bomb", "garbage", "empty",
            "bad-organ-id"])
    def test_unreadable_sender_is_quarantined_and_logged(self, session: Session,
                                                          tmp_path: Path, data: bytes,
                                                          words: str) -> None:
        """When nobody can be told (a DOCTYPE at the top, garbage, a malformed OrganId), the
        package is quarantined and the audit log says why; nothing is answered or
        registered, nothing is fetched."""
        ours = committee(session)
        refusal = take(session, ours, data, tmp_path).refusal
        assert refusal is not None and refusal.answer is None
        assert not refusal.identity.answerable and words in refusal.reason
        detail = session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "edxml_quarantined"))
        assert detail is not None and detail["reason"] == refusal.reason
        assert detail["sha256"] == refusal.sha256 and detail["kept"] == refusal.kept
        assert session.scalar(select(Delivery.id)) is None
        nothing_registered(session, tmp_path)

    def test_control_bytes_before_the_declaration_never_reach_the_log(
            self, session: Session, tmp_path: Path) -> None:
        """Stray bytes with NUL and controls before the XML declaration are skipped with a
        warning that shows them replaced — the audit log (JSON on PostgreSQL) takes it."""
        ours = committee(session)
        received = take(session, ours, b"12\x00\x1b" + GOOD, tmp_path).received
        assert received is not None and received.kind == "document"
        [warning] = received.warnings
        assert "12��" in warning and "\x00" not in warning

    def test_an_unforeseen_failure_is_quarantined_and_the_pass_goes_on(
            self, session: Session, tmp_path: Path, gateway: GatewayTestServer,
            client: GatewayClient, dev_ca: DevCAFiles) -> None:
        """A package whose check blows up in a way nobody foresaw (here: the trust check)
        is refused by the kind of failure; the packages around it are still taken in."""
        from signing.keyring import KeySource
        from signing.xmldsig import XmlDsigSigner
        from tests.signing.conftest import PASSWORD

        ours = committee(session)
        signer = XmlDsigSigner.from_key_source(KeySource.pkcs12(dev_ca.organization_p12,
                                                                PASSWORD))
        signed = build_document(parse_document(GOOD), signer=signer)
        first = gateway.state.offer(BOMB)
        middle = gateway.state.offer(signed)
        last = gateway.state.offer(GOOD)
        report = poll(session_factory=savepoint_factory(session), client=client,
                      organization_id=ours.id, files_root=tmp_path, trust=Exploding())
        assert [r[0] for r in report.refused] == [first, middle]
        assert "RuntimeError" in report.refused[1][1]
        assert [t.kind for t in report.taken] == ["document"]
        assert sorted(gateway.state.updates) == sorted(
            [(first, "fail"), (middle, "fail"), (last, "done")])



class Exploding:
    """A SignerTrust that fails as nobody foresaw."""

    def check(self, **_: object) -> str | None:
        raise RuntimeError("boom")


class TestSignatureRefusal:
    def test_tampered_signed_package_is_refused_with_02(self, session: Session, tmp_path: Path,
                                                        dev_ca: DevCAFiles) -> None:
        """A signed package changed after signing is not registered; its sender gets 02 naming
        the signature problem."""
        from signing.keyring import KeySource
        from signing.xmldsig import XmlDsigSigner
        from tests.signing.conftest import PASSWORD

        ours = committee(session)
        signer = XmlDsigSigner.from_key_source(KeySource.pkcs12(dev_ca.organization_p12,
                                                                PASSWORD))
        signed = build_document(parse_document(GOOD), signer=signer)
        tampered = signed.replace("Công văn".encode(), "Quyết định".encode(), 1)
        refusal = take(session, ours, tampered, tmp_path).refusal
        assert refusal is not None and refusal.answer is not None
        assert "Chữ ký số của gói edXML không được chấp nhận" in refusal.reason
        assert "đã bị thay đổi sau khi ký" in refusal.answer.payload["description"]
        nothing_registered(session, tmp_path)

    def test_tampered_signed_status_moves_nothing(self, session: Session, tmp_path: Path,
                                                  dev_ca: DevCAFiles) -> None:
        """A signed Status changed after signing is refused and quarantined (a Status is
        never answered with a Status); nothing is applied."""
        from signing.keyring import KeySource
        from signing.xmldsig import XmlDsigSigner
        from tests.signing.conftest import PASSWORD

        ours = committee(session)
        signer = XmlDsigSigner.from_key_source(KeySource.pkcs12(dev_ca.organization_p12,
                                                                PASSWORD))
        status = parse_status((FIXTURES / "status.edxml").read_bytes())
        signed = build_status(status, signer=signer)
        tampered = signed.replace(status.description.encode(), "Đã tiếp nhận".encode(), 1)
        assert tampered != signed
        outcome = take(session, ours, tampered, tmp_path)
        refusal = outcome.refusal
        assert refusal is not None and outcome.received is None and refusal.answer is None
        assert refusal.identity.status and "đã bị thay đổi sau khi ký" in refusal.reason
        assert session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == "edxml_quarantined")) is not None

    def test_certificate_revoked_in_our_directory_is_refused(
            self, session: Session, tmp_path: Path, dev_ca: DevCAFiles) -> None:
        """A signature whose certificate our directory records as revoked before the package
        arrived is refused with the date, and the sender told."""
        from signing import certificates
        from signing.keyring import KeySource
        from signing.xmldsig import XmlDsigSigner
        from tests.signing.conftest import PASSWORD

        ours = committee(session)
        ministry = factories.org(session, name="BỘ TÀI CHÍNH", edxml_id="000.00.00.G12")
        pem = (dev_ca.ca_cert.parent / "organization.pem").read_bytes()
        row = certificates.register(session=session, certificate=pem, actor=None,
                                    organization=ministry)
        certificates.revoke(session=session, fingerprint=row.fingerprint, actor=None,
                            at=datetime(2025, 10, 1, tzinfo=UTC))
        signer = XmlDsigSigner.from_key_source(KeySource.pkcs12(dev_ca.organization_p12,
                                                                PASSWORD))
        signed = build_document(parse_document(GOOD), signer=signer)
        refusal = take(session, ours, signed, tmp_path).refusal
        assert refusal is not None and refusal.answer is not None
        assert "đã bị thu hồi ngày 01/10/2025" in refusal.reason
        nothing_registered(session, tmp_path)
