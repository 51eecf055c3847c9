"""The document spec: YAML/JSON input, NFC, validation errors naming the field."""

from __future__ import annotations

import json
import unicodedata

import pytest
import yaml

from doc_templates.errors import SpecError
from doc_templates.spec import load_spec, parse_spec
from tests.doc_templates.conftest import FIXTURES, minimal


def _problems(data) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    return dict(info.value.problems)


class TestLoadSpec:
    def test_yaml_and_json_give_the_same_spec(self, tmp_path):
        """A spec reads the same from YAML and from JSON."""
        source = FIXTURES / "documents" / "003_cong_van_4267_BCD-NC.yaml"
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        as_json = tmp_path / "spec.json"
        as_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        assert load_spec(source) == load_spec(as_json)

    def test_every_fixture_loads(self):
        """Every committed fixture spec is valid."""
        for path in sorted((FIXTURES / "documents").glob("*.yaml")):
            assert load_spec(path).issuer.code

    def test_syntax_error_names_the_file(self, tmp_path):
        """Broken YAML is reported with the file name, not a traceback."""
        path = tmp_path / "bad.yaml"
        path.write_text("type: [cong_van\n", encoding="utf-8")
        with pytest.raises(SpecError, match="bad.yaml"):
            load_spec(path)


class TestValidation:
    def test_errors_name_each_field_in_vietnamese(self):
        """Each problem carries its dotted field path and a Vietnamese message."""
        problems = _problems(
            {
                "type": "cong_vn",
                "issuer": {"name": "UBND"},
                "place": "Kon Tum",
                "date": "16/12/2022",
                "urgency": "khẩn",
                "signature": {"authority": "KT.", "title": "PHÓ CHỦ TỊCH", "name": "A"},
                "recipent": [],
            }
        )
        assert "không có" in problems["type"]
        assert problems["issuer.code"] == "thiếu trường bắt buộc"
        assert "ISO 8601" in problems["date"]
        assert "THƯỢNG KHẨN" in problems["urgency"]
        assert "for_title" in problems["signature"]
        assert "không được hỗ trợ" in problems["recipent"]

    def test_tm_needs_the_collective(self):
        """TM. without on_behalf_of is refused."""
        problems = _problems(
            {
                **minimal("cong_van").model_dump(mode="json"),
                "signature": {"authority": "TM.", "title": "CHỦ TỊCH", "name": "A"},
            }
        )
        assert "on_behalf_of" in problems["signature"]

    def test_control_characters_are_refused(self):
        """A form feed would become a page break inside docxtpl; it is refused."""
        with pytest.raises(SpecError, match="ký tự điều khiển"):
            minimal("cong_van", subject="Về việc\x0c thử")

    def test_text_is_nfc_and_not_respelled(self):
        """Decomposed input becomes NFC; 'Hoá' stays 'Hoá' (never re-spelled as 'Hóa')."""
        decomposed = unicodedata.normalize("NFD", "Thanh Hoá")
        spec = minimal("cong_van", place=decomposed)
        assert spec.place == "Thanh Hoá"
        assert unicodedata.is_normalized("NFC", spec.place)

    def test_partial_date_for_drafts(self):
        """'2022-06' keeps year and month for a draft; the day stays blank."""
        spec = minimal("cong_van", date="2022-06")
        assert (spec.date, spec.draft_year, spec.draft_month) == (None, 2022, 6)


class TestSymbol:
    def test_cong_van_uses_issuer_and_unit(self):
        """Công văn: ISSUER-UNIT (no type abbreviation)."""
        assert minimal("cong_van").computed_symbol() == "SNV-VP"

    def test_named_types_use_the_abbreviation(self):
        """Documents with a type name: TYPE-ISSUER."""
        assert minimal("quyet_dinh").computed_symbol() == "QĐ-SNV"
        assert minimal("to_trinh").computed_symbol() == "TTr-SNV"
        assert minimal("sao_y").computed_symbol() == "SY-SNV"

    def test_explicit_symbol_wins(self):
        """A given symbol is printed as given."""
        assert minimal("huong_dan", symbol="HD-BCA-V05").computed_symbol() == "HD-BCA-V05"
