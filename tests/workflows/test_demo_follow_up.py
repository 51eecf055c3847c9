"""After `make demo`, the follow-up commands the demo prints work as printed from the
repository root (scripts/demo.sh, the venv's congvan, real LibreOffice and Prefect)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.libreoffice
def test_printed_follow_up_commands_run(tmp_path: Path) -> None:
    """Every command under "Xem tiếp" exits 0 when run through a shell from the repository root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PREFECT_"))}
    env.update(CONGVAN_HOME=str(tmp_path / "demo"), PREFECT_HOME=str(tmp_path / "prefect"),
               COLUMNS="400", TERM="dumb",
               # A busy machine may need more than Prefect's 20 s to start its ephemeral server.
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180")
    demo = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    section = demo.stdout.split("Xem tiếp", 1)[1]
    commands = [line.strip() for line in section.splitlines()
                if line.strip().startswith("CONGVAN_HOME=")]
    assert len(commands) >= 5, section
    clean = {k: v for k, v in env.items() if k != "CONGVAN_HOME"}
    for command in commands:
        shlex.split(command)  # well-formed for a shell
        result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=clean,
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        if " trace " in command:
            assert re.search(r"Hướng dẫn \(văn bản đến\): 22/HD-BCA-V05", result.stdout)
            assert "Chỉ đạo: 01/BCĐ-NC" in result.stdout
