"""Helpers shared by the CLI modules: a console and the one error boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def _user_error_types() -> tuple[type[BaseException], ...]:
    # Each package's root error carries a Vietnamese message meant for the user.
    from doc_templates.errors import DocTemplatesError
    from outbox.errors import OutboxError
    from registry.calendar import AdjustmentFileError, PolicyError
    from registry.errors import RegistryError
    from signing.errors import SigningError

    return (RegistryError, OutboxError, SigningError, DocTemplatesError, AdjustmentFileError,
            PolicyError)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn any of our packages' errors into a red message and exit code 1 (no traceback)."""
    try:
        yield
    except _user_error_types() as exc:
        err_console.print(f"[bold red]Lỗi:[/] {exc}")
        raise typer.Exit(1) from None


def reader_door(session: Any, as_: str | None) -> Any:
    """The access log's door for a CLI read: the person ``--as`` names, or the system user."""
    import getpass

    from registry.access_log import Door
    from registry.lookup import get_by_key
    from registry.models import Person

    if as_:
        return Door(get_by_key(session=session, model=Person, key=as_, active_only=True), "cli")
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "?"
    return Door(None, "cli", f"dòng lệnh (tài khoản máy {who})")


ReaderOption = Annotated[str | None, typer.Option(
    "--as", help="Khoá cán bộ đọc (ghi vào nhật ký truy cập; bắt buộc với văn bản mật).")]
