"""docs/settings.md is generated from the Settings model and kept up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_settings_doc",
                                                  ROOT / "scripts" / "gen_settings_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestSettingsDoc:
    def test_up_to_date(self) -> None:
        """The committed file equals what the script writes now (run it after changing Settings)."""
        expected = _generator().render()
        actual = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
        assert actual == expected, "docs/settings.md cũ: chạy python scripts/gen_settings_doc.py"

    def test_every_variable_is_documented(self) -> None:
        """Each field of Settings has a line, a description and an example."""
        gen = _generator()
        fields = gen.settings_class().model_fields
        text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
        for name in fields:
            assert f"`CONGVAN_{name.upper()}`" in text
        undocumented = [n for n, f in fields.items() if n not in gen.TEXT and not f.description]
        assert undocumented == [], f"thêm mô tả vào scripts/gen_settings_doc.py: {undocumented}"
