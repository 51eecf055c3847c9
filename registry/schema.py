"""Schema version: upgrade to head, and refuse to run on an out-of-date database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from registry.errors import SchemaOutOfDate

_INI = Path(__file__).with_name("alembic.ini")


def _config() -> Config:
    cfg = Config(str(_INI))
    cfg.set_main_option("script_location", str(_INI.parent / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest migration in the code."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when empty)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def ensure_current(engine: Engine) -> None:
    """Raise SchemaOutOfDate, naming the command that fixes it, unless at head."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "chưa được khởi tạo" if current is None else f"đang ở phiên bản {current}"
        raise SchemaOutOfDate(
            f"Cơ sở dữ liệu {state}, mã nguồn cần phiên bản {head}. "
            "Hãy chạy: congvan db upgrade"
        )
