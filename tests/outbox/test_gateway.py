"""The axis gateway channel against a loopback stand-in: send, retry, dead letters, poll."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from outbox.channels.gateway import GatewayChannel, GatewayClient, GatewayConfig, sdk_hex
from outbox.edxml.model import BusinessType, StatusMessage
from outbox.edxml.parse import parse, parse_document
from outbox.edxml.poll import poll
from outbox.enqueue import enqueue_document
from outbox.errors import PermanentDeliveryError, TransientDeliveryError
from outbox.relay import RetryPolicy, relay_once
from registry.models import AuditEvent, Delivery, DeliveryStatus, Direction, Document
from tests.outbox.conftest import issued_document, make_message, savepoint_factory
from tests.outbox.gateway_server import GatewayTestServer
from tests.outbox.test_edxml_exchange import FIXTURES, committee

NOW = datetime(2022, 12, 16, 9, 0)


class TestChannel:
    def test_send_carries_credentials_and_sdk_headers(self, gateway: GatewayTestServer,
                                                      client: GatewayClient) -> None:
        """sendEdoc gets the edXML body, from/servicetype/messagetype, and returns the DocID;
        a resend with the same idempotency key is the same message."""
        channel = GatewayChannel(client, clock=lambda: NOW)
        first = channel.send(make_message("k1"))
        again = channel.send(make_message("k1"))
        assert first == again and first.message_id.startswith("gateway:")
        [sent] = gateway.state.sent
        assert (sent.headers["from"], sent.headers["servicetype"],
                sent.headers["messagetype"]) == ("000.00.00.H34", "eDoc", "edoc")
        assert parse_document(sent.body).number_symbol == "4267/BCĐ-NC"

    def test_requests_are_signed_as_the_sdk_signs_them(self, gateway: GatewayTestServer,
                                                       client: GatewayClient) -> None:
        """Every field travels as XroadVnpt-<name>, authenticated by the HMAC-SHA256 of the
        sign-header under the secret; the secret itself is never sent; sendEdoc's body is
        octet-stream with the SDK's hash-file."""
        GatewayChannel(client, clock=lambda: NOW).send(make_message("k1"))
        client.received()
        [send, listing] = gateway.state.calls
        for call in (send, listing):
            assert not any(gateway.state.secret in v for v in call.values())
            signed = json.loads(call["XroadVnpt-sign-header"])
            assert sorted(signed) == sorted(
                f"XroadVnpt-{n}" for n in call["XroadVnpt-sign-header-key"].split(";"))
            assert call["XroadVnpt-hash-header"] == hmac.new(
                gateway.state.secret.encode(), call["XroadVnpt-sign-header"].encode(),
                hashlib.sha256).hexdigest()
            assert call["XroadVnpt-systemid"] == gateway.state.system_id
            assert re.fullmatch(r"\d{8}T\d{6}\+\d{4}", call["XroadVnpt-timestamp"])
            assert call["XroadVnpt-version"] == "3.0.201608"
        [sent] = gateway.state.sent
        assert send["Content-Type"] == "application/octet-stream"
        assert send["XroadVnpt-hash-file"] == sdk_hex(hashlib.sha256(sent.body).digest())
        assert listing["Content-Type"] == "application/json"

    def test_hash_file_drops_leading_zeros_as_the_sdk_does(self) -> None:
        """The SDK writes each byte with Integer.toHexString: 0x0a is 'a', 0x00 is '0'."""
        assert sdk_hex(bytes([0x0A, 0xFF, 0x00, 0x10])) == "aff010"

    def test_refusal_in_the_answer_is_permanent(self, gateway: GatewayTestServer,
                                                client: GatewayClient) -> None:
        """status FAIL / a non-zero ErrorCode is a dead letter with the gateway's words."""
        with pytest.raises(PermanentDeliveryError, match="no such docId"):
            client.get_edoc("khong-co")

    def test_bad_credentials_are_permanent(self, gateway: GatewayTestServer) -> None:
        """A refused systemId/secret is a dead letter naming the settings to fix."""
        config = GatewayConfig(gateway.url, gateway.state.system_id, "sai", 10)
        with GatewayClient(config) as bad, pytest.raises(PermanentDeliveryError,
                                                         match="CONGVAN_GATEWAY_SECRET"):
            GatewayChannel(bad).send(make_message())

    def test_server_errors_and_refused_connections_are_transient(
            self, gateway: GatewayTestServer, client: GatewayClient) -> None:
        """503 from the gateway, or nobody listening, is retried later."""
        gateway.state.faults.append(503)
        with pytest.raises(TransientDeliveryError, match="503"):
            GatewayChannel(client).send(make_message())
        with GatewayClient(GatewayConfig("http://127.0.0.1:9/vxp", "a", "b", 2)) as nobody, \
                pytest.raises(TransientDeliveryError):
            GatewayChannel(nobody).send(make_message())


