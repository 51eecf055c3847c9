"""The doc_templates spec of a registry document: what a draft version and the issued file print.

The document row's own ``spec`` (from ``--spec SPEC.yaml`` or the web form)
supplies the optional parts (bases, distribution, address…); the row supplies
what the registry owns: type, issuer, subject, body, recipients, number, date
and the signature block derived from the signer's right.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from doc_templates.spec import DocumentSpec, parse_spec
from registry import recipients
from registry.models import Document


def spec_for(document: Document, *, signature: dict[str, Any], number: int | None = None,
             on: date | None = None) -> DocumentSpec:
    """The spec to render ``document`` with; ``number`` and ``on`` only when issuing."""
    data: dict[str, Any] = dict(document.spec or {})
    issuer = document.issuer
    assert issuer is not None, "an outgoing document always has an issuer"
    data.update({
        "type": document.doc_type,
        "issuer": {"parent": issuer.header_parent, "name": issuer.name, "code": issuer.code},
        "drafting_unit": document.drafting_unit,
        "subject": document.subject,
        "body": document.body,
        "signature": signature,
        "number": number,
        "symbol": document.symbol,
        "date": on,
    })
    data.setdefault("place", issuer.place or "")
    if document.recipients:
        # Kính gửi and Nơi nhận as registry.recipients prints them ("Như trên" first when
        # there are addressees above; free-text lines as typed).
        to, lines = recipients.printed(document, data.get("distribution") or [])
        if to and not data.get("recipients"):
            data["recipients"] = to
        data["distribution"] = lines
    if not data.get("archive"):
        data["archive"] = recipients.archive_line(document).removeprefix("Lưu: ")
    if document.urgency:
        data["urgency"] = document.urgency
    if document.secrecy:
        data["secrecy"] = document.secrecy
    if not on:
        data.pop("date")
    return parse_spec(data, source=f"văn bản #{document.id}")
