"""Write docs/settings.md from the Settings model: each CONGVAN_* variable, default, example.

Run after adding or changing a setting:  python scripts/gen_settings_doc.py
(tests/docs/test_settings_doc.py fails while the file is out of date).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "settings.md"

# What each setting does and an example value, for the people who run the system. A field with
# a pydantic ``description`` uses it; a field in neither place is listed as undocumented.
TEXT: dict[str, tuple[str, str]] = {
    "home": ("Thư mục dữ liệu: cơ sở dữ liệu SQLite, tệp văn bản, khoá, hộp thư đi, Prefect.",
             "/srv/congvan"),
    "database_url": ("Cơ sở dữ liệu (SQLAlchemy URL). Trống: SQLite trong CONGVAN_HOME.",
                     "postgresql+psycopg://congvan@127.0.0.1:5432/congvan"),
    "files_dir": ("Nơi lưu tệp văn bản (.docx, PDF đã ký, tệp đến). Trống: CONGVAN_HOME/files.",
                  "/srv/congvan/files"),
    "demo": ("Chế độ trình diễn: cho phép khoá bí mật mẫu và khoá ký DEMO.", "1"),
    "secret_key": ("Khoá bí mật ký liên kết xác nhận đã nhận và mã CSRF trước đăng nhập; bắt "
                   "buộc đặt khi không trình diễn: ít nhất 32 ký tự ngẫu nhiên, không phải giá "
                   "trị mẫu.", "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"),
    "public_base_url": ("Địa chỉ web công khai, dùng trong liên kết xác nhận của thư điện tử.",
                        "https://congvan.kontum.gov.vn"),
    "timezone": ("Múi giờ hiển thị và tính ngày (luôn Asia/Ho_Chi_Minh).", "Asia/Ho_Chi_Minh"),
    "calendar_file": ("Tệp YAML hoán đổi ngày nghỉ, ngày làm bù của năm (congvan calendar "
                      "import). Trống: CONGVAN_HOME/calendar-adjustments.yaml.",
                      "/srv/congvan/calendar-adjustments.yaml"),
    "roll_forward": ("Hạn rơi vào ngày nghỉ thì lùi sang ngày làm việc kế tiếp.", "true"),
    "soffice": ("Lệnh LibreOffice dùng để chuyển .docx sang PDF.", "/usr/bin/soffice"),
    "pdf_batch_size": ("Số văn bản chuyển sang PDF trong một lần gọi LibreOffice.", "50"),
    "tsa_url": ("Máy chủ dấu thời gian (RFC 3161) cho chữ ký PAdES B-T.",
                "http://tsa.example.vn/tsa"),
    "trust_roots": ("Chứng thư gốc tin cậy khi kiểm tra chữ ký (danh sách JSON).",
                    '["/etc/congvan/root-ca.pem"]'),
    "pkcs11_module": ("Thư viện PKCS#11 của token ký số (đường dẫn tuyệt đối).",
                      "/usr/lib/softhsm/libsofthsm2.so"),
    "keys_dir": ("Thư mục khoá ký (.p12) và ảnh chữ ký, con dấu. Trống: CONGVAN_HOME/keys.",
                 "/srv/congvan/keys"),
    "channels": ("Kênh các luồng (flows) gửi văn bản: email, folder, edxml (danh sách JSON). "
                 "`congvan draft issue` chọn kênh theo từng nơi nhận.", '["edxml", "email"]'),
    "key_password": ("Mật khẩu tệp .p12 (nếu không đặt sẽ hỏi).", "(bí mật)"),
    "person_p12": ("Tệp .p12 của người ký.", "/srv/congvan/keys/signer.p12"),
    "person_token": ("Nhãn token PKCS#11 của người ký (thay cho .p12).", "nguoi-ky"),
    "person_key_label": ("Nhãn khoá của người ký trên token.", "ky-van-ban"),
    "person_cert_label": ("Nhãn chứng thư của người ký trên token.", "ky-van-ban"),
    "person_pin": ("PIN token của người ký (nếu không đặt sẽ hỏi).", "(bí mật)"),
    "org_p12": ("Tệp .p12 của cơ quan (chữ ký số cơ quan, con dấu).",
                "/srv/congvan/keys/organization.p12"),
    "org_token": ("Nhãn token PKCS#11 của cơ quan.", "co-quan"),
    "org_key_label": ("Nhãn khoá của cơ quan trên token.", "con-dau"),
    "org_cert_label": ("Nhãn chứng thư của cơ quan trên token.", "con-dau"),
    "org_pin": ("PIN token của cơ quan (nếu không đặt sẽ hỏi).", "(bí mật)"),
    "smtp_host": ("Máy chủ SMTP gửi thư điện tử.", "mail.kontum.gov.vn"),
    "smtp_port": ("Cổng SMTP (587 với starttls, 465 với ssl).", "587"),
    "smtp_security": ("Mã hoá kết nối SMTP: none, starttls hoặc ssl. Có tên đăng nhập thì phải "
                      "starttls hoặc ssl.", "starttls"),
    "smtp_username": ("Tên đăng nhập SMTP (chỉ gửi sau STARTTLS hoặc qua SSL).", "vanthu"),
    "smtp_password": ("Mật khẩu SMTP.", "(bí mật)"),
    "smtp_allow_plaintext_auth": ("Cho phép đăng nhập SMTP không mã hoá, chỉ với máy chủ chuyển "
                                  "tiếp trên chính máy này (127.0.0.1, ::1).", "1"),
    "smtp_from": ("Địa chỉ người gửi của thư điện tử.", "vanthu@kontum.gov.vn"),
    "gateway_url": ("Địa chỉ API của trục liên thông văn bản (VXP/LGSP) do đơn vị vận hành "
                    "cấp; để trống nếu không gửi/nhận qua trục.", "https://lgsp.kontum.gov.vn/vxp"),
    "gateway_system_id": ("Mã hệ thống (systemId) của cơ quan trên trục liên thông.",
                          "vxp.kontum.01"),
    "gateway_secret": ("Khoá bí mật (secret) đi kèm mã hệ thống trên trục liên thông.",
                       "(bí mật)"),
    "gateway_timeout": ("Số giây chờ trục liên thông trả lời một lệnh.", "60"),
    "edxml_transport": ("Lượt gửi edXML đi đâu: folder (thả gói vào thư mục, trao đổi ngoại "
                        "tuyến) hoặc gateway (gửi qua trục liên thông).", "gateway"),
    "edxml_sign": ("Ký số gói edXML (XML-DSig) bằng khoá của cơ quan (CONGVAN_ORG_P12 hoặc "
                   "CONGVAN_ORG_TOKEN) khi đã cấu hình khoá.", "1"),
    "session_idle_minutes": ("Phiên đăng nhập web kết thúc sau bấy nhiêu phút không dùng.", "30"),
    "session_max_hours": ("Phiên đăng nhập web kết thúc sau bấy nhiêu giờ kể từ khi đăng nhập.",
                          "12"),
    "signin_failures_per_login": ("Số lần sai mật khẩu trong một phút cho một tên đăng nhập; "
                                  "quá số này phải đợi (429).", "5"),
    "signin_failures_per_client": ("Số lần sai mật khẩu trong một phút từ một địa chỉ máy; quá "
                                   "số này phải đợi (429).", "20"),
    "reporter_link_days": ("Số ngày hiệu lực của đường dẫn nộp báo cáo dùng một lần.", "14"),
    "upload_max_mb": ("Dung lượng tối đa (MB) của một yêu cầu gửi lên web; quá thì trả 413.",
                      "20"),
    "prefect_api_url": ("Máy chủ Prefect mà bảng theo dõi hạn báo cáo đọc các lượt chạy luồng "
                        "của kỳ (thường bằng PREFECT_API_URL của worker). Trống: trang ghi "
                        "“chưa kết nối”.", "http://127.0.0.1:4200/api"),
    "trusted_user_header": ("Tiêu đề HTTP mang tên đăng nhập do máy chủ đăng nhập một lần (SSO) "
                            "đặt; chỉ dùng khi CONGVAN_TRUSTED_PROXIES cũng được đặt. Trống: tắt.",
                            "X-Remote-User"),
    "trusted_proxies": ("Địa chỉ (hoặc dải) của máy chủ trung gian được tin để đặt tiêu đề "
                        "đăng nhập một lần (danh sách JSON).", '["127.0.0.1/32"]'),
}

LOCATIONS = ("congvan.settings", "registry.settings", "workflows.settings")


def settings_class() -> Any:
    """The Settings model, wherever it lives now (it may move to a lower layer)."""
    sys.path.insert(0, str(ROOT))
    for name in LOCATIONS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "Settings"):
            return module.Settings
    raise SystemExit(f"không tìm thấy lớp Settings trong {', '.join(LOCATIONS)}")


def _default(field: Any) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None or value == "" or value == []:
        return "(trống)"
    if isinstance(value, bool):
        return "1" if value else "0"
    if hasattr(value, "get_secret_value"):
        return "(bí mật)"
    if isinstance(value, list):
        return f"`{json.dumps([str(v) for v in value])}`"
    return f"`{value}`"


def render() -> str:
    """The whole of docs/settings.md."""
    cls = settings_class()
    prefix = cls.model_config.get("env_prefix", "CONGVAN_")
    lines = [
        "# Cấu hình (biến môi trường CONGVAN_*)",
        "",
        "Tệp này được sinh từ mô hình Settings bằng `python scripts/gen_settings_doc.py`; "
        "đừng sửa tay.",
        "Mỗi giá trị đặt bằng biến môi trường hoặc trong tệp `.env` ở thư mục chạy lệnh. "
        "Giá trị boolean: 1/0 hoặc true/false; danh sách: JSON.",
        "",
        "| Biến | Mặc định | Ví dụ | Ý nghĩa |",
        "|---|---|---|---|",
    ]
    for name, field in cls.model_fields.items():
        text, example = TEXT.get(name, (field.description or "(chưa có mô tả)", ""))
        if field.description:
            text = field.description
        example_cell = f"`{example}`" if example else ""
        escaped = text.replace("|", r"\|")
        lines.append(f"| `{prefix}{name.upper()}` | {_default(field)} | {example_cell} | "
                     f"{escaped} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    OUT.write_text(render(), encoding="utf-8")
    print(f"Đã ghi {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
