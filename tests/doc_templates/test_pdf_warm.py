"""Single documents through the warm LibreOffice (UNO): reuse, text, fonts, stop, restart."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from doc_templates.pdf import PdfConverter
from doc_templates.render import render_docx
from doc_templates.uno_office import pid_alive
from tests.doc_templates.conftest import minimal

pytestmark = pytest.mark.libreoffice

VIETNAMESE = "ăâđêôơư ĂÂĐÊÔƠƯ ằẳẵắặ ầẩẫấậ ềểễếệ ồổỗốộ ờởỡớợ ừửữứự ỳỷỹýỵ"


@pytest.fixture(scope="module")
def warm():
    """One converter for the module; its warm LibreOffice starts on the first single document."""
    with PdfConverter() as converter:
        yield converter


@pytest.fixture(scope="module")
def docx() -> bytes:
    """A small thông báo whose body holds every Vietnamese letter."""
    return render_docx(minimal("thong_bao", body=f"Chữ Việt: {VIETNAMESE}./."))


@pytest.fixture(scope="module")
def pdf(warm, docx, tmp_path_factory) -> Path:
    """The thông báo converted once on the warm LibreOffice."""
    path = tmp_path_factory.mktemp("warm") / "thong_bao.pdf"
    path.write_bytes(warm.convert_bytes(docx))
    return path


def _listeners(port: int) -> list[str]:
    """Local addresses listening on ``port`` (IPv4 and IPv6), from /proc/net."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


class TestWarmSingleDocument:
    def test_two_conversions_reuse_one_libreoffice(self, warm, pdf, docx):
        """A second single conversion runs in the same LibreOffice process as the first."""
        first = warm.warm_pid
        assert first is not None and pid_alive(first)
        assert warm.convert_bytes(docx).startswith(b"%PDF")
        assert warm.warm_pid == first

    def test_few_files_go_to_the_warm_libreoffice(self, warm, pdf, docx, tmp_path):
        """convert_many with two files uses the running LibreOffice, not a new soffice."""
        first = warm.warm_pid
        sources = [tmp_path / "a.docx", tmp_path / "b.docx"]
        for source in sources:
            source.write_bytes(docx)
        outputs = warm.convert_many(sources, tmp_path / "out")
        assert [p.name for p in outputs] == ["a.pdf", "b.pdf"]
        assert all(p.read_bytes().startswith(b"%PDF") for p in outputs)
        assert warm.warm_pid == first

    def test_listens_only_on_loopback(self, warm, pdf):
        """The UNO port is bound to 127.0.0.1 only (hex 0100007F), never on all interfaces."""
        assert _listeners(warm._warm.port) == ["0100007F"]

    def test_profile_under_the_work_dir(self, warm, pdf):
        """The warm LibreOffice writes its own profile under the converter's work dir."""
        assert (warm._root / "profile-warm" / "user").is_dir()

    def test_vietnamese_survives(self, pdf):
        """pdftotext returns every Vietnamese letter of the body."""
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert VIETNAMESE in " ".join(text.split())

    def test_fonts_embedded(self, pdf):
        """pdffonts lists only embedded fonts, Liberation Serif among them."""
        lines = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert lines and all(line.split()[-5] == "yes" for line in lines), lines
        assert any("LiberationSerif" in line for line in lines)

    def test_killed_server_is_restarted(self, warm, pdf, docx, caplog):
        """After SIGKILL of LibreOffice the next conversion starts a new one and succeeds."""
        dead = warm.warm_pid
        os.kill(dead, signal.SIGKILL)
        assert _wait_gone(dead)
        with caplog.at_level(logging.WARNING, logger="doc_templates.pdf"):
            assert warm.convert_bytes(docx).startswith(b"%PDF")
        assert warm.warm_pid not in (None, dead)
        assert "khởi động lại" in caplog.text


class TestWarmLifecycle:
    def test_server_gone_after_exit(self, docx):
        """Leaving the context stops LibreOffice and its UNO port."""
        with PdfConverter() as converter:
            assert converter.warm_pid is None  # lazy: nothing runs before the first document
            converter.convert_bytes(docx)
            pid, port = converter.warm_pid, converter._warm.port
            assert pid is not None and _listeners(port)
        assert _wait_gone(pid)
        assert not _listeners(port)

    def test_falls_back_without_python3_uno(self, docx, caplog):
        """An interpreter without uno: a warning, and the PDF still comes (batched path)."""
        with (
            caplog.at_level(logging.WARNING, logger="doc_templates.pdf"),
            PdfConverter(uno_python=sys.executable) as converter,
        ):
            assert converter.convert_bytes(docx).startswith(b"%PDF")
            assert converter.warm_pid is None
        assert "python3-uno" in caplog.text
