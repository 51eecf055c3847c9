"""`congvan demo`: the Kon Tum 2022 cycle on the embedded default, with a Rich progress display.

Every outgoing document goes the real way: submitted to the signer through
signing.approvals, approved and signed (ký duyệt) by the recorded decision,
then numbered, rendered, converted and signed twice (the person's key, then the
organisation's) by signing.issuing.issue — the signature image between the
title and the name, the seal over its left third — which enqueues the
deliveries. The keys and images are a demo CA (signing.keys.create_dev_ca)
under var/demo/keys; signing.verify checks every signed PDF at the end.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from congvan.cli._common import console

if TYPE_CHECKING:
    from workflows.collect import Answer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo() -> None:
        """Chạy trọn một kỳ báo cáo Kon Tum 2022 (22/HD-BCA-V05 → 4267/BCĐ-NC → Báo cáo)."""
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from congvan.settings import get_settings

        settings = get_settings()
        home = settings.home
        if home.name == "demo" and home.exists():  # a fresh var/demo each time
            shutil.rmtree(home)
        home.mkdir(parents=True, exist_ok=True)
        from workflows import prefect_env

        prefect_env.prepare()
        started = time.monotonic()
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console) as progress:
            lines = _run(progress, settings)
        console.print("\n".join(lines), highlight=False, soft_wrap=True)
        console.print(f"\nXong trong {time.monotonic() - started:.0f} s.")


def _step(progress, text: str):  # type: ignore[no-untyped-def]
    return progress.add_task(text, total=1)


KEY_PASSWORD = "demo-khong-dung-that"  # the demo CA's PKCS#12 password (demo keys only)


def _keys(settings) -> Path:  # type: ignore[no-untyped-def]
    """The demo CA under var/demo/keys, created if missing."""
    from signing.keys import create_dev_ca

    folder: Path = settings.home / "keys"
    needed = ("signer.p12", "organization.p12", "signature.png", "seal.png")
    if not all((folder / name).is_file() for name in needed):
        create_dev_ca(folder, password=KEY_PASSWORD, organization="BCĐ PCTP TỈNH KON TUM",
                      signer_name="Lê Ngọc Tuấn")
    return folder


def _run(progress, settings) -> list[str]:  # type: ignore[no-untyped-def]
    from workflows import issuance

    t = _step(progress, "Tạo khoá thử nghiệm (CA demo, khoá người ký và khoá cơ quan)")
    keys = _keys(settings)
    progress.update(t, completed=1)
    with issuance.opened(keys_dir=keys, password=KEY_PASSWORD, soffice=settings.soffice):
        lines = _cycle(progress, settings, keys)
        return lines + _ordinary_day(progress, settings, keys)


def _ordinary_day(progress, settings, keys: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """After the cycle: a scanned công văn read by OCR, recognised on its second arrival,
    assigned with a due date and answered by a công văn citing it (congvan/cli/_demo_day.py)."""
    from congvan.cli._demo_day import ordinary_day
    from congvan.runtime import files_dir
    from outbox.channels.folder import FolderChannel
    from outbox.relay import relay_once
    from registry import db
    from workflows import steps

    t = _step(progress, "Một ngày của văn thư: bản quét (OCR), đến lần hai, giao xử lý, trả lời")
    files = files_dir(settings)
    cycle = steps.CycleSettings(files_dir=str(files), channels=["folder"], keys_dir=str(keys),
                                soffice=settings.soffice)
    lines = ordinary_day(settings, files, cycle)
    relay_once(channels={"folder": FolderChannel(settings.home / "outbox")},
               engine=db.get_engine(), batch_size=500, files_root=files)
    _registers(settings.home / "registers")
    progress.update(t, completed=1)
    return lines


def _cycle(progress, settings, keys: Path) -> list[str]:  # type: ignore[no-untyped-def]  # noqa: PLR0915
    from congvan.runtime import files_dir, open_registry
    from registry import db, schema
    from registry.directory import import_file
    from registry.models import ReportRequest
    from reporting import scenario, submissions, xlsx
    from reporting.forms import parse_form
    from workflows import steps
    from workflows.collect import Upload

    t = _step(progress, "Khởi tạo cơ sở dữ liệu và danh bạ Kon Tum 2022")
    engine = open_registry(settings, check_schema=False)
    schema.upgrade(engine)
    with db.transaction() as s:
        import_file(session=s, path=scenario.DIRECTORY_FILE)
    files = files_dir(settings)
    cycle = steps.CycleSettings(files_dir=str(files), channels=["folder"], keys_dir=str(keys),
                                soffice=settings.soffice)
    progress.update(t, completed=1)

    t = _step(progress, "Khởi động Prefect (chế độ tạm, lần đầu mất ~10 s)")
    from workflows.instruct_units import instruct_units, issue_instruction
    from workflows.quarterly_cycle import quarterly_cycle
    from workflows.receive_guidance import receive_guidance
    from workflows.remind_late_units import remind_late_units

    gid = receive_guidance(scenario.guidance())
    progress.update(t, completed=1, description="Nhận Hướng dẫn 22/HD-BCA-V05 vào sổ văn bản đến")

    t = _step(progress, "Soạn, trình, duyệt, ký số và ban hành công văn chỉ đạo (như 4267/BCĐ-NC)")
    iid = instruct_units(scenario.instruction(gid, reporting_unit_keys=scenario.DISTRICTS), cycle)
    steps.record_decision(iid, "le-ngoc-tuan", comment="Đồng ý ban hành")
    issue_instruction(iid, date(2022, 12, 16), cycle, ["2023-Q4"])
    progress.update(t, completed=1)

    t = _step(progress, "8 đơn vị nộp báo cáo quý IV qua mẫu .xlsx (1 đơn vị sai, sửa, nộp lại)")
    form = parse_form(scenario.form_dict())
    inbox = settings.home / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    uploads, templates = [], {}
    with db.transaction() as s:
        reqs = s.query(ReportRequest).filter_by(period="2023-Q4").order_by(ReportRequest.id).all()
        for n, r in enumerate(reqs[:8]):
            wb = xlsx.build_workbook(form, unit_name=r.unit.name, unit_key=r.unit.key,
                                     period_key=r.period, period_label="Quý IV năm 2023",
                                     request_id=r.id, due=f"{r.due_date:%d/%m/%Y}")
            templates[n] = (wb, r.unit.key)
            values = scenario.sample_values(n)
            if n == 3:
                values = {**values, "models_total": values["models_total"] + 1}
            path = inbox / f"{r.unit.key}.xlsx"
            path.write_bytes(xlsx.fill_workbook(wb, values, form))
            uploads.append(Upload(path=str(path), unit_key=r.unit.key))
    summary = quarterly_cycle(iid, "2023-Q4", "le-ngoc-tuan", "bca", today=date(2023, 12, 6),
                              uploads=uploads, settings=cycle)
    errors = [a.message for a in cast("list[Answer]", summary["answers"]) if not a.ok]
    wb, unit = templates[3]
    with db.transaction() as s:
        fixed = submissions.submit_xlsx(session=s, data=xlsx.fill_workbook(
            wb, scenario.sample_values(3), form), unit_key=unit, files_dir=files)
    progress.update(t, completed=1)

    t = _step(progress, "Nhắc hạn; đôn đốc 2 đơn vị chậm báo cáo (trình, duyệt, ký số, ban hành)")
    reminded = remind_late_units(1, "2023-Q4", "le-ngoc-tuan", today=date(2023, 12, 12),
                                 settings=cycle)
    don_doc = cast("int | None", reminded["don_doc"])
    if don_doc:
        steps.record_decision(don_doc, "le-ngoc-tuan")
        steps.issue(don_doc, date(2023, 12, 12), cycle)
    progress.update(t, completed=1)

    t = _step(progress, "Tổng hợp, dự thảo Báo cáo, duyệt, ký số, ban hành và gửi Bộ Công an")
    summary = quarterly_cycle(iid, "2023-Q4", "le-ngoc-tuan", "bca", today=date(2023, 12, 19),
                              settings=cycle)
    report_id = cast("list[int]", summary["reports"])[0]
    steps.record_decision(report_id, "le-ngoc-tuan")
    steps.reconcile(date(2023, 12, 20), cycle)
    progress.update(t, completed=1)

    t = _step(progress, "Gửi qua thư mục (outbox), xuất sổ văn bản đi/đến (.xlsx)")
    from outbox.channels.folder import FolderChannel
    from outbox.relay import relay_once

    drop = settings.home / "outbox"
    relay_once(channels={"folder": FolderChannel(drop)}, engine=engine, batch_size=500,
               files_root=files)
    registers = _registers(settings.home / "registers")
    progress.update(t, completed=1)

    t = _step(progress, "Kiểm tra thể thức (.docx) và chữ ký số (PDF)")
    checks = _checks(files, keys)
    progress.update(t, completed=1)

    figures = steps.figures(1, "2023-Q4")
    lines = ["", "[bold]Kết quả[/]",
             f"- Báo cáo: {figures.coverage} đơn vị; chưa báo cáo: {', '.join(figures.missing)}",
             f"- Tỷ lệ mô hình hiệu quả: {figures.derived.get('effective_rate')}",
             f"- Lỗi lần nộp đầu: {errors[0].splitlines()[1] if errors else '—'}",
             f"- Nộp lại: {fixed.message}", "", "[bold]Văn bản và tệp[/]"]
    lines += _documents(files)
    lines += ["", "[bold]Sổ văn bản[/]", *[f"- {p}" for p in registers],
              "", "[bold]Kiểm tra[/]", *checks,
              "", "[bold]Thư mục khác[/]",
              f"- Khoá thử nghiệm (không dùng thật): {keys}",
              f"- Thư mục nhận (folder drop): {drop}",
              "- Nhắc hạn và báo cấp trên (hộp thư đi, thư mục):",
              *[f"    {p}" for p in sorted(drop.glob("*/reminder.*/thong-bao.txt"))],
              f"- Báo cáo các đơn vị nộp (.xlsx): {inbox}",
              "", "[bold]Xem tiếp (chạy đúng như in, từ thư mục gốc của kho mã)[/]",
              *follow_up(settings.home, files, keys)]
    return lines


def follow_up(home: Path, files: Path, keys: Path) -> list[str]:
    """Commands to look further at the demo's registry, runnable as printed from the
    repository root (the demo's CONGVAN_HOME and the project's venv named on each line)."""
    import shlex

    from sqlalchemy import select

    from registry import db
    from registry.models import Document, DocumentFile

    with db.transaction() as s:
        instruction = s.scalar(select(Document).where(
            Document.symbol == "BCĐ-NC", Document.number.is_not(None)).order_by(Document.id))
        pdf = s.scalar(select(DocumentFile.path).where(
            DocumentFile.document_id == instruction.id, DocumentFile.kind == "signed_pdf")
        ) if instruction is not None else None
    run = f"CONGVAN_HOME={shlex.quote(str(home))} .venv/bin/congvan"
    lines = [f"{run} trace 22/HD-BCA-V05", f"{run} outbox status",
             f"{run} calendar show 2023"]
    if instruction is not None:
        lines.append(f"{run} draft show {instruction.id}")
    if pdf is not None:
        lines.append(f"{run} verify {shlex.quote(str(files / pdf))} "
                     f"--trust-root {shlex.quote(str(keys / 'ca.pem'))}")
    lines.append(f"{run} registers xlsx --org bcd-kontum --year 2023 "
                 f"-o {shlex.quote(str(home / 'so-di-bcd-2023.xlsx'))}")
    return [f"  {line}" for line in lines]


def _documents(files: Path) -> list[str]:
    """Each document with its status, signer, draft versions and stored files (full paths)."""
    from registry import db
    from registry.models import Document

    lines = []
    with db.transaction() as s:
        for doc in s.query(Document).order_by(Document.id):
            ident = doc.number_symbol or doc.original_number
            who = f", ký: {doc.signer.full_name}" if doc.signer and doc.number else ""
            lines.append(f"- {ident} ({doc.doc_type}, {doc.status.value}{who})")
            for v in doc.versions:
                if v.docx_path:
                    lines.append(f"    dự thảo v{v.version}: {files / v.docx_path}")
            for f in sorted(doc.files, key=lambda f: f.id):
                lines.append(f"    {f.kind}: {files / f.path}")
    return lines


def _registers(folder: Path) -> list[Path]:
    """The outgoing and incoming registers (outbox.registers) of every body that issued or
    received, per year."""
    from sqlalchemy import select

    from registry import db
    from registry.models import Direction, Document, Organization, Register

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    with db.transaction() as s:
        pairs = s.execute(select(Register.direction, Register.organization_id, Document.year)
                          .join(Register, Register.id == Document.register_id)
                          .where(Document.number.is_not(None)).distinct()).all()
        for direction, org_id, year in sorted(pairs, key=lambda p: (p[0].value, p[1], p[2])):
            org = s.get(Organization, org_id)
            assert org is not None
            kind = "di" if direction is Direction.OUTGOING else "den"
            path = folder / f"so-van-ban-{kind}-{org.key}-{year}.xlsx"
            path.write_bytes(_register_xlsx(s, direction, org, year))
            out.append(path)
    return out


def _register_xlsx(s, direction, org, year: int) -> bytes:  # type: ignore[no-untyped-def]
    from outbox import registers as book
    from registry.models import Direction

    outgoing = direction is Direction.OUTGOING
    rows = (book.outgoing_rows if outgoing else book.incoming_rows)(
        session=s, organization_id=org.id, year=year, reader=None)
    name = " ".join(org.name.split())
    return book.to_xlsx(title=f"{book.TITLES[direction]} năm {year} — {name}",
                        columns=book.OUTGOING_COLUMNS if outgoing else book.INCOMING_COLUMNS,
                        rows=rows)


def _checks(files: Path, keys: Path) -> list[str]:
    """One line per .docx (ND30 checker) and per signed PDF (every signature verified)."""
    from doc_templates.check import check_docx
    from registry import db
    from registry.models import DocumentFile, DraftVersion

    with db.transaction() as s:
        docx = [v.docx_path for v in s.query(DraftVersion).order_by(DraftVersion.id)
                if v.docx_path]
        docx += [f.path for f in s.query(DocumentFile).filter_by(kind="docx")
                 .order_by(DocumentFile.id)]
        pdfs = [f.path for f in s.query(DocumentFile).filter_by(kind="signed_pdf")
                .order_by(DocumentFile.id)]
    lines = []
    for rel in docx:
        errors = [v for v in check_docx(files / rel) if v.severity == "error"]
        verdict = "đạt ND30" if not errors else (
            f"{len(errors)} lỗi: " + "; ".join(f"{v.box} {v.message}" for v in errors[:3]))
        lines.append(f"- check_docx {files / rel}: {verdict}")
    for rel in pdfs:
        lines.append(f"- verify {files / rel}: "
                     f"{_verify((files / rel).read_bytes(), keys / 'ca.pem')}")
    return lines


def _verify(pdf: bytes, ca_pem: Path) -> str:
    """Every signature of ``pdf`` checked by signing.verify against the demo CA, on one line."""
    from signing.errors import VerificationError
    from signing.verify import verify_pdf

    try:
        report = verify_pdf(pdf, trust_roots=[ca_pem.read_bytes()], profile="nd30")
    except VerificationError as exc:
        return f"KHÔNG KIỂM TRA ĐƯỢC: {exc}"
    parts = [f"{s.field_name} ({s.signer}): "
             f"{'nguyên vẹn' if s.intact else 'BỊ SỬA ĐỔI'}, "
             f"{'tin cậy' if s.trusted else 'KHÔNG TIN CẬY'}" for s in report.signatures]
    good = sum(s.ok for s in report.signatures)
    return f"{good}/{len(report.signatures)} chữ ký hợp lệ ({'; '.join(parts)})"
