"""The `congvan` command line (Typer + Rich).

Each module of this package adds its commands with ``register(app)``; heavy
imports (LibreOffice, pyHanko, Prefect) happen inside the commands so that
``congvan --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="congvan",
    help="Công văn: soạn thảo, trình ký, ký số, đăng ký, gửi văn bản và theo dõi báo cáo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# One line per command module; each defines register(app).
MODULES = (
    "congvan.cli.db",
    "congvan.cli.directory",
    "congvan.cli.render",
    "congvan.cli.outbox",
    "congvan.cli.receive",
    "congvan.cli.incoming",
    "congvan.cli.flows",
    "congvan.cli.files",
    "congvan.cli.trace",
    "congvan.cli.demo",
    "congvan.cli.web",
    "congvan.cli.users",
    "congvan.cli.draft",
    "congvan.cli.keys",
    "congvan.cli.verify",
    "congvan.cli.sign_agent",
    "congvan.cli.spec",
    "congvan.cli.calendar",
    "congvan.cli.access_log",
    "congvan.cli.reports",
)

for _name in MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console-script entry point; a bad CONGVAN_* setting is a message, not a traceback."""
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as exc:
        from congvan.cli._common import err_console

        for error in exc.errors():
            name = "CONGVAN_" + "_".join(str(p) for p in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            err_console.print(f"[bold red]Lỗi cấu hình[/] {name}: {message}")
        raise SystemExit(1) from None
