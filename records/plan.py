"""The year's file plan (Danh mục hồ sơ, ND30 art. 28): read from .xlsx or YAML, checked row by
row, stored as a draft, approved by the head (an audited act), written back out.

Files from people are hostile until checked: YAML is read with every scalar a string (no YAML
1.1 booleans, dates or octal numbers: ``code: 01.10`` stays "01.10"), aliases and oversized files
are refused (registry.safe_yaml); a spreadsheet cell holding a formula or a number where a code
belongs is refused with the row and the column; text is NFC. An import is all or nothing: one
bad row and nothing is stored, and the message names every bad row and field (at most 20).
Exports write codes and titles as text, never as formulas.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit, safe_yaml
from registry.doctypes import DOC_TYPES
from registry.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from registry.lookup import find_by_key
from registry.models import FilePlan, FilePlanEntry, Organization, Person, SigningRight
from registry.permissions import require_member, require_role

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # a 2,000-line plan is well under 5 MiB unpacked
MAX_ZIP_MEMBERS = 200
MAX_ZIP_RATIO = 200  # a workbook compresses ~10:1; a bomb ~1000:1
MAX_REPORTED = 20
CODE_MAX = 20  # Appendix VI FileNotation: String 20
TITLE_MAX = 500
PERMANENT_WORDS = ("vĩnh viễn", "vinh vien")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Spreadsheet columns: printed header, field. The first five are the Mẫu Danh mục hồ sơ.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Số và ký hiệu hồ sơ", "code"),
    ("Tên đề mục và tiêu đề hồ sơ", "title"),
    ("Thời hạn bảo quản", "retention"),
    ("Đơn vị lập hồ sơ", "unit"),
    ("Người lập hồ sơ", "person"),
    ("Ghi chú", "note"),
    ("Loại văn bản", "doc_types"),
    ("Từ khoá trích yếu", "keywords"),
)
HEADER_OF = {name: header for header, name in COLUMNS}


class PlanFileError(ValidationError):
    """A file plan refused: ``problems`` lists (row, field header, message); nothing was stored."""

    def __init__(self, problems: Sequence[tuple[str, str, str]], *, source: str) -> None:
        self.problems = list(problems)
        shown = [f"  {row}, cột «{col}»: {msg}" if col else f"  {row}: {msg}"
                 for row, col, msg in self.problems[:MAX_REPORTED]]
        more = len(self.problems) - MAX_REPORTED
        if more > 0:
            shown.append(f"  … và {more} lỗi khác")
        ValidationError.__init__(
            self, f"danh mục hồ sơ {source} không nhập được (chưa lưu gì):\n" + "\n".join(shown))
        self.field = self.problems[0][1] if self.problems else None


@dataclass
class PlanRow:
    """One checked line of the plan (a file), or a section heading (``code`` empty)."""

    where: str
    code: str
    title: str
    retention_years: int | None = None
    permanent: bool = False
    unit_key: str = ""
    person_key: str = ""
    note: str = ""
    doc_types: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)


@dataclass
class PlanFile:
    """What a plan file says: the organisation key and year (YAML only) and its rows."""

    rows: list[dict[str, Any]]
    organization: str = ""
    year: str = ""


# ------------------------------------------------------------------ reading


def _text(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value)).strip() if value is not None else ""


def read_yaml(data: bytes, *, source: str) -> PlanFile:
    """A YAML plan (``organization``, ``year``, ``files: [...]``), every scalar kept as text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanFileError([(f"byte {exc.start}", "", "tệp không phải UTF-8; hãy lưu lại tệp "
                                                        "dạng UTF-8")], source=source) from None
    try:
        safe_yaml.check(text, max_bytes=MAX_BYTES)
        node = yaml.compose(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    except safe_yaml.UnsafeYaml as exc:
        raise PlanFileError([(f"dòng {exc.line}" if exc.line else "tệp", "", str(exc))],
                            source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"dòng {mark.line + 1}" if mark is not None else "tệp"
        raise PlanFileError([(where, "", f"YAML sai cú pháp ({getattr(exc, 'problem', exc)})")],
                            source=source) from None
    if not isinstance(node, yaml.MappingNode):
        raise PlanFileError([("tệp", "", "cần các khoá organization, year và files")],
                            source=source)
    top = {_text(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    files = top.get("files")
    if not isinstance(files, yaml.SequenceNode):
        raise PlanFileError([("tệp", "files", "cần danh sách hồ sơ dưới khoá files:")],
                            source=source)
    rows = []
    for item in files.value:
        where = f"dòng {item.start_mark.line + 1}"
        if not isinstance(item, yaml.MappingNode):
            rows.append({"_where": where, "_bad": "mỗi hồ sơ là một nhóm khoá: giá trị"})
            continue
        row: dict[str, Any] = {"_where": where}
        for key, value in item.value:
            name = _text(key.value)
            if isinstance(value, yaml.SequenceNode):
                row[name] = [_text(v.value) for v in value.value if isinstance(v, yaml.ScalarNode)]
            elif isinstance(value, yaml.ScalarNode):
                row[name] = _text(value.value)
            else:
                row[name] = None
                row.setdefault("_nested", []).append(name)
        rows.append(row)
    scalar = {k: _text(v.value) for k, v in top.items() if isinstance(v, yaml.ScalarNode)}
    return PlanFile(rows=rows, organization=scalar.get("organization", ""),
                    year=scalar.get("year", ""))


def read_xlsx(data: bytes, *, source: str) -> PlanFile:
    """A spreadsheet plan: the header row holds the column names of :data:`COLUMNS`."""
    from openpyxl import load_workbook

    problem = _zip_problem(data)
    if problem:
        raise PlanFileError([("tệp", "", problem)], source=source)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same user error
        raise PlanFileError([("tệp", "", f"không đọc được tệp .xlsx ({exc.__class__.__name__})")],
                            source=source) from None
    sheet = book.worksheets[0]
    header_at: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    known = {h.casefold(): n for h, n in COLUMNS}
    for index, cells in enumerate(sheet.iter_rows(), start=1):
        if index > MAX_ROWS + 20:
            raise PlanFileError([(f"dòng {index}", "", f"quá {MAX_ROWS} dòng; hãy chia nhỏ")],
                                source=source)
        if not header_at:
            names = {i: known.get(_text(c.value).casefold()) for i, c in enumerate(cells)}
            if "code" in names.values() and "title" in names.values():
                header_at = {i: n for i, n in names.items() if n}
            continue
        row: dict[str, Any] = {"_where": f"dòng {index}"}
        for i, cell in enumerate(cells):
            name = header_at.get(i)
            if name is None or cell.value is None:
                continue
            if cell.data_type == "f" or (isinstance(cell.value, str)
                                         and cell.value.startswith("=")):
                row.setdefault("_formula", []).append(name)
            elif name == "code" and isinstance(cell.value, int | float):
                row.setdefault("_numeric", []).append(name)
                row[name] = _text(cell.value)
            elif isinstance(cell.value, datetime):
                row.setdefault("_date", []).append(name)
            else:
                row[name] = _text(cell.value)
        if len(row) > 1:
            rows.append(row)
    book.close()
    if not header_at:
        raise PlanFileError([("tệp", "", "không thấy dòng tiêu đề có cột «Số và ký hiệu hồ sơ» "
                                         "và «Tên đề mục và tiêu đề hồ sơ»")], source=source)
    return PlanFile(rows=rows)


def _zip_problem(data: bytes) -> str | None:
    """Why a workbook is refused from its zip directory alone (too large, not a zip, a zip
    bomb), or None — registry.zipguard, the check reporting.xlsx uses too."""
    from registry.zipguard import zip_problem

    found = zip_problem(data, max_bytes=MAX_BYTES, max_members=MAX_ZIP_MEMBERS,
                        max_uncompressed=MAX_UNCOMPRESSED, max_ratio=MAX_ZIP_RATIO)
    if found is None:
        return None
    if found.kind == "size":
        return f"tệp quá lớn (tối đa {MAX_BYTES // 1024 // 1024} MiB)"
    if found.kind in ("not_zip", "broken"):
        return "tệp không phải bảng tính .xlsx; hãy lưu lại dạng Excel Workbook (*.xlsx)"
    return (f"tệp khai báo {found.declared // 1024 // 1024} MiB khi giải nén (tỷ lệ nén "
            f"{found.ratio}:1, {found.members} thành phần): có dấu hiệu tệp nén "
            "độc hại, không đọc; hãy xuất lại danh mục từ Excel")


def read_plan(path: Path) -> PlanFile:
    """Read ``path`` by its extension (.xlsx, .yaml/.yml)."""
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".yaml", ".yml"):
        raise ValidationError(f"tệp {path.name}: chỉ nhận .xlsx, .yaml hoặc .yml", field="tệp")
    if path.stat().st_size > MAX_BYTES:
        raise ValidationError(f"tệp {path.name} quá lớn (tối đa 5 MiB)", field="tệp")
    data = path.read_bytes()
    return read_xlsx(data, source=path.name) if suffix == ".xlsx" else read_yaml(
        data, source=path.name)


# ------------------------------------------------------------------ checking


def parse_retention(value: str) -> tuple[int | None, bool, str | None]:
    """(years, permanent, problem): "10", "10 năm" → 10; "vĩnh viễn" → permanent."""
    folded = value.casefold()
    if folded in PERMANENT_WORDS:
        return None, True, None
    match = re.fullmatch(r"(\d{1,3})(?:[.,]0+)?(?:\s*năm)?", folded)
    if match and 1 <= int(match.group(1)) <= 100:
        return int(match.group(1)), False, None
    return None, False, (f"«{value}» không phải thời hạn bảo quản; ghi số năm từ 1 đến 100 "
                         "(ví dụ 10 hoặc «10 năm») hoặc «vĩnh viễn»")


def _list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,;\n]", _text(value))
    return [s for s in (_text(i) for i in items) if s]


def check_rows(*, session: Session, plan_file: PlanFile, source: str
               ) -> list[PlanRow]:
    """The rows checked against the directory and the type table; PlanFileError otherwise."""
    problems: list[tuple[str, str, str]] = []
    out: list[PlanRow] = []
    seen: dict[str, str] = {}
    if len(plan_file.rows) > MAX_ROWS:
        raise PlanFileError([("tệp", "", f"quá {MAX_ROWS} hồ sơ; hãy chia nhỏ")], source=source)
    for raw in plan_file.rows:
        where = raw["_where"]

        def bad(name: str, message: str, where: str = where) -> None:
            problems.append((where, HEADER_OF.get(name, name), message))

        if "_bad" in raw:
            bad("", raw["_bad"])
            continue
        for name in raw.get("_formula", []):
            bad(name, "ô chứa công thức; hãy gõ giá trị dạng chữ (không bắt đầu bằng '=')")
        for name in raw.get("_numeric", []):
            bad(name, f"«{raw.get(name)}» là ô số (Excel bỏ số 0 đầu, đổi 01.10 thành 1.1); "
                      "hãy định dạng ô là Văn bản (Text) rồi gõ lại mã")
        for name in raw.get("_date", []):
            bad(name, "ô ngày tháng không dùng ở cột này; hãy gõ dạng chữ")
        for name in raw.get("_nested", []):
            bad(name, "giá trị lồng nhau không dùng được; hãy ghi một dòng chữ")
        unknown = sorted(k for k in raw if not k.startswith("_") and k not in HEADER_OF)
        for name in unknown:
            bad(name, f"khoá lạ «{name}»; các khoá: {', '.join(HEADER_OF)}")
        code, title = _text(raw.get("code")), _text(raw.get("title"))
        for name, value in raw.items():
            if not name.startswith("_") and isinstance(value, str) and _CONTROL.search(value):
                bad(name, "có ký tự điều khiển; hãy xoá")
        if not code and not title:
            continue
        if not title:
            bad("title", "thiếu tiêu đề hồ sơ")
        elif len(title) > TITLE_MAX:
            bad("title", f"tiêu đề dài {len(title)} ký tự, tối đa {TITLE_MAX}")
        if not code:  # a section heading of the plan ("I. TỔNG HỢP")
            out.append(PlanRow(where=where, code="", title=title))
            continue
        if len(code) > CODE_MAX:
            bad("code", f"mã «{code}» dài {len(code)} ký tự, tối đa {CODE_MAX}")
        if code.casefold() in seen:
            bad("code", f"mã «{code}» trùng với {seen[code.casefold()]}")
        seen.setdefault(code.casefold(), where)
        row = PlanRow(where=where, code=code, title=title, note=_text(raw.get("note")))
        retention = _text(raw.get("retention"))
        if not retention:
            bad("retention", "thiếu thời hạn bảo quản; ghi số năm hoặc «vĩnh viễn»")
        else:
            row.retention_years, row.permanent, message = parse_retention(retention)
            if message:
                bad("retention", message)
        row.unit_key, row.person_key = _text(raw.get("unit")), _text(raw.get("person"))
        if row.unit_key and find_by_key(session=session, model=Organization,
                                        key=row.unit_key) is None:
            bad("unit", f"không có đơn vị có mã «{row.unit_key}» trong danh bạ "
                        "(xem congvan directory export)")
        if row.person_key and find_by_key(session=session, model=Person,
                                          key=row.person_key) is None:
            bad("person", f"không có cán bộ có mã «{row.person_key}» trong danh bạ")
        row.doc_types = _list(raw.get("doc_types"))
        for key in row.doc_types:
            if key not in DOC_TYPES:
                bad("doc_types", f"loại văn bản «{key}» không có; dùng mã như cong_van, "
                                 "bao_cao, ke_hoach")
        row.keywords = _list(raw.get("keywords"))
        out.append(row)
    if problems:
        raise PlanFileError(problems, source=source)
    return out


# ------------------------------------------------------------------ storing


def get_plan(*, session: Session, organization: Organization, year: int) -> FilePlan:
    """The plan of ``organization`` for ``year``, or NotFound."""
    plan = session.scalar(select(FilePlan).where(FilePlan.organization_id == organization.id,
                                                 FilePlan.year == year))
    if plan is None:
        raise NotFound(f"{organization.name_in_text} chưa có danh mục hồ sơ năm {year} "
                       "(congvan files plan import)")
    return plan


def import_plan(*, session: Session, organization: Organization, year: int,
                rows: Sequence[PlanRow], actor: Person) -> FilePlan:
    """Store ``rows`` as the draft plan of the year (replacing a draft's lines; an approved plan
    is refused). Clerks, leaders and administrators of the organisation may import."""
    require_role(actor, "clerk", "leader", "admin", action="nhập danh mục hồ sơ")
    require_member(actor, organization.id, action="nhập danh mục hồ sơ",
                   organization_name=organization.name_in_text)
    if not 1900 <= year <= 9999:
        raise ValidationError(f"năm {year} không hợp lệ", field="năm")
    plan = session.scalar(select(FilePlan).where(FilePlan.organization_id == organization.id,
                                                 FilePlan.year == year))
    if plan is not None and plan.status == "approved":
        raise InvalidTransition(
            f"danh mục hồ sơ năm {year} của {organization.name_in_text} đã được phê duyệt, "
            "không nhập đè được; hồ sơ ngoài danh mục thì người lập mở bằng congvan files open")
    if plan is None:
        plan = FilePlan(organization=organization, year=year, status="draft")
        session.add(plan)
    plan.entries.clear()
    session.flush()
    section = ""
    for position, row in enumerate(rows):
        if not row.code:
            section = row.title
            continue
        unit = find_by_key(session=session, model=Organization, key=row.unit_key) \
            if row.unit_key else None
        person = find_by_key(session=session, model=Person, key=row.person_key) \
            if row.person_key else None
        plan.entries.append(FilePlanEntry(
            position=position, section=section, code=row.code, title=row.title,
            retention_years=row.retention_years, permanent=row.permanent, unit=unit,
            person=person, doc_types=row.doc_types, keywords=row.keywords, note=row.note))
    session.flush()
    audit.record(session=session, action="records.plan_import", object_type="file_plan",
                 object_id=plan.id, actor=actor,
                 detail={"year": year, "entries": len(plan.entries)})
    return plan


def is_head(person: Person, organization_id: int, session: Session) -> bool:
    """Whether ``person`` heads the organisation: a leader who signs for it in their own name
    or TM. (not KT./TL./TUQ., which sign for the head)."""
    rights = session.scalars(select(SigningRight).where(
        SigningRight.person_id == person.id, SigningRight.issuer_id == organization_id))
    return person.has_role("leader") and any(r.authority in (None, "TM.") for r in rights)


def approve(*, session: Session, plan: FilePlan, actor: Person, now: datetime) -> FilePlan:
    """The head approves the plan (ND30 art. 28); recorded in the audit log."""
    require_role(actor, "leader", action="phê duyệt danh mục hồ sơ")
    require_member(actor, plan.organization_id, action="phê duyệt danh mục hồ sơ",
                   organization_name=plan.organization.name_in_text, unless_role=None)
    if not is_head(actor, plan.organization_id, session):
        raise PermissionDenied(
            f"{actor.full_name} không phải người đứng đầu {plan.organization.name_in_text} "
            "(ký TM. hoặc ký thay mặt chính mình), không được phê duyệt danh mục hồ sơ")
    if plan.status == "approved":
        raise InvalidTransition(f"danh mục hồ sơ năm {plan.year} đã được phê duyệt")
    if not plan.entries:
        raise InvalidTransition("danh mục hồ sơ chưa có hồ sơ nào; hãy nhập trước khi duyệt")
    plan.status, plan.approved_by, plan.approved_at = "approved", actor, now
    session.flush()
    audit.record(session=session, action="records.plan_approve", object_type="file_plan",
                 object_id=plan.id, actor=actor,
                 detail={"year": plan.year, "entries": len(plan.entries)})
    return plan


# ------------------------------------------------------------------ writing


def retention_text(years: int | None, permanent: bool) -> str:
    """"vĩnh viễn" or "10 năm"."""
    return "Vĩnh viễn" if permanent else f"{years} năm"


def _entry_row(entry: FilePlanEntry) -> dict[str, Any]:
    return {
        "code": entry.code, "title": entry.title,
        "retention": retention_text(entry.retention_years, entry.permanent),
        "unit": entry.unit.key if entry.unit else "",
        "person": entry.person.key if entry.person else "",
        "note": entry.note, "doc_types": list(entry.doc_types or []),
        "keywords": list(entry.keywords or []),
    }


def export_xlsx(plan: FilePlan) -> bytes:
    """The plan as a workbook that :func:`read_xlsx` reads back; every cell is text."""
    from openpyxl import Workbook

    from outbox.registers import as_text

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"Danh mục hồ sơ {plan.year}"
    sheet.append([f"DANH MỤC HỒ SƠ CỦA {' '.join(plan.organization.name.split()).upper()} "
                  f"NĂM {plan.year}"])
    sheet.append([header for header, _ in COLUMNS])
    section = None
    for entry in plan.entries:
        if entry.section and entry.section != section:
            sheet.append(["", entry.section])
            section = entry.section
        row = _entry_row(entry)
        sheet.append([", ".join(v) if isinstance(v, list) else v
                      for v in (row[name] for _, name in COLUMNS)])
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a code like 01.10 stays text, never a number
                as_text(cell)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Quote what a YAML 1.1 reader would take for something else (yes, 01.10, 2026-01-01).
    plain = yaml.safe_load(value) if value and "\n" not in value else value
    style = None if isinstance(plain, str) and plain == value else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def export_yaml(plan: FilePlan) -> bytes:
    """The plan as YAML that :func:`read_yaml` (and any YAML 1.1 reader) reads back unchanged."""
    files: list[dict[str, Any]] = []
    section = None
    for entry in plan.entries:
        if entry.section and entry.section != section:
            files.append({"title": entry.section})
            section = entry.section
        files.append({k: v for k, v in _entry_row(entry).items() if v not in ("", [])})
    data = {"organization": plan.organization.key, "year": str(plan.year), "files": files}
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100).encode("utf-8")


__all__ = ["COLUMNS", "PlanFileError", "PlanRow", "approve", "check_rows", "export_xlsx",
           "export_yaml", "get_plan", "import_plan", "parse_retention", "read_plan", "read_xlsx",
           "read_yaml", "retention_text"]
