"""Fetch what waits at the axis gateway and take it in, one transaction per message.

Statuses first (they answer what we sent), then documents. A message taken in is
acknowledged ``done``; one that is refused (bad XML, bombs, missing files, unknown
document) is acknowledged ``fail`` and its reason recorded in the audit log, so the
gateway stops offering it. A crash between the commit and ``done`` only means the
message is fetched again: intake recognises the same DocumentId and gives no new number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from outbox.channels.gateway import GatewayClient
from outbox.edxml.receive import Received, receive
from outbox.errors import EdxmlError, IntakeError, ReceiptError
from registry import audit
from registry.clock import local_now


@dataclass
class PollReport:
    """What one poll did."""

    taken: list[Received] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (gateway DocID, reason)


def poll(*, session_factory: sessionmaker[Session], client: GatewayClient,
         organization_id: int, files_root: Path,
         clock: Callable[[], datetime] = local_now) -> PollReport:
    """Take in every message waiting for us at the gateway."""
    report = PollReport()
    for statuses in (True, False):
        for waiting in client.received(status=statuses):
            data = client.get_edoc(waiting.doc_id)
            try:
                with session_factory.begin() as session:
                    report.taken.append(receive(
                        session=session, organization_id=organization_id, data=data,
                        arrived_at=clock(), files_root=files_root, channel="gateway"))
            except (EdxmlError, IntakeError, ReceiptError) as error:
                with session_factory.begin() as session:
                    audit.record(session=session, action="edxml_refused",
                                 object_type="organization", object_id=organization_id,
                                 detail={"gateway_doc_id": waiting.doc_id,
                                         "from": waiting.sender, "reason": str(error)})
                client.update_status(waiting.doc_id, "fail")
                report.refused.append((waiting.doc_id, str(error)))
                continue
            client.update_status(waiting.doc_id, "done")
    return report
