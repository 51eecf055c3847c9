"""Render a :class:`~doc_templates.spec.DocumentSpec` to .docx bytes.

This is the only module that imports docxtpl. Rendering always runs with
``autoescape=True``: user text can never become WordprocessingML.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from docxtpl import DocxTemplate
from markupsafe import Markup

from doc_templates.body import body_xml, xml_text
from doc_templates.formatting import blank_date, format_doc_number, place_date
from doc_templates.spec import DocumentSpec

# Blanks left for the clerk when a draft has no number yet ("Số:      /QĐ-UBND").
BLANK_NUMBER = "      "


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


def build_context(spec: DocumentSpec, *, today: dt.date | None = None) -> dict[str, Any]:
    """The template context for ``spec``; every string is escaped XML text (Markup)."""
    recipients = spec.recipients
    if len(recipients) > 1 or spec.doctype.layout.value == "telegram":
        recipients = _terminated(recipients, dash=True)
    archive = spec.archive if spec.archive.endswith(".") else spec.archive + "."
    return {
        "issuer_parent": _safe(spec.issuer.parent or ""),
        "issuer_name": _safe(spec.issuer.name),
        "number": format_doc_number(spec.number) if spec.number else BLANK_NUMBER,
        "symbol": _safe(spec.computed_symbol()),
        "place_date": _safe(_date_line(spec, today)),
        "subject": _safe(_without_vv(spec.subject)),
        "urgency": spec.urgency or "",
        "secrecy": spec.secrecy or "",
        "recipients": [_safe(r) for r in recipients],
        "bases": [_safe(b) for b in _terminated(spec.bases, dash=False)],
        "enacting_authority": _safe(spec.enacting_authority or spec.issuer.name.replace("\n", " ")),
        "body": Markup(body_xml(spec.body)),
        "distribution": [_safe(d) for d in _terminated_list(spec.distribution)],
        "archive": _safe(archive),
        "authority_lines": [_safe(line) for line in spec.signature.authority_lines()],
        "signer_name": _safe(spec.signature.name),
        "address": _safe(spec.address or ""),
    }


def _terminated_list(items: list[str]) -> list[str]:
    """Nơi nhận items: each "- …;" (the archive line that follows ends the list)."""
    out = []
    for item in items:
        line = item if item.startswith("-") else f"- {item}"
        out.append(line if line.endswith((";", ".")) else line + ";")
    return out


def render_docx(spec: DocumentSpec, *, today: dt.date | None = None) -> bytes:
    """Render ``spec`` with its type's template and return the .docx bytes."""
    template = DocxTemplate(str(spec.doctype.template_file))
    template.render(build_context(spec, today=today), autoescape=True)
    buffer = io.BytesIO()
    template.save(buffer)
    return buffer.getvalue()


def _without_vv(subject: str) -> str:
    # The công văn template prints "V/v " itself (ND30 ô 5b); a trích yếu typed with its own
    # "V/v" (as registers often hold it) must not come out as "V/v V/v …".
    head, _, rest = subject.partition(" ")
    return rest if head.lower() == "v/v" and rest else subject
