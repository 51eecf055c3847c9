"""`congvan keys dev-ca`, `congvan keys sign` and `congvan verify`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from congvan.cli import app
from tests.signing.conftest import NAME, PASSWORD, TITLE

runner = CliRunner()


class TestKeysDevCa:
    def test_writes_the_demo_files(self, tmp_path):
        """dev-ca writes the CA, both PKCS#12 files and both images, and says DEMO."""
        result = runner.invoke(app, ["keys", "dev-ca", "--out", str(tmp_path / "ca"),
                                     "--password-stdin", "--valid-days", "10"], input="pw\n")
        assert result.exit_code == 0, result.output
        assert "KHÔNG DÙNG THẬT" in result.output
        names = {p.name for p in (tmp_path / "ca").iterdir()}
        assert {"ca.pem", "signer.p12", "organization.p12", "signature.png",
                "seal.png"} <= names

    def test_refuses_to_overwrite_without_force(self, tmp_path):
        """A second dev-ca into the same folder is refused (the keys stay), --force replaces."""
        args = ["keys", "dev-ca", "--out", str(tmp_path / "ca"), "--password-stdin"]
        assert runner.invoke(app, args, input="pw\n").exit_code == 0
        before = (tmp_path / "ca" / "ca.pem").read_bytes()
        again = runner.invoke(app, args, input="pw\n")
        assert again.exit_code == 1 and "--force" in again.output
        assert (tmp_path / "ca" / "ca.pem").read_bytes() == before
        assert runner.invoke(app, [*args, "--force"], input="pw\n").exit_code == 0
        assert (tmp_path / "ca" / "ca.pem").read_bytes() != before

    def test_long_organisation_names(self, tmp_path):
        """A name over 64 bytes: CN and O abbreviated within 64 UTF-8 bytes keeping the DEMO
        mark, the full name in the description attribute; one certificate per --person."""
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        name = "ỦY BAN NHÂN DÂN XÃ CẨM CHÂU, HUYỆN CẨM XUYÊN, TỈNH HÀ TĨNH"
        result = runner.invoke(app, ["keys", "dev-ca", "--out", str(tmp_path / "ca"),
                                     "--organization", name, "--person", "ct=Trần Văn Chủ",
                                     "--password-stdin"], input="pw\n")
        assert result.exit_code == 0, result.output
        cert = x509.load_pem_x509_certificate((tmp_path / "ca" / "organization.pem").read_bytes())
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert len(cn.encode()) <= 64 and cn.startswith("UBND XÃ CẨM CHÂU")
        assert cn.endswith("(DEMO — KHÔNG DÙNG THẬT)")
        description = cert.subject.get_attributes_for_oid(x509.ObjectIdentifier("2.5.4.13"))
        assert name in description[0].value
        own = x509.load_pem_x509_certificate(
            (tmp_path / "ca" / "people" / "ct" / "cert.pem").read_bytes())
        assert own.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.startswith(
            "Trần Văn Chủ")


class TestVerifyCommand:
    @pytest.fixture(scope="class")
    def signed_file(self, tmp_path_factory, dev_ca, plain_pdf):
        """A PDF signed through `congvan keys sign`."""
        work = tmp_path_factory.mktemp("cli")
        (work / "in.pdf").write_bytes(plain_pdf)
        result = runner.invoke(app, ["keys", "sign", str(work / "in.pdf"), "-o",
                                     str(work / "out.pdf"), "--p12", str(dev_ca.signer_p12),
                                     "--password-stdin"], input=f"{PASSWORD}\n")
        assert result.exit_code == 0, result.output
        return work / "out.pdf"

    def test_trusted_file_exits_zero(self, signed_file, dev_ca):
        """With the demo root the table says valid and the exit code is 0."""
        result = runner.invoke(app, ["verify", str(signed_file), "--profile", "any",
                                     "--no-registry", "--trust-root", str(dev_ca.ca_cert)])
        assert result.exit_code == 0, result.output
        assert "Người ký" in result.output and "Hợp lệ" in result.output

    def test_json_and_failure_exit_code(self, signed_file, monkeypatch):
        """Without a trust root --json reports trusted=false and the exit code is 1."""
        monkeypatch.setenv("CONGVAN_TRUST_ROOTS", "[]")
        from congvan.settings import get_settings

        get_settings.cache_clear()
        result = runner.invoke(app, ["verify", str(signed_file), "--json", "--profile", "any",
                                     "--no-registry"])
        get_settings.cache_clear()
        assert result.exit_code == 1
        data = json.loads(result.stdout)
        assert data["ok"] is False and data["signatures"][0]["trusted"] is False
        assert data["signatures"][0]["signing_time"].endswith("+07:00")

    def test_not_a_pdf_exits_two(self, tmp_path):
        """A file that is not a PDF gives a Vietnamese error and exit code 2."""
        bad = tmp_path / "x.pdf"
        bad.write_bytes(b"hello")
        result = runner.invoke(app, ["verify", str(bad)])
        assert result.exit_code == 2


@pytest.mark.libreoffice
class TestKeysSignVisible:
    def test_sign_with_images_then_verify(self, tmp_path, dev_ca, dispatch_pdfs):
        """Person then organisation through the CLI gives two valid visible signatures."""
        src, mid, out = tmp_path / "a.pdf", tmp_path / "b.pdf", tmp_path / "c.pdf"
        src.write_bytes(dispatch_pdfs["short"])
        common = ["--password-stdin", "--title", TITLE, "--name", NAME]
        r1 = runner.invoke(app, ["keys", "sign", str(src), "-o", str(mid), "--p12",
                                 str(dev_ca.signer_p12), "--signature-image",
                                 str(dev_ca.signature_png), *common], input=f"{PASSWORD}\n")
        r2 = runner.invoke(app, ["keys", "sign", str(mid), "-o", str(out), "--p12",
                                 str(dev_ca.organization_p12), "--seal-image",
                                 str(dev_ca.seal_png), *common], input=f"{PASSWORD}\n")
        assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
        result = runner.invoke(app, ["verify", str(out), "--trust-root", str(dev_ca.ca_cert),
                                     "--json", "--profile", "any", "--no-registry"])
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.stdout)["signatures"]) == 2
