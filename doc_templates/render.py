"""Render a :class:`~doc_templates.spec.DocumentSpec` to .docx bytes.

This is the only module that imports docxtpl. Rendering always runs with
``autoescape=True``: user text can never become WordprocessingML.

After docxtpl, the rendered tree is finished in place: the short rules under the
issuer and the summary are sized from the text above them (font metrics), the
sections the body opened (landscape tables, appendices) get their page size, margins,
headers and page numbering, and the footnotes part is added.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docxtpl import DocxTemplate
from lxml import etree
from markupsafe import Markup

from doc_templates import layout
from doc_templates.body import Writer, xml_text
from doc_templates.doctypes import TEMPLATE_DIR, Layout
from doc_templates.formatting import blank_date, format_doc_number, nd30_date, place_date
from doc_templates.spec import ROMAN, Appendix, DocumentSpec

# Blanks left for the clerk when a draft has no number yet ("Số:      /QĐ-UBND").
BLANK_NUMBER = "      "
APPENDIX_TEMPLATE = TEMPLATE_DIR / "phu_luc.docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PORTRAIT = (11906, 16838)


def _safe(text: str) -> Markup:
    return Markup(xml_text(text))


def _terminated(lines: list[str], *, dash: bool) -> list[str]:
    """Add "- " and the ";" / "." endings ND30 wants, unless the user already typed them."""
    out = []
    for index, line in enumerate(lines):
        if dash and not line.startswith(("-", "+")):
            line = f"- {line}"
        if not line.endswith((";", ".", ":", ",")):
            line += "." if index == len(lines) - 1 else ";"
        out.append(line)
    return out


def _date_line(spec: DocumentSpec, today: dt.date | None) -> str:
    if spec.date is not None:
        return place_date(spec.place, spec.date)
    year = spec.draft_year or (today or dt.date.today()).year
    return f"{spec.place}, {blank_date(year, spec.draft_month)}"


def _writer(spec: DocumentSpec) -> Writer:
    return Writer(footnotes=dict(spec.footnotes), tables=dict(spec.tables))


def build_context(
    spec: DocumentSpec, *, today: dt.date | None = None, writer: Writer | None = None
) -> dict[str, Any]:
    """The template context for ``spec``; every string is escaped XML text (Markup)."""
    writer = writer or _writer(spec)
    recipients = spec.recipients
    if len(recipients) > 1 or spec.doctype.layout.value == "telegram":
        recipients = _terminated(recipients, dash=True)
    archive = spec.archive if spec.archive.endswith(".") else spec.archive + "."
    issuer_name = layout.break_name(spec.issuer.name, 12, bold=True)
    parent = layout.break_name(spec.issuer.parent or "", 12, bold=False)
    subject = _without_vv(spec.subject)
    if spec.doctype.layout is not Layout.CONG_VAN:
        subject = layout.break_lines(subject, 14, bold=True, width=layout.TEXT_WIDTH)
    body = writer.body(spec.body, keep_last=True)
    context: dict[str, Any] = {
        "issuer_parent": _safe(parent),
        "issuer_name": _safe(issuer_name),
        "number": format_doc_number(spec.number) if spec.number else BLANK_NUMBER,
        "symbol": _safe(spec.computed_symbol()),
        "place_date": _safe(_date_line(spec, today)),
        "subject": _safe(subject),
        "urgency": spec.urgency or "",
        "secrecy": spec.secrecy or "",
        "recipients": [_safe(r) for r in recipients],
        "bases": [_safe(b) for b in _terminated(spec.bases, dash=False)],
        "enacting_authority": _safe(spec.enacting_authority or spec.issuer.name.replace("\n", " ")),
        "body": Markup(body),
        "distribution": [_safe(d) for d in _terminated_list(spec.distribution)],
        "archive": _safe(archive),
        "authority_lines": [_safe(line) for line in spec.signature.authority_lines()],
        "signer_name": _safe(spec.signature.name),
        "address": _safe(spec.address or ""),
        "directive": _safe(spec.doctype.directive or ""),
        "meeting": Markup(_meeting_xml(spec, writer)),
        "closing": Markup(_closing_xml(spec, writer)),
        "secretary_lines": [
            _safe(line)
            for line in (
                spec.secretary_signature.authority_lines() if spec.secretary_signature else []
            )
        ],
        "secretary_name": _safe(spec.secretary_signature.name if spec.secretary_signature else ""),
    }
    context["appendices"] = Markup(
        "".join(
            _appendix_xml(spec, index, writer, today)
            for index, appendix in enumerate(spec.appendices)
            if not appendix.separate
        )
    )
    return context


def _terminated_list(items: list[str]) -> list[str]:
    """Nơi nhận items: each "- …;" (the archive line that follows ends the list)."""
    out = []
    for item in items:
        line = item if item.startswith("-") else f"- {item}"
        out.append(line if line.endswith((";", ".")) else line + ";")
    return out


# ------------------------------------------------------------------ blocks written as XML


def _time(moment: dt.datetime) -> str:
    return f"{moment.hour:02d} giờ {moment.minute:02d}, {nd30_date(moment.date())}"


def _meeting_xml(spec: DocumentSpec, writer: Writer) -> str:
    """Biên bản (Mẫu 1.9): time, place, participants, chair, secretary, then "Nội dung"."""
    meeting = spec.meeting
    if meeting is None:
        return ""
    lines = [
        f"Thời gian bắt đầu: {_time(meeting.start)}.",
        f"Địa điểm: {meeting.place}.",
        "Thành phần tham dự:",
        *_terminated(meeting.participants, dash=True),
    ]
    if meeting.absent:
        lines += ["Vắng mặt:", *_terminated(meeting.absent, dash=True)]
    lines += [
        f"Chủ trì (chủ tọa): {meeting.chair}.",
        f"Thư ký (người ghi biên bản): {meeting.secretary}.",
        "Nội dung (theo diễn biến cuộc họp):",
    ]
    return "".join(writer.paragraph(line, literal=True) for line in lines)


def _closing_xml(spec: DocumentSpec, writer: Writer) -> str:
    meeting = spec.meeting
    if meeting is None:
        return ""
    end = _time(meeting.end) if meeting.end else "…… giờ ……, ngày …… tháng …… năm ……"
    return writer.paragraph(f"Cuộc họp kết thúc vào {end}./.", keep_next=True, literal=True)


def appendix_label(spec: DocumentSpec, index: int) -> str:
    """ "Phụ lục" for a single appendix, "Phụ lục I", "Phụ lục II" … when there are several."""
    return "Phụ lục" if len(spec.appendices) == 1 else f"Phụ lục {ROMAN[index]}"


def attached_to(spec: DocumentSpec, today: dt.date | None = None) -> str:
    """ "(Kèm theo Quyết định số 15/QĐ-UBND ngày 05 tháng 3 năm 2020 của …)" (ND30 Phụ lục I,
    III.1); number and date left blank until the document has them."""
    number = format_doc_number(spec.number) if spec.number else BLANK_NUMBER
    if spec.date is not None:
        when = nd30_date(spec.date)
    else:
        when = blank_date(spec.draft_year or (today or dt.date.today()).year, spec.draft_month)
    kind = spec.doctype.name_in_text
    return (
        f"(Kèm theo {kind} số {number}/{spec.computed_symbol()} {when} của {spec.issuer.in_text()})"
    )


def _appendix_xml(
    spec: DocumentSpec,
    index: int,
    writer: Writer,
    today: dt.date | None,
    *,
    new_section: bool = True,
) -> str:
    appendix: Appendix = spec.appendices[index]
    orient = "landscape" if appendix.landscape else "portrait"
    parts = [writer.end_section(orient, restart=True)] if new_section else []
    if not new_section:
        writer.current = {"orient": orient, "restart": True}
    parts.append(writer.centred(appendix_label(spec, index), before=0, literal=True))
    parts.append(writer.centred(appendix.title.upper(), before=0, literal=True))
    parts.append(
        writer.centred(attached_to(spec, today), bold=False, italic=True, before=0, literal=True)
    )
    width = layout.TEXT_WIDTH_LANDSCAPE if appendix.landscape else layout.TEXT_WIDTH
    line = layout.text_width(attached_to(spec, today), 14, italic=True)
    parts.append(layout.rule_xml(min(line, width), width))
    parts.append(writer.body(appendix.body))
    return "".join(parts)


# ------------------------------------------------------------------ rendering


OVERRIDABLE = frozenset({"number", "place_date"})


def render_docx(
    spec: DocumentSpec,
    *,
    today: dt.date | None = None,
    overrides: Mapping[str, str] | None = None,
) -> bytes:
    """Render ``spec`` with its type's template and return the .docx bytes.

    ``overrides`` replaces the printed text of ô 3's number (``"number"``) or the whole ô 4
    line (``"place_date"``), e.g. blanks reserved for a number and date filled in after
    signing; the text is escaped like any other. Appendices marked ``separate`` are not in
    this file: see :func:`render_appendix_docx`.
    """
    writer = _writer(spec)
    template = DocxTemplate(str(spec.doctype.template_file))
    context = build_context(spec, today=today, writer=writer)
    for key, value in (overrides or {}).items():
        if key not in OVERRIDABLE:
            raise KeyError(f"Không thay được {key!r}; chỉ: {', '.join(sorted(OVERRIDABLE))}")
        context[key] = _safe(value)
    template.render(context, autoescape=True)
    return _finish(template, spec, writer)


def render_appendix_docx(spec: DocumentSpec, index: int, *, today: dt.date | None = None) -> bytes:
    """One appendix as its own .docx (to be signed by the organisation as a separate file)."""
    if not 0 <= index < len(spec.appendices):
        raise IndexError(f"Không có phụ lục số {index + 1}; văn bản có {len(spec.appendices)}")
    writer = _writer(spec)
    template = DocxTemplate(str(APPENDIX_TEMPLATE))
    body = _appendix_xml(spec, index, writer, today, new_section=False)
    template.render({"body": Markup(body)}, autoescape=True)
    return _finish(template, spec, writer)


def _finish(template: DocxTemplate, spec: DocumentSpec, writer: Writer) -> bytes:
    document = template.docx
    root = document.element
    _properties(document, spec)
    _size_rules(root, spec)
    _sections(document, writer)
    notes = writer.footnotes_xml()
    if notes is not None:
        part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, notes, document.part.package)
        document.part.relate_to(part, RT.FOOTNOTES)
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def _properties(document: Any, spec: DocumentSpec) -> None:
    """Title (the summary), author (the issuer), subject, keywords (number and symbol) and
    language vi-VN: LibreOffice carries them into the PDF's metadata."""
    props = document.core_properties
    summary = " ".join(_without_vv(spec.subject).split())
    props.title = (summary or spec.doctype.type_name or spec.doctype.name_in_text)[:255]
    props.author = " ".join(spec.issuer.name.split())[:255]
    props.subject = summary[:255]
    number = format_doc_number(spec.number) if spec.number else ""
    props.keywords = f"{number}/{spec.computed_symbol()}" if number else spec.computed_symbol()
    props.language = "vi-VN"
    props.comments = ""
    props.last_modified_by = ""


