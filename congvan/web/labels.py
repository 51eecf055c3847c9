"""Vietnamese labels for the states and actions the pages show: the one table in
:mod:`registry.labels`, re-exported for the templates, plus the web's own audit actions.

``make i18n`` puts every value of these tables in the catalog (see
``congvan.web.i18n.extract_labels``); the pages show them in the request's language.
"""

from __future__ import annotations

from registry.labels import (
    ACCESS_ACT,
    ACCESS_CHANNEL,
    CASE_FILE_STATUS,
    CHANNEL,
    DELIVERY_STATE,
    DOCUMENT_STATUS,
    DOCUMENT_STATUS_IN_TEXT,
    FILE_KIND,
    FLOW,
    FLOW_RUN_STATE,
    HANDLING_EVENT,
    HANDLING_ROLE,
    HANDLING_STATUS,
    READ_RIGHT,
    REQUEST_STATUS,
    ROLE,
    label,
)
from registry.labels import (
    AUDIT_ACTION as _REGISTRY_AUDIT_ACTION,
)


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark ``text`` for extraction; returns it unchanged."""
    return text


# Accounts and reporter links are recorded in the audit log by congvan.auth.
AUDIT_ACTION = {
    **_REGISTRY_AUDIT_ACTION,
    "account_add": N_("Tạo tài khoản"),
    "password_change": N_("Đổi mật khẩu"),
    "password_reset": N_("Đặt lại mật khẩu"),
    "account_disable": N_("Khoá tài khoản"),
    "account_enable": N_("Mở khoá tài khoản"),
    "reporter_link": N_("Tạo đường dẫn nộp báo cáo"),
}

__all__ = ["ACCESS_ACT", "ACCESS_CHANNEL", "AUDIT_ACTION", "CASE_FILE_STATUS", "CHANNEL",
           "DELIVERY_STATE", "DOCUMENT_STATUS", "DOCUMENT_STATUS_IN_TEXT", "FILE_KIND", "FLOW",
           "FLOW_RUN_STATE", "HANDLING_EVENT", "HANDLING_ROLE", "HANDLING_STATUS", "READ_RIGHT",
           "REQUEST_STATUS", "ROLE", "N_", "label"]
