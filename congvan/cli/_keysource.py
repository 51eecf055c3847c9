"""Which key signs, from the command line over the settings: a .p12 file or a PKCS#11 token.

Options win over settings; secrets never come from options by default: the
token PIN is read from CONGVAN_PERSON_PIN / CONGVAN_ORG_PIN, else asked for
when a terminal is attached, else refused with the variable to set.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from congvan.cli._common import err_console

if TYPE_CHECKING:
    from congvan.settings import KeyRole, Settings
    from signing.keyring import KeySource

PASSWORD_ENV = "CONGVAN_KEY_PASSWORD"
DEFAULT_P12 = {"person": "signer.p12", "org": "organization.p12"}


def settings() -> Settings:
    """The settings, or a red message naming the setting and exit 1 when they are invalid."""
    from pydantic import ValidationError

    from congvan.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            err_console.print(f"[bold red]Lỗi cấu hình:[/] {message}")
        raise typer.Exit(1) from None


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def _ask(prompt: str) -> str | None:
    if not sys.stdin.isatty():
        return None
    return str(typer.prompt(prompt, hide_input=True, default="", show_default=False)) or None


def key_source(role: KeyRole, *, p12: Path | None = None, token: str | None = None,
               key_label: str | None = None, cert_label: str | None = None,
               module: Path | None = None, password: str | None = None,
               default_dir: Path | None = None, option_names: dict[str, str]) -> KeySource:
    """The key for ``role`` ("person" or "org"): options, then settings, then ``default_dir``.

    ``option_names`` maps "p12" and "token" to this command's option names, for messages.
    Raises :class:`signing.errors.KeyUnavailable` (or BadPassword) with the fix.
    """
    import unicodedata

    from congvan.settings import ROLE_NAMES
    from signing.errors import BadPassword, KeyUnavailable
    from signing.keyring import KeySource

    cfg = settings()
    env = f"CONGVAN_{role.upper()}"
    who = ROLE_NAMES[role]
    if p12 is not None and token:
        raise KeyUnavailable(f"{option_names['p12']} và {option_names['token']} không dùng cùng "
                             f"lúc: chữ ký của {who} là tệp .p12 hoặc token; bỏ một trong hai.")
    if p12 is None and not token:
        token = getattr(cfg, f"{role}_token")
        p12 = None if token else getattr(cfg, f"{role}_p12")
    if token:
        token = unicodedata.normalize("NFC", token.strip())
        lib = module or cfg.pkcs11_module
        if lib is None:
            raise KeyUnavailable(
                "Chưa chỉ thư viện PKCS#11 của token: dùng --pkcs11-module hoặc đặt "
                "CONGVAN_PKCS11_MODULE (ví dụ /usr/lib/softhsm/libsofthsm2.so).")
        pin = _secret(getattr(cfg, f"{role}_pin")) or _ask(f"Mã PIN token “{token}” ({who})")
        if not pin:
            raise BadPassword(f"Chưa có mã PIN token “{token}” của {who}: đặt biến môi trường "
                              f"{env}_PIN (không ghi PIN trên dòng lệnh) hoặc chạy trong "
                              "terminal để nhập.")
        labels = [unicodedata.normalize("NFC", v.strip()) if v else None
                  for v in (key_label or getattr(cfg, f"{role}_key_label"),
                            cert_label or getattr(cfg, f"{role}_cert_label"))]
        return KeySource.pkcs11(module=lib, token_label=token, pin=pin, key_label=labels[0],
                                cert_label=labels[1])
    if p12 is None:
        if default_dir is None:
            raise KeyUnavailable(
                f"Chưa chỉ khoá của {who}: dùng {option_names['p12']} hoặc "
                f"{option_names['token']}, hoặc đặt {env}_P12 / {env}_TOKEN.")
        p12 = default_dir / DEFAULT_P12[role]
    secret = password or _secret(cfg.key_password) or _ask(f"Mật khẩu tệp khoá {p12.name}")
    if not secret:
        raise BadPassword(f"Chưa có mật khẩu tệp khoá {p12}: dùng --password, đặt "
                          f"{PASSWORD_ENV} hoặc chạy trong terminal để nhập.")
    return KeySource.pkcs12(p12, secret)
