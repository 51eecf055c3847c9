"""`congvan render` and `congvan check` on the command line."""

from __future__ import annotations

import json
import shutil

import pytest
import typer
from typer.testing import CliRunner

from congvan.cli import render as render_cli
from tests.doc_templates.conftest import FIXTURES


@pytest.fixture
def app():
    """A Typer app with only our commands (the shared app needs every engineer's modules)."""
    app = typer.Typer()
    render_cli.register(app)
    return app


class TestRenderCommand:
    def test_render_one_spec(self, app, tmp_path):
        """One spec renders to the named .docx; check passes it with exit code 0."""
        out = tmp_path / "cv.docx"
        spec = FIXTURES / "documents" / "003_cong_van_4267_BCD-NC.yaml"
        result = CliRunner().invoke(app, ["render", str(spec), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"PK")
        result = CliRunner().invoke(app, ["check", str(out), "--json"])
        assert result.exit_code == 0
        assert json.loads(result.stdout)["errors"] == 0

    def test_invalid_spec_names_the_field(self, app, tmp_path):
        """A bad spec exits 1 and names the field in Vietnamese."""
        spec = tmp_path / "bad.yaml"
        spec.write_text("type: cong_van\nplace: Kon Tum\n", encoding="utf-8")
        result = CliRunner().invoke(app, ["render", str(spec), "-o", str(tmp_path / "x.docx")])
        assert result.exit_code == 1
        assert "issuer: thiếu trường bắt buộc" in result.output

    @pytest.mark.libreoffice
    def test_render_directory_with_pdf(self, app, tmp_path):
        """A folder of specs renders to .docx and PDF in one batched LibreOffice run."""
        specs = tmp_path / "specs"
        shutil.copytree(FIXTURES / "documents", specs)
        out = tmp_path / "out"
        result = CliRunner().invoke(app, ["render", str(specs), "-o", str(out), "--pdf"])
        assert result.exit_code == 0, result.output
        stems = {p.stem for p in specs.glob("*.yaml")}
        assert {p.stem for p in out.glob("*.pdf")} == stems
        assert {p.stem for p in out.glob("*.docx")} == stems


class TestCheckCommand:
    def test_violations_exit_one(self, app, tmp_path):
        """A non-ND30 document exits 1 and lists box and rule in JSON."""
        from docx import Document

        path = tmp_path / "plain.docx"
        Document().save(path)
        result = CliRunner().invoke(app, ["check", str(path), "--json"])
        assert result.exit_code == 1
        found = json.loads(result.stdout)["files"][0]["violations"]
        assert {"box": "ô 1", "rule": "motto.missing"}.items() <= next(
            v for v in found if v["rule"] == "motto.missing"
        ).items()

    def test_human_output(self, app, tmp_path):
        """Without --json the violations are listed in a table."""
        from docx import Document

        path = tmp_path / "plain.docx"
        Document().save(path)
        result = CliRunner().invoke(app, ["check", str(path)])
        assert result.exit_code == 1
        assert "Quốc hiệu" in result.stdout


@pytest.mark.libreoffice
class TestPdfCheckCommand:
    def test_render_pdfa_and_check_pdf(self, app, tmp_path):
        """render --pdfa writes PDF/A plus the separate appendix files; check --pdf reads the
        PDF and exits 0 (a font fallback is only a warning, and it is named)."""
        spec = tmp_path / "qd.yaml"
        text = (FIXTURES / "documents" / "004_quyet_dinh_phu_luc.yaml").read_text(encoding="utf-8")
        spec.write_text(
            text.replace(
                "  landscape: true\n  body: |", "  landscape: true\n  separate: true\n  body: |"
            ),
            encoding="utf-8",
        )
        out = tmp_path / "qd.docx"
        result = CliRunner().invoke(app, ["render", str(spec), "-o", str(out), "--pdfa"])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "qd-phu-luc-2.docx").is_file()
        assert (tmp_path / "qd-phu-luc-2.pdf").read_bytes().startswith(b"%PDF")
        pdf = tmp_path / "qd.pdf"
        assert b"<pdfaid:part>2</pdfaid:part>" in pdf.read_bytes()
        result = CliRunner().invoke(app, ["check", "--pdf", str(pdf), "--json"])
        assert result.exit_code == 0, result.output
        rules = {v["rule"] for v in json.loads(result.stdout)["files"][0]["violations"]}
        assert rules <= {"pdf.font.fallback"}
