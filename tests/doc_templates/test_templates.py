"""The committed templates: up to date with build_templates.py, complete, ND30-clean."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from docxtpl import DocxTemplate
from jinja2 import Environment

from doc_templates import build_templates
from doc_templates.check import ERROR, check_docx
from doc_templates.doctypes import DOCTYPES
from doc_templates.render import build_context, render_docx
from tests.doc_templates.conftest import docx_text, minimal

REQUIRED = {
    "cong_van",
    "bao_cao",
    "huong_dan",
    "ke_hoach",
    "quyet_dinh",
    "to_trinh",
    "thong_bao",
    "giay_moi",
    "cong_dien",
    "chuong_trinh",
    "sao_y",
    "trich_sao",
    "sao_luc",
}


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


class TestTemplates:
    def test_required_types_exist(self):
        """Every type the issue names has a template file."""
        assert set(DOCTYPES) >= REQUIRED
        for doctype in DOCTYPES.values():
            assert doctype.template_file.is_file(), doctype.key

    @pytest.mark.parametrize("key", sorted(DOCTYPES))
    def test_up_to_date(self, key):
        """The committed .docx equals what build_templates.py produces (part by part)."""
        built = _parts(build_templates.to_bytes(DOCTYPES[key]))
        committed = _parts(DOCTYPES[key].template_file.read_bytes())
        assert built == committed, "run: python -m doc_templates.build_templates"

    @pytest.mark.parametrize("key", sorted(DOCTYPES))
    def test_no_undeclared_variables(self, key):
        """The context we build declares every variable a template uses."""
        spec = minimal(key)
        template = DocxTemplate(str(DOCTYPES[key].template_file))
        env = Environment(autoescape=True)
        assert template.get_undeclared_template_variables(env, build_context(spec)) == set()

    @pytest.mark.parametrize("key", sorted(DOCTYPES))
    def test_tags_are_whole_in_one_run(self, key):
        """Every Jinja tag sits inside one <w:t> so a clerk can edit the template in Word."""
        with zipfile.ZipFile(DOCTYPES[key].template_file) as archive:
            for name in archive.namelist():
                if not re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
                    continue
                xml = archive.read(name).decode()
                for text in re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml):
                    assert text.count("{{") == text.count("}}"), text
                    assert text.count("{%") == text.count("%}"), text
                stray = re.sub(r"<w:t(?: [^>]*)?>[^<]*</w:t>", "", xml)
                assert "{{" not in stray and "{%" not in stray

    @pytest.mark.parametrize("key", sorted(DOCTYPES))
    def test_renders_clean(self, key):
        """Each template renders with no leftover tags and passes the ND30 checker."""
        data = render_docx(minimal(key))
        text = docx_text(data)
        assert "{{" not in text and "{%" not in text
        errors = [v for v in check_docx(data) if v.severity == ERROR]
        assert errors == []
        assert check_docx(data) == []
