"""Helpers shared by the CLI modules: a console and the error boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn our packages' errors into a red message and exit code 1 (no traceback)."""
    from registry.errors import RegistryError

    try:
        yield
    except RegistryError as exc:
        err_console.print(f"[bold red]Lỗi:[/] {exc}")
        raise typer.Exit(1) from None
