"""The label table: the Vietnamese word for every state, channel, role and action a user sees.

The CLI, the web pages and the exports (registers, reports) read these tables;
nothing shows an English identifier. ``label(TABLE, key)`` accepts an enum or
its value. ``DOCUMENT_STATUS`` is the heading form ("Đã ban hành");
``DOCUMENT_STATUS_IN_TEXT`` is the form inside a sentence ("văn bản 12/BC-UBND
đã ban hành").
"""

from __future__ import annotations

from registry.models import DeliveryStatus, DocumentStatus, RequestStatus

DOCUMENT_STATUS: dict[str, str] = {
    "draft": "Dự thảo",
    "submitted": "Chờ duyệt",
    "returned": "Bị trả lại",
    "approved": "Đã duyệt",
    "signed": "Đã ký",
    "issued": "Đã ban hành",
    "revoked": "Đã thu hồi",
    "received": "Văn bản đến",
    "refused": "Từ chối tiếp nhận",
}

DOCUMENT_STATUS_IN_TEXT: dict[str, str] = {
    "draft": "dự thảo",
    "submitted": "đang trình duyệt",
    "returned": "bị trả lại",
    "approved": "đã duyệt, chờ ký",
    "signed": "đã ký, chờ ban hành",
    "issued": "đã ban hành",
    "revoked": "đã thu hồi",
    "received": "văn bản đến",
    "refused": "văn bản đến bị từ chối tiếp nhận",
}

DELIVERY_STATE: dict[str, str] = {
    "queued": "Chờ gửi",
    "sending": "Đang gửi",
    "sent": "Đã gửi",
    "failed": "Thất bại tạm thời, sẽ gửi lại",
    "dead": "Thất bại (ngừng gửi)",
    "acknowledged": "Đã xác nhận",
}

REQUEST_STATUS: dict[str, str] = {
    "open": "Chưa nộp",
    "submitted": "Đã nộp",
    "rejected": "Không hợp lệ, chờ nộp lại",
    "closed": "Đã đóng",
}

CHANNEL: dict[str, str] = {
    "email": "Thư điện tử", "folder": "Thư mục", "edxml": "Trục liên thông (edXML)",
    "gateway": "Trục liên thông (cổng kết nối)",
    "web": "Trang web", "api": "Giao diện lập trình (API)", "xlsx": "Tệp Excel (.xlsx)",
    # How an incoming document arrived (outbox.intake.CHANNELS).
    "paper": "Văn bản giấy", "scan": "Bản quét", "file": "Tệp điện tử", "post": "Bưu điện",
    "hand": "Giao tay",
}

FILE_KIND: dict[str, str] = {
    "docx": "Bản Word",
    "pdf": "Bản PDF",
    "signed_pdf": "Bản PDF đã ký số",
    "person_signed_pdf": "Bản PDF người ký đã ký (chờ cấp số)",
    "attachment": "Phụ lục, tài liệu kèm",
    "source": "Tệp gốc",
    "arrival": "Tệp của lần đến sau",
    "ocr_pdf": "Bản quét có lớp chữ (OCR)",
}

