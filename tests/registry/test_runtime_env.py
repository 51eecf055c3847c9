"""The shell hands the resolved database URL to the processes it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from congvan.runtime import open_registry
from congvan.settings import Settings
from registry import db


class TestOpenRegistry:
    def test_child_processes_see_the_same_database(self, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """After open_registry, a child process's registry.db.get_engine() opens CONGVAN_HOME's
        file."""
        # setenv first so monkeypatch restores the variable open_registry writes.
        monkeypatch.setenv("CONGVAN_DATABASE_URL", "unset-by-test")
        monkeypatch.delenv("CONGVAN_DATABASE_URL")
        settings = Settings(home=tmp_path)
        open_registry(settings, check_schema=False)
        child = subprocess.run(
            [sys.executable, "-c", "from registry import db; print(db.get_engine().url.database)"],
            capture_output=True, text=True, env=dict(os.environ), check=True,
        )
        assert child.stdout.strip() == str(tmp_path / "congvan.db")
        db.get_engine().dispose()
