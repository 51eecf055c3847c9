"""`congvan flows`: serve the deployments (Prefect serve) or run one flow now (ephemeral mode)."""

from __future__ import annotations

import json

import typer

from congvan.cli._common import console, user_errors


def register(app: typer.Typer) -> None:
    flows_app = typer.Typer(help="Luồng công việc (Prefect): phục vụ lịch, chạy ngay.",
                            no_args_is_help=True)
    app.add_typer(flows_app, name="flows")

    @flows_app.command("list")
    def list_() -> None:
        """Liệt kê các luồng công việc."""
        from workflows import prefect_env

        prefect_env.prepare()
        from workflows.deployments import flows

        for name in flows():
            console.print(name)

    @flows_app.command("run")
    def run(name: str, params: str = typer.Option("{}", help="Tham số JSON của luồng.")) -> None:
        """Chạy ngay một luồng, ví dụ: congvan flows run reconcile_approved."""
        from congvan.runtime import open_registry
        from workflows import prefect_env

        prefect_env.prepare()
        from workflows.deployments import flows

        table = flows()
        if name not in table:
            console.print(f"[red]Không có luồng '{name}'[/]; có: {', '.join(table)}")
            raise typer.Exit(1)
        with user_errors():
            open_registry()
            result = table[name](**json.loads(params))
        console.print(result)

    @flows_app.command("serve")
    def serve(params: str = typer.Option(
            "{}", help='Tham số theo lịch, ví dụ {"remind_late_units": {"duty_id": 1, …}}.')) -> None:
        """Phục vụ mọi lịch (nhắc hạn 07:30 hằng ngày, đối soát văn bản đã duyệt)."""
        from congvan.runtime import open_registry
        from workflows import prefect_env

        prefect_env.prepare()
        from workflows.deployments import serve as serve_all

        open_registry()
        serve_all(json.loads(params))
