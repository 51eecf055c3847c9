"""Settings, read once at the edge (CLI start, web start, flow start) and passed down.

Nothing reads the environment at import time; call :func:`get_settings`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changethis", "change-me", "demo-not-secret"}


class Settings(BaseSettings):
    """Everything configurable, with the embedded defaults of DESIGN.md."""

    model_config = SettingsConfigDict(env_prefix="CONGVAN_", env_file=".env", extra="ignore")

    home: Path = Path("var")
    database_url: str = ""
    files_dir: Path | None = None
    demo: bool = False
    secret_key: str = "demo-not-secret"
    public_base_url: str = "http://127.0.0.1:8000"
    timezone: str = "Asia/Ho_Chi_Minh"

    # Working-day calendar
    calendar_file: Path | None = None
    roll_forward: bool = True

    # PDF conversion
    soffice: str = "soffice"
    pdf_batch_size: int = 50

    # Signing
    tsa_url: str | None = None
    trust_roots: list[Path] = []

    # SMTP (outbox e-mail channel)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "congvan@localhost"

    @field_validator("smtp_security")
    @classmethod
    def _security(cls, value: str) -> str:
        if value not in {"none", "starttls", "ssl"}:
            raise ValueError("CONGVAN_SMTP_SECURITY phải là none, starttls hoặc ssl")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'congvan.db').as_posix()}"
        if self.files_dir is None:
            self.files_dir = self.home / "files"
        return self

    def enforce_secrets(self) -> None:
        """Refuse placeholder secrets unless this is the demo (CONGVAN_DEMO=1)."""
        if not self.demo and self.secret_key in PLACEHOLDER_SECRETS:
            raise ValueError(
                "CONGVAN_SECRET_KEY đang là giá trị mẫu; hãy đặt một khoá bí mật thật "
                "(ví dụ: python -c 'import secrets; print(secrets.token_urlsafe(32))')."
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()
