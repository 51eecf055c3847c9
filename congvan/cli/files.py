"""`congvan files check`: every stored file against the SHA-256 the registry recorded."""

from __future__ import annotations

import typer

from congvan.cli._common import console, err_console, user_errors


def register(app: typer.Typer) -> None:
    files_app = typer.Typer(help="Thư mục tệp: kiểm tra tệp lưu trữ khớp với sổ đăng ký.",
                            no_args_is_help=True)
    app.add_typer(files_app, name="files")

    @files_app.command("check")
    def check() -> None:
        """Đọc lại mọi tệp đã lưu và so mã băm SHA-256 với sổ đăng ký (sau khi khôi phục)."""
        from congvan.runtime import files_dir, open_registry
        from registry import db
        from registry.filecheck import check as check_files

        with user_errors():
            open_registry()
            root = files_dir()
            with db.transaction() as s:
                result = check_files(session=s, files_root=root)
        for path in result.missing:
            err_console.print(f"[red]Thiếu tệp[/] {path}")
        for path in result.mismatched:
            err_console.print(f"[red]Tệp bị thay đổi (SHA-256 không khớp)[/] {path}")
        console.print(f"Đã kiểm tra thư mục {root}: {result.checked} tệp khớp, "
                      f"{len(result.missing)} thiếu, {len(result.mismatched)} không khớp.")
        if not result.ok:
            raise typer.Exit(1)