AUDIT_ACTION: dict[str, str] = {
    "create": "Tạo dự thảo",
    "update": "Sửa dự thảo",
    "submit": "Trình ký",
    "submission_rejected": "Không nhận báo cáo",
    "approve": "Duyệt",
    "return": "Trả lại",
    "pin_refused": "Nhập sai mã PIN khi ký",
    "sign": "Ký số",
    "prepare_signature": "Chuẩn bị ký qua thiết bị ký",
    "register_certificate": "Đăng ký chứng thư số",
    "number": "Cấp số",
    "issue": "Ban hành",
    "revoke": "Thu hồi",
    "receive": "Vào sổ văn bản đến",
    "receive_again": "Văn bản đến lần nữa (không cấp số mới)",
    "handling.present": "Trình lãnh đạo",
    "handling.assign": "Giao xử lý (bút phê)",
    "handling.acknowledge": "Ký nhận",
    "handling.progress": "Cập nhật tiến độ xử lý",
    "handling.done": "Hoàn thành xử lý",
    "handling.refuse": "Từ chối tiếp nhận",
    "recipients": "Chọn nơi nhận",
    "enqueue": "Đưa vào hộp thư đi",
    "send": "Đã gửi",
    "sent": "Đã gửi",
    "dead": "Gửi thất bại",
    "requeue": "Gửi lại",
    "acknowledge": "Xác nhận đã nhận",
    "grant_read": "Cho phép đọc văn bản mật",
    # edXML (trục liên thông): intake, revocations and Status messages (StatusCode).
    "edxml_receive": "Nhận gói edXML (kiểm tra chữ ký số)",
    "edxml_revoke_unknown": "Nơi gửi thu hồi văn bản chưa nhận được",
    "edxml_refused": "Từ chối gói edXML",
    "edxml_quarantined": "Cách ly gói edXML không rõ nơi gửi",
    "enqueue_revoke": "Báo thu hồi qua trục liên thông",
    "status:01": "Trạng thái 01: đã đến",
    "status:02": "Trạng thái 02: từ chối tiếp nhận",
    "status:03": "Trạng thái 03: đã vào sổ",
    "status:04": "Trạng thái 04: đã phân công xử lý",
    "status:05": "Trạng thái 05: đang xử lý",
    "status:06": "Trạng thái 06: đã hoàn thành",
    "status:13": "Trạng thái 13: đề nghị thu hồi",
    "status:15": "Trạng thái 15: đồng ý thu hồi/cập nhật",
    "status:16": "Trạng thái 16: từ chối thu hồi/cập nhật",
    # Hồ sơ (records): file plan, files, filing, closing, handover.
    "records.plan_import": "Nhập danh mục hồ sơ",
    "records.plan_approve": "Phê duyệt danh mục hồ sơ",
    "records.open": "Mở hồ sơ",
    "records.file": "Xếp văn bản vào hồ sơ",
    "records.close": "Đóng hồ sơ",
    "records.handover_warning": "Nhắc nộp lưu hồ sơ",
    "records.handover": "Nộp lưu hồ sơ vào lưu trữ cơ quan",
}

CASE_FILE_STATUS: dict[str, str] = {"open": "Đang lập", "closed": "Đã đóng",
                                    "handed_over": "Đã nộp lưu trữ cơ quan"}

REMINDER_STAGE: dict[str, str] = {
    "notice": "thông báo sắp đến hạn",
    "don_doc": "công văn đôn đốc",
    "escalation": "báo cáo cấp trên",
}

DIRECTION: dict[str, str] = {"out": "văn bản đi", "in": "văn bản đến"}

ROLE: dict[str, str] = {
    "clerk": "văn thư",
    "leader": "lãnh đạo",
    "reviewer": "người thẩm định",
    "reporter": "người báo cáo",
    "admin": "quản trị",
}

# Handling of incoming documents (outbox.handling): roles in an assignment, its states, events.
HANDLING_ROLE: dict[str, str] = {"main": "chủ trì", "coordinate": "phối hợp",
                                 "inform": "để biết"}
HANDLING_STATUS: dict[str, str] = {"assigned": "Đã giao", "in_progress": "Đang xử lý",
                                   "done": "Đã xong", "replaced": "Đã giao lại"}
HANDLING_EVENT: dict[str, str] = {"present": "trình lãnh đạo", "assign": "giao xử lý",
                                  "acknowledge": "ký nhận", "progress": "cập nhật tiến độ",
                                  "done": "hoàn thành", "refuse": "từ chối tiếp nhận"}

# Links between documents (registry.documents.link): how the one reads from the other, both
# ways ("this document …" / "… this document").
DOCUMENT_LINK: dict[str, str] = {
    "cites": "căn cứ văn bản", "answers": "trả lời văn bản", "aggregates": "tổng hợp theo",
    "reminds": "đôn đốc thực hiện", "instructs": "chỉ đạo theo", "forwards": "chuyển tiếp",
    "corrects": "đính chính",
}
DOCUMENT_LINK_BACK: dict[str, str] = {
    "cites": "được căn cứ bởi", "answers": "được trả lời bằng", "aggregates": "được tổng hợp vào",
    "reminds": "được đôn đốc bằng", "instructs": "được chỉ đạo thực hiện bằng",
    "forwards": "được chuyển tiếp bằng", "corrects": "được đính chính bằng",
}

