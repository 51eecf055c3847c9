"""Fidelity: the reference documents, re-rendered from their specs, say the same thing."""

from __future__ import annotations

import re

import pytest

from doc_templates.check import ERROR, check_docx
from doc_templates.render import render_docx
from doc_templates.spec import load_spec
from tests.doc_templates.conftest import FIXTURES, docx_text

# The originals break ND30 in a few fixed parts; our templates print the rule instead.
# Each correction is (original, printed).
CASES = {
    "001_cong_van_UBND-CAX_draft": (
        "001_090b8b96c15c2bac.txt",
        "Thực hiện Kết luận",
        "Nơi nhận:",
        [],
    ),
    "003_cong_van_4267_BCD-NC": (
        "003_49c264a06461fdfe.txt",
        "Theo Hướng dẫn số 22",
        "Nơi nhận:",
        [("theo quy định. / *na*", "theo quy định./.")],
    ),
    "002_bao_cao_149_BC-BCD": (
        "002_ec37230bf3482836.txt",
        "Thực hiện Hướng dẫn số 115",
        "## **2. Công tác tổ chức",
        [],
    ),
}
FOOTNOTES = re.compile(r"^[¹²³] .*$", re.M)  # footnote text the original page break put mid-body


def _normalise(text: str) -> str:
    text = text.replace("<sup>2</sup>", "²")
    text = re.sub(r"⁽[¹²³]⁾", "", text)  # footnote marks: real footnote references when rendered
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    text = text.replace("**", "").replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("name", sorted(CASES))
class TestFidelity:
    def _rendered(self, name: str) -> str:
        data = render_docx(load_spec(FIXTURES / "documents" / f"{name}.yaml"))
        return _normalise(docx_text(data))

    def test_body_equals_reference(self, name):
        """The body text equals the reference text (whitespace and markup normalised)."""
        reference, start, end, corrections = CASES[name]
        text = (FIXTURES / "reference" / reference).read_text(encoding="utf-8")
        body = text[text.index(start) : text.index(end)]
        for original, printed in corrections:
            body = body.replace(original, printed)
        body = FOOTNOTES.sub("", body)
        assert _normalise(body) in self._rendered(name)

    def test_fixed_parts_carry_the_reference_values(self, name):
        """Subject, recipients, signature and distribution of the reference are printed."""
        spec = load_spec(FIXTURES / "documents" / f"{name}.yaml")
        rendered = self._rendered(name)
        reference = _normalise(
            (FIXTURES / "reference" / CASES[name][0]).read_text(encoding="utf-8")
        )
        for value in [spec.subject, spec.signature.name, *spec.recipients, *spec.distribution]:
            assert _normalise(value) in rendered
            assert _normalise(value) in reference or name.startswith(
                "003"
            )  # 003 adds (t/h) italics
        assert (
            _normalise(f"Số: {spec.number}/{spec.computed_symbol()}") in rendered
            or spec.number is None
        )

    def test_checker_passes(self, name):
        """The rendered reference documents pass the ND30 checker (no errors)."""
        data = render_docx(load_spec(FIXTURES / "documents" / f"{name}.yaml"))
        assert [v for v in check_docx(data) if v.severity == ERROR] == []


def test_reference_dates_in_nd30_form():
    """The dates print in the ND30 form the references use."""
    text = docx_text(
        render_docx(load_spec(FIXTURES / "documents" / "003_cong_van_4267_BCD-NC.yaml"))
    )
    assert "Kon Tum, ngày 16 tháng 12 năm 2022" in text
    text = docx_text(render_docx(load_spec(FIXTURES / "documents" / "002_bao_cao_149_BC-BCD.yaml")))
    assert "Bỉm Sơn, ngày 27 tháng 7 năm 2018" in text and "Số: 149/BC-BCĐ" in text


def test_reference_003_footnotes_are_word_footnotes():
    """003's ¹ ² are real Word footnotes: references in the body, texts in footnotes.xml."""
    import io
    import zipfile

    data = render_docx(load_spec(FIXTURES / "documents" / "003_cong_van_4267_BCD-NC.yaml"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = archive.read("word/document.xml").decode()
        notes = archive.read("word/footnotes.xml").decode()
        rels = archive.read("word/_rels/document.xml.rels").decode()
    assert document.count("<w:footnoteReference") == 2
    assert 'w:footnoteReference w:id="1"' in document
    assert "relationships/footnotes" in rels
    reference = (FIXTURES / "reference" / "003_49c264a06461fdfe.txt").read_text(encoding="utf-8")
    for mark, line in (("¹", "Quy định về khu dân cư"), ("²", "Quy định về tiêu chí")):
        original = next(t for t in reference.splitlines() if t.startswith(f"{mark} {line}"))
        assert original[2:] in notes
    body = docx_text(data)
    i = body.index("Thông tư số 124/2021/TT-BCA")
    assert "Quy định về khu dân cư" not in body[i : i + 400]  # not printed inline
