"""`congvan web`: serve the pages and the JSON API with uvicorn."""

from __future__ import annotations

import typer

from congvan.cli._common import err_console, user_errors


def register(app: typer.Typer) -> None:
    @app.command("web")
    def web(
        host: str = typer.Option("127.0.0.1", help="Địa chỉ lắng nghe."),
        port: int = typer.Option(8000, help="Cổng lắng nghe."),
    ) -> None:
        """Chạy giao diện web (danh sách văn bản, hộp thư đi, báo cáo phải nộp)."""
        import uvicorn

        from congvan.settings import get_settings
        from congvan.web import create_app
        from congvan.web.logfilter import log_config

        with user_errors():
            try:
                application = create_app(get_settings())
            except ValueError as exc:  # a placeholder secret outside the demo
                err_console.print(f"[bold red]Lỗi:[/] {exc}")
                raise typer.Exit(1) from None
            if application.state.unavailable:
                err_console.print(f"[bold yellow]Chú ý:[/] {application.state.unavailable}")
            # Acknowledgement tokens in request paths never reach the access log.
            uvicorn.run(application, host=host, port=port, log_level="info",
                        log_config=log_config())
