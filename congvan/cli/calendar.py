"""`congvan calendar`: the Government's yearly day swaps, imported once, used everywhere."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from congvan.cli._common import console, user_errors

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def _day(d: date) -> str:
    return f"{WEEKDAYS[d.weekday()]} {d:%d/%m/%Y}"


def import_(file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, help="Tệp YAML: adjustments: [{day_off, worked_day, name, "
        "source}] (ví dụ: examples/calendar-adjustments.example.yaml)")]) -> None:
    """Nhập các ngày nghỉ hoán đổi, ngày làm bù trong năm (thông báo của Chính phủ, Bộ Nội vụ).

    Tệp được kiểm tra hết trước khi ghi; chạy lại cùng tệp không thay đổi gì. Hạn báo cáo,
    nhắc việc và hạn xử lý tính theo lịch này ở mọi lệnh, luồng và trang web.
    """
    from congvan.runtime import calendar_file
    from registry.calendar import load_adjustments, merge_adjustments, write_adjustments

    with user_errors():
        new = load_adjustments(file)
        target = calendar_file()
        current = load_adjustments(target) if target.is_file() else []
        merged, added, replaced = merge_adjustments(current, new)
        write_adjustments(target, merged)
    for adj in new:
        parts = [f"nghỉ {_day(adj.day_off)}" if adj.day_off else "",
                 f"làm bù {_day(adj.worked_day)}" if adj.worked_day else ""]
        console.print(f"  {', '.join(p for p in parts if p)}: {adj.name}", highlight=False)
    console.print(f"Đã nhập {len(new)} điều chỉnh ({added} mới, {replaced} thay thế) vào "
                  f"{target}.", highlight=False)


def show(year: Annotated[int, typer.Argument(min=1900, max=9999, help="Năm, ví dụ 2026")]
         ) -> None:
    """Ngày nghỉ lễ, nghỉ hoán đổi và ngày làm bù cuối tuần của một năm."""
    from congvan.runtime import calendar_file
    from registry.calendar import WorkingCalendar, load_adjustments, shipped_adjustments

    with user_errors():
        target = calendar_file()
        office = load_adjustments(target) if target.is_file() else []
        cal = WorkingCalendar([*shipped_adjustments(), *office])
        holidays = cal.holidays_in(year)
        worked = cal.worked_weekend_days_in(year)
    console.print(f"[bold]Lịch làm việc năm {year}[/] — ngày nghỉ ({len(holidays)}):")
    for day, name in holidays.items():
        console.print(f"  {_day(day)}: {name}", highlight=False)
    console.print(f"Ngày cuối tuần làm việc ({len(worked)}):")
    for day in worked:
        console.print(f"  {_day(day)}", highlight=False)


def register(app: typer.Typer) -> None:
    calendar_app = typer.Typer(help="Lịch làm việc: ngày nghỉ lễ, nghỉ hoán đổi, làm bù.",
                               no_args_is_help=True)
    calendar_app.command("import")(import_)
    calendar_app.command("show")(show)
    app.add_typer(calendar_app, name="calendar")
