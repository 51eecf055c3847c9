"""`congvan web`: serve the pages and the JSON API with uvicorn."""

from __future__ import annotations

import typer

from congvan.cli._common import err_console, user_errors

# How long an idle keep-alive connection stays open. Longer than the client's own idle limit
# (nginx's upstream keepalive_timeout 60 s, httpx's 5 s), so the client always closes first:
# with uvicorn's default of 5 s a client could send a request on a connection at the moment the
# server closed it (more likely while the process is busy issuing in threads and its event
# loop lags) and lose it without an answer — a POST that nginx does not retry (a 502).
KEEP_ALIVE_SECONDS = 75


def register(app: typer.Typer) -> None:
    @app.command("web")
    def web(
        host: str = typer.Option("127.0.0.1", help="Địa chỉ lắng nghe."),
        port: int = typer.Option(8000, help="Cổng lắng nghe."),
        keep_alive: int = typer.Option(
            KEEP_ALIVE_SECONDS, "--keep-alive", min=1,
            help="Giữ kết nối rảnh bấy nhiêu giây (phải lâu hơn keepalive_timeout của nginx "
                 "phía upstream, mặc định 60)."),
    ) -> None:
        """Chạy giao diện web (danh sách văn bản, hộp thư đi, báo cáo phải nộp)."""
        import gc

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
            # The modules, templates and catalogs loaded so far live as long as the process:
            # kept out of the garbage collector's full passes, which otherwise walk them all
            # and stall every request in flight (the deadlines board's tail, bench/web.py).
            gc.collect()
            gc.freeze()
            # Acknowledgement tokens in request paths never reach the access log.
            uvicorn.run(application, host=host, port=port, log_level="info",
                        log_config=log_config(), timeout_keep_alive=keep_alive)
