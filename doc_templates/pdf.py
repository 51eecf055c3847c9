"""DOCX → PDF through LibreOffice kept warm: persistent profiles, batches, parallel workers.

One cold ``soffice --convert-to pdf`` per document costs 1.1–1.3 s; most of it
is process start and profile set-up. A :class:`PdfConverter` keeps one user
profile per worker for its whole life (created once, reused by every call)
and hands each ``soffice`` invocation a batch of files, with up to two
invocations running side by side (TRAPS.md: 0.06–0.12 s per document).

Single documents (``convert_bytes``) go to one LibreOffice kept running over UNO
(:mod:`doc_templates.uno_office`), started on the first such call and stopped with
the converter; without python3-uno they fall back to a batched call of one file.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from doc_templates.errors import ConversionError
from doc_templates.fonts import fallback_note
from doc_templates.uno_office import OfficeDied, WarmOffice, uno_available

logger = logging.getLogger(__name__)

SYSTEM_PYTHON = "/usr/bin/python3"


def _filter_options(pdfa: bool) -> str:
    """LibreOffice's PDF export options (JSON, LibreOffice ≥ 7.4): tagged PDF, so the
    document language (vi-VN) is written as /Lang; PDF/A-2b for the archive."""
    options = {"UseTaggedPDF": {"type": "boolean", "value": "true"}}
    if pdfa:
        options["SelectPdfVersion"] = {"type": "long", "value": "2"}
    return json.dumps(options, separators=(",", ":"))


class PdfConverter:
    """A context manager that converts .docx files to PDF with a warm LibreOffice.

    ``with PdfConverter() as pdf: pdf.convert_many(paths, outdir)``. Thread-safe:
    each running ``soffice`` holds one of the converter's profiles exclusively, and
    single documents take turns on the warm LibreOffice. Calls with at most
    ``warm_max`` files (``convert_bytes`` always) go to the warm LibreOffice, larger
    ones to batches. ``uno_python`` is an interpreter that can ``import uno``
    (Debian's python3-uno). ``pdfa`` writes PDF/A-2b. On entering, a missing Times New
    Roman is logged (and kept in ``font_note``): LibreOffice then sets Liberation Serif.
    """

    def __init__(
        self,
        soffice: str = "soffice",
        *,
        workers: int | None = None,
        batch_size: int = 50,
        timeout: float = 600.0,
        uno_python: str = SYSTEM_PYTHON,
        warm_max: int = 8,
        pdfa: bool = False,
    ) -> None:
        self.soffice = soffice
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.uno_python = uno_python
        self.warm_max = warm_max
        self.pdfa = pdfa  # PDF/A-2b for the archive (still signable: PAdES keeps it valid)
        self.font_note: str | None = None
        self._root: Path | None = None
        self._profiles: queue.Queue[Path] = queue.Queue()
        self._warm_lock = threading.Lock()
        self._warm: WarmOffice | None = None
        self._warm_disabled = False

    def __enter__(self) -> PdfConverter:
        if shutil.which(self.soffice) is None:
            raise ConversionError(
                f"Không tìm thấy LibreOffice ({self.soffice!r}); cài libreoffice-writer "
                "hoặc đặt CONGVAN_SOFFICE trỏ tới soffice."
            )
        self.font_note = fallback_note()
        if self.font_note:
            logger.warning(self.font_note)
        self._root = Path(tempfile.mkdtemp(prefix="congvan-lo-"))
        for index in range(self.workers):
            self._profiles.put(self._root / f"profile-{index}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._warm_lock:
            if self._warm is not None:
                self._warm.stop()
                self._warm = None
            self._warm_disabled = False
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        self._profiles = queue.Queue()

    def convert_many(self, docx_paths: list[Path], outdir: Path) -> list[Path]:
        """Convert every file into ``outdir``; return the PDF paths in input order."""
        if self._root is None:
            raise RuntimeError("PdfConverter must be used inside a 'with' block")
        paths = [Path(p).resolve() for p in docx_paths]
        stems = [p.stem for p in paths]
        if len(set(stems)) != len(stems):
            raise ConversionError(
                "Hai tệp trùng tên (khác thư mục) sẽ ghi đè PDF của nhau; đổi tên tệp."
            )
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        outputs = [outdir / f"{stem}.pdf" for stem in stems]
        # Few files: the warm LibreOffice (≈ 0.1 s each) beats starting soffice (≈ 1.4 s per
        # invocation); many: two parallel batches win (bench/render.py).
        if not (len(paths) <= self.warm_max and self._convert_warm(paths, outputs)):
            batches = list(self._batches(paths))
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                list(pool.map(lambda batch: self._run(batch, outdir), batches))
        missing = [str(p) for p, out in zip(paths, outputs, strict=True) if not out.is_file()]
        if missing:
            raise ConversionError("LibreOffice không tạo được PDF cho: " + ", ".join(missing))
        return outputs

    def convert_bytes(self, docx: bytes) -> bytes:
        """Convert one .docx given as bytes and return the PDF bytes (warm LibreOffice)."""
        if self._root is None:
            raise RuntimeError("PdfConverter must be used inside a 'with' block")
        with tempfile.TemporaryDirectory(dir=self._root) as tmp:
            source = Path(tmp) / "document.docx"
            source.write_bytes(docx)
            (pdf,) = self.convert_many([source], Path(tmp) / "out")
            return pdf.read_bytes()

    @property
    def warm_pid(self) -> int | None:
        """Pid of the warm LibreOffice serving single documents, if it is running."""
        warm = self._warm
        return warm.pid if warm is not None and warm.running() else None

    def _convert_warm(self, sources: list[Path], targets: list[Path]) -> bool:
        """Convert on the warm LibreOffice; False when it is unavailable (use the batch path)."""
        with self._warm_lock:
            warm = self._warm_office()
            if warm is None:
                return False
            for source, target in zip(sources, targets, strict=True):
                self._convert_one_warm(warm, source, target)
            return True

    def _convert_one_warm(self, warm: WarmOffice, source: Path, target: Path) -> None:
        # Started on first use; if it died (crash, OOM kill) it is restarted once per document.
        restarted = False
        while True:
            try:
                if not warm.running():
                    if warm.started:
                        logger.warning("LibreOffice (UNO) đã dừng; khởi động lại.")
                        restarted = True
                    warm.start()
                warm.convert(source, target, pdf_version=2 if self.pdfa else 0)
                break
            except OfficeDied:
                warm.stop()
                if restarted:
                    raise
                logger.warning("LibreOffice (UNO) đã dừng khi chuyển %s; khởi động lại.", source)
                restarted = True
        if not target.is_file():
            raise ConversionError(f"LibreOffice không tạo được PDF cho: {source}")

    def _warm_office(self) -> WarmOffice | None:
        # Called under _warm_lock. Created lazily: a converter used only for batches never
        # starts it, and the python3-uno check costs one interpreter start, once.
        if self._warm is not None or self._warm_disabled:
            return self._warm
        assert self._root is not None
        if not uno_available(self.uno_python):
            logger.warning(
                "Không có python3-uno cho %s: mỗi văn bản lẻ sẽ chạy một soffice riêng "
                "(≈ 1,4 s). Cài gói python3-uno (scripts/install-system.sh).",
                self.uno_python,
            )
            self._warm_disabled = True
            return None
        self._warm = WarmOffice(
            soffice=self.soffice,
            python=self.uno_python,
            profile=self._root / "profile-warm",
            log=self._root / "warm.log",
            timeout=self.timeout,
        )
        return self._warm

    def _batches(self, paths: list[Path]) -> Iterator[list[Path]]:
        # Spread evenly over the workers, but never more than batch_size per invocation.
        per_worker = -(-len(paths) // self.workers) if paths else 0
        size = max(1, min(self.batch_size, per_worker))
        for start in range(0, len(paths), size):
            yield paths[start : start + size]

    def _run(self, batch: list[Path], outdir: Path) -> None:
        profile = self._profiles.get()
        try:
            command = [
                self.soffice,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--nologo",
                "--nodefault",
                "--nolockcheck",
                "--convert-to",
                "pdf:writer_pdf_Export:" + _filter_options(self.pdfa),
                "--outdir",
                str(outdir),
                *map(str, batch),
            ]
            env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp"}
            try:
                result = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    timeout=self.timeout,
                    env=env,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise ConversionError(f"LibreOffice quá thời gian ({self.timeout:.0f} s)") from exc
            if result.returncode != 0:
                raise ConversionError(
                    f"LibreOffice lỗi (mã {result.returncode}): {result.stderr.strip()[:500]}"
                )
        finally:
            self._profiles.put(profile)
