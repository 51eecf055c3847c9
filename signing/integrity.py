"""The ND30 profile of an issued document: which revisions it must have, and nothing else.

pyHanko's difference analysis accepts, after a signature, a new unsigned
signature field whose appearance paints over the body (FORM_FILLING), and no
validator looks at a cut-off file or bytes after the last %%EOF (TRAPS.md).
An issued document is known exactly:

    rendered PDF (+ the reserved fields) → the person's signature (ChuKyNguoiKy)
    → the number and date filled (SoVanBan, NgayBanHanh, ThangBanHanh)
    → the organisation's signature (ChuKyCoQuan), last, covering the whole file.

:func:`check` compares every revision after the person's signature object by
object with the one before and reports anything that is not exactly that, by
kind: a new field or widget, an annotation, a changed content stream or
resource, a fill whose appearance is not the digits of its value, a signature
missing or out of order, a revision too many, bytes after the last %%EOF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from signing import final
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD

KIND_LABELS = {
    "missing_signature": "thiếu chữ ký",
    "signature_order": "thứ tự chữ ký sai",
    "extra_signature": "chữ ký lạ",
    "not_whole_file": "chữ ký cơ quan không phủ toàn bộ tệp",
    "trailing_bytes": "dữ liệu sau %%EOF cuối",
    "extra_revision": "bản cập nhật ngoài quy trình",
    "new_field": "trường (field) hoặc widget mới",
    "annotation": "chú thích (annotation) mới",
    "content_change": "thay đổi nội dung hoặc tài nguyên trang",
    "fill_appearance": "hình hiển thị số/ngày không khớp giá trị",
    "fill_value": "giá trị số/ngày không hợp lệ",
    "removed_field": "trường bị xoá",
}
# Keys of the document information dictionary and catalog a signature update may touch.
_META_KEYS = {"/ModDate", "/Producer", "/CreationDate", "/Creator"}
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Finding:
    """One thing that is not as the ND30 profile expects."""

    kind: str
    message: str

    @property
    def label(self) -> str:
        """The kind in Vietnamese."""
        return KIND_LABELS.get(self.kind, self.kind)


def trailing_bytes(pdf: bytes) -> int:
    """How many non-whitespace bytes follow the last %%EOF marker."""
    end = pdf.rfind(b"%%EOF")
    if end < 0:
        return len(pdf)
    return len(pdf[end + 5:].strip(b"\r\n\t \x00\x0c"))


def check(pdf: bytes, reader: Any) -> list[Finding]:
    """The ND30 profile findings for ``pdf`` (read by pyHanko's ``reader``); empty when the
    file is exactly a person-signed, filled and organisation-signed document."""
    findings: list[Finding] = []
    tail = trailing_bytes(pdf)
    if tail:
        findings.append(Finding("trailing_bytes", f"Có {tail} byte sau dấu kết thúc %%EOF cuối "
                                                  "cùng của tệp (bị nối thêm sau khi ký)."))
    sigs = list(reader.embedded_signatures)
    names = [s.field_name for s in sigs]
    total = reader.xrefs.total_revisions
    person = next((s for s in sigs if s.field_name == PERSON_FIELD), None)
    org = next((s for s in sigs if s.field_name == ORGANIZATION_FIELD), None)
    for name in names:
        if name not in (PERSON_FIELD, ORGANIZATION_FIELD):
            findings.append(Finding("extra_signature", f"Có chữ ký “{name}” ngoài chữ ký người "
                                                       "ký và chữ ký cơ quan."))
    if person is None:
        findings.append(Finding("missing_signature", "Thiếu chữ ký của người có thẩm quyền "
                                                     f"({PERSON_FIELD})."))
        return findings
    if org is None:
        findings.append(Finding("missing_signature",
                                f"Thiếu chữ ký của cơ quan ({ORGANIZATION_FIELD}): tệp có thể đã "
                                "bị cắt bỏ chữ ký cuối, hoặc chưa được ban hành."))
    elif org.signed_revision <= person.signed_revision:
        findings.append(Finding("signature_order", "Chữ ký cơ quan phải đứng sau chữ ký của "
                                                   "người ký."))
    last = total - 1
    if org is not None and org.signed_revision != last:
        findings.append(Finding("not_whole_file",
                                f"Sau chữ ký cơ quan còn {last - org.signed_revision} bản cập nhật "
                                "khác: chữ ký cơ quan không phải chữ ký cuối phủ toàn bộ tệp."))
    p = person.signed_revision
    for rev in range(p + 1, total):
        if org is not None and rev == org.signed_revision:
            role = "org"
        elif rev == p + 1 and (org is None or rev < org.signed_revision):
            role = "fill"
        else:
            role = "extra"
        findings.extend(_revision(reader, rev, role))
    if org is not None and org.signed_revision != p + 2 and org.signed_revision > p:
        findings.append(Finding("extra_revision",
                                f"Giữa hai chữ ký có {org.signed_revision - p - 1} bản cập nhật; "
                                "chỉ được có một (điền số và ngày)."))
    return _dedupe(findings)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        if (f.kind, f.message) not in seen:
            seen.add((f.kind, f.message))
            out.append(f)
    return out


def _revision(reader: Any, rev: int, role: str) -> list[Finding]:
    """What revision ``rev`` changed, against what a fill (``role="fill"``), the organisation's
    signature (``"org"``) or nothing (``"extra"``) may change."""
    old = reader.get_historical_resolver(rev - 1)
    new = reader.get_historical_resolver(rev)
    findings: list[Finding] = []
    where = f"bản cập nhật {rev + 1}"
    if role == "extra":
        findings.append(Finding("extra_revision", f"{where.capitalize()} nằm ngoài quy trình "
                                                  "ký — ban hành."))
    for ref in sorted(reader.xrefs.explicit_refs_in_revision(rev), key=lambda r: r.idnum):
        try:
            before = old.get_object(ref)
        except Exception:  # not in the earlier revision: a new object
            continue
        if before is None or type(before).__name__ == "NullObject":
            continue
        after = new.get_object(ref)
        findings.extend(_changed(old, new, ref, before, after, role, where))
    for ref in reader.xrefs.refs_freed_in_revision(rev):
        findings.append(Finding("content_change", f"{where}: đối tượng {ref.idnum} bị xoá."))
    return findings


def _is_dict(obj: Any) -> bool:
    return hasattr(obj, "keys") and hasattr(obj, "raw_get")


def _same(a: Any, b: Any, depth: int = 0) -> bool:
    """Deep equality of two PDF objects without following indirect references."""
    if depth > _MAX_DEPTH:
        return False
    if type(a).__name__ != type(b).__name__:
        return False
    # Compare streams as stored: decoding a hostile stream (a Flate bomb) is never needed.
    if hasattr(a, "encoded_data") and hasattr(b, "encoded_data") and \
            a.encoded_data != b.encoded_data:
        return False
    if _is_dict(a):
        if set(a.keys()) != set(b.keys()):
            return False
        return all(_same(a.raw_get(k), b.raw_get(k), depth + 1) for k in set(a.keys()))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    if hasattr(a, "idnum"):
        return bool(a.idnum == b.idnum)
    return bool(a == b)


def _changed(old: Any, new: Any, ref: Any, before: Any, after: Any, role: str,
             where: str) -> list[Finding]:
    if hasattr(before, "data") or hasattr(after, "data"):  # a stream
        if _same(before, after):
            return []
        kind = "content_change"
        return [Finding(kind, f"{where}: luồng nội dung (đối tượng {ref.idnum}) bị thay đổi.")]
    if isinstance(before, list) and isinstance(after, list):
        return _list_change(new, ref, before, after, role, where)
    if not (_is_dict(before) and _is_dict(after)):
        if _same(before, after):
            return []
        return [Finding("content_change", f"{where}: đối tượng {ref.idnum} bị thay đổi.")]
    keys = {k for k in set(before.keys()) | set(after.keys())
            if k not in before or k not in after or not _same(before.raw_get(k),
                                                              after.raw_get(k))}
    if not keys:
        return []
    kind = str(after.get("/Type", "")) if "/Type" in after else ""
    name = str(after.get("/T", "")) if "/T" in after else ""
    if name in final.RESERVED_FIELDS and after.get("/FT") == "/Tx":
        return _fill_change(name, keys, after, role, where)
    findings: list[Finding] = []
    for key in sorted(keys):
        if key == "/Annots":
            findings.extend(_added_annots(new, before.get("/Annots", []),
                                          after.get("/Annots", []), role, where))
        elif key == "/Fields":
            findings.extend(_added_fields(new, before.get("/Fields", []),
                                          after.get("/Fields", []), role, where))
        elif _allowed_key(key, kind, role):
            continue
        elif key in {"/Contents", "/Resources", "/MediaBox", "/CropBox", "/Rotate", "/Kids",
                     "/XObject", "/Font", "/Pages", "/OpenAction", "/AA", "/Names"}:
            findings.append(Finding("content_change",
                                    f"{where}: {key} của đối tượng {ref.idnum} bị thay đổi "
                                    "(nội dung hoặc tài nguyên trang)."))
        else:
            findings.append(Finding("content_change",
                                    f"{where}: khoá {key} của đối tượng {ref.idnum} bị thay đổi."))
    return findings


def _allowed_key(key: str, kind: str, role: str) -> bool:
    """Keys a signature update legitimately touches (signature flags, the form, metadata)."""
    if role == "org" and (key == "/SigFlags" or (
            kind == "/Catalog" and key in {"/AcroForm", "/Perms", "/DSS", "/Extensions",
                                           "/Version"})):
        return True
    return key in _META_KEYS and role in {"org", "fill"}


def _fill_change(name: str, keys: set[str], field: Any, role: str,
                 where: str) -> list[Finding]:
    if role != "fill":
        return [Finding("fill_appearance", f"{where}: ô {name} bị sửa ngoài bước điền số và "
                                           "ngày.")]
    findings = []
    if keys - {"/V", "/AP"}:
        findings.append(Finding("content_change", f"{where}: ô {name} bị sửa ngoài giá trị và "
                                                  f"hình hiển thị ({', '.join(sorted(keys))})."))
    value = str(field.get("/V", ""))
    if not re.fullmatch(r"[0-9]{1,6}", value):
        findings.append(Finding("fill_value", f"{where}: ô {name} có giá trị “{value}”, không "
                                              "phải chữ số."))
        return findings
    problem = final.check_filled_appearance(field)
    if problem:
        findings.append(Finding("fill_appearance", f"{where}: {problem}."))
    return findings


def _refs(items: Any) -> list[Any]:
    try:
        return list(items.get_object()) if hasattr(items, "get_object") else list(items)
    except TypeError:
        return []


def _added(before: Any, after: Any) -> tuple[list[Any], bool]:
    old = [getattr(r, "idnum", None) for r in _refs(before)]
    new = _refs(after)
    ids = [getattr(r, "idnum", None) for r in new]
    removed = any(i not in ids for i in old)
    return [r for r in new if getattr(r, "idnum", None) not in old], removed


def _is_org_signature(obj: Any) -> bool:
    return bool(obj.get("/FT") == "/Sig" and str(obj.get("/T", "")) == ORGANIZATION_FIELD
                and obj.get("/V") is not None)


def _added_annots(new: Any, before: Any, after: Any, role: str, where: str) -> list[Finding]:
    added, removed = _added(before, after)
    findings = []
    if removed:
        findings.append(Finding("removed_field", f"{where}: một chú thích/widget bị gỡ khỏi "
                                                 "trang."))
    for ref in added:
        obj = ref.get_object() if hasattr(ref, "get_object") else ref
        subtype = str(obj.get("/Subtype", ""))
        if role == "org" and subtype == "/Widget" and _is_org_signature(obj):
            continue
        if subtype == "/Widget":
            has_ap = "/AP" in obj
            findings.append(Finding(
                "new_field", f"{where}: widget mới “{obj.get('/T', '?')}” "
                             f"({'có' if has_ap else 'không có'} hình hiển thị) trên trang."))
        else:
            findings.append(Finding("annotation", f"{where}: chú thích mới loại "
                                                  f"{subtype.lstrip('/') or '?'} trên trang."))
    return findings


def _added_fields(new: Any, before: Any, after: Any, role: str, where: str) -> list[Finding]:
    added, removed = _added(before, after)
    findings = []
    if removed:
        findings.append(Finding("removed_field", f"{where}: một trường biểu mẫu bị xoá."))
    for ref in added:
        obj = ref.get_object() if hasattr(ref, "get_object") else ref
        if role == "org" and _is_org_signature(obj):
            continue
        findings.append(Finding("new_field", f"{where}: trường mới “{obj.get('/T', '?')}” "
                                             f"(loại {str(obj.get('/FT', '?')).lstrip('/')})."))
    return findings


def _list_change(new: Any, ref: Any, before: list[Any], after: list[Any], role: str,
                 where: str) -> list[Finding]:
    """An indirect /Annots or /Fields array that changed: judged by what was added."""
    added, _ = _added(before, after)
    objs = [r.get_object() if hasattr(r, "get_object") else r for r in added]
    if objs and all("/Subtype" in o for o in objs):
        return _added_annots(new, before, after, role, where)
    if objs and all("/T" in o or "/FT" in o for o in objs):
        return _added_fields(new, before, after, role, where)
    if _same(before, after):
        return []
    return [Finding("content_change", f"{where}: mảng (đối tượng {ref.idnum}) bị thay đổi.")]
