"""DOCX → PDF through LibreOffice kept warm: persistent profiles, batches, parallel workers.

One cold ``soffice --convert-to pdf`` per document costs 1.1–1.3 s; most of it
is process start and profile set-up. A :class:`PdfConverter` keeps one user
profile per worker for its whole life (created once, reused by every call)
and hands each ``soffice`` invocation a batch of files, with up to two
invocations running side by side (TRAPS.md: 0.06–0.12 s per document).
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from doc_templates.errors import ConversionError


class PdfConverter:
    """A context manager that converts .docx files to PDF with a warm LibreOffice.

    ``with PdfConverter() as pdf: pdf.convert_many(paths, outdir)``. Thread-safe:
    each running ``soffice`` holds one of the converter's profiles exclusively.
    """

    def __init__(
        self,
        soffice: str = "soffice",
        *,
        workers: int | None = None,
        batch_size: int = 50,
        timeout: float = 600.0,
    ) -> None:
        self.soffice = soffice
        self.workers = workers or min(2, os.cpu_count() or 1)
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self._root: Path | None = None
        self._profiles: queue.Queue[Path] = queue.Queue()

    def __enter__(self) -> PdfConverter:
        if shutil.which(self.soffice) is None:
            raise ConversionError(
                f"Không tìm thấy LibreOffice ({self.soffice!r}); cài libreoffice-writer "
                "hoặc đặt CONGVAN_SOFFICE trỏ tới soffice."
            )
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
        batches = list(self._batches(paths))
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(lambda batch: self._run(batch, outdir), batches))
        outputs = [outdir / f"{stem}.pdf" for stem in stems]
        missing = [str(p) for p, out in zip(paths, outputs, strict=True) if not out.is_file()]
        if missing:
            raise ConversionError("LibreOffice không tạo được PDF cho: " + ", ".join(missing))
        return outputs

    def convert_bytes(self, docx: bytes) -> bytes:
        """Convert one .docx given as bytes and return the PDF bytes."""
        if self._root is None:
            raise RuntimeError("PdfConverter must be used inside a 'with' block")
        with tempfile.TemporaryDirectory(dir=self._root) as tmp:
            source = Path(tmp) / "document.docx"
            source.write_bytes(docx)
            (pdf,) = self.convert_many([source], Path(tmp) / "out")
            return pdf.read_bytes()

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
                "pdf:writer_pdf_Export",
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
