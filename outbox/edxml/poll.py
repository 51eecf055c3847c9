"""Fetch what waits at the axis gateway and take it in, one transaction per message.

Statuses first (they answer what we sent), then documents. A message taken in is
acknowledged ``done``. One that is refused — bad XML, bombs, missing files, a forged or
untrusted signature, or anything nobody foresaw — is acknowledged ``fail``, answered with
Status 02 when its sender can be told, and quarantined (:mod:`outbox.edxml.refusal`); the pass
goes on with the next message. A message the gateway cannot hand over right now (a transient
error) stays waiting for the next poll; when our own database or disk fails, the pass stops
with nothing acknowledged, and the next poll takes it from there. A crash between the commit
and ``done`` only means the message is fetched again: intake recognises the same DocumentId
and gives no new number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from outbox.channels.gateway import GatewayClient
from outbox.edxml.receive import Received
from outbox.edxml.refusal import Refusal, refuse_package, take_in
from outbox.edxml.verify import SignerTrust
from outbox.errors import NotTheirFault, PermanentDeliveryError, TransientDeliveryError
from registry.clock import local_now


@dataclass
class PollReport:
    """What one poll did."""

    taken: list[Received] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (gateway DocID, reason)
    refusals: list[Refusal] = field(default_factory=list)
    postponed: list[tuple[str, str]] = field(default_factory=list)  # (DocID, transient error)


def poll(*, session_factory: sessionmaker[Session], client: GatewayClient,
         organization_id: int, files_root: Path, trust: SignerTrust | None = None,
         clock: Callable[[], datetime] = local_now) -> PollReport:
    """Take in every message waiting for us at the gateway."""
    report = PollReport()
    for statuses in (True, False):
        for waiting in client.received(status=statuses):
            try:
                data = client.get_edoc(waiting.doc_id)
            except TransientDeliveryError as error:
                report.postponed.append((waiting.doc_id, str(error)))
                continue
            except PermanentDeliveryError as error:  # e.g. larger than we accept
                data, reason = b"", str(error)
                with session_factory.begin() as session:
                    refusal = refuse_package(
                        session=session, organization_id=organization_id, data=data,
                        reason=reason, channel="gateway", arrived_at=clock(),
                        files_root=files_root, source=f"gateway:{waiting.doc_id}")
                _refused(client, report, waiting.doc_id, refusal)
                continue
            try:
                outcome = take_in(session_factory=session_factory,
                                  organization_id=organization_id, data=data,
                                  arrived_at=clock(), files_root=files_root, channel="gateway",
                                  trust=trust, source=f"gateway:{waiting.doc_id}")
            except NotTheirFault as error:  # our database or disk: stop, nothing acked
                report.postponed.append((waiting.doc_id, str(error.__cause__ or error)))
                return report
            if outcome.refusal is not None:
                _refused(client, report, waiting.doc_id, outcome.refusal)
                continue
            assert outcome.received is not None
            report.taken.append(outcome.received)
            _ack(client, report, waiting.doc_id, "done")
    return report


def _refused(client: GatewayClient, report: PollReport, doc_id: str, refusal: Refusal) -> None:
    report.refused.append((doc_id, refusal.reason))
    report.refusals.append(refusal)
    _ack(client, report, doc_id, "fail")


def _ack(client: GatewayClient, report: PollReport, doc_id: str, status: str) -> None:
    # Not acknowledged now, offered again later: intake knows it by then (no second number).
    try:
        client.update_status(doc_id, status)
    except TransientDeliveryError as error:
        report.postponed.append((doc_id, str(error)))
