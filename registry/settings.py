"""Settings, read once at the edge (CLI start, web start, flow start) and passed down.

They live at the bottom layer so that every entry point reads the same ones: the CLI and the
web app (through ``congvan.settings``, which re-exports this module) and the Prefect flows
run by a worker (``workflows.flow_env``), which may not import ``congvan``. Nothing reads the
environment at import time; call :func:`get_settings`. Paths come out absolute: a worker runs
each flow in its own temporary directory, so a relative path would point there.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.clock import TIMEZONE

PLACEHOLDER_SECRETS = {"", "changethis", "change-me", "demo-not-secret"}
# Known placeholders from examples and templates, compared without case and punctuation.
WEAK_SECRETS = {"changethis", "changeme", "demonotsecret", "secret", "secretkey", "password",
                "yoursecretkey", "supersecret", "supersecretkey", "mysecretkey", "notsecret",
                "test", "testsecret", "development", "insecure", "khoabimat", "matkhau",
                "yoursecretkeyhere", "replaceme", "xxxxxxxx"}
SECRET_MIN_LENGTH = 32

KeyRole = Literal["person", "org"]
# What each of the two issuing signatures is called in messages.
ROLE_NAMES: dict[str, str] = {"person": "người ký", "org": "cơ quan"}


class Settings(BaseSettings):
    """Everything configurable, with the embedded defaults of DESIGN.md."""

    model_config = SettingsConfigDict(env_prefix="CONGVAN_", env_file=".env", extra="ignore")

    home: Path = Path("var")
    database_url: str = ""
    files_dir: Path | None = None
    demo: bool = False
    secret_key: str = "demo-not-secret"
    public_base_url: str = "http://127.0.0.1:8000"
    timezone: str = TIMEZONE

    # Working-day calendar
    calendar_file: Path | None = None
    roll_forward: bool = True

    # PDF conversion
    soffice: str = "soffice"
    pdf_batch_size: int = 50

    # Signing
    tsa_url: str | None = None
    trust_roots: list[Path] = []

    # Issuing keys: each of the two signatures (person = người ký, org = cơ quan) is a
    # .p12 file (CONGVAN_PERSON_P12, password CONGVAN_KEY_PASSWORD) or a key on a
    # PKCS#11 token (CONGVAN_PERSON_TOKEN + CONGVAN_PKCS11_MODULE, PIN in
    # CONGVAN_PERSON_PIN). Neither: the demo files in CONGVAN_HOME/keys.
    pkcs11_module: Path | None = None
    keys_dir: Path | None = None  # default CONGVAN_HOME/keys: .p12 files and the two images
    key_password: SecretStr | None = None
    person_p12: Path | None = None
    person_token: str | None = None
    person_key_label: str | None = None
    person_cert_label: str | None = None
    person_pin: SecretStr | None = None
    org_p12: Path | None = None
    org_token: str | None = None
    org_key_label: str | None = None
    org_cert_label: str | None = None
    org_pin: SecretStr | None = None

    # Channels documents are delivered through by the flows (email, folder, edxml)
    channels: list[str] = ["email"]

    # SMTP (outbox e-mail channel)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_username: str | None = None
    smtp_password: str | None = None
    # AUTH over an unencrypted connection, only to a relay on this machine (127.0.0.1, ::1).
    smtp_allow_plaintext_auth: bool = False
    smtp_from: str = "congvan@localhost"

    # National document axis (edXML): the gateway's HTTP API and how "edxml" deliveries travel.
    gateway_url: str | None = None  # e.g. https://lgsp.example.gov.vn/vxp
    gateway_system_id: str | None = None  # the systemId the axis operator issued
    gateway_secret: SecretStr | None = None
    gateway_timeout: float = 60.0
    edxml_transport: str = "folder"  # folder (offline drop) | gateway
    edxml_sign: bool = True  # sign edXML with the organisation's key (CONGVAN_ORG_P12/_TOKEN)
    # Web sign-in and sessions
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    signin_failures_per_login: int = 5  # per minute; past it sign-in waits
    signin_failures_per_client: int = 20
    reporter_link_days: int = 14
    upload_max_mb: int = 20
    # The Prefect server whose flow runs the deadlines board shows (None: "not connected").
    prefect_api_url: str | None = None
    # The agency's single sign-on in front: the header naming the login, and the proxy
    # addresses allowed to set it. Off unless both are set.
    trusted_user_header: str | None = None
    trusted_proxies: list[str] = []

    @field_validator("smtp_security")
    @classmethod
    def _security(cls, value: str) -> str:
        if value not in {"none", "starttls", "ssl"}:
            raise ValueError("CONGVAN_SMTP_SECURITY phải là none, starttls hoặc ssl")
        return value

    @field_validator("edxml_transport")
    @classmethod
    def _transport(cls, value: str) -> str:
        if value not in {"folder", "gateway"}:
            raise ValueError("CONGVAN_EDXML_TRANSPORT phải là folder (thư mục) hoặc gateway "
                             "(trục liên thông qua CONGVAN_GATEWAY_URL)")
        return value

    @field_validator("gateway_url")
    @classmethod
    def _gateway_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("CONGVAN_GATEWAY_URL phải bắt đầu bằng https:// (địa chỉ trục liên "
                             "thông do đơn vị vận hành cấp)")
        return value

    @field_validator("person_token", "person_key_label", "person_cert_label", "org_token",
                     "org_key_label", "org_cert_label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = unicodedata.normalize("NFC", value.strip())
        return value or None

    @model_validator(mode="after")
    def _key_sources(self) -> Settings:
        for role in ("person", "org"):
            env = f"CONGVAN_{role.upper()}"
            if getattr(self, f"{role}_p12") is not None and getattr(self, f"{role}_token"):
                raise ValueError(
                    f"{env}_P12 và {env}_TOKEN đều được đặt: chữ ký của {ROLE_NAMES[role]} dùng "
                    f"tệp .p12 hoặc token, không dùng cả hai; hãy bỏ một trong hai biến.")
            if getattr(self, f"{role}_token") and self.pkcs11_module is None:
                raise ValueError(
                    f"{env}_TOKEN cần CONGVAN_PKCS11_MODULE: đặt đường dẫn thư viện PKCS#11 của "
                    "token (ví dụ /usr/lib/softhsm/libsofthsm2.so hoặc tệp .so/.dll của nhà "
                    "cung cấp token).")
        if self.pkcs11_module is not None and not self.pkcs11_module.is_absolute():
            raise ValueError(
                f"CONGVAN_PKCS11_MODULE phải là đường dẫn tuyệt đối (đang là "
                f"{self.pkcs11_module}); ví dụ /usr/lib/softhsm/libsofthsm2.so.")
        return self

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        self.home = self.home.expanduser().absolute()
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'congvan.db').as_posix()}"
        self.files_dir = (self.home / "files" if self.files_dir is None
                          else self.files_dir.expanduser().absolute())
        self.keys_dir = (self.home / "keys" if self.keys_dir is None
                         else self.keys_dir.expanduser().absolute())
        return self

    def enforce_secrets(self) -> None:
        """Refuse placeholder or weak secrets unless this is the demo (CONGVAN_DEMO=1)."""
        if self.demo:
            return
        fix = (f"hãy đặt một khoá bí mật thật, ít nhất {SECRET_MIN_LENGTH} ký tự ngẫu nhiên (ví "
               "dụ: python -c 'import secrets; print(secrets.token_urlsafe(32))').")
        key = self.secret_key
        squashed = "".join(ch for ch in key.casefold() if ch.isalnum())
        if key in PLACEHOLDER_SECRETS or squashed in WEAK_SECRETS:
            raise ValueError(f"CONGVAN_SECRET_KEY đang là giá trị mẫu; {fix}")
        if len(key) < SECRET_MIN_LENGTH:
            raise ValueError(f"CONGVAN_SECRET_KEY quá ngắn ({len(key)} ký tự); {fix}")
        if len(set(key)) < 8:
            raise ValueError(f"CONGVAN_SECRET_KEY lặp lại quá ít ký tự khác nhau; {fix}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()