# Prefect flows and the states of their runs (congvan flows status, the deadlines board).
FLOW: dict[str, str] = {
    "receive_guidance": "Vào sổ văn bản hướng dẫn của cấp trên và tạo các nhiệm vụ báo cáo",
    "instruct_units": "Soạn công văn chỉ đạo các đơn vị và trình người ký duyệt",
    "issue_instruction": "Ban hành công văn chỉ đạo đã ký và mở yêu cầu báo cáo cho từng đơn vị",
    "reconcile_approved": "Đối soát: ban hành mọi văn bản đã ký mà chưa ban hành (theo lịch)",
    "collect": "Nhận báo cáo các đơn vị gửi lên (tệp .xlsx, JSON)",
    "ingest_posts": "Nhận một lô báo cáo JSON đã xếp hàng",
    "remind_late_units": "Nhắc hạn, đôn đốc và báo cấp trên các đơn vị chậm báo cáo (07:30 hằng "
                         "ngày)",
    "aggregate_reports": "Tổng hợp số liệu kỳ báo cáo và soạn báo cáo gửi cấp trên",
    "forward_report": "Ban hành và gửi báo cáo tổng hợp đã được duyệt",
    "quarterly_cycle": "Chạy cả chu kỳ một kỳ báo cáo: mở yêu cầu, nhận, nhắc, tổng hợp, gửi",
}

FLOW_RUN_STATE: dict[str, str] = {
    "SCHEDULED": "đã lên lịch",
    "PENDING": "đang chờ chạy",
    "RUNNING": "đang chạy",
    "COMPLETED": "hoàn thành",
    "FAILED": "lỗi",
    "CRASHED": "đổ vỡ (tiến trình chết)",
    "CANCELLED": "đã huỷ",
    "CANCELLING": "đang huỷ",
    "PAUSED": "tạm dừng",
    "LATE": "trễ (chưa có worker nhận)",
}

# The access log (registry.access_log): what a person did with a document, and by which right.
ACCESS_ACT: dict[str, str] = {"open": "Mở xem", "view": "Xem bản PDF", "download": "Tải tệp",
                              "print": "In", "export": "Xuất tệp"}
ACCESS_CHANNEL: dict[str, str] = {"web": "Trang web", "api": "API", "cli": "Dòng lệnh"}
# What an export or print without a document id was (detail "register" or "report").
ACCESS_OBJECT: dict[str, str] = {
    "di": "Sổ đăng ký văn bản đi", "den": "Sổ đăng ký văn bản đến",
    "handling-in": "Báo cáo xử lý văn bản đến", "handling-out": "Báo cáo xử lý văn bản đi",
    "document-index": "Mục lục văn bản", "file-index": "Mục lục hồ sơ",
}
# What a reader without the right to read a secret document sees instead of its trích yếu in
# lists, registers, exports and printed books (registry.access.shown_subject).
HIDDEN_SUBJECT = "[Văn bản mật — trích yếu chỉ hiện với người có quyền]"

READ_RIGHT: dict[str, str] = {
    "visible": "văn bản không mật",
    "author": "người soạn hoặc người ký",
    "reviewer": "người duyệt",
    "clerk": "văn thư đăng ký hoặc phát hành",
    "presented": "lãnh đạo được trình",
    "handler": "người, đơn vị được giao xử lý",
    "head": "lãnh đạo cơ quan",
    "grant": "được lãnh đạo cho phép",
    "refused": "không có quyền (bị từ chối)",
}

# Every enum value has a label (tests/registry/test_labels.py checks it against the models).
ENUM_TABLES = ((DocumentStatus, DOCUMENT_STATUS), (DocumentStatus, DOCUMENT_STATUS_IN_TEXT),
               (DeliveryStatus, DELIVERY_STATE), (RequestStatus, REQUEST_STATUS))


def label(table: dict[str, str], key: object) -> str:
    """The Vietnamese label of ``key`` (an enum or its value); the key itself when unknown."""
    value = getattr(key, "value", key)
    return table.get(str(value), str(value))


__all__ = ["ACCESS_ACT", "ACCESS_CHANNEL", "ACCESS_OBJECT", "AUDIT_ACTION", "CASE_FILE_STATUS",
           "CHANNEL", "DELIVERY_STATE", "DIRECTION", "DOCUMENT_LINK", "DOCUMENT_LINK_BACK",
           "DOCUMENT_STATUS", "DOCUMENT_STATUS_IN_TEXT", "FILE_KIND", "FLOW", "FLOW_RUN_STATE",
           "HANDLING_EVENT", "HANDLING_ROLE", "HANDLING_STATUS", "HIDDEN_SUBJECT", "READ_RIGHT",
           "REMINDER_STAGE", "REQUEST_STATUS", "ROLE", "label"]