class TestThroughTheRelay:
    def test_retry_then_sent_and_dead_letter(self, session: Session, tmp_path: Path,
                                             gateway: GatewayTestServer,
                                             client: GatewayClient) -> None:
        """A 503 is retried with backoff, then the delivery is sent; bad credentials die."""
        doc = issued_document(session, tmp_path / "files", recipients=2)
        rows = enqueue_document(session=session, document_id=doc.id, channels=("gateway",))
        factory = savepoint_factory(session)
        gateway.state.faults.append(503)
        channels = {"gateway": GatewayChannel(client)}
        first = relay_once(channels=channels, session_factory=factory,
                           files_root=tmp_path / "files", clock=lambda: datetime.now(UTC))
        assert (first.sent, first.retried) == (1, 1)
        later = datetime.now(UTC) + RetryPolicy().delay(1, None) * 3
        second = relay_once(channels=channels, session_factory=factory,
                            files_root=tmp_path / "files", clock=lambda: later)
        assert second.sent == 1
        for row in rows:
            session.refresh(row)
        assert {r.status for r in rows} == {DeliveryStatus.SENT}
        assert len(gateway.state.sent) == 2
        bad = GatewayClient(GatewayConfig(gateway.url, gateway.state.system_id, "sai", 5))
        other = issued_document(session, tmp_path / "files", recipients=1)
        [row] = enqueue_document(session=session, document_id=other.id, channels=("gateway",))
        report = relay_once(channels={"gateway": GatewayChannel(bad)}, session_factory=factory,
                            files_root=tmp_path / "files")
        bad.close()
        session.refresh(row)
        assert report.dead == 1 and row.status is DeliveryStatus.DEAD
        assert row.last_error is not None and "CONGVAN_GATEWAY" in row.last_error


