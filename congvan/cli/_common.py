"""Helpers shared by the CLI modules: a console and the one error boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
