"""`congvan users add|passwd|disable|enable|list|link`: web accounts, run by the server's operator.

Passwords are asked at the terminal (twice, hidden) or read from standard input
with ``--password-stdin``; never an option, so they do not show in ``ps`` or the
shell history.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from congvan.cli._common import console, user_errors

users_app = typer.Typer(help="Tài khoản đăng nhập giao diện web.", no_args_is_help=True)

PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Đọc mật khẩu từ đầu vào chuẩn (một dòng) thay vì hỏi.")]


@contextmanager
def _transaction() -> Iterator[Session]:
    from congvan.runtime import open_registry
    from registry import db

    with user_errors():
        open_registry()
        with db.transaction() as session:
            yield session


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại")
    return value


@users_app.command("add")
def add(person: Annotated[str, typer.Argument(help="Mã người dùng trong danh bạ.")],
        login: Annotated[str | None, typer.Option(help="Tên đăng nhập (mặc định: mã người).")]
        = None,
        password_stdin: PasswordStdin = False) -> None:
    """Tạo tài khoản cho một người trong danh bạ."""
    from congvan.auth import accounts

    secret = _password(password_stdin)
    with _transaction() as session:
        account = accounts.add(session=session, person_key=person, login=login, password=secret)
        console.print(f"Đã tạo tài khoản [bold]{account.login}[/] cho "
                      f"{account.person.full_name}.")


@users_app.command("passwd")
def passwd(login: Annotated[str, typer.Argument(help="Tên đăng nhập.")],
           password_stdin: PasswordStdin = False,
           temporary: Annotated[bool, typer.Option(
               "--temporary/--final",
               help="Mật khẩu tạm: người dùng phải đổi ở lần đăng nhập sau.")] = True) -> None:
    """Đặt lại mật khẩu (mọi phiên đăng nhập của tài khoản kết thúc)."""
    from congvan.auth import accounts

    secret = _password(password_stdin)
    with _transaction() as session:
        account = accounts.reset_password(session=session, login=login, new=secret,
                                          must_change=temporary)
        note = " (phải đổi ở lần đăng nhập sau)" if temporary else ""
        console.print(f"Đã đặt mật khẩu mới cho [bold]{account.login}[/]{note}.")


@users_app.command("disable")
def disable(login: Annotated[str, typer.Argument(help="Tên đăng nhập.")]) -> None:
    """Khoá tài khoản (mọi phiên đăng nhập kết thúc ngay)."""
    from congvan.auth import accounts

    with _transaction() as session:
        account = accounts.set_active(session=session, login=login, active=False)
        console.print(f"Đã khoá tài khoản [bold]{account.login}[/].")


@users_app.command("enable")
def enable(login: Annotated[str, typer.Argument(help="Tên đăng nhập.")]) -> None:
    """Mở khoá tài khoản."""
    from congvan.auth import accounts

    with _transaction() as session:
        account = accounts.set_active(session=session, login=login, active=True)
        console.print(f"Đã mở khoá tài khoản [bold]{account.login}[/].")


@users_app.command("list")
def list_() -> None:
    """Liệt kê các tài khoản."""
    from rich.table import Table

    from congvan.auth import accounts
    from congvan.web.labels import ROLE

    table = Table("Tên đăng nhập", "Họ và tên", "Cơ quan", "Vai trò", "Trạng thái")
    with _transaction() as session:
        for a in accounts.list_(session=session):
            state = "đang dùng" if a.active else "đã khoá"
            if a.must_change_password:
                state += ", phải đổi mật khẩu"
            table.add_row(a.login, a.person.full_name,
                          " ".join(a.person.organization.name.split()),
                          ", ".join(ROLE.get(r, r) for r in a.person.roles or []), state)
    console.print(table)


@users_app.command("link")
def link(request_id: Annotated[int, typer.Argument(help="Số của yêu cầu báo cáo.")],
         days: Annotated[int | None, typer.Option(help="Số ngày hiệu lực.")] = None) -> None:
    """Tạo đường dẫn dùng một lần để đơn vị nộp một báo cáo (một kỳ)."""
    from datetime import timedelta

    from congvan.auth import links
    from congvan.settings import get_settings
    from congvan.web.render import vn_datetime

    settings = get_settings()
    with _transaction() as session:
        made = links.make(session=session, request_id=request_id, actor=None,
                          valid_for=timedelta(days=days or settings.reporter_link_days))
        console.print(f"{settings.public_base_url.rstrip('/')}/nop-bao-cao/{made.token}")
        console.print(f"Hết hạn lúc {vn_datetime(made.row.expires_at)}; dùng được một lần.")


def register(app: typer.Typer) -> None:
    """Add ``congvan users``."""
    app.add_typer(users_app, name="users")
