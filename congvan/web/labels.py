"""Vietnamese labels for the states and actions the pages show: the one table in
:mod:`registry.labels`, re-exported for the templates."""

from __future__ import annotations

from registry.labels import (
    AUDIT_ACTION,
    CHANNEL,
    DELIVERY_STATE,
    DOCUMENT_STATUS,
    DOCUMENT_STATUS_IN_TEXT,
    FILE_KIND,
    REQUEST_STATUS,
    ROLE,
    label,
)

__all__ = ["AUDIT_ACTION", "CHANNEL", "DELIVERY_STATE", "DOCUMENT_STATUS",
           "DOCUMENT_STATUS_IN_TEXT", "FILE_KIND", "REQUEST_STATUS", "ROLE", "label"]
