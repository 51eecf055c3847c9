"""Word opens every .docx without repair: templates and rendered documents are schema-valid.

Validated with openxml-audit, a pure-Python port of the Open XML SDK validator
(ECMA-376 schemas and Word's semantic constraints): document.xml, headers,
footers, footnotes and styles of every template and of rendered samples.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from docx import Document
from lxml import etree
from openxml_audit import OpenXmlValidator

from doc_templates.doctypes import DOCTYPES
from doc_templates.ooxml import W, reorder
from doc_templates.register_book import TEMPLATE as REGISTER_TEMPLATE
from doc_templates.render import render_docx
from doc_templates.spec import load_spec
from tests.doc_templates.conftest import FIXTURES, minimal

_VALIDATOR = OpenXmlValidator(max_errors=50)


def schema_errors(data: bytes) -> list[str]:
    """Every validation error of a .docx given as bytes (empty when Word opens it clean)."""
    with tempfile.NamedTemporaryFile(suffix=".docx") as handle:
        handle.write(data)
        handle.flush()
        result = _VALIDATOR.validate(handle.name)
    return [str(e) for e in result.errors]


class TestTemplatesValid:
    @pytest.mark.parametrize("key", sorted(DOCTYPES))
    def test_template_is_schema_valid(self, key):
        """Each committed template validates against ECMA-376 with no error."""
        assert schema_errors(DOCTYPES[key].template_file.read_bytes()) == []

    def test_register_book_template_is_schema_valid(self):
        """The register book template validates too."""
        assert schema_errors(REGISTER_TEMPLATE.read_bytes()) == []


class TestRenderedValid:
    @pytest.mark.parametrize("key", sorted(DOCTYPES))
    def test_rendered_sample_is_schema_valid(self, key):
        """A rendered document of each type (with a pipe table in the body) validates."""
        body = (
            "Mở đầu **đậm** và *nghiêng*.\n\n| STT | Chỉ tiêu | Số |\n|---|---|---|\n"
            "| 1 | Thu ngân sách | 15.972 |\n\nHết./."
        )
        assert schema_errors(render_docx(minimal(key, body=body))) == []

    @pytest.mark.parametrize("path", sorted((FIXTURES / "documents").glob("*.yaml")), ids=str)
    def test_fidelity_documents_are_schema_valid(self, path: Path):
        """Every fidelity document, rendered, validates."""
        assert schema_errors(render_docx(load_spec(path))) == []


class TestReorder:
    def test_out_of_order_properties_are_sorted(self):
        """tblBorders after tblLook and pBdr after jc are moved where the schema wants them."""
        xml = (
            f'<w:body xmlns:w="{W}"><w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/>'
            '<w:tblLook w:val="04A0"/><w:tblLayout w:type="autofit"/><w:tblBorders/>'
            '<w:tblLayout w:type="fixed"/></w:tblPr></w:tbl>'
            '<w:p><w:pPr><w:spacing/><w:jc w:val="center"/><w:pBdr/></w:pPr></w:p></w:body>'
        )
        root = reorder(etree.fromstring(xml))
        tbl_pr = [etree.QName(c).localname for c in root.find(f".//{{{W}}}tblPr")]
        assert tbl_pr == ["tblW", "tblBorders", "tblLayout", "tblLook"]
        assert root.find(f".//{{{W}}}tblLayout").get(f"{{{W}}}type") == "fixed"
        ppr = [etree.QName(c).localname for c in root.find(f".//{{{W}}}pPr")]
        assert ppr == ["pBdr", "spacing", "jc"]

    def test_python_docx_document_opens(self):
        """A rendered document still opens in python-docx after reordering."""
        Document(io.BytesIO(render_docx(minimal("cong_van"))))
