"""`congvan keys sign` with a SoftHSM2 token: the person's PIN from standard input or a file
(never an option, never the environment), token settings, and red Vietnamese errors (no
traceback) for a wrong PIN or a missing key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import Settings, get_settings
from signing.verify import verify_pdf
from tests.signing.conftest import Token

runner = CliRunner()
TOKEN_ENV = ("CONGVAN_PKCS11_MODULE", "CONGVAN_PERSON_TOKEN", "CONGVAN_PERSON_KEY_LABEL",
             "CONGVAN_PERSON_PIN", "CONGVAN_PERSON_P12", "CONGVAN_ORG_TOKEN", "CONGVAN_ORG_PIN",
             "CONGVAN_KEY_PASSWORD")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A clean token environment; settings re-read before and after the test."""
    for name in TOKEN_ENV:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def sign(pdf: Path, *extra: str, pin: str | None = None) -> object:
    stdin = ["--password-stdin"] if pin is not None else []
    return runner.invoke(app, ["keys", "sign", str(pdf), "-o", str(pdf.with_suffix(".ky.pdf")),
                               *extra, *stdin], input=f"{pin}\n" if pin is not None else None)


class TestKeysSignWithToken:
    def test_token_from_options_pin_from_stdin(self, env, softhsm_token: Token, plain_pdf,
                                               ca_pem, tmp_path):
        """--token/--key-label/--pkcs11-module with the PIN on stdin give an intact signature."""
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--key-label", softhsm_token.key_label,
                      "--pkcs11-module", softhsm_token.module, pin=softhsm_token.pin)
        assert result.exit_code == 0, result.output
        assert "trên token “congvan-test”" in result.output
        report = verify_pdf(src.with_suffix(".ky.pdf").read_bytes(), trust_roots=[ca_pem])
        assert [(s.intact, s.trusted) for s in report.signatures] == [(True, True)]

    def test_token_from_settings(self, env, softhsm_token: Token, plain_pdf, tmp_path):
        """With CONGVAN_PKCS11_MODULE, CONGVAN_PERSON_TOKEN and _KEY_LABEL no option is needed."""
        for name, value in (("PKCS11_MODULE", softhsm_token.module),
                            ("PERSON_TOKEN", softhsm_token.label),
                            ("PERSON_KEY_LABEL", softhsm_token.key_label)):
            env.setenv(f"CONGVAN_{name}", value)
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        pin_file = tmp_path / "pin.txt"
        pin_file.write_text(softhsm_token.pin + "\n", encoding="utf-8")
        result = sign(src, "--password-file", str(pin_file))
        assert result.exit_code == 0, result.output
        assert verify_pdf(src.with_suffix(".ky.pdf").read_bytes()).signatures[0].intact

    def test_wrong_pin_is_a_red_message(self, env, softhsm_token: Token, plain_pdf, tmp_path):
        """A wrong PIN exits 1 with a Vietnamese message and no traceback, writing nothing."""
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--pkcs11-module",
                      softhsm_token.module, "--key-label", softhsm_token.key_label, pin="000000")
        assert result.exit_code == 1
        assert "Mã PIN của token “congvan-test” không đúng" in result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
        assert not src.with_suffix(".ky.pdf").exists()

    def test_person_pin_is_never_taken_from_the_environment(self, env, softhsm_token: Token,
                                                            plain_pdf, tmp_path):
        """CONGVAN_PERSON_PIN set, no terminal: refused, naming --password-stdin/-file."""
        env.setenv("CONGVAN_PERSON_PIN", softhsm_token.pin)
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--pkcs11-module",
                      softhsm_token.module)
        assert result.exit_code == 1 and "--password-stdin" in result.output
        assert not src.with_suffix(".ky.pdf").exists()

    def test_no_secret_option_exists(self) -> None:
        """No command takes a password or PIN as an option value (visible in /proc)."""
        for command in (["keys", "sign"], ["keys", "dev-ca"], ["draft", "sign"],
                        ["draft", "issue"]):
            result = runner.invoke(app, [*command, "--password", "x"])
            assert result.exit_code != 0 and "No such option" in result.output

    def test_missing_key_is_a_red_message(self, env, softhsm_token: Token, plain_pdf, tmp_path):
        """A key label that is not on the token exits 1 naming the label."""
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--pkcs11-module",
                      softhsm_token.module, "--key-label", "không-có", pin=softhsm_token.pin)
        assert result.exit_code == 1 and "Không có khoá “không-có”" in result.output
        assert "Traceback" not in result.output

    def test_invalid_settings_are_a_red_message(self, env, plain_pdf, tmp_path):
        """A token configured without its PKCS#11 library exits 1 naming the missing setting."""
        env.setenv("CONGVAN_PERSON_TOKEN", "VNPT-CA")
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src)
        assert result.exit_code == 1
        assert "CONGVAN_PERSON_TOKEN cần CONGVAN_PKCS11_MODULE" in result.output


class TestTokenSettings:
    def test_p12_and_token_together_are_refused(self, env, tmp_path):
        """Setting both a .p12 and a token for the same signature names both variables."""
        env.setenv("CONGVAN_ORG_P12", str(tmp_path / "org.p12"))
        env.setenv("CONGVAN_ORG_TOKEN", "USB")
        env.setenv("CONGVAN_PKCS11_MODULE", "/usr/lib/x.so")
        with pytest.raises(ValidationError, match="CONGVAN_ORG_P12 và CONGVAN_ORG_TOKEN"):
            Settings()

    def test_relative_module_is_refused(self, env):
        """The PKCS#11 library must be an absolute path."""
        env.setenv("CONGVAN_PKCS11_MODULE", "libsofthsm2.so")
        with pytest.raises(ValidationError, match="đường dẫn tuyệt đối"):
            Settings()

    def test_labels_are_nfc_and_pin_is_secret(self, env):
        """Labels are NFC and stripped; the PIN is not shown in the settings' repr."""
        env.setenv("CONGVAN_PKCS11_MODULE", "/usr/lib/x.so")
        env.setenv("CONGVAN_PERSON_TOKEN", " Khóa Cơ quan ".replace("ó", "o\u0301"))
        env.setenv("CONGVAN_PERSON_PIN", "987654")
        cfg = Settings()
        assert cfg.person_token == "Khóa Cơ quan"
        assert "987654" not in repr(cfg)
