"""`congvan verify FILE.pdf`: check every signature of a signed PDF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from congvan.cli._common import console, err_console


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        pdf: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                            help="Tệp PDF đã ký")],
        trust_root: Annotated[list[Path] | None, typer.Option(
            "--trust-root", exists=True, dir_okay=False,
            help="Chứng thư gốc tin cậy (PEM/DER); lặp lại được. Mặc định: CONGVAN_TRUST_ROOTS",
        )] = None,
        profile: Annotated[str, typer.Option(
            "--profile",
            help="nd30 (mặc định): văn bản đã ban hành — chữ ký người ký, chỉ điền số/ngày, "
                 "chữ ký cơ quan cuối cùng phủ toàn tệp; any: kiểm tra PAdES chung")] = "nd30",
        registry: Annotated[bool, typer.Option(
            "--registry/--no-registry",
            help="Đối chiếu người ký và cơ quan với sổ văn bản (nếu có cơ sở dữ liệu)")] = True,
        as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
    ) -> None:
        """Kiểm tra chữ ký số và tính toàn vẹn: người ký, cơ quan, thời gian ký, toàn vẹn, tin
        cậy, phạm vi; với hồ sơ nd30, mọi thay đổi ngoài việc điền số và ngày.

        Mã thoát 1 khi có chữ ký không hợp lệ hoặc phát hiện thay đổi; 2 khi tệp không đọc được.
        """
        from dataclasses import replace

        from congvan.settings import get_settings
        from signing.errors import SigningError
        from signing.verify import MAX_PDF_BYTES, load_trust_roots, verify_pdf

        if pdf.stat().st_size > MAX_PDF_BYTES:
            err_console.print(f"[bold red]Lỗi:[/] tệp quá lớn để kiểm tra (tối đa "
                              f"{MAX_PDF_BYTES // 2**20} MB).")
            raise typer.Exit(2)
        data = pdf.read_bytes()
        try:
            roots = load_trust_roots(trust_root or get_settings().trust_roots)
            report = verify_pdf(data, trust_roots=roots, profile=profile)
        except SigningError as exc:
            err_console.print(f"[bold red]Lỗi:[/] {exc}")
            raise typer.Exit(2) from None
        if registry:
            problems, notes = _registry_check(data, report)
            report = replace(report, registry=problems, registry_notes=notes)
        if as_json:
            print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        else:
            _print_table(pdf, report)
        if not report.ok:
            raise typer.Exit(1)


def _registry_check(data: bytes, report: object) -> tuple[list[str], list[str]]:
    """Problems and notes from the registry, or a note that none was at hand."""
    try:
        from congvan.runtime import open_registry
        from congvan.settings import get_settings
        from registry import db
        from signing.provenance import cross_check

        settings = get_settings()
        url = settings.database_url
        if url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).is_file():
            return [], ["Không có sổ văn bản (cơ sở dữ liệu) để đối chiếu."]
        open_registry(settings)
        with db.transaction() as session:
            found = cross_check(session=session, pdf=data, report=report)  # type: ignore[arg-type]
            return found.problems, found.notes
    except Exception as exc:  # verification must work without a registry
        return [], [f"Không đối chiếu được với sổ văn bản: {exc}"]


def _yes_no(value: bool) -> str:
    return "[green]có[/]" if value else "[bold red]không[/]"


def _print_table(pdf: Path, report: object) -> None:
    from rich.table import Table

    from registry.clock import to_local

    table = Table(title=f"Chữ ký số trong {pdf.name}", show_lines=True)
    for column in ("#", "Người ký", "Cơ quan", "Thời gian ký", "Toàn vẹn", "Tin cậy",
                   "Phạm vi", "Kết quả"):
        table.add_column(column)
    for i, sig in enumerate(report.signatures, 1):  # type: ignore[attr-defined]
        when = "?"
        if sig.signing_time:
            signed = to_local(sig.signing_time)
            when = f"{signed:%d/%m/%Y}\n{signed:%H:%M:%S}"
        if sig.timestamp_time:
            stamped = to_local(sig.timestamp_time)
            when += f"\ndấu thời gian:\n{stamped:%d/%m/%Y %H:%M:%S}"
        verdict = "[green]Hợp lệ[/]" if sig.ok else "[bold red]" + "\n".join(
            f"• {p}" for p in sig.problems) + "[/]"
        table.add_row(str(i), sig.signer, sig.organization or "", when, _yes_no(sig.intact),
                      _yes_no(sig.trusted), sig.coverage_text, verdict)
    console.print(table)
    findings = getattr(report, "findings", [])
    if findings:
        console.print("[bold red]Phát hiện thay đổi ngoài quy trình ký — ban hành (hồ sơ "
                      "nd30):[/]")
        for f in findings:
            console.print(f"  • [bold]{f.label}[/]: {f.message}", highlight=False)
    for note in getattr(report, "registry_notes", []):
        console.print(f"Sổ văn bản: {note}", highlight=False)
    for problem in getattr(report, "registry", []):
        console.print(f"[bold red]Sổ văn bản:[/] {problem}", highlight=False)
    console.print("Giờ Việt Nam (Asia/Ho_Chi_Minh). " + (
        "[bold green]Tất cả chữ ký hợp lệ, tệp toàn vẹn.[/]" if report.ok  # type: ignore[attr-defined]
        else "[bold red]Có chữ ký không hợp lệ hoặc tệp đã bị sửa.[/]"))
