"""`congvan keys sign` and `congvan draft sign` with a SoftHSM2 token: PIN from the environment,
token settings, and red Vietnamese errors (no traceback) for a wrong PIN or a missing key."""

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


def sign(pdf: Path, *extra: str) -> object:
    return runner.invoke(app, ["keys", "sign", str(pdf), "-o", str(pdf.with_suffix(".ky.pdf")),
                               *extra])


class TestKeysSignWithToken:
    def test_token_from_options_pin_from_env(self, env, softhsm_token: Token, plain_pdf,
                                             ca_pem, tmp_path):
        """--token/--key-label/--pkcs11-module with CONGVAN_PERSON_PIN give an intact signature."""
        env.setenv("CONGVAN_PERSON_PIN", softhsm_token.pin)
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--key-label", softhsm_token.key_label,
                      "--pkcs11-module", softhsm_token.module)
        assert result.exit_code == 0, result.output
        assert "trên token “congvan-test”" in result.output
        report = verify_pdf(src.with_suffix(".ky.pdf").read_bytes(), trust_roots=[ca_pem])
        assert [(s.intact, s.trusted) for s in report.signatures] == [(True, True)]

    def test_token_from_settings(self, env, softhsm_token: Token, plain_pdf, tmp_path):
        """With CONGVAN_PKCS11_MODULE, CONGVAN_PERSON_TOKEN and _KEY_LABEL no option is needed."""
        for name, value in (("PKCS11_MODULE", softhsm_token.module),
                            ("PERSON_TOKEN", softhsm_token.label),
                            ("PERSON_KEY_LABEL", softhsm_token.key_label),
                            ("PERSON_PIN", softhsm_token.pin)):
            env.setenv(f"CONGVAN_{name}", value)
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src)
        assert result.exit_code == 0, result.output
        assert verify_pdf(src.with_suffix(".ky.pdf").read_bytes()).signatures[0].intact

    def test_wrong_pin_is_a_red_message(self, env, softhsm_token: Token, plain_pdf, tmp_path):
        """A wrong PIN exits 1 with a Vietnamese message and no traceback, writing nothing."""
        env.setenv("CONGVAN_PERSON_PIN", "000000")
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--pkcs11-module",
                      softhsm_token.module, "--key-label", softhsm_token.key_label)
        assert result.exit_code == 1
        assert "Mã PIN của token “congvan-test” không đúng" in result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
        assert not src.with_suffix(".ky.pdf").exists()

    def test_missing_pin_names_the_variable(self, env, softhsm_token: Token, plain_pdf,
                                            tmp_path):
        """Without a PIN and without a terminal, the message names CONGVAN_PERSON_PIN."""
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--pkcs11-module",
                      softhsm_token.module)
        assert result.exit_code == 1 and "CONGVAN_PERSON_PIN" in result.output

    def test_missing_key_is_a_red_message(self, env, softhsm_token: Token, plain_pdf, tmp_path):
        """A key label that is not on the token exits 1 naming the label."""
        env.setenv("CONGVAN_PERSON_PIN", softhsm_token.pin)
        src = tmp_path / "in.pdf"
        src.write_bytes(plain_pdf)
        result = sign(src, "--token", softhsm_token.label, "--pkcs11-module",
                      softhsm_token.module, "--key-label", "không-có")
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
