"""Check any .docx against Decree 30/2020/NĐ-CP (Phụ lục I) and list the violations.

The checker reads the WordprocessingML itself (styles resolved: document
defaults, paragraph style chain, character style, direct formatting), finds
each component by its text (Quốc hiệu, "Số:", the date line, "Nơi nhận:", …)
and reports, per component (ô số), what breaks the rule.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS = {"w": W, "a": A}
ERROR, WARNING = "error", "warning"

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
TYPE_NAMES = {
    "NGHỊ QUYẾT",
    "QUYẾT ĐỊNH",
    "CHỈ THỊ",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "THÔNG CÁO",
    "THÔNG BÁO",
    "HƯỚNG DẪN",
    "CHƯƠNG TRÌNH",
    "KẾ HOẠCH",
    "PHƯƠNG ÁN",
    "ĐỀ ÁN",
    "DỰ ÁN",
    "BÁO CÁO",
    "BIÊN BẢN",
    "TỜ TRÌNH",
    "HỢP ĐỒNG",
    "CÔNG ĐIỆN",
    "BẢN GHI NHỚ",
    "BẢN THỎA THUẬN",
    "GIẤY ỦY QUYỀN",
    "GIẤY MỜI",
    "GIẤY GIỚI THIỆU",
    "GIẤY NGHỈ PHÉP",
    "PHIẾU GỬI",
    "PHIẾU CHUYỂN",
    "PHIẾU BÁO",
}
COPY_FORMS = {"SAO Y", "TRÍCH SAO", "SAO LỤC"}
MIXED_CASE_GROUPS = {"TTr", "QyĐ", "CTr", "TrS"}  # Appendix III abbreviations with lower case
A4 = (11906, 16838)  # twips
MARGINS = {  # twips: (min, max) from Phụ lục I, I.3
    "top": (1134, 1417, "trên", "20–25 mm"),
    "bottom": (1134, 1417, "dưới", "20–25 mm"),
    "left": (1701, 1984, "trái", "30–35 mm"),
    "right": (850, 1134, "phải", "15–20 mm"),
}
TOLERANCE = 6  # twips; Word rounds millimetres


@dataclass(frozen=True)
class Violation:
    """One breach of ND30: the component (``box``, e.g. "ô 4"), the rule id, a message."""

    box: str
    rule: str
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready mapping."""
        return asdict(self)


@dataclass
class RunInfo:
    text: str
    font: str | None
    size: float | None  # points
    bold: bool
    italic: bool
    underline: bool


@dataclass
class Para:
    text: str
    runs: list[RunInfo]
    cell: int | None  # identity of the enclosing table cell, None at top level
    table: int | None
    align: str | None
    first_line: int | None  # twips
    before: int
    after: int
    line: int | None
    line_rule: str | None
    borders: set[str] = field(default_factory=set)
    left: int = 0
    right: int = 0
    keep_next: bool = False

    @property
    def visible(self) -> list[RunInfo]:
        return [r for r in self.runs if r.text.strip()]

    def all(self, attr: str) -> bool:
        return bool(self.visible) and all(getattr(r, attr) for r in self.visible)

    def any(self, attr: str) -> bool:
        return any(getattr(r, attr) for r in self.visible)

    def sizes(self) -> set[float]:
        return {r.size for r in self.visible if r.size is not None}


def _on(el: etree._Element | None) -> bool | None:
    if el is None:
        return None
    return el.get(f"{{{W}}}val", "true").lower() not in {"0", "false", "off", "none"}


class _Styles:
    """Resolves effective run and paragraph properties through the style chain."""

    def __init__(self, styles_xml: bytes | None, theme_xml: bytes | None) -> None:
        self.by_id: dict[str, etree._Element] = {}
        self.default_para: str | None = None
        self.defaults_r: etree._Element | None = None
        self.defaults_p: etree._Element | None = None
        self.theme: dict[str, str] = {}
        if theme_xml:
            theme = etree.fromstring(theme_xml)
            for kind in ("major", "minor"):
                latin = theme.find(f".//a:{kind}Font/a:latin", NS)
                if latin is not None:
                    self.theme[kind] = latin.get("typeface", "")
        if not styles_xml:
            return
        root = etree.fromstring(styles_xml)
        self.defaults_r = root.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
        self.defaults_p = root.find("w:docDefaults/w:pPrDefault/w:pPr", NS)
        for style in root.findall("w:style", NS):
            sid = style.get(f"{{{W}}}styleId")
            self.by_id[sid] = style
            if style.get(f"{{{W}}}type") == "paragraph" and style.get(f"{{{W}}}default") in {
                "1",
                "true",
            }:
                self.default_para = sid

    def chain(self, sid: str | None, tag: str) -> list[etree._Element]:
        """Property elements (w:rPr or w:pPr) of ``sid`` and its bases, base first."""
        out: list[etree._Element] = []
        seen: set[str] = set()
        while sid and sid in self.by_id and sid not in seen:
            seen.add(sid)
            style = self.by_id[sid]
            props = style.find(f"w:{tag}", NS)
            if props is not None:
                out.append(props)
            based = style.find("w:basedOn", NS)
            sid = based.get(f"{{{W}}}val") if based is not None else None
        return list(reversed(out))

    def font_name(self, fonts: etree._Element) -> str | None:
        for attr in ("ascii", "hAnsi"):
            name = fonts.get(f"{{{W}}}{attr}")
            if name:
                return str(name)
        theme = fonts.get(f"{{{W}}}asciiTheme") or fonts.get(f"{{{W}}}hAnsiTheme")
        if theme:
            return str(self.theme.get("major" if theme.startswith("major") else "minor", theme))
        return None


