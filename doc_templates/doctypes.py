"""The document types we have templates for (keys shared with registry/doctypes.py).

Each type names its printed type name (ô 5a), its Appendix III abbreviation
(None for công văn, which has none) and its template file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

TEMPLATE_DIR = Path(__file__).with_name("templates")


class Layout(StrEnum):
    """Which model form (Phụ lục III) a template follows."""

    CONG_VAN = "cong_van"  # Mẫu 1.5: no type name, "V/v" under the number
    NAMED = "named"  # Mẫu 1.4: type name and bold summary
    DECISION = "decision"  # Mẫu 1.2/1.3: authority line, căn cứ, "QUYẾT ĐỊNH:", Điều
    TELEGRAM = "telegram"  # Mẫu 1.6: "<issuer> điện:" and the addressees
    COPY = "copy"  # Mẫu 3.1: copy block under a full-width line


@dataclass(frozen=True)
class DocType:
    """One template type."""

    key: str
    type_name: str | None
    abbreviation: str | None
    layout: Layout

    @property
    def template_file(self) -> Path:
        """Path of the committed .docx template."""
        return TEMPLATE_DIR / f"{self.key}.docx"


_TYPES = (
    DocType("cong_van", None, None, Layout.CONG_VAN),
    DocType("bao_cao", "BÁO CÁO", "BC", Layout.NAMED),
    DocType("huong_dan", "HƯỚNG DẪN", "HD", Layout.NAMED),
    DocType("ke_hoach", "KẾ HOẠCH", "KH", Layout.NAMED),
    DocType("quyet_dinh", "QUYẾT ĐỊNH", "QĐ", Layout.DECISION),
    DocType("to_trinh", "TỜ TRÌNH", "TTr", Layout.NAMED),
    DocType("thong_bao", "THÔNG BÁO", "TB", Layout.NAMED),
    DocType("giay_moi", "GIẤY MỜI", "GM", Layout.NAMED),
    DocType("cong_dien", "CÔNG ĐIỆN", "CĐ", Layout.TELEGRAM),
    DocType("chuong_trinh", "CHƯƠNG TRÌNH", "CTr", Layout.NAMED),
    DocType("chi_thi", "CHỈ THỊ", "CT", Layout.NAMED),
    DocType("quy_che", "QUY CHẾ", "QC", Layout.NAMED),
    DocType("quy_dinh", "QUY ĐỊNH", "QyĐ", Layout.NAMED),
    DocType("thong_cao", "THÔNG CÁO", "TC", Layout.NAMED),
    DocType("phuong_an", "PHƯƠNG ÁN", "PA", Layout.NAMED),
    DocType("de_an", "ĐỀ ÁN", "ĐA", Layout.NAMED),
    DocType("du_an", "DỰ ÁN", "DA", Layout.NAMED),
    DocType("sao_y", "SAO Y", "SY", Layout.COPY),
    DocType("trich_sao", "TRÍCH SAO", "TrS", Layout.COPY),
    DocType("sao_luc", "SAO LỤC", "SL", Layout.COPY),
)

DOCTYPES: dict[str, DocType] = {t.key: t for t in _TYPES}


def get(key: str) -> DocType:
    """Return the type for ``key``; KeyError names the known keys."""
    try:
        return DOCTYPES[key]
    except KeyError:
        raise KeyError(
            f"Loại văn bản không hỗ trợ: {key!r}; dùng một trong {sorted(DOCTYPES)}"
        ) from None
