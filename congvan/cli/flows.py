"""`congvan flows`: list, run, serve, deploy to a Prefect server's work pool, run a worker, and
see the deployments' schedules and runs.

Flows read congvan's settings from the environment (CONGVAN_HOME, CONGVAN_DATABASE_URL, keys,
channels), so serve, worker and deploy take no settings as parameters; the commands that start
processes hand them the settings' absolute paths.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Annotated, Any

import typer

from congvan.cli._common import console, err_console, user_errors
from registry.labels import FLOW, FLOW_RUN_STATE

ScheduleOption = Annotated[list[str] | None, typer.Option(
    "--schedule", help="Đổi lịch một triển khai: TÊN=GIÂY hoặc TÊN='cron', ví dụ "
                       "reconcile-approved=600.")]

# What each flow does and its runs' states, in words a văn thư or an IT officer reads.
FLOW_LABELS: dict[str, str] = FLOW
STATE_LABELS: dict[str, str] = FLOW_RUN_STATE


def _vn_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    from registry.clock import to_local

    return to_local(value).strftime("%H:%M %d/%m/%Y")


def _state(run: Any) -> str:
    if run is None:
        return "—"
    if run.state_type == "SCHEDULED" and run.state_name == "Late":
        return STATE_LABELS["LATE"]
    return str(STATE_LABELS.get(run.state_type, run.state_name))


def _schedule_text(spec: str) -> str:
    if spec.startswith("cron "):
        fields = spec.removeprefix("cron ").split()
        if len(fields) == 5 and fields[2:] == ["*", "*", "*"] and all(
                f.isdigit() for f in fields[:2]):
            return f"{int(fields[1]):02d}:{int(fields[0]):02d} hằng ngày"
        return f"theo lịch cron {' '.join(fields)}"
    if spec.startswith("every ") and spec.endswith("s"):
        seconds = int(spec.removeprefix("every ").removesuffix("s"))
        return f"mỗi {seconds // 60} phút" if seconds % 60 == 0 else f"mỗi {seconds} giây"
    return spec


def _export_settings() -> None:
    """Hand the processes this one starts the settings' absolute paths (a worker runs each flow
    in a temporary directory, where a relative path would point)."""
    from congvan.cli._keysource import settings

    cfg = settings()
    os.environ["CONGVAN_HOME"] = str(cfg.home)
    os.environ["CONGVAN_DATABASE_URL"] = cfg.database_url
    os.environ["CONGVAN_FILES_DIR"] = str(cfg.files_dir)
    os.environ["CONGVAN_KEYS_DIR"] = str(cfg.keys_dir)


def _schedules(values: list[str]) -> dict[str, str | int]:
    out: dict[str, str | int] = {}
    for value in values:
        name, sep, spec = value.partition("=")
        if not sep or not spec.strip():
            err_console.print(f"[red]--schedule '{value}' không hợp lệ[/]: viết TÊN=GIÂY hoặc "
                              "TÊN='cron', ví dụ reconcile-approved=600 hoặc "
                              "remind-late-units-daily='30 7 * * *'.")
            raise typer.Exit(2)
        out[name.strip()] = int(spec) if spec.strip().isdigit() else spec.strip()
    return out


def _params(name: str, text: str) -> dict[str, Any]:
    from workflows.deployments import check_parameters, parameters

    try:
        given = json.loads(text)
    except json.JSONDecodeError as exc:
        err_console.print(f"[red]--params không phải JSON hợp lệ[/] ({exc.msg}, cột {exc.colno}).")
        raise typer.Exit(2) from None
    if not isinstance(given, dict):
        err_console.print("[red]--params phải là một đối tượng JSON[/], ví dụ "
                          '{"duty_id": 1, "period_key": "2026-Q4"}.')
        raise typer.Exit(2)
    problems = check_parameters(name, given)
    if problems:
        kinds = {p.name: p.annotation for p in parameters(name)}
        for p in problems:
            if p.problem == "missing":
                err_console.print(f"[red]Thiếu tham số {p.name}[/] ({kinds.get(p.name, '')}).")
            elif p.problem == "unknown":
                err_console.print(f"[red]Luồng {name} không có tham số {p.name}[/]; có: "
                                  f"{', '.join(kinds) or '(không có)'}.")
            else:
                err_console.print(f"[red]Tham số {p.name} không hợp lệ[/]: cần "
                                  f"{kinds.get(p.name, '')} ({p.detail}).")
        raise typer.Exit(2)
    return dict(given)


def _need_api() -> None:
    if not os.environ.get("PREFECT_API_URL"):
        err_console.print("[red]Chưa đặt PREFECT_API_URL[/]: lệnh này làm việc với máy chủ "
                          "Prefect, ví dụ PREFECT_API_URL=http://127.0.0.1:4200/api.")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    flows_app = typer.Typer(help="Luồng công việc (Prefect): liệt kê, chạy, phục vụ lịch, "
                                 "triển khai lên máy chủ Prefect, worker, trạng thái.",
                            no_args_is_help=True)
    app.add_typer(flows_app, name="flows")

    @flows_app.command("list")
    def list_() -> None:
        """Liệt kê các luồng công việc, việc mỗi luồng làm và tham số của nó."""
        from workflows import prefect_env

        prefect_env.prepare()
        from workflows.deployments import SCHEDULES, deployment_name, flows, parameters

        for name in flows():
            dep = deployment_name(name)
            when = SCHEDULES.get(dep)
            console.print(f"[bold]{name}[/] — {FLOW_LABELS.get(name, '')}")
            console.print(f"  triển khai: {dep}"
                          + (f"; lịch: {_schedule_text(_spec(when))}" if when else ""))
            for p in parameters(name):
                need = ("bắt buộc" if p.required else "không bắt buộc" if p.default is None
                        else f"mặc định {json.dumps(p.default, default=str)}")
                console.print(f"  - {p.name}: {p.annotation} ({need})")

    @flows_app.command("run")
    def run(name: str, params: str = typer.Option("{}", help="Tham số JSON của luồng."),
            deployment: bool = typer.Option(
                False, "--deployment", help="Chạy qua máy chủ Prefect (PREFECT_API_URL) bởi "
                                            "worker của triển khai, chờ kết quả."),
            ) -> None:
        """Chạy ngay một luồng, ví dụ: congvan flows run reconcile_approved."""
        from workflows import prefect_env

        prefect_env.prepare()
        from workflows.deployments import flows

        table = flows()
        if name not in table:
            err_console.print(f"[red]Không có luồng '{name}'[/]; có: {', '.join(table)}")
            raise typer.Exit(1)
        given = _params(name, params)
        if deployment:
            _need_api()
            from workflows.deployments import trigger

            state, result = trigger(name, given)
            console.print(f"{name}: {STATE_LABELS.get(state, state)}")
            if result is not None:
                console.print(result)
            raise typer.Exit(0 if state == "COMPLETED" else 1)
        from congvan.runtime import open_registry

        with user_errors():
            open_registry()
            result = table[name](**given)
        console.print(result)

    @flows_app.command("serve")
    def serve(schedule: ScheduleOption = None) -> None:
        """Phục vụ mọi lịch từ tiến trình này (nhắc hạn 07:30 hằng ngày, đối soát 10 phút)."""
        from congvan.runtime import open_registry
        from workflows import prefect_env

        _export_settings()
        prefect_env.prepare()
        from workflows.deployments import serve as serve_all

        with user_errors():
            open_registry()
        serve_all(_schedules(schedule or []))

    @flows_app.command("deploy")
    def deploy(pool: str = typer.Option(..., "--pool", help="Work pool kiểu process."),
               schedule: ScheduleOption = None,
               crashed_after: int | None = typer.Option(
                   None, "--crashed-after", min=30,
                   help="Sau bao nhiêu giây không có nhịp tim thì coi lượt chạy là đổ vỡ "
                        "(mặc định 3 × PREFECT_FLOWS_HEARTBEAT_FREQUENCY = 90).")) -> None:
        """Đăng ký mọi triển khai lên máy chủ Prefect (PREFECT_API_URL), vào work pool --pool,
        cùng quy tắc đánh dấu đổ vỡ các lượt chạy mất nhịp tim."""
        from workflows import prefect_env

        prefect_env.prepare()
        _need_api()
        from workflows.deployments import deploy as deploy_all

        for name in deploy_all(pool, _schedules(schedule or []), crashed_after=crashed_after):
            console.print(f"Đã triển khai {name} → {pool}")

    @flows_app.command("worker")
    def worker(pool: str = typer.Option(..., "--pool", help="Work pool kiểu process."),
               limit: int | None = typer.Option(None, help="Số lượt chạy cùng lúc tối đa.")
               ) -> None:
        """Chạy một worker nhận việc của work pool (dừng bằng SIGTERM hoặc Ctrl+C)."""
        from workflows import prefect_env

        _export_settings()
        prefect_env.prepare()
        _need_api()
        from workflows.deployments import run_worker

        raise typer.Exit(run_worker(pool, limit=limit))

    @flows_app.command("status")
    def status() -> None:
        """Các triển khai trên máy chủ Prefect: lịch, lượt tới, lượt gần nhất và trạng thái."""
        from workflows import prefect_env

        prefect_env.prepare()
        _need_api()
        from workflows.deployments import status as read_status

        try:
            rows = read_status()
        except Exception as exc:  # noqa: BLE001 - any failure to reach the server, said plainly
            err_console.print(f"[red]Không đọc được máy chủ Prefect[/] "
                              f"{os.environ.get('PREFECT_API_URL')} ({type(exc).__name__}).")
            raise typer.Exit(1) from None
        console.print(f"[bold]Triển khai trên máy chủ Prefect[/] {os.environ['PREFECT_API_URL']}"
                      f" (giờ Việt Nam)")
        if not rows:
            console.print("Chưa có triển khai nào: chạy congvan flows deploy --pool TÊN.")
        for row in rows:
            last = row.last_run
            when = (", ".join(_schedule_text(s) for s in row.schedules) or "theo yêu cầu") + (
                "" if row.active else " (tạm dừng)")
            console.print(f"[bold]{row.name}[/] — {FLOW_LABELS.get(row.flow_name, row.flow_name)}")
            console.print(f"  work pool: {row.pool or '—'} · lịch: {when}")
            console.print(
                f"  lượt tới: {_vn_time(row.next_run.expected_start) if row.next_run else '—'}"
                f" · lượt gần nhất: "
                f"{_vn_time(last.start or last.expected_start) if last else '—'}"
                f" — {_state(last)}"
                f" · hoàn thành gần nhất: "
                f"{_vn_time(row.last_completed.end) if row.last_completed else '—'}")


def _spec(value: str | int) -> str:
    return f"every {value}s" if isinstance(value, int) else f"cron {value}"