def _merge_run(layers: list[etree._Element | None], styles: _Styles) -> dict[str, Any]:
    props: dict[str, Any] = {
        "font": None,
        "size": None,
        "bold": False,
        "italic": False,
        "underline": False,
    }
    for layer in layers:
        if layer is None:
            continue
        fonts = layer.find("w:rFonts", NS)
        if fonts is not None and (name := styles.font_name(fonts)):
            props["font"] = name
        size = layer.find("w:sz", NS)
        if size is not None and size.get(f"{{{W}}}val"):
            props["size"] = int(size.get(f"{{{W}}}val")) / 2
        for key, tag in (("bold", "b"), ("italic", "i")):
            value = _on(layer.find(f"w:{tag}", NS))
            if value is not None:
                props[key] = value
        u = layer.find("w:u", NS)
        if u is not None:
            props["underline"] = u.get(f"{{{W}}}val", "single") != "none"
    return props


def _para_props(layers: list[etree._Element | None]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "align": None,
        "first_line": None,
        "before": 0,
        "after": 0,
        "line": None,
        "line_rule": None,
        "borders": set(),
        "left": 0,
        "right": 0,
        "keep_next": False,
    }
    for layer in layers:
        if layer is None:
            continue
        jc = layer.find("w:jc", NS)
        if jc is not None:
            props["align"] = jc.get(f"{{{W}}}val")
        ind = layer.find("w:ind", NS)
        if ind is not None:
            if ind.get(f"{{{W}}}firstLine") is not None:
                props["first_line"] = int(ind.get(f"{{{W}}}firstLine"))
            if ind.get(f"{{{W}}}hanging") is not None:
                props["first_line"] = -int(ind.get(f"{{{W}}}hanging"))
            for key, attrs in (("left", ("left", "start")), ("right", ("right", "end"))):
                for attr in attrs:
                    if ind.get(f"{{{W}}}{attr}") is not None:
                        props[key] = int(ind.get(f"{{{W}}}{attr}"))
        keep = layer.find("w:keepNext", NS)
        if keep is not None:
            props["keep_next"] = bool(_on(keep))
        spacing = layer.find("w:spacing", NS)
        if spacing is not None:
            for key in ("before", "after"):
                if spacing.get(f"{{{W}}}{key}") is not None:
                    props[key] = int(spacing.get(f"{{{W}}}{key}"))
            if spacing.get(f"{{{W}}}line") is not None:
                props["line"] = int(spacing.get(f"{{{W}}}line"))
                props["line_rule"] = spacing.get(f"{{{W}}}lineRule", "auto")
        borders = layer.find("w:pBdr", NS)
        if borders is not None:
            props["borders"] = {
                etree.QName(b).localname
                for b in borders
                if b.get(f"{{{W}}}val") not in {"nil", "none"}
            }
    return props


def _paragraphs(body: etree._Element, styles: _Styles) -> list[Para]:
    out: list[Para] = []
    counter = {"table": 0}

    def walk(element: etree._Element, cell: int | None, table: int | None) -> None:
        for child in element:
            name = etree.QName(child).localname
            if name == "p":
                out.append(_para(child, styles, cell, table))
            elif name == "tbl":
                counter["table"] += 1
                tid = counter["table"]
                for tc in child.iterfind("w:tr/w:tc", NS):
                    walk(tc, id(tc), tid)
            elif name in {"sdt", "sdtContent", "customXml"}:
                walk(child, cell, table)

    walk(body, None, None)
    return out