def _size_rules(root: Any, spec: DocumentSpec) -> None:
    """Set the left/right indents of the rule paragraphs from the measured text above them."""
    issuer = layout.break_name(spec.issuer.name, 12, bold=True)
    subject = layout.break_lines(_without_vv(spec.subject), 14, bold=True, width=layout.TEXT_WIDTH)
    widths = {
        layout.ISSUER_RULE_STYLE: (layout.longest(issuer, 12, bold=True), layout.HEADER_TEXT),
        layout.SUMMARY_RULE_STYLE: (layout.longest(subject, 14, bold=True), layout.TEXT_WIDTH),
    }
    for style in root.iter(f"{{{W}}}pStyle"):
        measured = widths.get(style.get(f"{{{W}}}val"))
        if measured is None:
            continue
        line, room = measured
        ppr = style.getparent()
        ind = ppr.find(f"{{{W}}}ind")
        if ind is None:
            continue
        inset = layout.rule_inset(line, room)
        ind.set(f"{{{W}}}left", str(inset))
        ind.set(f"{{{W}}}right", str(inset))


def _sections(document: Any, writer: Writer) -> None:
    """Give every section the body opened its page size, margins, headers and numbering."""
    body = document.element.body
    final = body.find(f"{{{W}}}sectPr")
    inner = [s for s in body.iter(f"{{{W}}}sectPr") if s is not final]
    if final is None:
        return
    refs = {
        (etree.QName(r).localname, r.get(f"{{{W}}}type")): r.get(f"{{{R}}}id")
        for r in final
        if etree.QName(r).localname in {"headerReference", "footerReference"}
    }
    if not inner:
        # One section: the template's page stands, unless the body asked for landscape (an
        # appendix rendered as its own file, e.g. a Mục lục hồ sơ).
        if writer.current.get("orient") == "landscape":
            _fill_section(final, copy.deepcopy(final), refs, writer.current, first=True)
        return
    props = [*writer.sections, writer.current]
    targets = [*inner, final]
    template = copy.deepcopy(final)
    for index, (sect, prop) in enumerate(zip(targets, props, strict=True)):
        _fill_section(sect, template, refs, prop, first=index == 0)


