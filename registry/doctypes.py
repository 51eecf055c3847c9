"""Document types of ND30 art. 7 and Appendix III, and symbol composition.

Symbols: ``<TYPE>-<ISSUER>`` for types with an abbreviation (``BC-BCĐ``);
``<ISSUER>-<DRAFTING UNIT>`` for công văn, which has none (``BCĐ-NC``).
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.errors import ValidationError


@dataclass(frozen=True)
class DocType:
    key: str
    name: str  # the printed type name, lower case as in running text
    abbreviation: str | None  # None: công văn and thư công have none


_TYPES = (
    DocType("nghi_quyet", "Nghị quyết", "NQ"),
    DocType("quyet_dinh", "Quyết định", "QĐ"),
    DocType("chi_thi", "Chỉ thị", "CT"),
    DocType("quy_che", "Quy chế", "QC"),
    DocType("quy_dinh", "Quy định", "QyĐ"),
    DocType("thong_cao", "Thông cáo", "TC"),
    DocType("thong_bao", "Thông báo", "TB"),
    DocType("huong_dan", "Hướng dẫn", "HD"),
    DocType("chuong_trinh", "Chương trình", "CTr"),
    DocType("ke_hoach", "Kế hoạch", "KH"),
    DocType("phuong_an", "Phương án", "PA"),
    DocType("de_an", "Đề án", "ĐA"),
    DocType("du_an", "Dự án", "DA"),
    DocType("bao_cao", "Báo cáo", "BC"),
    DocType("bien_ban", "Biên bản", "BB"),
    DocType("to_trinh", "Tờ trình", "TTr"),
    DocType("hop_dong", "Hợp đồng", "HĐ"),
    DocType("cong_dien", "Công điện", "CĐ"),
    DocType("ban_ghi_nho", "Bản ghi nhớ", "BGN"),
    DocType("ban_thoa_thuan", "Bản thỏa thuận", "BTT"),
    DocType("giay_uy_quyen", "Giấy ủy quyền", "GUQ"),
    DocType("giay_moi", "Giấy mời", "GM"),
    DocType("giay_gioi_thieu", "Giấy giới thiệu", "GGT"),
    DocType("giay_nghi_phep", "Giấy nghỉ phép", "GNP"),
    DocType("phieu_gui", "Phiếu gửi", "PG"),
    DocType("phieu_chuyen", "Phiếu chuyển", "PC"),
    DocType("phieu_bao", "Phiếu báo", "PB"),
    DocType("cong_van", "Công văn", None),
    DocType("thu_cong", "Thư công", None),
    DocType("sao_y", "Bản sao y", "SY"),
    DocType("trich_sao", "Bản trích sao", "TrS"),
    DocType("sao_luc", "Bản sao lục", "SL"),
)

DOC_TYPES: dict[str, DocType] = {t.key: t for t in _TYPES}
COPY_TYPES = frozenset({"sao_y", "trich_sao", "sao_luc"})


def get_type(key: str) -> DocType:
    """The type for ``key``, or a ValidationError listing the known keys."""
    try:
        return DOC_TYPES[key]
    except KeyError:
        known = ", ".join(sorted(DOC_TYPES))
        raise ValidationError(
            f"loại văn bản '{key}' không có trong Phụ lục III; dùng một trong: {known}",
            field="type",
        ) from None


def format_number(number: int) -> str:
    """The printed number: a leading zero below 10 only (05, 149, 1028)."""
    if number < 1:
        raise ValidationError("số văn bản phải từ 1 trở lên", field="number")
    return f"{number:02d}"


def format_symbol(*, doc_type: str, issuer_code: str, drafting_unit: str | None = None) -> str:
    """The symbol after the slash: ``BC-BCĐ``, ``BCĐ-NC``, ``UBND`` (công văn without unit)."""
    t = get_type(doc_type)
    if not issuer_code:
        raise ValidationError("thiếu chữ viết tắt của cơ quan ban hành", field="issuer.code")
    if t.abbreviation is None:
        return f"{issuer_code}-{drafting_unit}" if drafting_unit else issuer_code
    return f"{t.abbreviation}-{issuer_code}"


def format_number_symbol(number: int | None, symbol: str) -> str:
    """``4267/BCĐ-NC``; ``/BCĐ-NC`` with the number blank on a draft."""
    return f"{format_number(number) if number is not None else ''}/{symbol}"
