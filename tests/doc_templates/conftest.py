"""Fixtures for doc_templates: specs per type, rendered text, one warm LibreOffice per session."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from doc_templates.doctypes import DOCTYPES, Layout
from doc_templates.pdf import PdfConverter
from doc_templates.spec import DocumentSpec, parse_spec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_paragraphs(data: bytes) -> list[str]:
    """Text of every paragraph of the main document, in order (tables included)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    out = []
    for p in root.iter(f"{W}p"):
        parts = []
        for el in p.iter(f"{W}t", f"{W}tab", f"{W}br"):
            if el.getparent().tag != f"{W}r":  # tab stops in w:pPr are not text
                continue
            parts.append(el.text or "" if el.tag == f"{W}t" else " ")
        out.append("".join(parts))
    return out


def docx_text(data: bytes) -> str:
    """All paragraph text joined by newlines."""
    return "\n".join(docx_paragraphs(data))


def minimal(type_: str, **overrides) -> DocumentSpec:
    """A small valid spec of ``type_`` exercising the usual fields."""
    data = {
        "type": type_,
        "issuer": {"parent": "UBND TỈNH KON TUM", "name": "SỞ NỘI VỤ", "code": "SNV"},
        "drafting_unit": "VP",
        "number": 5,
        "place": "Kon Tum",
        "date": "2022-12-16",
        "subject": "Về việc nâng bậc lương năm 2022",
        "recipients": ["Các sở, ban, ngành", "UBND các huyện, thành phố"],
        "body": "Đoạn thứ nhất của nội dung văn bản, đủ dài để là một đoạn văn bản hành chính "
        "có căn lề đều hai bên và lùi đầu dòng.\n\nĐoạn thứ hai kết thúc văn bản./.",
        "signature": {
            "authority": "KT.",
            "for_title": "GIÁM ĐỐC",
            "title": "PHÓ GIÁM ĐỐC",
            "name": "Nguyễn Văn A",
        },
        "distribution": ["Như trên", "Lưu trữ điện tử"],
        "archive": "VT, VP (2)",
    }
    layout = DOCTYPES[type_].layout
    if layout is Layout.DECISION:
        data["enacting_authority"] = "GIÁM ĐỐC SỞ NỘI VỤ"
        data["bases"] = [
            "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015",
            "Theo đề nghị của Chánh Văn phòng Sở",
        ]
        data["recipients"] = []
        data["body"] = (
            "Điều 1. Nâng bậc lương cho công chức.\n\n"
            "Điều 2. Quyết định này có hiệu lực kể từ ngày ký./."
        )
    if layout is Layout.TELEGRAM:
        data["enacting_authority"] = "GIÁM ĐỐC SỞ NỘI VỤ"
    if layout is Layout.MINUTES:
        data["meeting"] = {
            "start": "2022-12-16T08:00:00",
            "end": "2022-12-16T10:30:00",
            "place": "Phòng họp số 1, Sở Nội vụ",
            "chair": "Ông Nguyễn Văn A, Phó Giám đốc Sở",
            "secretary": "Bà Trần Thị B, chuyên viên Văn phòng Sở",
            "participants": ["Lãnh đạo Sở", "Trưởng các phòng, đơn vị thuộc Sở"],
        }
        data["signature"] = {"title": "CHỦ TỌA", "name": "Nguyễn Văn A"}
        data["secretary_signature"] = {"title": "THƯ KÝ", "name": "Trần Thị B"}
    data.update(overrides)
    return parse_spec(data)


@pytest.fixture(scope="session")
def converter():
    """One warm LibreOffice converter for the whole session."""
    with PdfConverter() as pdf:
        yield pdf
