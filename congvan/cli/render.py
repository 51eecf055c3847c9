"""`congvan render` (spec → .docx / PDF) and `congvan check` (ND30 checker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

SPEC_SUFFIXES = {".yaml", ".yml", ".json"}


def register(app: typer.Typer) -> None:
    """Add the `render` and `check` commands to ``app``."""
    app.command("render")(render)
    app.command("check")(check)


def render(
    source: Annotated[
        Path, typer.Argument(exists=True, help="Tệp spec (.yaml/.json) hoặc thư mục chứa các spec")
    ],
    pdf_path: Annotated[
        Path | None,
        typer.Argument(
            help="Đường dẫn PDF (sau --pdf, chỉ khi render một tệp)", show_default=False
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Tệp .docx, hoặc thư mục đích")
    ] = Path("out"),
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Xuất cả PDF (LibreOffice chạy sẵn, theo lô)")
    ] = False,
    pdfa: Annotated[
        bool, typer.Option("--pdfa", help="Xuất PDF/A-2b để lưu trữ (kèm --pdf)")
    ] = False,
) -> None:
    """Render một spec (hoặc cả thư mục spec) thành .docx, và PDF nếu có --pdf.

    Phụ lục ghi "separate: true" được xuất thành tệp riêng cạnh văn bản
    (<tên>-phu-luc-1.docx …).

    congvan render SPEC.yaml -o OUT.docx [--pdf [OUT.pdf]];
    congvan render DIR/ -o OUTDIR/ --pdf
    """
    from rich.console import Console

    console = Console(stderr=True)
    if source.is_dir():
        failed = _render_dir(source, output, pdf or pdfa or pdf_path is not None, console, pdfa)
    else:
        if pdf_path is None and (pdf or pdfa):
            pdf_path = output.with_suffix(".pdf")
        failed = _render_one(source, output, pdf_path, console, pdfa)
    raise typer.Exit(1 if failed else 0)


def _render_one(
    source: Path, output: Path, pdf_path: Path | None, console: Console, pdfa: bool = False
) -> int:
    from doc_templates.errors import DocTemplatesError
    from doc_templates.render import render_appendix_docx, render_docx
    from doc_templates.spec import load_spec

    try:
        spec = load_spec(source)
        data = render_docx(spec)
        separate = {
            output.with_name(f"{output.stem}-phu-luc-{i + 1}.docx"): render_appendix_docx(spec, i)
            for i, appendix in enumerate(spec.appendices)
            if appendix.separate
        }
    except DocTemplatesError as exc:
        console.print(f"[red]{exc}[/red]")
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    console.print(f"[green]✓[/green] {output}")
    for path, blob in separate.items():
        path.write_bytes(blob)
        console.print(f"[green]✓[/green] {path}")
    if pdf_path is not None:
        from congvan.settings import get_settings
        from doc_templates.pdf import PdfConverter

        with PdfConverter(get_settings().soffice, pdfa=pdfa) as converter:
            pdf_path.parent.mkdir(parents=True, exist_ok=True)
            pdf_path.write_bytes(converter.convert_bytes(data))
            console.print(f"[green]✓[/green] {pdf_path}")
            for path, blob in separate.items():
                target = pdf_path.with_name(f"{path.stem}.pdf")
                target.write_bytes(converter.convert_bytes(blob))
                console.print(f"[green]✓[/green] {target}")
    return 0


def _render_dir(
    source: Path, outdir: Path, want_pdf: bool, console: Console, pdfa: bool = False
) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from congvan.settings import get_settings
    from doc_templates.errors import DocTemplatesError
    from doc_templates.pdf import PdfConverter
    from doc_templates.render import render_docx
    from doc_templates.spec import load_spec

    specs = sorted(p for p in source.iterdir() if p.suffix.lower() in SPEC_SUFFIXES)
    outdir.mkdir(parents=True, exist_ok=True)
    rendered: list[Path] = []
    failed = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("Tạo .docx", total=len(specs))
        for spec_path in specs:
            try:
                data = render_docx(load_spec(spec_path))
            except DocTemplatesError as exc:
                progress.console.print(f"[red]{exc}[/red]")
                failed += 1
            else:
                target = outdir / f"{spec_path.stem}.docx"
                target.write_bytes(data)
                rendered.append(target)
            progress.advance(task)
        if want_pdf and rendered:
            settings = get_settings()
            size = max(1, settings.pdf_batch_size)
            pdf_task = progress.add_task("Chuyển PDF", total=len(rendered))
            with PdfConverter(settings.soffice, batch_size=size, pdfa=pdfa) as converter:
                # Chunks of two batches: both LibreOffice workers stay busy
                # and the bar still moves on long runs.
                for start in range(0, len(rendered), 2 * size):
                    chunk = rendered[start : start + 2 * size]
                    try:
                        converter.convert_many(chunk, outdir)
                    except DocTemplatesError as exc:
                        progress.console.print(f"[red]{exc}[/red]")
                        failed += len(chunk)
                    progress.advance(pdf_task, len(chunk))
    console.print(f"{len(rendered)} .docx → {outdir}" + (f"; {failed} lỗi" if failed else ""))
    return failed


def check(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="Các tệp .docx cần kiểm tra")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
    pdf: Annotated[
        bool,
        typer.Option(
            "--pdf",
            help="Kiểm tra tệp PDF: phông Times New Roman (hay Liberation Serif thay thế), "
            "thông tin tài liệu, ngôn ngữ vi-VN (tệp .pdf luôn được kiểm tra như vậy)",
        ),
    ] = False,
) -> None:
    """Kiểm tra thể thức .docx theo Nghị định 30/2020/NĐ-CP; mã thoát 1 nếu có lỗi."""
    from rich.console import Console
    from rich.table import Table

    from doc_templates.check import ERROR, check_docx, check_pdf

    results = {
        path: check_pdf(path) if pdf or path.suffix.lower() == ".pdf" else check_docx(path)
        for path in files
    }
    errors = sum(v.severity == ERROR for found in results.values() for v in found)
    if as_json:
        payload = {
            "files": [
                {"path": str(path), "violations": [v.to_dict() for v in found]}
                for path, found in results.items()
            ],
            "errors": errors,
            "warnings": sum(len(found) for found in results.values()) - errors,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        console = Console()
        for path, found in results.items():
            if not found:
                console.print(f"[green]✓[/green] {path}: đúng thể thức")
                continue
            table = Table(title=str(path), title_justify="left")
            for column in ("Ô", "Mức", "Quy tắc", "Nội dung"):
                table.add_column(column)
            for v in found:
                level = "[red]lỗi[/red]" if v.severity == ERROR else "[yellow]lưu ý[/yellow]"
                table.add_row(v.box, level, v.rule, v.message)
            console.print(table)
    raise typer.Exit(1 if errors else 0)
