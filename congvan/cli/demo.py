"""`congvan demo`: the Kon Tum 2022 cycle on the embedded default, with a Rich progress display."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import typer

from congvan.cli._common import console


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
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console) as progress:
            lines = _run(progress, settings)
        console.print("\n".join(lines))


def _step(progress, text: str):  # type: ignore[no-untyped-def]
    return progress.add_task(text, total=1)


def _run(progress, settings) -> list[str]:  # type: ignore[no-untyped-def]  # noqa: PLR0915
    from congvan.runtime import files_dir, open_registry
    from registry import db, schema
    from registry.directory import import_file
    from registry.models import Document, DocumentFile, ReportRequest
    from workflows import scenario, steps, submissions, xlsx
    from workflows.collect import Upload
    from workflows.forms import parse_form

    t = _step(progress, "Khởi tạo cơ sở dữ liệu và danh bạ Kon Tum 2022")
    engine = open_registry(settings, check_schema=False)
    schema.upgrade(engine)
    with db.transaction() as s:
        import_file(session=s, path=scenario.DIRECTORY_FILE)
    files = files_dir(settings)
    cycle = steps.CycleSettings(files_dir=str(files), channels=["folder"],
                                notices_dir=str(settings.home / "notices"))
    progress.update(t, completed=1)

    t = _step(progress, "Khởi động Prefect (chế độ tạm, lần đầu mất ~10 s)")
    from workflows.instruct_units import instruct_units, issue_instruction
    from workflows.quarterly_cycle import quarterly_cycle
    from workflows.receive_guidance import receive_guidance
    from workflows.remind_late_units import remind_late_units

    gid = receive_guidance(scenario.guidance())
    progress.update(t, completed=1, description="Nhận Hướng dẫn 22/HD-BCA-V05 vào sổ văn bản đến")

    t = _step(progress, "Soạn, trình, duyệt và ban hành công văn chỉ đạo (như 4267/BCĐ-NC)")
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
    errors = [a.message for a in summary["answers"] if not a.ok]
    wb, unit = templates[3]
    with db.transaction() as s:
        fixed = submissions.submit_xlsx(session=s, data=xlsx.fill_workbook(
            wb, scenario.sample_values(3), form), unit_key=unit, files_dir=files)
    progress.update(t, completed=1)

    t = _step(progress, "Nhắc hạn, đôn đốc 2 đơn vị chậm báo cáo")
    reminded = remind_late_units(1, "2023-Q4", "le-ngoc-tuan", today=date(2023, 12, 12),
                                 settings=cycle)
    if reminded["don_doc"]:
        steps.record_decision(reminded["don_doc"], "le-ngoc-tuan")
        steps.issue(reminded["don_doc"], date(2023, 12, 12), cycle)
    progress.update(t, completed=1)

    t = _step(progress, "Tổng hợp, dự thảo Báo cáo, duyệt, ban hành và gửi Bộ Công an")
    summary = quarterly_cycle(iid, "2023-Q4", "le-ngoc-tuan", "bca", today=date(2023, 12, 19),
                              settings=cycle)
    report_id = summary["reports"][0]
    steps.record_decision(report_id, "le-ngoc-tuan")
    steps.reconcile(date(2023, 12, 20), cycle)
    progress.update(t, completed=1)

    t = _step(progress, "Chuyển PDF (LibreOffice) và gửi qua thư mục (outbox)")
    pdf_note = _pdfs(settings, files)
    from outbox.channels.folder import FolderChannel
    from outbox.relay import relay_once

    drop = settings.home / "outbox"
    relay_once(channels={"folder": FolderChannel(drop)}, engine=engine, batch_size=500,
               files_root=Path("."))
    progress.update(t, completed=1)

    figures = steps.figures(1, "2023-Q4")
    lines = ["", "[bold]Kết quả[/]",
             f"- Báo cáo: {figures.coverage} đơn vị; chưa báo cáo: {', '.join(figures.missing)}",
             f"- Tỷ lệ mô hình hiệu quả: {figures.derived.get('effective_rate')}",
             f"- Lỗi lần nộp đầu: {errors[0].splitlines()[1] if errors else '—'}",
             f"- Nộp lại: {fixed.message}", f"- {pdf_note}", "", "[bold]Văn bản[/]"]
    with db.transaction() as s:
        for doc in s.query(Document).order_by(Document.id):
            ident = doc.number_symbol or doc.original_number
            lines.append(f"- {ident} ({doc.doc_type}, {doc.status.value})")
            for f in s.query(DocumentFile).filter_by(document_id=doc.id):
                lines.append(f"    {f.path}")
    lines += [f"- Thư mục nhận (folder drop): {drop}", f"- Nhắc hạn (e-mail): "
              f"{settings.home / 'notices'}", "", "Xem chuỗi: congvan trace 22/HD-BCA-V05"]
    return lines


def _pdfs(settings, files: Path) -> str:  # type: ignore[no-untyped-def]
    import hashlib

    from registry import db
    from registry.models import DocumentFile

    try:
        from doc_templates.pdf import PdfConverter

        with db.transaction() as s:
            docx = s.query(DocumentFile).filter_by(kind="docx").all()
            with PdfConverter(settings.soffice) as pdf:
                outs = pdf.convert_many([Path(d.path) for d in docx], files / "pdf")
            for d, out in zip(docx, outs, strict=True):
                data = Path(out).read_bytes()
                s.add(DocumentFile(document_id=d.document_id, kind="pdf", path=str(out),
                                   sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
        return f"{len(outs)} tệp PDF đã tạo"
    except Exception as exc:  # noqa: BLE001 - the demo goes on without PDFs
        return f"không tạo được PDF: {exc}"