class TestPoll:
    def test_poll_takes_in_documents_and_statuses(self, session: Session, tmp_path: Path,
                                                  gateway: GatewayTestServer,
                                                  client: GatewayClient) -> None:
        """Waiting documents are registered and acked done; a broken one nobody can be told
        about is acked fail, quarantined with its reason; statuses are queued back through
        the gateway."""
        ours = committee(session)
        good = gateway.state.offer((FIXTURES / "document_new.edxml").read_bytes())
        broken = gateway.state.offer(b"<edXML xmlns='x'><oops/></edXML>")
        factory = savepoint_factory(session)
        report = poll(session_factory=factory, client=client, organization_id=ours.id,
                      files_root=tmp_path)
        assert [t.kind for t in report.taken] == ["document"]
        assert [r[0] for r in report.refused] == [broken]
        assert sorted(gateway.state.updates) == sorted([(good, "done"), (broken, "fail")])
        assert gateway.state.waiting == {}
        detail = session.scalar(select(AuditEvent.detail).where(
            AuditEvent.action == "edxml_quarantined"))
        assert detail is not None and "phần tử gốc" in detail["reason"]
        assert (tmp_path / detail["kept"]).read_bytes() == b"<edXML xmlns='x'><oops/></edXML>"
        doc = session.scalar(select(Document).where(Document.direction == Direction.INCOMING))
        assert doc is not None
        queued = session.scalars(select(Delivery).where(Delivery.document_id == doc.id)).all()
        assert {(d.kind, d.channel) for d in queued} == {("status:01", "gateway"),
                                                          ("status:03", "gateway")}
        sent = relay_once(channels={"gateway": GatewayChannel(client)}, session_factory=factory,
                          files_root=tmp_path)
        assert sent.failures == [] and sent.sent == 2
        answers = [parse(s.body) for s in gateway.state.sent]
        assert sorted(a.status_code for a in answers if isinstance(a, StatusMessage)) == [
            "01", "03"]
        assert all(s.headers["servicetype"] == "status" for s in gateway.state.sent)

    def test_hostile_gateway_answers_do_not_end_the_pass(
            self, session: Session, tmp_path: Path, gateway: GatewayTestServer,
            client: GatewayClient) -> None:
        """A listed docId that is not a plain token is never echoed into a header; a getEdoc
        answer that is not base64 is refused and acked fail; the next message is still
        taken in."""
        ours = committee(session)
        gateway.state.offer(b"<x/>", doc_id="abc\r\nX-Injected: 1")
        garbled = gateway.state.offer(b"")
        gateway.state.raw[garbled] = "@@@ không phải base64 @@@"
        good = gateway.state.offer((FIXTURES / "document_new.edxml").read_bytes())
        report = poll(session_factory=savepoint_factory(session), client=client,
                      organization_id=ours.id, files_root=tmp_path)
        assert [t.kind for t in report.taken] == ["document"]
        assert [(d, "base64" in r) for d, r in report.refused] == [(garbled, True)]
        assert sorted(gateway.state.updates) == sorted([(garbled, "fail"), (good, "done")])
        assert not any("X-Injected" in k for call in gateway.state.calls for k in call)

    def test_our_database_down_is_not_the_senders_fault(
            self, gateway: GatewayTestServer, client: GatewayClient, tmp_path: Path) -> None:
        """When our database cannot be reached, the pass stops with the message still waiting:
        not refused, not answered 02, not acknowledged."""
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        waiting = gateway.state.offer((FIXTURES / "document_new.edxml").read_bytes())
        down = create_engine("postgresql+psycopg://congvan@127.0.0.1:1/khong_co",
                             connect_args={"connect_timeout": 2})
        try:
            report = poll(session_factory=sessionmaker(down), client=client,
                          organization_id=1, files_root=tmp_path)
        finally:
            down.dispose()
        assert report.taken == [] and report.refused == []
        assert [d for d, _ in report.postponed] == [waiting]
        assert gateway.state.updates == [] and waiting in gateway.state.waiting
        assert not any(tmp_path.rglob("*.xml"))

    def test_revocation_through_the_gateway(self, session: Session, tmp_path: Path,
                                            gateway: GatewayTestServer,
                                            client: GatewayClient) -> None:
        """A revocation fetched from the gateway revokes the registered document."""
        ours = committee(session)
        gateway.state.offer((FIXTURES / "document_new.edxml").read_bytes())
        factory = savepoint_factory(session)
        poll(session_factory=factory, client=client, organization_id=ours.id,
             files_root=tmp_path)
        gateway.state.offer((FIXTURES / "document_revoke.edxml").read_bytes())
        report = poll(session_factory=factory, client=client, organization_id=ours.id,
                      files_root=tmp_path)
        [taken] = report.taken
        assert taken.kind == "revoke" and taken.document is not None
        assert taken.document.status.value == "revoked"
        assert parse_document((FIXTURES / "document_revoke.edxml").read_bytes()) \
            .business.doc_type is BusinessType.REVOKE


class TestCli:
    def test_outbox_poll_and_run_through_the_gateway(
            self, fresh_sqlite_url: str, tmp_path: Path, gateway: GatewayTestServer,
            monkeypatch: pytest.MonkeyPatch) -> None:
        """`congvan outbox poll --org` registers what waits; `outbox run` sends the answers
        through the gateway channel with the credentials from the settings."""
        from typer.testing import CliRunner

        from congvan.cli import app
        from congvan.settings import get_settings
        from registry import db

        for name, value in (("DATABASE_URL", fresh_sqlite_url), ("HOME", str(tmp_path / "h")),
                            ("GATEWAY_URL", gateway.url),
                            ("GATEWAY_SYSTEM_ID", gateway.state.system_id),
                            ("GATEWAY_SECRET", gateway.state.secret),
                            ("EDXML_TRANSPORT", "gateway"), ("DEMO", "1")):
            monkeypatch.setenv(f"CONGVAN_{name}", value)
        get_settings.cache_clear()
        engine = db.make_engine(fresh_sqlite_url)
        with Session(engine) as session, session.begin():
            ours = committee(session)
            key = ours.key
        engine.dispose()
        gateway.state.offer((FIXTURES / "document_new.edxml").read_bytes())
        try:
            polled = CliRunner().invoke(app, ["outbox", "poll", "--org", key])
            assert polled.exit_code == 0, polled.output
            assert "nhận 1, từ chối 0" in polled.output
            sent = CliRunner().invoke(app, ["outbox", "run", "-c", "gateway"])
            assert sent.exit_code == 0, sent.output
        finally:
            get_settings.cache_clear()
        codes = sorted(m.status_code for m in (parse(s.body) for s in gateway.state.sent)
                       if isinstance(m, StatusMessage))
        assert codes == ["01", "03"]
