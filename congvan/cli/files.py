"""`congvan files …`: the file store check, and hồ sơ (ND30 chapter IV).

- ``files check``: every stored file against the SHA-256 the registry recorded.
- ``files plan import|export|approve|show``: the year's Danh mục hồ sơ (.xlsx or .yaml).
- ``files open|add|propose|show|mine|close``: files (hồ sơ) and filing documents into them.
- ``files handover|export``: Biên bản giao nhận, Mục lục hồ sơ and the export packages.
- ``files verify PACKAGE``: the separate reader of an export package.

The acting person is always given (``--as``); the services check who may do what.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from congvan.cli._common import ReaderOption, console, err_console, reader_door, user_errors

files_app = typer.Typer(help="Tệp lưu trữ và hồ sơ: kiểm tra tệp, danh mục hồ sơ, lập hồ sơ, "
                             "đóng và nộp lưu.", no_args_is_help=True)
plan_app = typer.Typer(help="Danh mục hồ sơ của năm (Điều 28 Nghị định 30).",
                       no_args_is_help=True)
files_app.add_typer(plan_app, name="plan")

Org = Annotated[str, typer.Option("--org", help="Mã cơ quan (khoá trong danh bạ).")]
Year = Annotated[int | None, typer.Option("--year", help="Năm (mặc định: năm nay).")]
Actor = Annotated[str, typer.Option("--as", help="Mã cán bộ thực hiện (khoá trong danh bạ).")]
Code = Annotated[str, typer.Argument(help="Số và ký hiệu hồ sơ (ví dụ 01.TH).")]


def register(app: typer.Typer) -> None:
    app.add_typer(files_app, name="files")


@contextmanager
def _session() -> Iterator[Any]:
    from congvan.runtime import open_registry
    from registry import db

    with user_errors():
        open_registry()
        with db.transaction() as session:
            yield session


def _org(session: Any, key: str) -> Any:
    from registry.lookup import get_by_key
    from registry.models import Organization

    return get_by_key(session=session, model=Organization, key=key)


def _person(session: Any, key: str) -> Any:
    from registry.lookup import get_by_key
    from registry.models import Person

    return get_by_key(session=session, model=Person, key=key, active_only=True)


def _year(year: int | None) -> int:
    from registry.clock import local_today

    return year or local_today().year


def _now() -> Any:
    from registry.clock import now_utc

    return now_utc()


def _file(session: Any, org_key: str, year: int | None, code: str) -> Any:
    from records import casefiles

    return casefiles.get(session=session, organization_id=_org(session, org_key).id,
                         year=_year(year), code=code)


@files_app.command("check")
def check() -> None:
    """Đọc lại mọi tệp đã lưu và so mã băm SHA-256 với sổ đăng ký (sau khi khôi phục)."""
    from congvan.runtime import files_dir
    from registry.filecheck import check as check_files

    with _session() as s:
        root = files_dir()
        result = check_files(session=s, files_root=root)
    for path in result.missing:
        err_console.print(f"[red]Thiếu tệp[/] {path}")
    for path in result.mismatched:
        err_console.print(f"[red]Tệp bị thay đổi (SHA-256 không khớp)[/] {path}")
    console.print(f"Đã kiểm tra thư mục {root}: {result.checked} tệp khớp, "
                  f"{len(result.missing)} thiếu, {len(result.mismatched)} không khớp.")
    if not result.ok:
        raise typer.Exit(1)


# ------------------------------------------------------------------ plan


@plan_app.command("import")
def plan_import(
    path: Annotated[Path, typer.Argument(help="Tệp .xlsx hoặc .yaml của danh mục.")],
    actor: Actor,
    org: Annotated[str | None, typer.Option("--org", help="Mã cơ quan (mặc định: trong tệp).")
                   ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Năm (mặc định: trong tệp).")
                    ] = None,
) -> None:
    """Nhập danh mục hồ sơ của năm (bản nháp, chờ người đứng đầu duyệt); một dòng sai thì
    không lưu gì và báo dòng, cột cần sửa."""
    from records import plan
    from registry.errors import ValidationError

    with _session() as s:
        if not path.is_file():
            raise ValidationError(f"không có tệp {path}", field="tệp")
        read = plan.read_plan(path)
        org_key = org or read.organization
        year_text = str(year) if year else read.year
        if not org_key or not year_text.isdigit():
            raise ValidationError("cần --org và --year (hoặc organization:, year: trong tệp)",
                                  field="--org/--year")
        rows = plan.check_rows(session=s, plan_file=read, source=path.name)
        stored = plan.import_plan(session=s, organization=_org(s, org_key), year=int(year_text),
                                  rows=rows, actor=_person(s, actor))
        console.print(f"Đã nhập danh mục hồ sơ năm {stored.year}: {len(stored.entries)} hồ sơ "
                      "(chờ phê duyệt: congvan files plan approve).")


@plan_app.command("export")
def plan_export(
    path: Annotated[Path, typer.Argument(help="Tệp ra: .xlsx hoặc .yaml.")], org: Org,
    year: Year = None,
) -> None:
    """Xuất danh mục hồ sơ ra .xlsx hoặc .yaml (nhập lại được)."""
    from records import plan
    from registry.errors import ValidationError

    with _session() as s:
        stored = plan.get_plan(session=s, organization=_org(s, org), year=_year(year))
        suffix = path.suffix.lower()
        if suffix not in (".xlsx", ".yaml", ".yml"):
            raise ValidationError("tệp ra phải là .xlsx, .yaml hoặc .yml", field="tệp")
        path.write_bytes(plan.export_xlsx(stored) if suffix == ".xlsx"
                         else plan.export_yaml(stored))
        console.print(f"Đã ghi {len(stored.entries)} hồ sơ vào {path}")


@plan_app.command("approve")
def plan_approve(org: Org, actor: Actor, year: Year = None) -> None:
    """Người đứng đầu phê duyệt danh mục hồ sơ của năm (ghi vào nhật ký)."""
    from records import plan

    with _session() as s:
        stored = plan.get_plan(session=s, organization=_org(s, org), year=_year(year))
        plan.approve(session=s, plan=stored, actor=_person(s, actor), now=_now())
        console.print(f"Đã phê duyệt danh mục hồ sơ năm {stored.year}: {len(stored.entries)} "
                      "hồ sơ.")


@plan_app.command("show")
def plan_show(org: Org, year: Year = None) -> None:
    """In danh mục hồ sơ của năm."""
    from records import plan

    with _session() as s:
        stored = plan.get_plan(session=s, organization=_org(s, org), year=_year(year))
        state = "đã phê duyệt" if stored.status == "approved" else "chưa phê duyệt"
        console.print(f"Danh mục hồ sơ năm {stored.year} ({state}):", highlight=False)
        section = None
        for e in stored.entries:
            if e.section != section and e.section:
                console.print(f"  {e.section}", highlight=False)
                section = e.section
            console.print(f"    {e.code}  {e.title} — "
                          f"{plan.retention_text(e.retention_years, e.permanent)}",
                          highlight=False, markup=False)


# ------------------------------------------------------------------ files and filing


def _retention(text: str) -> tuple[int | None, bool]:
    from records.plan import parse_retention as parse
    from registry.errors import ValidationError

    years, permanent, problem = parse(text.strip())
    if problem:
        raise ValidationError(problem, field="--retention")
    return years, permanent


@files_app.command("open")
def open_file(
    code: Code, org: Org, actor: Actor,
    title: Annotated[str, typer.Option("--title", help="Tiêu đề hồ sơ.")],
    retention: Annotated[str, typer.Option("--retention",
                                           help="Thời hạn bảo quản: số năm hoặc «vĩnh viễn».")],
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị lập hồ sơ.")] = None,
    year: Year = None,
) -> None:
    """Mở hồ sơ ngoài danh mục (người lập hồ sơ ghi đủ các trường như danh mục)."""
    from records import casefiles

    with _session() as s:
        years, permanent = _retention(retention)
        case_file = casefiles.open_unplanned(
            session=s, organization=_org(s, org), year=_year(year), code=code, title=title,
            retention_years=years, permanent=permanent, unit=_org(s, unit) if unit else None,
            actor=_person(s, actor), now=_now())
        console.print(f"Đã mở hồ sơ {case_file.code} năm {case_file.year}: {case_file.title}",
                      highlight=False, markup=False)


@files_app.command("add")
def add(
    document_id: Annotated[int, typer.Argument(help="Mã văn bản (#id).")],
    code: Annotated[list[str], typer.Option("--file", help="Số và ký hiệu hồ sơ (lặp lại được).")],
    org: Org, actor: Actor, year: Year = None,
) -> None:
    """Xếp văn bản vào một hay nhiều hồ sơ (theo tham chiếu, không sao chép); hồ sơ trong danh
    mục đã duyệt được mở khi xếp văn bản đầu tiên."""
    from records import casefiles
    from registry import access

    with _session() as s:
        person, organization = _person(s, actor), _org(s, org)
        document = access.document(session=s, document_id=document_id, actor=person)
        for one in code:
            case_file = casefiles.open_or_get(session=s, organization=organization,
                                              year=_year(year), code=one, actor=person,
                                              now=_now())
            link = casefiles.file_document(session=s, case_file=case_file, document=document,
                                           actor=person, now=_now())
            console.print(f"Đã xếp văn bản #{document.id} vào hồ sơ {case_file.code} "
                          f"(thứ tự {link.ordinal}).", highlight=False)


@files_app.command("propose")
def propose(document_id: Annotated[int, typer.Argument(help="Mã văn bản (#id).")],
            actor: Actor) -> None:
    """Đề xuất hồ sơ trong danh mục cho một văn bản (theo loại, trích yếu, đơn vị soạn)."""
    from records import casefiles
    from registry import access

    with _session() as s:
        document = access.document(session=s, document_id=document_id, actor=_person(s, actor))
        found = casefiles.propose_for(session=s, document=document)
        if not found:
            console.print("Không có hồ sơ nào trong danh mục đã duyệt hợp với văn bản này.")
        for p in found:
            opened = "đang lập" if p.case_file is not None else "chưa mở"
            console.print(f"  {p.entry.code}  {p.entry.title} ({opened}; {'; '.join(p.reasons)})",
                          highlight=False, markup=False)


@files_app.command("mine")
def mine(actor: Actor,
         all_: Annotated[bool, typer.Option("--all", help="Cả hồ sơ đã đóng, đã nộp.")] = False
         ) -> None:
    """Hồ sơ của tôi (người lập hồ sơ) và số văn bản trong từng hồ sơ."""
    from records import casefiles
    from registry.labels import CASE_FILE_STATUS

    with _session() as s:
        person = _person(s, actor)
        found = casefiles.mine(session=s, actor=person, include_closed=all_)
        console.print(f"Hồ sơ của {person.full_name}: {len(found)}", highlight=False)
        for f in found:
            count = len(casefiles.items(session=s, case_file=f))
            console.print(f"  {f.code} năm {f.year}: {f.title} — {CASE_FILE_STATUS[f.status]}, "
                          f"{count} văn bản", highlight=False, markup=False)


@files_app.command("show")
def show(code: Code, org: Org, year: Year = None, as_: ReaderOption = None) -> None:
    """Các trường của hồ sơ và văn bản trong hồ sơ, theo thứ tự. Trích yếu văn bản mật chỉ
    hiện khi --as là người có quyền đọc."""
    from records import casefiles
    from records.metadata import retention_text
    from registry.access import shown_subjects
    from registry.labels import CASE_FILE_STATUS, DOCUMENT_STATUS, label

    with _session() as s:
        f = _file(s, org, year, code)
        console.print(f"Hồ sơ {f.code} năm {f.year}: {f.title}", highlight=False, markup=False)
        console.print(f"  {CASE_FILE_STATUS[f.status]}; bảo quản {retention_text(f).lower()}; "
                      f"người lập: {f.handler.full_name if f.handler else '—'}", highlight=False)
        if f.status != "open":
            span = (f", từ {f.start_date:%d/%m/%Y} đến {f.end_date:%d/%m/%Y}"
                    if f.start_date and f.end_date else "")
            console.print(f"  {f.doc_total} văn bản, {f.page_total} trang{span}", highlight=False)
        if f.handover_due:
            console.print(f"  Hạn nộp lưu: {f.handover_due:%d/%m/%Y}", highlight=False)
        links = casefiles.items(session=s, case_file=f)
        subjects = shown_subjects(session=s, documents=[x.document for x in links],
                                  reader=reader_door(s, as_).actor)
        for link in links:
            d = link.document
            name = d.number_symbol or d.original_number or f"#{d.id}"
            frozen = " — đóng băng (đã thu hồi)" if link.frozen else ""
            console.print(f"  {link.ordinal:>3}. {name} {subjects[d.id]} "
                          f"[{label(DOCUMENT_STATUS, d.status)}]{frozen}",
                          highlight=False, markup=False)


@files_app.command("close")
def close(
    code: Code, org: Org, actor: Actor, year: Year = None,
    retention: Annotated[str | None, typer.Option(
        "--retention", help="Đặt lại thời hạn bảo quản: số năm hoặc «vĩnh viễn».")] = None,
) -> None:
    """Đóng hồ sơ: bỏ dự thảo và bản trùng (văn bản vẫn còn trong hệ thống), đếm trang, chốt
    số văn bản, ngày bắt đầu, kết thúc và thời hạn bảo quản."""
    from congvan.runtime import files_dir
    from records import closing

    with _session() as s:
        f = _file(s, org, year, code)
        years, permanent = _retention(retention) if retention else (None, None)
        done = closing.close(session=s, case_file=f, actor=_person(s, actor), now=_now(),
                             files_root=files_dir(), retention_years=years, permanent=permanent)
        console.print(f"Đã đóng hồ sơ {f.code}: {f.doc_total} văn bản, {f.page_total} trang; "
                      f"bỏ {len(done.removed_drafts)} dự thảo, "
                      f"{len(done.removed_duplicates)} bản trùng.", highlight=False)
        if done.without_pdf:
            console.print(f"  {len(done.without_pdf)} văn bản không có bản PDF (văn bản giấy "
                          "chưa quét): không tính trang.", highlight=False)
        console.print(f"  Hạn nộp lưu: {f.handover_due:%d/%m/%Y}" if f.handover_due else
                      "  Bảo quản dưới 5 năm: đơn vị tự bảo quản, không nộp lưu.",
                      highlight=False)


@files_app.command("export")
def export_cmd(code: Code, org: Org,
               out: Annotated[Path, typer.Option("--out", help="Thư mục ghi gói.")],
               year: Year = None, as_: ReaderOption = None) -> None:
    """Xuất gói nộp lưu của một hồ sơ đã đóng: PDF đã ký, XML dữ liệu đặc tả, bảng băm (mỗi
    văn bản xuất được ghi vào nhật ký truy cập)."""
    from congvan.runtime import files_dir
    from records import export

    with _session() as s:
        path = export.export(session=s, case_file=_file(s, org, year, code),
                             files_root=files_dir(), out_dir=out, door=reader_door(s, as_))
    console.print(f"Đã ghi gói {path}")


@files_app.command("handover")
def handover(
    codes: Annotated[list[str], typer.Argument(help="Số và ký hiệu các hồ sơ nộp lưu.")],
    org: Org, actor: Actor,
    receiver: Annotated[str, typer.Option("--receiver", help="Họ tên người nhận (lưu trữ).")],
    out: Annotated[Path, typer.Option("--out", help="Thư mục ghi biên bản, mục lục, gói.")],
    receiver_title: Annotated[str, typer.Option("--receiver-title", help="Chức vụ người nhận.")
                              ] = "viên chức lưu trữ",
    year: Year = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Tạo PDF (LibreOffice).")] = True,
) -> None:
    """Nộp lưu hồ sơ: Biên bản giao nhận và Mục lục hồ sơ (hai bản), gói nộp lưu từng hồ sơ;
    sau đó hồ sơ chỉ được đọc."""
    from contextlib import nullcontext

    from congvan.runtime import files_dir
    from records import handover as service

    with _session() as s:
        files = [_file(s, org, year, c) for c in codes]
        if pdf:
            from doc_templates.pdf import PdfConverter

            converter_cm: Any = PdfConverter()
        else:
            converter_cm = nullcontext(None)
        with converter_cm as converter:
            done = service.hand_over(
                session=s, files=files, actor=_person(s, actor), receiver=receiver,
                receiver_title=receiver_title, now=_now(), files_root=files_dir(),
                out_dir=out, converter=converter)
    for path in [*done.documents.values(), *done.packages]:
        console.print(f"  {path}", highlight=False)
    for problem in done.violations:
        err_console.print(f"[yellow]Kiểm tra Nghị định 30:[/] {problem}")
    console.print(f"Đã nộp lưu {len(files)} hồ sơ; hồ sơ chuyển sang chỉ đọc.")


@files_app.command("verify")
def verify(
    package: Annotated[Path, typer.Argument(help="Gói nộp lưu (.zip).")],
    signatures: Annotated[bool, typer.Option(
        "--signatures", help="Kiểm tra cả chữ ký số trong từng PDF còn nguyên vẹn.")] = False,
) -> None:
    """Kiểm tra một gói nộp lưu: tên, kích thước, bảng băm SHA-256 của mọi tệp, dữ liệu đặc tả
    của hồ sơ và từng văn bản (và chữ ký số với --signatures). Không giải nén gì ra đĩa."""
    from records import package as reader
    from records.errors import PackageError

    try:
        found = reader.verify(package, signatures=signatures)
    except PackageError as exc:
        err_console.print(f"[bold red]Gói không hợp lệ:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"Gói hợp lệ: hồ sơ {found.file_code} «{found.title}», {found.documents} văn "
                  f"bản, {found.pages} trang, {found.members} tệp, mọi mã băm SHA-256 khớp.",
                  highlight=False, markup=False)
    if signatures:
        console.print(f"Chữ ký số: {found.signed} PDF còn nguyên vẹn, {found.unsigned} PDF không "
                      "có chữ ký (bản quét văn bản giấy).", highlight=False)
