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
    MINUTES = "minutes"  # Mẫu 1.9: no date line; time, place, participants; THƯ KÝ + CHỦ TỌA
    LETTER = "letter"  # Thư công: no number, no type name; Kính gửi, body, signature


@dataclass(frozen=True)
class DocType:
    """One template type."""

    key: str
    type_name: str | None
    abbreviation: str | None
    layout: Layout
    directive: str | None = None  # "QUYẾT ĐỊNH:" / "QUYẾT NGHỊ:" before the articles
    summary_required: bool = True  # Giấy giới thiệu, Giấy nghỉ phép … may have none

    @property
    def name_in_text(self) -> str:
        """The type as written inside a sentence ("Quyết định", "Kế hoạch", "Văn bản")."""
        if not self.type_name or self.layout is Layout.COPY:
            return "Văn bản"
        return self.type_name[:1] + self.type_name[1:].lower()

    @property
    def template_file(self) -> Path:
        """Path of the committed .docx template."""
        return TEMPLATE_DIR / f"{self.key}.docx"


_TYPES = (
    DocType("cong_van", None, None, Layout.CONG_VAN),
    DocType("bao_cao", "BÁO CÁO", "BC", Layout.NAMED),
    DocType("huong_dan", "HƯỚNG DẪN", "HD", Layout.NAMED),
    DocType("ke_hoach", "KẾ HOẠCH", "KH", Layout.NAMED),
    DocType("quyet_dinh", "QUYẾT ĐỊNH", "QĐ", Layout.DECISION, "QUYẾT ĐỊNH:"),
    DocType("nghi_quyet", "NGHỊ QUYẾT", "NQ", Layout.DECISION, "QUYẾT NGHỊ:"),
    DocType("bien_ban", "BIÊN BẢN", "BB", Layout.MINUTES),
    DocType("giay_gioi_thieu", "GIẤY GIỚI THIỆU", "GGT", Layout.NAMED, summary_required=False),
    DocType("giay_uy_quyen", "GIẤY ỦY QUYỀN", "GUQ", Layout.NAMED, summary_required=False),
    DocType("giay_nghi_phep", "GIẤY NGHỈ PHÉP", "GNP", Layout.NAMED, summary_required=False),
    DocType("phieu_gui", "PHIẾU GỬI", "PG", Layout.NAMED, summary_required=False),
    DocType("phieu_chuyen", "PHIẾU CHUYỂN", "PC", Layout.NAMED, summary_required=False),
    DocType("phieu_bao", "PHIẾU BÁO", "PB", Layout.NAMED, summary_required=False),
    DocType("hop_dong", "HỢP ĐỒNG", "HĐ", Layout.NAMED),
    DocType("ban_ghi_nho", "BẢN GHI NHỚ", "BGN", Layout.NAMED),
    DocType("ban_thoa_thuan", "BẢN THỎA THUẬN", "BTT", Layout.NAMED),
    DocType("thu_cong", None, None, Layout.LETTER, summary_required=False),
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
