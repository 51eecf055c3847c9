"""`congvan calendar import`: the Government's swaps, validated, merged and used by the calendar."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings
from registry.calendar import CALENDAR_FILE_ENV, WorkingCalendar, load_adjustments

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "calendar-adjustments.example.yaml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CONGVAN_HOME", str(tmp_path / "var"))
    monkeypatch.setenv(CALENDAR_FILE_ENV, "x")
    monkeypatch.delenv(CALENDAR_FILE_ENV)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def _run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())


class TestCalendarImport:
    def test_import_show_and_idempotent(self, home: Path) -> None:
        """Rows are written to CONGVAN_HOME, shown for their year, and a re-import adds nothing."""
        out = _run("calendar", "import", str(EXAMPLE))
        assert "nghỉ thứ Hai 29/04/2030, làm bù thứ Bảy 11/05/2030" in out
        assert "(2 mới, 0 thay thế)" in out
        assert len(load_adjustments(home / "calendar-adjustments.yaml")) == 2
        shown = _run("calendar", "show", "2030")
        assert "thứ Hai 29/04/2030: Nghỉ hoán đổi dịp 30/4 (ví dụ minh họa)" in shown
        assert "thứ Bảy 11/05/2030" in shown.split("Ngày cuối tuần làm việc")[1]
        assert "(0 mới, 0 thay thế)" in _run("calendar", "import", str(EXAMPLE))

    def test_a_later_notice_replaces_the_swap(self, home: Path, tmp_path: Path) -> None:
        """A new worked day for the same day off replaces the old row."""
        _run("calendar", "import", str(EXAMPLE))
        later = tmp_path / "later.yaml"
        later.write_text(textwrap.dedent("""\
            adjustments:
              - day_off: 2030-04-29
                worked_day: 2030-05-04
                name: "Nghỉ hoán đổi dịp 30/4 (điều chỉnh)"
            """), encoding="utf-8")
        assert "(0 mới, 1 thay thế)" in _run("calendar", "import", str(later))
        rows = load_adjustments(home / "calendar-adjustments.yaml")
        assert [r.worked_day for r in rows if r.day_off == date(2030, 4, 29)] == [
            date(2030, 5, 4)]

    def test_bad_file_names_line_and_field_and_keeps_the_old(self, home: Path,
                                                             tmp_path: Path) -> None:
        """A weekend given as a day off is refused with its line and field; nothing is written."""
        _run("calendar", "import", str(EXAMPLE))
        before = (home / "calendar-adjustments.yaml").read_bytes()
        bad = tmp_path / "bad.yaml"
        bad.write_text("adjustments:\n  - day_off: 2030-05-11\n    name: Sai\n", encoding="utf-8")
        out = _run("calendar", "import", str(bad), code=1)
        assert "dòng 2" in out and "day_off" in out and "thứ Hai" in out
        assert (home / "calendar-adjustments.yaml").read_bytes() == before

    def test_every_process_calendar_uses_the_import(self, home: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        """The default WorkingCalendar (flows, web) reads the file the edge names."""
        _run("calendar", "import", str(EXAMPLE))
        assert WorkingCalendar().is_working_day(date(2030, 4, 29))
        monkeypatch.setenv(CALENDAR_FILE_ENV, str(home / "calendar-adjustments.yaml"))
        calendar = WorkingCalendar()
        assert not calendar.is_working_day(date(2030, 4, 29))
        assert calendar.is_working_day(date(2030, 5, 11))

    def test_open_registry_names_the_file(self, home: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
        """Opening the registry exports the calendar file for the processes it starts."""
        # setenv then delenv: the variable is absent now and absent again after the test.
        for name in (CALENDAR_FILE_ENV, "CONGVAN_DATABASE_URL"):
            monkeypatch.setenv(name, "x")
            monkeypatch.delenv(name)
        _run("db", "upgrade")
        import os

        assert os.environ[CALENDAR_FILE_ENV] == str((home / "calendar-adjustments.yaml")
                                                    .resolve())
