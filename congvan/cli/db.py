"""`congvan db`: schema migrations."""

from __future__ import annotations

import typer

from congvan.cli._common import console, user_errors


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Cơ sở dữ liệu: tạo và nâng cấp lược đồ.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def upgrade() -> None:
        """Nâng cấp cơ sở dữ liệu lên phiên bản mới nhất."""
        from congvan.runtime import open_registry
        from registry import schema

        with user_errors():
            engine = open_registry(check_schema=False)
            before = schema.current_revision(engine)
            schema.upgrade(engine)
            after = schema.current_revision(engine)
        url = engine.url.render_as_string(hide_password=True)
        if before == after:
            console.print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất ({after}): {url}")
        else:
            console.print(f"Đã nâng cấp {before or '(trống)'} → {after}: {url}")

    @db_app.command("status")
    def status() -> None:
        """Cho biết phiên bản lược đồ hiện tại và phiên bản mã nguồn cần."""
        from congvan.runtime import open_registry
        from registry import schema

        with user_errors():
            engine = open_registry(check_schema=False)
            current, head = schema.current_revision(engine), schema.head_revision()
        console.print(f"Hiện tại: {current or '(trống)'} — cần: {head}")
        if current != head:
            console.print("Hãy chạy: [bold]congvan db upgrade[/]")
            raise typer.Exit(1)
