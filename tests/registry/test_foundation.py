"""The one clock, the one file store, the one get-by-key and the one label table."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from registry import clock, files, labels
from registry.errors import NotFound, ValidationError
from registry.lookup import find_by_key, get_by_key
from registry.models import DeliveryStatus, DocumentStatus, Organization, Person, RequestStatus
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("registry", "signing", "outbox", "reporting", "workflows", "congvan")


class TestClock:
    def test_late_evening_utc_is_next_day_in_vietnam(self) -> None:
        """17:30 UTC on 31 December is already 1 January in Viet Nam (UTC+7)."""
        assert clock.local_date(datetime(2023, 12, 31, 17, 30, tzinfo=UTC)) == date(2024, 1, 1)

    def test_naive_datetime_is_utc(self) -> None:
        """A naive datetime (SQLite drops the zone) is read as UTC."""
        assert clock.local_date(datetime(2023, 12, 31, 16, 59)) == date(2023, 12, 31)
        assert clock.local_date(datetime(2023, 12, 31, 17, 0)) == date(2024, 1, 1)

    def test_date_passes_through(self) -> None:
        """A calendar date is already local."""
        assert clock.local_date(date(2024, 2, 29)) == date(2024, 2, 29)

    def test_local_now_is_in_vietnam(self) -> None:
        """local_now() is aware with offset +07:00, and local_today() is its date."""
        now = clock.local_now()
        assert now.utcoffset() is not None and now.utcoffset().total_seconds() == 7 * 3600
        assert clock.local_today() in {now.date(), clock.local_now().date()}

    def test_zone_literal_named_once(self) -> None:
        """No module of ours but registry/clock.py spells the zone in code (docstrings aside)."""
        offenders = []
        for package in PACKAGES:
            for path in (ROOT / package).rglob("*.py"):
                if path == ROOT / "registry" / "clock.py" or "migrations" in path.parts:
                    continue
                tree = ast.parse(path.read_text(encoding="utf-8"))
                docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                              if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef)
                              and n.body and isinstance(n.body[0], ast.Expr)}
                offenders += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree)
                              if isinstance(n, ast.Constant) and n.value == "Asia/Ho_Chi_Minh"
                              and id(n) not in docstrings]
        assert offenders == [], offenders

    def test_no_host_date(self) -> None:
        """No module of ours decides a date with the host's local date."""
        offenders = []
        for package in ("registry", "reporting", "workflows", "outbox", "signing"):
            for path in (ROOT / package).rglob("*.py"):
                text = path.read_text(encoding="utf-8")
                if "date.today()" in text or "datetime.now()" in text:
                    offenders.append(str(path.relative_to(ROOT)))
        assert offenders == [], offenders


class TestFileStore:
    def test_put_is_relative_and_hashed(self, tmp_path: Path) -> None:
        """put() records a relative POSIX path, the SHA-256 and the size; read() gives the bytes."""
        stored = files.put(tmp_path, "incoming/2024/01-công văn.pdf", b"%PDF-1.7 x")
        assert stored.path == "incoming/2024/01-công văn.pdf"
        assert stored.sha256 == files.sha256(b"%PDF-1.7 x") and stored.size == 10
        assert files.read(tmp_path, stored.path, expected_sha256=stored.sha256) == b"%PDF-1.7 x"
        assert not list((tmp_path / "incoming" / "2024").glob(".tmp-*"))

    @pytest.mark.parametrize("bad", ["/etc/passwd", "../outside", "a/../../b", "", "a\\..\\..\\b"])
    def test_put_refuses_paths_leaving_the_root(self, tmp_path: Path, bad: str) -> None:
        """An absolute path or one with '..' is refused with a Vietnamese message naming it."""
        with pytest.raises(ValidationError, match="thư mục tệp"):
            files.put(tmp_path / "root", bad, b"x")
        assert not (tmp_path / "outside").exists()

    def test_tampered_file_is_refused(self, tmp_path: Path) -> None:
        """Bytes that changed after storing no longer match the recorded hash."""
        stored = files.store(tmp_path, document_id=7, year=2024, stem="v1", suffix=".docx",
                             data=b"one")
        (tmp_path / stored.path).write_bytes(b"two")
        with pytest.raises(files.TamperedFile, match="SHA-256"):
            files.read(tmp_path, stored.path, expected_sha256=stored.sha256)

    def test_store_names_by_content(self, tmp_path: Path) -> None:
        """The same bytes land on the same name; new bytes on a new one."""
        a = files.store(tmp_path, document_id=7, year=2024, stem="v1", suffix=".docx", data=b"a")
        again = files.store(tmp_path, document_id=7, year=2024, stem="v1", suffix=".docx",
                            data=b"a")
        b = files.store(tmp_path, document_id=7, year=2024, stem="v1", suffix=".docx", data=b"b")
        assert a == again and a.path != b.path
        assert a.path.startswith("2024/7/v1-") and a.path.endswith(".docx")

    def test_failed_write_leaves_nothing(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
        """A write that fails half-way leaves neither the target nor a temporary file."""
        def boom(*_: object) -> None:
            raise OSError("disk full")
        monkeypatch.setattr(files.os, "replace", boom)
        with pytest.raises(OSError, match="disk full"):
            files.put(tmp_path, "x/y.bin", b"data")
        assert list((tmp_path / "x").iterdir()) == []

    def test_signing_storage_is_the_same_store(self) -> None:
        """signing.storage re-exports registry.files (one implementation)."""
        from signing import storage
        assert storage.store is files.store and storage.read is files.read


class TestGetByKey:
    def test_found_and_not_found(self, session: Session) -> None:
        """get_by_key finds by key (spaces ignored); a missing key names it and where to look."""
        org = factories.org(session, key="ubnd-dak-ha")
        assert get_by_key(session=session, model=Organization, key=" ubnd-dak-ha ") is org
        with pytest.raises(NotFound, match="'khong-co'.*congvan directory export"):
            get_by_key(session=session, model=Organization, key="khong-co")
        assert find_by_key(session=session, model=Person, key="khong-co") is None

    def test_active_only(self, session: Session) -> None:
        """active_only leaves out people who left."""
        org = factories.org(session)
        gone = factories.person(session, org, active=False)
        assert find_by_key(session=session, model=Person, key=gone.key) is gone
        assert find_by_key(session=session, model=Person, key=gone.key, active_only=True) is None


class TestLabels:
    @pytest.mark.parametrize(("enum", "table"), [
        (DocumentStatus, labels.DOCUMENT_STATUS), (DocumentStatus, labels.DOCUMENT_STATUS_IN_TEXT),
        (DeliveryStatus, labels.DELIVERY_STATE), (RequestStatus, labels.REQUEST_STATUS)])
    def test_every_state_has_a_label(self, enum: type, table: dict[str, str]) -> None:
        """Every value of the enum has a Vietnamese label, and no label is left over."""
        assert {m.value for m in enum} == set(table)

    def test_web_cli_and_signing_read_the_same_table(self) -> None:
        """The web's, the CLI's and signing's labels are this table."""
        from congvan.web import labels as web_labels
        from signing.approvals import STATUS_LABELS
        assert web_labels.DOCUMENT_STATUS is labels.DOCUMENT_STATUS
        assert STATUS_LABELS[DocumentStatus.ISSUED] == "đã ban hành"
        assert labels.label(labels.DELIVERY_STATE, DeliveryStatus.DEAD) == "Thất bại (ngừng gửi)"
        assert labels.label(labels.DELIVERY_STATE, "unknown") == "unknown"
