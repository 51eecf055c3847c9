"""Vietnamese labels for the states and actions the pages show."""

from __future__ import annotations

DOCUMENT_STATUS = {
    "draft": "Dự thảo",
    "submitted": "Chờ duyệt",
    "returned": "Bị trả lại",
    "approved": "Đã duyệt",
    "signed": "Đã ký",
    "issued": "Đã ban hành",
    "revoked": "Đã thu hồi",
    "received": "Văn bản đến",
}

DELIVERY_STATE = {
    "queued": "Đang chờ gửi",
    "sending": "Đang gửi",
    "sent": "Đã gửi",
    "failed": "Thất bại",
    "dead": "Thất bại (ngừng gửi)",
    "acknowledged": "Đã xác nhận",
}

REQUEST_STATUS = {
    "open": "Chưa nộp",
    "submitted": "Đã nộp",
    "rejected": "Không hợp lệ, chờ nộp lại",
    "closed": "Đã đóng",
}

CHANNEL = {"email": "Thư điện tử", "folder": "Thư mục", "edxml": "Trục liên thông (edXML)"}

FILE_KIND = {
    "docx": "Bản Word",
    "pdf": "Bản PDF",
    "signed_pdf": "Bản PDF đã ký số",
    "attachment": "Phụ lục, tài liệu kèm",
    "source": "Tệp gốc",
}

AUDIT_ACTION = {
    "create": "Tạo dự thảo",
    "update": "Sửa dự thảo",
    "submit": "Trình ký",
    "approve": "Duyệt",
    "return": "Trả lại",
    "sign": "Ký số",
    "number": "Cấp số",
    "issue": "Ban hành",
    "revoke": "Thu hồi",
    "enqueue": "Đưa vào hộp thư đi",
    "send": "Đã gửi",
    "sent": "Đã gửi",
    "dead": "Gửi thất bại",
    "requeue": "Gửi lại",
    "acknowledge": "Xác nhận đã nhận",
}

ROLE = {
    "clerk": "văn thư",
    "leader": "lãnh đạo",
    "reviewer": "người thẩm định",
    "reporter": "người báo cáo",
    "admin": "quản trị",
}


def label(table: dict[str, str], key: object) -> str:
    """The Vietnamese label of ``key`` (an enum or its value); the key itself when unknown."""
    value = getattr(key, "value", key)
    return table.get(str(value), str(value))
