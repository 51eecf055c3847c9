"""Which key signs, from the command line over the settings: a .p12 file or a PKCS#11 token.

Options win over settings. Secrets never come from an option (an option is
visible to every user in /proc/<pid>/cmdline): a password or PIN is read from
``--password-file FILE`` (first line), from standard input with
``--password-stdin``, from the environment for the organisation's unattended
process (CONGVAN_ORG_PIN, CONGVAN_KEY_PASSWORD), else asked for when a terminal
is attached. The person's own PIN or password is never read from the
environment: the person types it (or pipes it) at ``draft sign``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SecretInput:
    """Where this command reads its password or PIN: a file, standard input, or a prompt."""

    file: Path | None = None
    stdin: bool = False

    def read(self) -> str | None:
        """The secret from the file (first line) or stdin (first line), else None."""
        if self.file is not None:
            try:
                text = self.file.read_text(encoding="utf-8")
            except OSError as exc:
                raise typer.BadParameter(f"không đọc được tệp mật khẩu {self.file}: "
                                         f"{exc.strerror}", param_hint="--password-file") from exc
            return text.splitlines()[0] if text.strip() else None
        if self.stdin:
            line = sys.stdin.readline()
            return line.rstrip("\r\n") or None
        return None


def _from(secret_input: SecretInput | None) -> str | None:
    return secret_input.read() if secret_input is not None else None


def key_source(role: KeyRole, *, p12: Path | None = None, token: str | None = None,
               key_label: str | None = None, cert_label: str | None = None,
               module: Path | None = None, secret: SecretInput | None = None,
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
    unattended = role == "org"  # the person's secret is never taken from the environment
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
        pin = (_from(secret) or (_secret(getattr(cfg, f"{role}_pin")) if unattended else None)
               or _ask(f"Mã PIN token “{token}” ({who})"))
        if not pin:
            where = f"đặt {env}_PIN, " if unattended else ""
            raise BadPassword(f"Chưa có mã PIN token “{token}” của {who}: {where}dùng "
                              "--password-file TỆP hoặc --password-stdin, hoặc chạy trong "
                              "terminal để nhập (không ghi PIN trên dòng lệnh).")
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
    password = (_from(secret) or (_secret(cfg.key_password) if unattended else None)
                or _ask(f"Mật khẩu tệp khoá {p12.name} ({who})"))
    if not password:
        where = f"đặt {PASSWORD_ENV}, " if unattended else ""
        raise BadPassword(f"Chưa có mật khẩu tệp khoá {p12}: {where}dùng --password-file TỆP "
                          "hoặc --password-stdin, hoặc chạy trong terminal để nhập (không ghi "
                          "mật khẩu trên dòng lệnh).")
    return KeySource.pkcs12(p12, password)


PASSWORD_FILE_HELP = "Tệp chứa mật khẩu .p12 hoặc mã PIN token (dòng đầu); không ghi trên dòng lệnh"
PASSWORD_STDIN_HELP = "Đọc mật khẩu hoặc mã PIN từ đầu vào chuẩn (dòng đầu)"