def _fill_section(
    sect: Any,
    template: Any,
    refs: dict[tuple[str, str | None], str | None],
    prop: dict[str, object],
    *,
    first: bool,
) -> None:
    for child in list(sect):
        sect.remove(child)

    def ref(kind: str, type_: str, rid: str | None) -> None:
        if rid:
            el = etree.SubElement(sect, f"{{{W}}}{kind}")
            el.set(f"{{{W}}}type", type_)
            el.set(f"{{{R}}}id", rid)

    restart = bool(prop.get("restart"))
    ref("headerReference", "default", refs.get(("headerReference", "default")))
    ref("headerReference", "first", refs.get(("headerReference", "first")))
    empty_footer = refs.get(("footerReference", "default"))
    ref("footerReference", "default", empty_footer)
    ref(
        "footerReference",
        "first",
        refs.get(("footerReference", "first")) if first else empty_footer,
    )
    if not first:
        kind = etree.SubElement(sect, f"{{{W}}}type")
        kind.set(f"{{{W}}}val", "nextPage")
    size = copy.deepcopy(template.find(f"{{{W}}}pgSz"))
    width, height = PORTRAIT
    if prop.get("orient") == "landscape":
        size.set(f"{{{W}}}w", str(height))
        size.set(f"{{{W}}}h", str(width))
        size.set(f"{{{W}}}orient", "landscape")
    else:
        size.set(f"{{{W}}}w", str(width))
        size.set(f"{{{W}}}h", str(height))
        size.attrib.pop(f"{{{W}}}orient", None)
    sect.append(size)
    sect.append(copy.deepcopy(template.find(f"{{{W}}}pgMar")))
    if restart:
        numbers = etree.SubElement(sect, f"{{{W}}}pgNumType")
        numbers.set(f"{{{W}}}start", "1")
    for name in ("cols",):
        el = template.find(f"{{{W}}}{name}")
        if el is not None:
            sect.append(copy.deepcopy(el))
    if first or restart:
        etree.SubElement(sect, f"{{{W}}}titlePg")
    grid = template.find(f"{{{W}}}docGrid")
    if grid is not None:
        sect.append(copy.deepcopy(grid))


def _without_vv(subject: str) -> str:
    # The công văn template prints "V/v " itself (ND30 ô 5b); a trích yếu typed with its own
    # "V/v" (as registers often hold it) must not come out as "V/v V/v …".
    head, _, rest = subject.partition(" ")
    return rest if head.lower() == "v/v" and rest else subject
