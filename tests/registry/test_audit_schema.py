"""Audit log append-only; the schema version check; the import-direction contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import audit, db, schema
from registry.errors import SchemaOutOfDate

ROOT = Path(__file__).resolve().parents[2]


class TestAuditLog:
    def test_update_and_delete_are_refused_by_the_database(self, session: Session) -> None:
        """The database itself refuses UPDATE and DELETE of audit events."""
        audit.record(session=session, action="create", object_type="document", object_id=1)
        session.flush()
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            nested = session.begin_nested()
            with pytest.raises(Exception, match="append-only"):
                session.execute(text(statement))
            nested.rollback()


class TestSchemaVersion:
    def test_empty_database_is_refused_with_the_fixing_command(self, tmp_path: Path) -> None:
        """An unmigrated database raises SchemaOutOfDate naming `congvan db upgrade`."""
        engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
        with pytest.raises(SchemaOutOfDate, match="congvan db upgrade"):
            schema.ensure_current(engine)
        schema.upgrade(engine)
        schema.ensure_current(engine)
        engine.dispose()

    def test_cli_refuses_an_out_of_date_database(self, tmp_path: Path) -> None:
        """`congvan directory export` on an empty database exits 1 and says what to run."""
        env = {"CONGVAN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
        run = subprocess.run([sys.executable, "-m", "congvan", "directory", "export"], env=env,
                             capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 1
        assert "congvan db upgrade" in run.stderr


class TestImportContracts:
    def test_import_directions_hold(self) -> None:
        """import-linter: congvan → workflows → reporting → signing|outbox → registry."""
        lint = Path(sys.executable).with_name("lint-imports")
        run = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 0, run.stdout + run.stderr
