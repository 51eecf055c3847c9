"""The final PDF a person signs before the number exists, and the clerk's fill afterwards.

ND30 art. 15: the number and the date are given by the văn thư after the
competent person signs. So the approved draft is rendered with the number
(ô 2) and the day and month of the date (ô 4) left as digit-wide blanks
(U+2007 FIGURE SPACE, exactly one digit wide in Times/Liberation Serif); the
blanks are found on page 1 and covered by three read-only text fields with an
empty appearance. The person signs that file. At issuing, :func:`fill` writes
the number and the date into those fields as an incremental update (a form
fill, which keeps the person's signature valid), drawn in Times like the
surrounding text: the number regular, right against the "/"; the date italic,
centred in its blank. :func:`appearance_stream` is the one way an appearance is
drawn, so ``congvan verify`` can redraw it and compare byte for byte.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from doc_templates.spec import DocumentSpec
from signing.errors import SignatureBlockNotFound, SigningError

FIGURE_SPACE = "\u2007"
NUMBER_DIGITS = 4
NUMBER_FIELD = "SoVanBan"
DAY_FIELD = "NgayBanHanh"
MONTH_FIELD = "ThangBanHanh"
RESERVED_FIELDS = (NUMBER_FIELD, DAY_FIELD, MONTH_FIELD)
# Times (Liberation Serif, Nimbus Roman) digits are half an em wide; a space a quarter.
_DIGIT_EM, _SPACE_EM = 0.5, 0.25
# Where the baseline sits in pdftotext's word box (height = 1.30 em for Liberation Serif:
# 1.0 above the baseline... measured: the baseline is 0.231 of the box above its bottom).
_BASELINE = 0.231
_FONTS = {NUMBER_FIELD: "Times-Roman", DAY_FIELD: "Times-Italic", MONTH_FIELD: "Times-Italic"}


@dataclass(frozen=True)
class Slot:
    """A reserved blank on page ``page``: its box (PDF points) and the font size around it."""

    name: str
    page: int
    box: tuple[float, float, float, float]
    size: float


def reserved_number() -> str:
    """What ô 2 prints before the number exists: room for four digits."""
    return FIGURE_SPACE * NUMBER_DIGITS


def reserved_date(place: str, year: int) -> str:
    """What ô 4 prints before the date exists: ``Kon Tum, ngày __ tháng __ năm 2026``."""
    blank = FIGURE_SPACE * 2
    return f"{place}, ngày {blank} tháng {blank} năm {year}"


def render_reserved_docx(spec: DocumentSpec, *, year: int) -> bytes:
    """The approved document's .docx with ô 2 and ô 4 reserved (see module docstring).

    Rendered through doc_templates' one renderer, so footnotes, appendices, tables, measured
    rules and the PDF metadata are those of the document of record.
    """
    from doc_templates.render import render_docx

    return render_docx(spec, overrides={"number": reserved_number(),
                                        "place_date": reserved_date(spec.place, year)})


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def locate_slots(pdf: bytes) -> list[Slot]:
    """The three blanks on page 1: after "Số:" up to "/…", and the two gaps of the date."""
    from signing.locate import page_words

    rows: dict[int, list[Any]] = {}
    for word in page_words(pdf, 0):
        rows.setdefault(round(word.y0), []).append(word)
    slots: list[Slot] = []
    for row in sorted(rows.values(), key=lambda r: -r[0].y0):
        line = sorted(row, key=lambda w: w.x0)
        keys = [_key(w.text) for w in line]
        for i, key in enumerate(keys[:-1]):
            after = line[i + 1]
            if key == "số:" and after.text.startswith("/") and not any(
                    s.name == NUMBER_FIELD for s in slots):
                gap = after.x0 - line[i].x1
                size = round(2 * gap / (_SPACE_EM + NUMBER_DIGITS * _DIGIT_EM)) / 2
                slots.append(Slot(NUMBER_FIELD, 0, (line[i].x1 + _SPACE_EM * size, after.y0,
                                                   after.x0, after.y1), size))
        for i in range(len(keys) - 2):
            if keys[i] == "ngày" and keys[i + 1] == "tháng" and keys[i + 2] == "năm" and not any(
                    s.name == DAY_FIELD for s in slots):
                day_gap = line[i + 1].x0 - line[i].x1
                size = round(2 * day_gap / (2 * _SPACE_EM + 2 * _DIGIT_EM)) / 2
                pad = _SPACE_EM * size
                slots.append(Slot(DAY_FIELD, 0, (line[i].x1 + pad, line[i].y0,
                                                line[i + 1].x0 - pad, line[i].y1), size))
                slots.append(Slot(MONTH_FIELD, 0, (line[i + 1].x1 + pad, line[i].y0,
                                                  line[i + 2].x0 - pad, line[i].y1), size))
    found = {s.name for s in slots}
    if found != set(RESERVED_FIELDS):
        raise SignatureBlockNotFound(
            "Không tìm thấy chỗ để trống số (ô 2: “Số:     /…”) và ngày, tháng (ô 4: “ngày   "
            "tháng   năm …”) trên trang 1 của bản PDF cuối; mẫu văn bản phải in hai ô này.")
    return slots


def _generic() -> Any:
    from pyhanko.pdf_utils import generic

    return generic


def _writer(pdf: bytes) -> Any:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer: Any = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    return writer


def _digits_text(name: str, value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,6}", value):
        raise SigningError(f"Giá trị ô {name} phải là chữ số, không phải “{value}”.")
    return value


def appearance_stream(name: str, value: str, box: tuple[float, float, float, float],
                      size: float) -> bytes:
    """The content stream that draws ``value`` in the field ``name`` (empty when no value)."""
    if not value:
        return b""
    text = _digits_text(name, value)
    width, height = box[2] - box[0], box[3] - box[1]
    text_width = len(text) * _DIGIT_EM * size
    x = width - text_width if name == NUMBER_FIELD else (width - text_width) / 2
    y = height * _BASELINE
    return (f"/Tx BMC q BT /F1 {size:.3f} Tf 0 g {x:.3f} {y:.3f} Td ({text}) Tj ET Q EMC"
            ).encode("ascii")


def _font(writer: Any, name: str) -> Any:
    generic = _generic()

    return writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Font"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
        generic.pdf_name("/BaseFont"): generic.pdf_name("/" + _FONTS[name]),
        generic.pdf_name("/Encoding"): generic.pdf_name("/WinAnsiEncoding"),
    }))


def _ap(writer: Any, name: str, value: str, box: tuple[float, float, float, float],
        size: float) -> Any:
    generic = _generic()

    width, height = box[2] - box[0], box[3] - box[1]
    return writer.add_object(generic.StreamObject({
        generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
        generic.pdf_name("/BBox"): generic.ArrayObject(
            [generic.FloatObject(0), generic.FloatObject(0), generic.FloatObject(round(width, 3)),
             generic.FloatObject(round(height, 3))]),
        generic.pdf_name("/Resources"): generic.DictionaryObject({
            generic.pdf_name("/Font"): generic.DictionaryObject(
                {generic.pdf_name("/F1"): _font(writer, name)})}),
    }, stream_data=appearance_stream(name, value, box, size)))


def add_reserved_fields(pdf: bytes, slots: list[Slot]) -> bytes:
    """``pdf`` with one read-only text field per slot, empty, as an incremental update."""
    generic = _generic()
    writer = _writer(pdf)
    page_ref = writer.find_page_for_modification(0)[0]
    root = writer.root
    acroform = root.get("/AcroForm")
    if acroform is None:
        acroform = generic.DictionaryObject({generic.pdf_name("/Fields"): generic.ArrayObject()})
        root[generic.pdf_name("/AcroForm")] = writer.add_object(acroform)
        writer.update_root()
    else:
        acroform = acroform.get_object()
    fields = acroform["/Fields"]
    for slot in slots:
        x0, y0, x1, y1 = (round(v, 3) for v in slot.box)
        box = (x0, y0, x1, y1)
        field = generic.DictionaryObject({
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
            generic.pdf_name("/FT"): generic.pdf_name("/Tx"),
            generic.pdf_name("/T"): generic.TextStringObject(slot.name),
            generic.pdf_name("/Ff"): generic.NumberObject(1),  # read-only for viewers
            generic.pdf_name("/F"): generic.NumberObject(4),  # print
            generic.pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in box),
            generic.pdf_name("/P"): page_ref,
            generic.pdf_name("/DA"): generic.TextStringObject(f"/F1 {slot.size:.3f} Tf 0 g"),
            generic.pdf_name("/AP"): generic.DictionaryObject({
                generic.pdf_name("/N"): _ap(writer, slot.name, "", box, slot.size)}),
        })
        ref = writer.add_object(field)
        fields.append(ref)
        writer.register_annotation(page_ref, ref)
    writer.update_container(fields)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def field_values(number: int, on: date) -> dict[str, str]:
    """What the clerk writes: the number (ND30: two digits below 10), day (two digits) and
    month (two digits for January and February, else as is)."""
    from doc_templates.formatting import format_doc_number

    month = f"{on.month:02d}" if on.month <= 2 else str(on.month)
    return {NUMBER_FIELD: format_doc_number(number), DAY_FIELD: f"{on.day:02d}",
            MONTH_FIELD: month}


def reserved_fields(reader: Any) -> dict[str, Any]:
    """The reserved text fields of a PDF (by name) as pyHanko dictionaries."""
    acroform = reader.root.get("/AcroForm")
    out: dict[str, Any] = {}
    if acroform is None:
        return out
    for ref in acroform.get_object().get("/Fields", []):
        field = ref.get_object()
        name = str(field.get("/T", ""))
        if name in RESERVED_FIELDS and field.get("/FT") == "/Tx":
            out[name] = (ref, field)
    return out


def _size(field: Any) -> float:
    match = re.match(r"/F1 ([0-9.]+) Tf", str(field.get("/DA", "")))
    if match is None:
        raise SigningError("Ô số/ngày trong PDF không có cỡ chữ (/DA).")
    return float(match.group(1))


def _box(field: Any) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in field["/Rect"])
    return (x0, y0, x1, y1)


def fill(pdf: bytes, *, number: int, on: date) -> bytes:
    """Write the number and the date into the reserved fields, as one incremental update."""
    generic = _generic()
    writer = _writer(pdf)
    found = reserved_fields(writer.prev)
    if set(found) != set(RESERVED_FIELDS):
        raise SigningError(
            "Bản PDF đã ký không có các ô để trống số và ngày (ô 2, ô 4); người ký cần ký lại "
            "bản cuối (congvan draft sign).")
    for name, value in field_values(number, on).items():
        ref, _ = found[name]
        field = writer.get_object(ref.reference)
        field[generic.pdf_name("/V")] = generic.TextStringObject(value)
        field[generic.pdf_name("/AP")] = generic.DictionaryObject({
            generic.pdf_name("/N"): _ap(writer, name, value, _box(field), _size(field))})
        writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def check_filled_appearance(field: Any) -> str | None:
    """None when the field's appearance is exactly what :func:`fill` draws for its value;
    else what is wrong, in Vietnamese."""
    name = str(field.get("/T"))
    value = str(field.get("/V", ""))
    try:
        expected = appearance_stream(name, value, _box(field), _size(field))
    except SigningError as exc:
        return str(exc)
    try:
        stream = field["/AP"]["/N"].get_object()
        if len(stream.encoded_data) > 4096:  # ours is one short line; never inflate a bomb
            return f"hình hiển thị của ô {name} quá lớn so với vài chữ số"
        actual = stream.data
        font = stream["/Resources"]["/Font"]["/F1"].get_object()
    except (KeyError, AttributeError, TypeError):
        return f"ô {name} không có hình hiển thị hợp lệ"
    if actual != expected or str(font.get("/BaseFont")) != "/" + _FONTS.get(name, ""):
        return f"hình hiển thị của ô {name} không phải chữ số “{value}” như giá trị của ô"
    extra = set(stream.keys()) - {"/Type", "/Subtype", "/BBox", "/Resources", "/Length",
                                  "/Filter"}
    if extra or set(stream["/Resources"].keys()) != {"/Font"}:
        return f"hình hiển thị của ô {name} có thêm tài nguyên lạ"
    return None