def _para(p: etree._Element, styles: _Styles, cell: int | None, table: int | None) -> Para:
    ppr = p.find("w:pPr", NS)
    style_el = ppr.find("w:pStyle", NS) if ppr is not None else None
    sid = style_el.get(f"{{{W}}}val") if style_el is not None else styles.default_para
    pprops = _para_props([styles.defaults_p, *styles.chain(sid, "pPr"), ppr])
    para_layers = [styles.defaults_r, *styles.chain(sid, "rPr")]
    runs: list[RunInfo] = []
    for r in p.iter(f"{{{W}}}r"):
        text = "".join(
            t.text or ""
            if etree.QName(t).localname == "t"
            else "\t"
            if etree.QName(t).localname == "tab"
            else "\n"
            for t in r
            if etree.QName(t).localname in {"t", "tab", "br"}
        )
        if not text:
            continue
        rpr = r.find("w:rPr", NS)
        rstyle = rpr.find("w:rStyle", NS) if rpr is not None else None
        rchain = styles.chain(rstyle.get(f"{{{W}}}val"), "rPr") if rstyle is not None else []
        props = _merge_run([*para_layers, *rchain, rpr], styles)
        runs.append(RunInfo(text=text, **props))
    text = unicodedata.normalize("NFC", "".join(r.text for r in runs))
    return Para(text=text, runs=runs, cell=cell, table=table, **pprops)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _Checker:
    def __init__(self, parts: dict[str, bytes]) -> None:
        self.parts = parts
        self.found: list[Violation] = []
        document = etree.fromstring(parts["word/document.xml"])
        self.body = document.find("w:body", NS)
        self.styles = _Styles(parts.get("word/styles.xml"), parts.get("word/theme/theme1.xml"))
        self.paras = _paragraphs(self.body, self.styles)
        self.recipient_block = self._recipient_block()

    def _recipient_block(self) -> set[int]:
        """Indices of the "Kính gửi" paragraphs (laid out with hanging indents, not body)."""
        block: set[int] = set()
        for i, p in enumerate(self.paras):
            if p.text.lstrip().startswith("Kính gửi"):
                block.add(i)
                for j in range(i + 1, len(self.paras)):
                    if not self.paras[j].text.lstrip().startswith(("-", "+")):
                        break
                    block.add(j)
        return block

    def add(self, box: str, rule: str, message: str, severity: str = ERROR) -> None:
        self.found.append(Violation(box, rule, message, severity))

    def _size(self, p: Para, box: str, rule: str, low: float, high: float, what: str) -> None:
        bad = sorted(s for s in p.sizes() if not low <= s <= high)
        if bad:
            span = f"{low:g}" if low == high else f"{low:g}–{high:g}"
            self.add(
                box, rule, f"{what}: cỡ chữ {', '.join(f'{s:g}' for s in bad)} pt; phải {span} pt"
            )

    def find(self, predicate: Callable[[Para], Any]) -> list[int]:
        return [i for i, p in enumerate(self.paras) if predicate(p)]

    # ---------------------------------------------------------------- checks

    def page(self) -> None:
        # The main document's section comes first (appendices and wide tables may follow
        # in sections of their own, landscape allowed).
        sect = next(self.body.iter(f"{{{W}}}sectPr"), None)
        if sect is None:
            self.add("trang", "page.size", "Không có thiết lập trang (sectPr); cần khổ A4")
            return
        size = sect.find("w:pgSz", NS)
        width = int(size.get(f"{{{W}}}w", 0)) if size is not None else 0
        height = int(size.get(f"{{{W}}}h", 0)) if size is not None else 0
        if sorted((width, height)) != sorted(A4) and not (
            abs(min(width, height) - A4[0]) <= 20 and abs(max(width, height) - A4[1]) <= 20
        ):
            self.add(
                "trang",
                "page.size",
                f"Khổ giấy {width / 56.7:.0f} × {height / 56.7:.0f} mm; phải A4 (210 × 297 mm)",
            )
        if width > height:
            self.add(
                "trang",
                "page.orientation",
                "Trang nằm ngang chỉ dùng khi có bảng không tách thành phụ lục",
                WARNING,
            )
        margins = sect.find("w:pgMar", NS)
        for side, (low, high, name, span) in MARGINS.items():
            value = int(margins.get(f"{{{W}}}{side}", 0)) if margins is not None else 0
            if not low - TOLERANCE <= abs(value) <= high + TOLERANCE:
                self.add(
                    "trang",
                    f"page.margin.{side}",
                    f"Lề {name} {abs(value) / 56.7:.1f} mm; phải {span}",
                )
        self._page_numbers(sect)

    def _page_numbers(self, sect: etree._Element) -> None:
        has_field = False
        for name, blob in self.parts.items():
            if re.fullmatch(r"word/header\d*\.xml", name) and b"PAGE" in blob:
                has_field = True
        if not has_field:
            self.add(
                "trang",
                "page.numbers",
                "Không có số trang ở phần đầu trang (căn giữa, từ trang 2)",
                WARNING,
            )
        elif sect.find("w:titlePg", NS) is None:
            self.add(
                "trang",
                "page.numbers.first",
                "Trang 1 không được đánh số: bật 'Different First Page'",
                WARNING,
            )

    def fonts(self) -> None:
        counts: dict[str, int] = {}
        for p in self.paras:
            for r in p.visible:
                name = r.font or "(không khai báo)"
                if name != "Times New Roman":
                    counts[name] = counts.get(name, 0) + 1
        for name, count in sorted(counts.items()):
            self.add(
                "toàn văn bản",
                "font.family",
                f"Phông {name} ở {count} đoạn chữ; phải Times New Roman",
            )

    def motto(self) -> None:
        index = self.find(lambda p: _norm(p.text).upper().replace("HOÀ", "HÒA") == QUOC_HIEU)
        if not index:
            # A copy (Mẫu 3.1) carries only the copy block; Quốc hiệu belongs to the copied text.
            if not self.find(lambda p: _norm(p.text) in COPY_FORMS):
                self.add("ô 1", "motto.missing", f"Không thấy Quốc hiệu '{QUOC_HIEU}'")
            return
        qh = self.paras[index[0]]
        if "HOÀ" in qh.text:
            self.add("ô 1", "motto.spelling", "Nghị định viết 'HÒA' (không 'HOÀ')", WARNING)
        if not qh.all("bold"):
            self.add("ô 1", "motto.bold", "Quốc hiệu phải in hoa, đứng, đậm")
        self._size(qh, "ô 1", "motto.size", 12, 13, "Quốc hiệu")
        following = [p for p in self.paras[index[0] + 1 :] if p.text.strip()]
        if not following:
            self.add("ô 1", "motto.missing", "Thiếu Tiêu ngữ dưới Quốc hiệu")
            return
        tn = following[0]
        text = _norm(tn.text)
        if text != TIEU_NGU:
            if re.sub(r"\s*[–—‒-]\s*", "-", text) == TIEU_NGU.replace(" - ", "-"):
                self.add(
                    "ô 1",
                    "motto.hyphen",
                    f"Tiêu ngữ '{text}': dùng gạch nối '-' có dấu cách hai bên, "
                    "không dùng gạch ngang '–'",
                )
            else:
                self.add("ô 1", "motto.text", f"Tiêu ngữ '{text}'; phải là '{TIEU_NGU}'")
        if not tn.all("bold"):
            self.add("ô 1", "motto.bold", "Tiêu ngữ phải in đậm")
        self._size(tn, "ô 1", "motto.size", 13, 14, "Tiêu ngữ")
        if qh.sizes() and tn.sizes() and max(tn.sizes()) != max(qh.sizes()) + 1:
            self.add(
                "ô 1",
                "motto.pairing",
                "Tiêu ngữ lớn hơn Quốc hiệu 1 pt (12/13 hoặc 13/14)",
                WARNING,
            )
        if tn.any("underline"):
            self.add(
                "ô 1",
                "motto.rule",
                "Đường kẻ dưới Tiêu ngữ phải là nét kẻ, không gạch chân chữ",
                WARNING,
            )

    def number(self) -> None:
        index = self.find(lambda p: re.match(r"^\s*Số\s*:", p.text) is not None)
        if not index:
            letter = bool(
                self.find(lambda p: _norm(p.text).upper().replace("HOÀ", "HÒA") == QUOC_HIEU)
            ) and not self.find(
                lambda p: _norm(p.text) in TYPE_NAMES or p.text.lstrip().startswith("V/v")
            )
            if not letter:  # a thư công carries no number (ND30 Phụ lục III)
                self.add("ô 3", "number.missing", "Không thấy dòng 'Số: …/…'")
            return
        p = self.paras[index[0]]
        text = _norm(p.text)
        m = re.match(r"^Số\s*:\s*(?P<num>\d*)(?P<gap>\s*)/\s*(?P<sym>.*)$", text)
        if not m:
            self.add("ô 3", "number.pattern", f"'{text}': phải có dạng 'Số: 05/QĐ-UBND'")
            return
        num, symbol = m.group("num"), m.group("sym")
        if num and len(num) == 1:
            self.add("ô 3", "number.padding", f"Số {num} nhỏ hơn 10 phải viết 0{num}")
        elif num and num.startswith("0") and int(num) >= 10:
            self.add("ô 3", "number.padding", f"Số {num}: chỉ thêm số 0 trước số nhỏ hơn 10")
        if num and m.group("gap"):
            self.add("ô 3", "number.space", f"'{text}': không có dấu cách trước dấu '/'")
        if re.search(r"\s", symbol) or re.search(r"\s-|-\s", symbol):
            self.add(
                "ô 3",
                "symbol.spaces",
                f"Ký hiệu '{symbol}': các nhóm chữ viết tắt nối bằng '-' không có dấu cách",
            )
        for group in filter(None, re.split(r"[-/\s]", symbol)):
            if group != group.upper() and group not in MIXED_CASE_GROUPS:
                self.add("ô 3", "symbol.case", f"Ký hiệu '{group}' phải in hoa")
        if not re.match(r"^Số:", text):
            self.add("ô 3", "number.pattern", "Viết 'Số:' liền dấu hai chấm")
        self._size(p, "ô 3", "number.size", 13, 13, "Số, ký hiệu")

    def date(self) -> None:
        pattern = re.compile(
            r"^(?P<place>[^,]+),\s*ngày\s+(?P<d>\d*)\s*tháng\s+(?P<m>\d*)\s*năm\s*(?P<y>\d*)\s*$"
        )
        index = self.find(lambda p: pattern.match(_norm(p.text)) is not None)
        if not index:
            if self.find(lambda p: _norm(p.text) == "BIÊN BẢN"):
                return  # Mẫu 1.9: a biên bản has no place/date line; the date is in the text
            if self.find(lambda p: re.search(r"ngày\s.*tháng\s.*năm", p.text) and p.cell):
                self.add(
                    "ô 4",
                    "date.pattern",
                    "Dòng địa danh, ngày tháng phải có dạng 'Hà Nội, ngày 05 tháng 3 năm 2020'",
                )
            else:
                self.add("ô 4", "date.missing", "Không thấy dòng địa danh, ngày tháng năm", WARNING)
            return
        p = self.paras[index[0]]
        m = pattern.match(_norm(p.text))
        assert m is not None
        day, month, year = m.group("d"), m.group("m"), m.group("y")
        if day and (len(day) != 2 or not 1 <= int(day) <= 31):
            self.add(
                "ô 4", "date.day", f"Ngày '{day}': ngày nhỏ hơn 10 viết 01…09, tối đa 2 chữ số"
            )
        if month:
            value = int(month)
            if value in (1, 2) and month != f"0{value}":
                self.add("ô 4", "date.month", f"Tháng {month}: tháng 1 và 2 viết 01, 02")
            elif value >= 3 and month.startswith("0"):
                self.add(
                    "ô 4",
                    "date.month",
                    f"Tháng '{month}': tháng 3–12 không thêm số 0 (viết '{value}')",
                )
            elif not 1 <= value <= 12:
                self.add("ô 4", "date.month", f"Tháng '{month}' không hợp lệ")
        if year and len(year) != 4:
            self.add("ô 4", "date.year", f"Năm '{year}' phải viết đủ 4 chữ số")
        place = m.group("place").strip()
        if place[:1] != place[:1].upper():
            self.add("ô 4", "date.place", f"Địa danh '{place}' phải viết hoa chữ cái đầu")
        if re.match(r"^TP\.?\s", place):
            self.add(
                "ô 4",
                "date.place",
                f"'{place}': viết đủ tên (Thành phố …), không viết tắt",
                WARNING,
            )
        if not p.all("italic"):
            self.add("ô 4", "date.italic", "Địa danh, ngày tháng năm phải in nghiêng")
        if p.any("bold"):
            self.add("ô 4", "date.bold", "Địa danh, ngày tháng năm không in đậm")
        self._size(p, "ô 4", "date.size", 13, 14, "Địa danh, ngày tháng")

    def summary(self) -> None:
        for i in self.find(lambda p: p.cell is None and _norm(p.text) in TYPE_NAMES):
            p = self.paras[i]
            if not p.all("bold"):
                self.add("ô 5a", "type.bold", f"Tên loại '{_norm(p.text)}' phải in đậm")
            self._size(p, "ô 5a", "type.size", 13, 14, "Tên loại văn bản")
            nxt = next((q for q in self.paras[i + 1 :] if q.text.strip()), None)
            # Giấy giới thiệu, Giấy nghỉ phép … may have no summary: the body follows.
            if nxt is not None and nxt.align == "center":
                if not nxt.all("bold"):
                    self.add("ô 5a", "summary.bold", "Trích yếu dưới tên loại phải in đậm")
                self._size(nxt, "ô 5a", "summary.size", 13, 14, "Trích yếu")
            break
        for i in self.find(lambda p: p.text.lstrip().startswith("V/v")):
            p = self.paras[i]
            if p.any("bold"):
                self.add("ô 5b", "vv.bold", "Trích yếu công văn (V/v) không in đậm")
            self._size(p, "ô 5b", "vv.size", 12, 13, "Trích yếu công văn (V/v)")

    def body_text(self) -> None:
        body = [
            p
            for i, p in enumerate(self.paras)
            if p.cell is None
            and len(_norm(p.text)) >= 80
            and i not in self.recipient_block
            and p.align != "center"  # a long centred paragraph is a title or summary
        ]
        if not body:
            return
        groups: dict[str, int] = {}

        def tally(rule: str) -> None:
            groups[rule] = groups.get(rule, 0) + 1

        for p in body:
            if any(not 13 <= s <= 14 for s in p.sizes()):
                tally("body.size")
            if p.align not in {"both", "distribute"}:
                tally("body.justify")
            if p.first_line is None or not 560 <= p.first_line <= 725:
                tally("body.indent")
            if max(p.before, p.after) < 120:
                tally("body.spacing")
            if p.line is not None and (
                (p.line_rule in {None, "auto"} and p.line > 360)
                or (p.line_rule in {"exact", "atLeast"} and p.line > 420)
            ):
                tally("body.line")
        messages = {
            "body.size": ("Nội dung: cỡ chữ phải 13–14 pt", ERROR),
            "body.justify": ("Nội dung: căn đều hai lề", ERROR),
            "body.indent": ("Nội dung: lùi đầu dòng 1 cm hoặc 1,27 cm", WARNING),
            "body.spacing": ("Nội dung: khoảng cách giữa các đoạn tối thiểu 6 pt", WARNING),
            "body.line": ("Nội dung: giãn dòng từ đơn (single) đến 1,5 dòng", WARNING),
        }
        for rule, count in groups.items():
            message, severity = messages[rule]
            self.add("ô 6", rule, f"{message} ({count} đoạn)", severity)

    def recipients(self) -> None:
        for i in self.find(lambda p: p.text.lstrip().startswith("Kính gửi")):
            p = self.paras[i]
            self._size(p, "ô 9a", "recipients.size", 13, 14, "Kính gửi")
            if p.any("bold"):
                self.add(
                    "ô 9a", "recipients.bold", "'Kính gửi' và tên nơi nhận không in đậm", WARNING
                )

    def distribution(self) -> None:
        index = self.find(lambda p: re.match(r"^\s*Nơi nhận\s*:?\s*$", p.text) is not None)
        if not index:
            self.add("ô 9b", "distribution.missing", "Không thấy 'Nơi nhận:'")
            return
        p = self.paras[index[0]]
        if not p.text.strip().endswith(":"):
            self.add("ô 9b", "distribution.colon", "Viết 'Nơi nhận:' có dấu hai chấm")
        if not (p.all("bold") and p.all("italic")):
            self.add("ô 9b", "distribution.style", "'Nơi nhận:' phải in nghiêng, đậm")
        self._size(p, "ô 9b", "distribution.size", 12, 12, "'Nơi nhận:'")
        items = []
        for q in self.paras[index[0] + 1 :]:
            if q.cell != p.cell or (p.cell is None and not q.text.strip().startswith(("-", "+"))):
                break
            if q.text.strip():
                items.append(q)
        for q in items:
            self._size(
                q, "ô 9b", "distribution.items.size", 11, 11, f"Nơi nhận '{_norm(q.text)[:30]}'"
            )
        if not items:
            self.add("ô 9b", "distribution.empty", "Danh sách nơi nhận trống")
            return
        last = _norm(items[-1].text)
        if not re.match(r"^-\s*Lưu\b", last):
            self.add("ô 9b", "archive.missing", "Dòng cuối Nơi nhận phải là '- Lưu: VT, … (n).'")
        elif not re.match(r"^- Lưu: VT\b", last):
            if re.match(r"^- Lưu\s*:", last):
                self.add(
                    "ô 9b", "archive.vt", f"'{last}': bản lưu ghi 'VT' (văn thư) trước", WARNING
                )
            else:
                self.add("ô 9b", "archive.colon", f"'{last}': viết '- Lưu: VT, …' có dấu hai chấm")
        if not last.endswith("."):
            self.add("ô 9b", "archive.period", f"'{last}': dòng Lưu kết thúc bằng dấu chấm")

    def signature(self) -> None:
        prefix = re.compile(r"^(T/M|K/T|T/L|TUQ|TM|KT|TL|Q)\b(\.?)\s*(?=\S)")
        for p in self.paras:
            text = _norm(p.text)
            m = prefix.match(text)
            if not m or p.cell is None or text != text.upper():
                continue
            word = m.group(1)
            if "/" in word:
                self.add(
                    "ô 7a",
                    "signature.prefix",
                    f"'{text}': viết '{word.replace('/', '')}.' (không '{word}')",
                )
            elif not m.group(2):
                self.add(
                    "ô 7a",
                    "signature.prefix",
                    f"'{text}': sau {word} phải có dấu chấm ('{word}. …')",
                )
            if not p.all("bold"):
                self.add("ô 7a", "signature.bold", f"'{text}': quyền hạn, chức vụ in hoa, đậm")
            self._size(p, "ô 7a", "signature.size", 13, 14, f"'{text}'")

    # ------------------------------------------------ structure, rules, pages, notes

    def _directive(self) -> int | None:
        """Index of the enacting line ("QUYẾT ĐỊNH:", "QUYẾT NGHỊ:" …), if any."""
        for i, p in enumerate(self.paras):
            text = _norm(p.text)
            if (
                p.cell is None
                and text.endswith(":")
                and text == text.upper()
                and len(text) < 30
                and any(c.isalpha() for c in text)
            ):
                return i
        return None

    def bases(self) -> None:
        """A legal basis is a "Căn cứ …" line in the bases block (before the enacting words)
        or a "Căn cứ …;" line; an ordinary body sentence starting "Căn cứ" is not one."""
        directive = self._directive()
        bad = 0
        for i, p in enumerate(self.paras):
            text = _norm(p.text)
            if p.cell is not None or not text.startswith("Căn cứ"):
                continue
            in_block = directive is not None and i < directive
            if not (in_block or text.endswith(";")):
                continue
            if not p.all("italic"):
                bad += 1
        if bad:
            self.add("ô 6", "bases.italic", f"Các dòng căn cứ phải in nghiêng ({bad} dòng)")

    def articles(self) -> None:
        """ "Điều N." at the start of a body paragraph is bold (ND30 Phần II.6)."""
        for p in self.paras:
            m = re.match(r"^Điều\s+\d+[a-zđ]?\.", p.text.lstrip())
            if p.cell is not None or not m or not p.visible:
                continue
            label = m.group(0)
            covered = ""
            bold = True
            for run in p.visible:
                take = run.text.lstrip() if not covered else run.text
                part = take[: len(label) - len(covered)]
                if part.strip() and not run.bold:
                    bold = False
                covered += part
                if len(covered) >= len(label):
                    break
            if not bold:
                self.add("ô 6", "article.bold", f"'{label}' phải in đậm")

    def appendices(self) -> None:
        """Appendix heading block: "Phụ lục I" bold 14 centred, title bold caps, "(Kèm theo …)"
        italic."""
        for i, p in enumerate(self.paras):
            text = _norm(p.text)
            if p.cell is not None or not re.fullmatch(r"Phụ lục(\s+[IVXLC]+)?", text):
                continue
            if not p.all("bold"):
                self.add("phụ lục", "appendix.bold", f"'{text}' phải in đậm")
            self._size(p, "phụ lục", "appendix.size", 14, 14, f"'{text}'")
            if p.align != "center":
                self.add("phụ lục", "appendix.center", f"'{text}' phải căn giữa")
            rest = [q for q in self.paras[i + 1 : i + 6] if q.text.strip()]
            title = rest[0] if rest else None
            if title is None or _norm(title.text) != _norm(title.text).upper():
                self.add("phụ lục", "appendix.title", f"Tên {text.lower()} phải in hoa, đậm")
            elif not title.all("bold"):
                self.add("phụ lục", "appendix.title", f"Tên {text.lower()} phải in đậm")
            attached = next((q for q in rest if _norm(q.text).startswith("(Kèm theo")), None)
            if attached is None:
                self.add(
                    "phụ lục",
                    "appendix.attached",
                    f"Dưới tên {text.lower()} cần dòng '(Kèm theo … số … ngày … của …)'",
                )
            elif not attached.all("italic"):
                self.add("phụ lục", "appendix.attached", "Dòng '(Kèm theo …)' phải in nghiêng")

    def rules(self) -> None:
        """The rules under the issuer's name and under the summary: 1/3 to 1/2 of the text."""
        from doc_templates.metrics import text_width_pt

        def rule_after(index: int) -> Para | None:
            nxt = self.paras[index + 1] if index + 1 < len(self.paras) else None
            if nxt is not None and not nxt.text.strip() and "bottom" in nxt.borders:
                return nxt
            return None

        def check(index: int, room: int, box: str, what: str) -> None:
            rule = rule_after(index)
            if rule is None:
                return
            p = self.paras[index]
            size = max(p.sizes() or {13.0})
            bold = p.all("bold")
            line = max(text_width_pt(t, size, bold=bold) * 20 for t in p.text.split("\n"))
            line = min(line, room)
            length = room - rule.left - rule.right
            if line and not line / 3 - 60 <= length <= line / 2 + 60:
                self.add(
                    box,
                    f"rule.{what}",
                    f"Đường kẻ dưới {'tên cơ quan' if what == 'issuer' else 'trích yếu'} dài "
                    f"{length / 567:.1f} cm; phải bằng 1/3–1/2 dòng chữ trên "
                    f"({line / 3 / 567:.1f}–{line / 2 / 567:.1f} cm)",
                    WARNING,
                )

        top = self.body.find("w:tbl", NS)
        if top is not None:
            first_cell = top.find("w:tr/w:tc", NS)
            width = first_cell.find("w:tcPr/w:tcW", NS) if first_cell is not None else None
            room = int(width.get(f"{{{W}}}w")) - 216 if width is not None else 3639
            cell_paras = [i for i, p in enumerate(self.paras) if p.cell == id(first_cell)]
            named = [
                i for i in cell_paras if self.paras[i].text.strip() and self.paras[i].all("bold")
            ]
            if named:
                check(named[-1], room, "ô 2", "issuer")
        for i, p in enumerate(self.paras):
            if p.cell is None and _norm(p.text) in TYPE_NAMES:
                nxt = next(
                    (j for j in range(i + 1, len(self.paras)) if self.paras[j].text.strip()), None
                )
                if nxt is not None:
                    check(nxt, 9355, "ô 5a", "summary")
                break

    def page_number_place(self) -> None:
        """The page number sits centred in the header, not in the footer."""
        for name, blob in self.parts.items():
            if re.fullmatch(r"word/footer\d*\.xml", name) and re.search(rb"PAGE(?!S)", blob):
                self.add(
                    "trang",
                    "page.numbers.position",
                    "Số trang đặt ở giữa phần đầu trang (lề trên), không ở chân trang",
                    WARNING,
                )
            if re.fullmatch(r"word/header\d*\.xml", name) and re.search(rb"PAGE(?!S)", blob):
                root = etree.fromstring(blob)
                for p in root.iter(f"{{{W}}}p"):
                    if b"PAGE" not in etree.tostring(p):
                        continue
                    jc = p.find("w:pPr/w:jc", NS)
                    if jc is None or jc.get(f"{{{W}}}val") != "center":
                        self.add(
                            "trang",
                            "page.numbers.center",
                            "Số trang phải căn giữa theo chiều ngang",
                            WARNING,
                        )

    def footnotes(self) -> None:
        """Footnote references are superscript; footnote text in Times New Roman, 10–13 pt."""
        refs = self.body.findall(".//w:footnoteReference", NS)
        for ref in refs:
            rpr = ref.getparent().find("w:rPr", NS)
            align = rpr.find("w:vertAlign", NS) if rpr is not None else None
            style = rpr.find("w:rStyle", NS) if rpr is not None else None
            if (align is None or align.get(f"{{{W}}}val") != "superscript") and style is None:
                self.add(
                    "ô 6", "footnote.reference", "Số chú thích trong nội dung phải là chỉ số trên"
                )
                break
        blob = self.parts.get("word/footnotes.xml")
        if not refs or not blob:
            return
        notes = etree.fromstring(blob)
        paras = _paragraphs(notes, self.styles)
        sizes = {s for p in paras for s in p.sizes()}
        if any(not 10 <= s <= 13 for s in sizes):
            self.add(
                "ô 6",
                "footnote.size",
                f"Chữ chú thích cỡ {', '.join(f'{s:g}' for s in sorted(sizes))} pt; nên 10–13 pt",
                WARNING,
            )
        fonts = {r.font for p in paras for r in p.visible if r.font}
        if fonts - {"Times New Roman"}:
            self.add("ô 6", "footnote.font", "Chữ chú thích phải là Times New Roman")

    def signature_kept(self) -> None:
        """The last body paragraph is kept with the signature row (keep with next), so the
        signature block never stands alone on a page."""
        index = self.find(lambda p: re.match(r"^\s*Nơi nhận\s*:?\s*$", p.text) is not None)
        if not index or self.paras[index[0]].cell is None:
            return
        before = [p for p in self.paras[: index[0]] if p.cell is None and p.text.strip()]
        if before and not before[-1].keep_next:
            self.add(
                "ô 7",
                "signature.keep",
                "Đoạn cuối nội dung nên đặt 'giữ với đoạn sau' (keep with next) để khối chữ ký "
                "không đứng riêng một trang",
                WARNING,
            )

    def table_headers(self) -> None:
        """Bordered tables repeat their header row on every page."""
        count = 0
        for tbl in self.body.iter(f"{{{W}}}tbl"):
            borders = tbl.find("w:tblPr/w:tblBorders", NS)
            style = tbl.find("w:tblPr/w:tblStyle", NS)
            bordered = (
                borders is not None
                and any(b.get(f"{{{W}}}val") not in {"nil", "none"} for b in borders)
            ) or (style is not None and "Grid" in (style.get(f"{{{W}}}val") or ""))
            rows = tbl.findall("w:tr", NS)
            if not bordered or len(rows) < 3:
                continue
            if rows[0].find("w:trPr/w:tblHeader", NS) is None:
                count += 1
        if count:
            self.add(
                "ô 6",
                "table.header.repeat",
                f"{count} bảng không lặp lại dòng tiêu đề ở đầu mỗi trang (Repeat header row)",
                WARNING,
            )

    def run(self) -> list[Violation]:
        for check in (
            self.page,
            self.fonts,
            self.motto,
            self.number,
            self.date,
            self.summary,
            self.body_text,
            self.recipients,
            self.distribution,
            self.signature,
            self.bases,
            self.articles,
            self.appendices,
            self.rules,
            self.page_number_place,
            self.footnotes,
            self.signature_kept,
            self.table_headers,
        ):
            check()
        return self.found


