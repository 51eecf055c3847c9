"""Handing closed files over to the agency archive (ND30 art. 30–31).

One handover takes one or more closed files of an organisation and produces, in ``out_dir``:

- the Biên bản giao nhận hồ sơ, tài liệu (a Biên bản, ND30 Mẫu 1.9 layout: ĐẠI DIỆN BÊN GIAO on
  the left, ĐẠI DIỆN BÊN NHẬN on the right), two copies (art. 30: one each side keeps);
- the Mục lục hồ sơ, tài liệu nộp lưu, the Biên bản's landscape appendix ("Kèm theo Biên bản
  …"): inside the Biên bản's file and also as a file of its own, two copies;
- one export package per file (records.export), checked by the package reader before the files
  are marked handed over.

Both documents render through doc_templates like every other document and are checked with the
ND30 checker; PDFs come from the same LibreOffice path. Only files kept 5 years or more (or
permanently) are handed over (art. 31). After this the files are read-only (registry.filing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from records import closing, export, package
from records.metadata import retention_text
from registry import audit
from registry.access_log import Door
from registry.clock import local_date
from registry.errors import InvalidTransition, PermissionDenied, ValidationError
from registry.models import CaseFile, FilePlan, Organization, Person
from registry.permissions import require_member, require_role

if TYPE_CHECKING:
    from doc_templates.pdf import PdfConverter
    from doc_templates.spec import DocumentSpec

DECREE = "Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư"
COPIES = ("ban-1-ben-giao", "ban-2-ben-nhan")


@dataclass
class Handover:
    """What a handover wrote: the two documents (docx, PDFs), the packages, checker findings."""

    documents: dict[str, Path] = field(default_factory=dict)
    packages: list[Path] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def _period(files: Sequence[CaseFile]) -> str:
    starts = [f.start_date for f in files if f.start_date]
    ends = [f.end_date for f in files if f.end_date]
    if not starts or not ends:
        return "không xác định"
    return f"{min(starts):%d/%m/%Y} – {max(ends):%d/%m/%Y}"


def _pages(case_file: CaseFile) -> str:
    return f"{case_file.doc_total or 0} văn bản, {case_file.page_total or 0} trang"


def _table(files: Sequence[CaseFile]) -> dict[str, Any]:
    rows: list[list[Any]] = [[
        i, f.code, f.title,
        f"{f.start_date:%d/%m/%Y} – {f.end_date:%d/%m/%Y}" if f.start_date and f.end_date else "",
        retention_text(f), _pages(f), f.description or ""]
        for i, f in enumerate(files, start=1)]
    return {
        "columns": [
            {"title": "Số TT", "width": 1.4, "align": "center"},
            {"title": "Số và ký hiệu hồ sơ", "width": 3.0, "align": "center"},
            {"title": "Tiêu đề hồ sơ", "width": 8.5, "align": "left"},
            {"title": "Thời gian tài liệu", "width": 4.2, "align": "center"},
            {"title": "Thời hạn bảo quản", "width": 2.6, "align": "center"},
            {"title": "Số văn bản, số trang", "width": 3.3, "align": "center"},
            {"title": "Ghi chú", "width": 2.7, "align": "left"}],
        "rows": rows, "font_size": 12}


def spec_for(*, organization: Organization, files: Sequence[CaseFile], giver: Person,
             receiver: str, receiver_title: str, plan: FilePlan | None, on: date
             ) -> DocumentSpec:
    """The Biên bản giao nhận (with the Mục lục as its separate appendix) as a document spec."""
    from doc_templates.formatting import nd30_date
    from doc_templates.spec import parse_spec

    years = sorted({f.year for f in files})
    year_text = ", ".join(str(y) for y in years)
    unit = files[0].unit or organization
    documents = sum(f.doc_total or 0 for f in files)
    pages = sum(f.page_total or 0 for f in files)
    bases = [f"*Căn cứ {DECREE};*"]
    if plan is not None and plan.approved_at is not None:
        bases.append(f"*Căn cứ Danh mục hồ sơ năm {plan.year} của {organization.name_in_text} "
                     f"được phê duyệt {nd30_date(local_date(plan.approved_at))};*")
    body = "\n".join([
        *bases,
        f"Hôm nay, {nd30_date(on)}, tại {organization.name_in_text}, chúng tôi gồm:",
        f"**BÊN GIAO:** {unit.name_in_text}.",
        f"- Ông (bà): {giver.full_name}; chức vụ: {(giver.title or 'người lập hồ sơ').lower()}.",
        "**BÊN NHẬN:** Lưu trữ cơ quan.",
        f"- Ông (bà): {receiver}; chức vụ: {receiver_title}.",
        "Thống nhất lập biên bản giao nhận tài liệu với nội dung như sau:",
        f"1. Tên khối tài liệu giao nộp: hồ sơ, tài liệu của {unit.name_in_text} năm "
        f"{year_text}.",
        f"2. Thời gian của tài liệu: {_period(files)}.",
        f"3. Số lượng tài liệu: {len(files):02d} hồ sơ, gồm {documents} văn bản, {pages} trang "
        "(tài liệu điện tử).",
        "4. Tình trạng tài liệu giao nộp: tài liệu điện tử, mỗi hồ sơ một gói nộp lưu gồm bản "
        "PDF đã ký số của từng văn bản, dữ liệu đặc tả hồ sơ và văn bản, bảng mã băm SHA-256 "
        "của mọi tệp; gói đã được kiểm tra toàn vẹn khi giao.",
        "5. Mục lục hồ sơ, tài liệu nộp lưu: Phụ lục kèm theo Biên bản này.",
        "Biên bản này được lập thành hai bản; bên giao giữ một bản; bên nhận (Lưu trữ cơ quan) "
        "giữ một bản./.",
    ])
    appendix_body = "\n".join([
        f"# Năm {year_text}",
        "[bảng: muc_luc]",
        f"Mục lục này gồm {len(files):02d} hồ sơ (đơn vị bảo quản), {documents} văn bản, "
        f"{pages} trang.",
    ])
    data = {
        "type": "bien_ban",
        "minutes_of": "record",
        "issuer": {"parent": organization.header_parent, "name": organization.name,
                   "code": organization.code, "text_name": organization.text_name},
        "place": organization.place or "…",
        "date": on.isoformat(),
        "subject": f"Giao nhận hồ sơ, tài liệu nộp lưu năm {year_text}",
        "body": body,
        "signature": {"title": "ĐẠI DIỆN BÊN NHẬN", "name": receiver},
        "secretary_signature": {"title": "ĐẠI DIỆN BÊN GIAO", "name": giver.full_name},
        "distribution": [f"Bên giao ({unit.name_in_text}): 01 bản",
                         "Lưu trữ cơ quan: 01 bản"],
        "archive": "VT",
        "tables": {"muc_luc": _table(files)},
        "appendices": [{"title": "Mục lục hồ sơ, tài liệu nộp lưu", "body": appendix_body,
                        "landscape": True}],
    }
    return parse_spec({k: v for k, v in data.items() if v is not None})


def _check(actor: Person, files: Sequence[CaseFile]) -> Organization:
    if not files:
        raise ValidationError("chọn ít nhất một hồ sơ để nộp lưu", field="hồ sơ")
    organization = files[0].organization
    require_role(actor, action="nộp lưu hồ sơ")
    require_member(actor, organization.id, action="nộp lưu hồ sơ",
                   organization_name=organization.name_in_text)
    for case_file in files:
        if case_file.organization_id != organization.id:
            raise ValidationError("mỗi lần nộp lưu chỉ gồm hồ sơ của một cơ quan", field="hồ sơ")
        if case_file.status != "closed":
            raise InvalidTransition(f"hồ sơ {case_file.code} chưa đóng (hoặc đã nộp lưu); "
                                    "đóng hồ sơ bằng congvan files close trước")
        if case_file.handover_due is None:
            raise InvalidTransition(
                f"hồ sơ {case_file.code} bảo quản {retention_text(case_file).lower()}, dưới "
                f"{closing.HANDOVER_MIN_YEARS} năm: không nộp lưu, đơn vị tự bảo quản "
                "(Điều 31 Nghị định 30)")
        if actor.id != case_file.handler_id and not actor.has_role("clerk"):
            raise PermissionDenied(f"{actor.full_name} không phải người lập hồ sơ "
                                   f"{case_file.code} hay văn thư, không được nộp lưu")
    return organization


def hand_over(*, session: Any, files: Sequence[CaseFile], actor: Person, receiver: str,
              receiver_title: str, now: datetime, files_root: Path, out_dir: Path,
              converter: PdfConverter | None = None) -> Handover:
    """Hand ``files`` over: packages (verified), the Biên bản and the Mục lục (docx, and PDF in
    two copies when a converter is given), then the files become read-only."""
    from sqlalchemy import select

    from doc_templates.check import check_docx
    from doc_templates.render import render_appendix_docx, render_docx

    organization = _check(actor, files)
    on = local_date(now)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = Handover()
    for case_file in files:
        path = export.export(session=session, case_file=case_file, files_root=files_root,
                             out_dir=out_dir, door=Door(actor, "cli"))
        package.verify(path)
        result.packages.append(path)
    plan = session.scalar(select(FilePlan).where(
        FilePlan.organization_id == organization.id, FilePlan.year == files[0].year))
    spec = spec_for(organization=organization, files=files, giver=actor, receiver=receiver,
                    receiver_title=receiver_title, plan=plan, on=on)
    docs = {"bien-ban-giao-nhan": render_docx(spec, today=on),
            "muc-luc-ho-so": render_appendix_docx(spec, 0, today=on)}
    for stem, data in docs.items():
        target = out_dir / f"{stem}.docx"
        target.write_bytes(data)
        result.documents[f"{stem}.docx"] = target
    # The checker reads whole documents: the Biên bản holds the Mục lục as its appendix, so one
    # check covers both (the Mục lục's own file has no header block by design).
    result.violations = [f"{v.box}: {v.message}" for v in check_docx(docs["bien-ban-giao-nhan"])
                         if v.severity == "error"]
    if converter is not None:
        pdfs = converter.convert_many([out_dir / f"{stem}.docx" for stem in docs], out_dir)
        for pdf in pdfs:
            for copy in COPIES:
                target = pdf.with_name(f"{pdf.stem}-{copy}.pdf")
                target.write_bytes(pdf.read_bytes())
                result.documents[target.name] = target
            pdf.unlink()
    for case_file, path in zip(files, result.packages, strict=True):
        case_file.status, case_file.handed_over_at = "handed_over", now
        audit.record(session=session, action="records.handover", object_type="case_file",
                     object_id=case_file.id, actor=actor,
                     detail={"receiver": receiver, "package": path.name})
    session.flush()
    return result


__all__ = ["Handover", "hand_over", "spec_for"]
