"""deploy/backup.sh and deploy/restore.sh on a real PostgreSQL: a restored registry and files
directory pass `congvan files check`; a changed or missing file is named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry import db, files
from registry.models import Document, DocumentFile
from tests.conftest import create_pg_database, drop_pg_database

pytestmark = [pytest.mark.postgres]
REPO = Path(__file__).resolve().parents[2]


def _env(url: str, files_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGVAN_")}
    env.update({"CONGVAN_DATABASE_URL": url, "CONGVAN_FILES_DIR": str(files_dir),
                "CONGVAN_BIN": str(Path(sys.executable).with_name("congvan")),
                "COLUMNS": "200"})
    return env


class TestBackupRestore:
    def test_restore_checks_every_file_hash(self, fresh_pg_url: str, tmp_path: Path) -> None:
        """Backed up and restored into an empty database, every stored file matches its hash;
        a changed file and a missing one make the check fail naming them."""
        source_files = tmp_path / "files"
        db.configure(fresh_pg_url)
        with db.transaction() as s:
            doc = Document(doc_type="cong_van")
            s.add(doc)
            s.flush()
            for i, kind in enumerate(("docx", "signed_pdf", "attachment")):
                stored = files.store(source_files, document_id=doc.id, year=2026,
                                     stem=f"tep-{i}", suffix=".bin",
                                     data=f"nội dung {i}".encode() * 1000)
                s.add(DocumentFile(document_id=doc.id, kind=kind, path=stored.path,
                                   sha256=stored.sha256, size=stored.size))
        db.get_engine().dispose()
        backup = tmp_path / "backup"
        made = subprocess.run(["bash", str(REPO / "deploy/backup.sh"), str(backup)],
                              env=_env(fresh_pg_url, source_files), capture_output=True,
                              text=True, timeout=300)
        assert made.returncode == 0, made.stderr
        assert {p.name for p in backup.iterdir()} == {"registry.dump", "files.tar",
                                                      "MANIFEST.sha256"}
        target = create_pg_database()
        restored_files = tmp_path / "restored"
        try:
            env = _env(target, restored_files)
            done = subprocess.run(["bash", str(REPO / "deploy/restore.sh"), str(backup)],
                                  env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "3 tệp khớp, 0 thiếu, 0 không khớp" in done.stdout
            changed = next(restored_files.rglob("tep-1-*.bin"))
            changed.write_bytes(b"sua doi")
            next(restored_files.rglob("tep-2-*.bin")).unlink()
            check = subprocess.run([env["CONGVAN_BIN"], "files", "check"], env=env,
                                   capture_output=True, text=True, timeout=120)
            assert check.returncode == 1
            assert "Tệp bị thay đổi" in check.stderr and "tep-1-" in check.stderr
            assert "Thiếu tệp" in check.stderr and "tep-2-" in check.stderr
            again = subprocess.run(["bash", str(REPO / "deploy/restore.sh"), str(backup)],
                                   env=env, capture_output=True, text=True, timeout=120)
            assert again.returncode == 2 and "not empty" in again.stderr
        finally:
            drop_pg_database(target)