def _read(path_or_bytes: str | Path | bytes) -> dict[str, bytes]:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name.endswith(".xml") and name.startswith("word/")
        }


def check_docx(path_or_bytes: str | Path | bytes) -> list[Violation]:
    """Check a .docx (path or bytes) against ND30; return every violation found."""
    try:
        parts = _read(path_or_bytes)
    except zipfile.BadZipFile:
        return [Violation("tệp", "file.invalid", "Không phải tệp .docx hợp lệ")]
    if "word/document.xml" not in parts:
        return [Violation("tệp", "file.invalid", "Tệp .docx thiếu word/document.xml")]
    return _Checker(parts).run()


# ------------------------------------------------------------------ PDF


def _deref(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def _pdf_fonts(reader: Any) -> dict[str, bool]:
    """BaseFont name -> embedded, for every font used on any page."""
    fonts: dict[str, bool] = {}
    pending = [_deref(reader.root["/Pages"])]
    visited = 0
    while pending and visited < 10000:
        visited += 1
        node = _deref(pending.pop())
        if "/Kids" in node:
            pending.extend(_deref(node["/Kids"]))
            continue
        resources = _deref(node.get("/Resources")) or {}
        for ref in (_deref(resources.get("/Font")) or {}).values():
            font = _deref(ref)
            target = font
            if "/DescendantFonts" in font:
                target = _deref(_deref(font["/DescendantFonts"])[0])
            descriptor = _deref(target.get("/FontDescriptor")) or {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(_deref(font.get("/BaseFont", "?"))).lstrip("/")] = embedded
    return fonts


def _signature_alone(pdf: bytes) -> bool:
    """True when the page holding "Nơi nhận:" has no body line above it (only a page number).

    Reads the text with poppler's pdftotext; without it, nothing is claimed."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        return False
    try:
        text = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            timeout=60,
            check=False,
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        return False
    pages = text.split("\f")
    for number, page in enumerate(pages):
        if number == 0 or "Nơi nhận" not in page:
            continue
        above = page[: page.index("Nơi nhận")]
        lines = [line.strip() for line in above.splitlines() if line.strip()]
        return all(re.fullmatch(r"\d+", line) for line in lines)
    return False


def check_pdf(path_or_bytes: str | Path | bytes) -> list[Violation]:
    """Check a PDF: Times New Roman embedded (or say it fell back to Liberation Serif),
    metadata (Title, Author, Subject, Keywords) and the language vi-VN."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    from doc_templates.fonts import WANTED, family_of

    data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        fonts = _pdf_fonts(reader)
        info = _deref(reader.trailer["/Info"]) if "/Info" in reader.trailer else {}
        lang = str(_deref(reader.root.get("/Lang", "")) or "")
    except (PdfError, KeyError, ValueError, TypeError, AttributeError):
        return [Violation("tệp", "file.invalid", "Không phải tệp PDF đọc được")]
    found: list[Violation] = []
    families = {family_of(name) for name in fonts}
    for name, embedded in sorted(fonts.items()):
        if not embedded:
            found.append(
                Violation("PDF", "pdf.font.embedded", f"Phông {name} không được nhúng vào PDF")
            )
    if "Liberation Serif" in families:
        found.append(
            Violation(
                "PDF",
                "pdf.font.fallback",
                "PDF dùng Liberation Serif thay cho Times New Roman (cùng số đo chữ, khác nét "
                "chữ): máy chuyển PDF chưa cài Times New Roman; xem docs/deploy.md",
                WARNING,
            )
        )
    for family in sorted(families - {WANTED, "Liberation Serif"}):
        found.append(
            Violation("PDF", "pdf.font.family", f"PDF dùng phông {family}; phải Times New Roman")
        )
    for key, label in (
        ("/Title", "Title (trích yếu)"),
        ("/Author", "Author (cơ quan ban hành)"),
        ("/Subject", "Subject"),
        ("/Keywords", "Keywords (số, ký hiệu)"),
    ):
        if not str(_deref(info.get(key, "")) or "").strip():
            found.append(Violation("PDF", "pdf.metadata", f"PDF thiếu thông tin {label}", WARNING))
    if _signature_alone(data):
        found.append(
            Violation(
                "ô 7",
                "pdf.signature.alone",
                "Khối chữ ký và Nơi nhận đứng riêng một trang, không kèm dòng nội dung nào; "
                "đặt đoạn cuối nội dung 'giữ với đoạn sau'",
            )
        )
    if not lang.lower().startswith("vi"):
        found.append(
            Violation(
                "PDF",
                "pdf.lang",
                f"Ngôn ngữ tài liệu PDF là '{lang or 'không khai báo'}'; phải vi-VN",
                WARNING,
            )
        )
    return found
