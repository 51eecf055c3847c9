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
        as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
    ) -> None:
        """Kiểm tra chữ ký số: người ký, cơ quan, thời gian ký, toàn vẹn, tin cậy, phạm vi.

        Mã thoát khác 0 khi có chữ ký không hợp lệ.
        """
        from congvan.settings import get_settings
        from signing.errors import SigningError
        from signing.verify import load_trust_roots, verify_pdf

        try:
            roots = load_trust_roots(trust_root or get_settings().trust_roots)
            report = verify_pdf(pdf.read_bytes(), trust_roots=roots)
        except SigningError as exc:
            err_console.print(f"[bold red]Lỗi:[/] {exc}")
            raise typer.Exit(2) from None
        if as_json:
            print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        else:
            _print_table(pdf, report)
        if not report.ok:
            raise typer.Exit(1)


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
    console.print("Giờ Việt Nam (Asia/Ho_Chi_Minh). " + (
        "[bold green]Tất cả chữ ký hợp lệ.[/]" if report.ok  # type: ignore[attr-defined]
        else "[bold red]Có chữ ký không hợp lệ.[/]"))
