"""docs/guide.md: its commands run as printed and print what the guide shows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _guide():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("guide", ROOT / "scripts" / "guide.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["guide"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class TestGuide:
    def test_masks_keep_words_and_hide_what_varies(self) -> None:
        """Times, dates and digests are masked; wrapped lines compare equal to unwrapped."""
        guide = _guide()
        a = guide.normalise(["Đã ban hành Số: 01/BCĐ-NC; PDF đã ký:",
                             "var/guide/files/2026/1/01_BCĐ-NC-cefd9b9980e1.pdf 09:15 30/11/2026"])
        b = guide.normalise(["Đã ban hành Số: 01/BCĐ-NC; PDF đã ký: var/guide/files/2026/1/"
                             "01_BCĐ-NC-0123456789ab.pdf 17:02 01/12/2026"])
        assert a == b
        assert "Số: 01/BCĐ-NC" in a and "02/BCĐ-NC" not in a

    def test_missing_line_is_named_and_extra_lines_are_allowed(self) -> None:
        """A shown line not printed is reported; a printed line not shown is not."""
        guide = _guide()
        assert guide.missing(["a b", "c"], ["a", "b", "cảnh báo mới", "c"]) is None
        assert guide.missing(["c", "a b"], ["a b", "c"]) == "a b"
        assert guide.missing(["Đã gửi 21"], ["Đã gửi 20"]) == "Đã gửi 21"

    def test_every_block_has_commands(self) -> None:
        """The guide has console blocks, and each starts with a command."""
        blocks = _guide().steps((ROOT / "docs" / "guide.md").read_text(encoding="utf-8"))
        assert len(blocks) >= 8 and all(block and block[0].command for block in blocks)
        commands = [s.command for block in blocks for s in block]
        for needed in ("draft new", "draft submit", "draft sign", "draft issue", "outbox run",
                       "receive", "registers xlsx", "trace"):
            assert any(needed in c for c in commands), needed

    @pytest.mark.libreoffice
    def test_commands_print_what_the_guide_shows(self) -> None:
        """Running every command from the repository root gives the guide's output."""
        problems = _guide().check()
        assert problems == [], "\n".join(problems) + (
            "\nNếu thay đổi là cố ý: python scripts/guide.py --update")
