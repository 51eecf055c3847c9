"""Element order of ECMA-376 (WordprocessingML, transitional) for the property elements we write.

Word refuses (or "repairs") a document whose property children are out of the
schema's sequence; LibreOffice forgives it. :func:`reorder` puts the children of
every ``pPr``, ``rPr``, ``tblPr``, ``tcPr`` and ``sectPr`` of a tree into the
schema's order (stable for elements of the same name), so python-docx calls that
append (``tblBorders`` after ``tblLook``, ``pBdr`` after ``jc``) cannot break it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# CT_PPrBase + rPr, sectPr, pPrChange (ECMA-376 Part 1, §17.3.1.26)
PPR = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
]
# CT_RPr (§17.3.2.28)
RPR = [
    "rStyle",
    "rFonts",
    "b",
    "bCs",
    "i",
    "iCs",
    "caps",
    "smallCaps",
    "strike",
    "dstrike",
    "outline",
    "shadow",
    "emboss",
    "imprint",
    "noProof",
    "snapToGrid",
    "vanish",
    "webHidden",
    "color",
    "spacing",
    "w",
    "kern",
    "position",
    "sz",
    "szCs",
    "highlight",
    "u",
    "effect",
    "bdr",
    "shd",
    "fitText",
    "vertAlign",
    "rtl",
    "cs",
    "em",
    "lang",
    "eastAsianLayout",
    "specVanish",
    "oMath",
    "rPrChange",
]
# CT_TblPr (§17.4.60)
TBLPR = [
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
    "tblCaption",
    "tblDescription",
    "tblPrChange",
]
# CT_TcPr (§17.4.70)
TCPR = [
    "cnfStyle",
    "tcW",
    "gridSpan",
    "hMerge",
    "vMerge",
    "tcBorders",
    "shd",
    "noWrap",
    "tcMar",
    "textDirection",
    "tcFitText",
    "vAlign",
    "hideMark",
    "headers",
    "cellIns",
    "cellDel",
    "cellMerge",
    "tcPrChange",
]
# CT_SectPr (§17.6.17); header/footer references come first, in any order among themselves
SECTPR = [
    "headerReference",
    "footnotePr",
    "endnotePr",
    "type",
    "pgSz",
    "pgMar",
    "paperSrc",
    "pgBorders",
    "lnNumType",
    "pgNumType",
    "cols",
    "formProt",
    "vAlign",
    "noEndnote",
    "titlePg",
    "textDirection",
    "bidi",
    "rtlGutter",
    "docGrid",
    "printerSettings",
    "sectPrChange",
]
# CT_PBdr (§17.3.1.24) and CT_TblBorders (§17.4.39)
PBDR = ["top", "left", "bottom", "right", "between", "bar"]
TBLBORDERS = ["top", "left", "start", "bottom", "right", "end", "insideH", "insideV"]

ORDERS: dict[str, list[str]] = {
    "pPr": PPR,
    "rPr": RPR,
    "tblPr": TBLPR,
    "tcPr": TCPR,
    "sectPr": SECTPR,
    "pBdr": PBDR,
    "tblBorders": TBLBORDERS,
    "tcBorders": TBLBORDERS,
}
_RANK = {name: {child: i for i, child in enumerate(order)} for name, order in ORDERS.items()}
_RANK["sectPr"]["footerReference"] = _RANK["sectPr"]["headerReference"]


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def reorder(root: etree._Element) -> etree._Element:
    """Sort the children of every property element under ``root`` into schema order.

    Duplicate singletons (a second ``tblLayout``) are dropped, keeping the last one
    written, which is the value python-docx or we meant.
    """
    for name, rank in _RANK.items():
        for props in root.iter(f"{{{W}}}{name}"):
            children = [c for c in props if isinstance(c.tag, str)]
            if not children:
                continue
            seen: dict[str, etree._Element] = {}
            kept: list[etree._Element] = []
            for child in children:
                local = _local(child)
                repeatable = name == "sectPr" and local in {"headerReference", "footerReference"}
                if not repeatable and local in seen and local in rank:
                    kept.remove(seen[local])
                seen[local] = child
                kept.append(child)
            ordered = sorted(kept, key=lambda c: rank.get(_local(c), len(rank)))
            if ordered != children:
                for child in children:
                    props.remove(child)
                props.extend(ordered)
    return root


def tidy(doc: Any) -> None:
    """Schema order in every part of a python-docx Document, and no stale stylesWithEffects.

    python-docx's default package carries a Word 2010 stylesWithEffects.xml that no
    longer matches styles.xml once the defaults change; Word may then call the file
    unreadable. Word rebuilds that part itself, so it is dropped.
    """
    part = doc.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            part.drop_rel(rel_id)
    reorder(doc.element)
    reorder(doc.styles.element)
    for rel in part.rels.values():
        if rel.reltype.endswith(("/header", "/footer", "/footnotes")) and not rel.is_external:
            target = rel.target_part
            element = getattr(target, "element", None)
            if element is not None:
                reorder(element)
