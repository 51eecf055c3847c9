"""Benchmark: .docx rendering vs plain docxtpl, and warm PDF vs one soffice per document.

    .venv/bin/python bench/render.py [--docs 200] [--pdfs 40] [--singles 20] [--cold 6]

PDF: batched ``convert_many`` and single-document ``convert_bytes`` (the warm
LibreOffice over UNO), both against one cold ``soffice`` per document.

Both baselines run in the same process, interleaved with what they are compared to.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docxtpl import DocxTemplate  # noqa: E402

from doc_templates.pdf import PdfConverter  # noqa: E402
from doc_templates.render import build_context, render_docx  # noqa: E402
from doc_templates.spec import load_spec  # noqa: E402

SPEC = ROOT / "tests" / "fixtures" / "documents" / "003_cong_van_4267_BCD-NC.yaml"


def bench_docx(n: int) -> tuple[float, float]:
    """Documents per second: ours (spec → bytes) and plain docxtpl (prepared context → bytes)."""
    spec = load_spec(SPEC)
    context = build_context(spec)
    template_path = str(spec.doctype.template_file)

    def plain() -> bytes:
        template = DocxTemplate(template_path)
        template.render(context, autoescape=True)
        out = io.BytesIO()
        template.save(out)
        return out.getvalue()

    ours_t = plain_t = 0.0
    for _ in range(3):  # warm-up both
        render_docx(spec)
        plain()
    for _ in range(n):
        t = time.perf_counter()
        render_docx(spec)
        ours_t += time.perf_counter() - t
        t = time.perf_counter()
        plain()
        plain_t += time.perf_counter() - t
    return n / ours_t, n / plain_t


def bench_pdf(n_warm: int, n_single: int, n_cold: int) -> tuple[float, float, float, float]:
    """Seconds per document: batched, single (warm UNO), its start-up, one cold soffice each."""
    data = render_docx(load_spec(SPEC))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        paths = []
        for i in range(max(n_warm, n_cold, 10)):
            path = src / f"doc{i:03d}.docx"
            path.write_bytes(data)
            paths.append(path)
        with PdfConverter() as converter:
            # More than warm_max files: the batched path, which creates both profiles once.
            converter.convert_many(paths[: converter.warm_max + 2], Path(tmp) / "warmup")
            t = time.perf_counter()
            converter.convert_many(paths[:n_warm], Path(tmp) / "warm")
            warm = (time.perf_counter() - t) / n_warm
            t = time.perf_counter()
            converter.convert_bytes(data)  # starts the warm LibreOffice
            startup = time.perf_counter() - t
            t = time.perf_counter()
            for _ in range(n_single):
                converter.convert_bytes(data)
            single = (time.perf_counter() - t) / n_single
        cold_out = Path(tmp) / "cold"
        t = time.perf_counter()
        for path in paths[:n_cold]:
            subprocess.run(
                [
                    "soffice",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(cold_out),
                    str(path),
                ],
                capture_output=True,
                check=True,
            )
        cold = (time.perf_counter() - t) / n_cold
        shutil.rmtree(cold_out, ignore_errors=True)
    return warm, single, startup, cold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--cold", type=int, default=6)
    args = parser.parse_args()
    ours, plain = bench_docx(args.docs)
    print(
        f"docx: ours {ours:.1f} docs/s, plain docxtpl {plain:.1f} docs/s, "
        f"ratio {ours / plain:.2f} (target >= 0.8)"
    )
    warm, single, startup, cold = bench_pdf(args.pdfs, args.singles, args.cold)
    print(
        f"pdf: warm batched {warm:.3f} s/doc ({args.pdfs} docs), one soffice per doc "
        f"{cold:.3f} s/doc ({args.cold} docs), speed-up {cold / warm:.1f}x (target >= 8x)"
    )
    print(
        f"pdf single: warm convert_bytes {single:.3f} s/doc ({args.singles} docs, one at a "
        f"time; first call with start-up {startup:.2f} s), one soffice per doc "
        f"{cold:.3f} s/doc ({args.cold} docs), speed-up {cold / single:.1f}x (target >= 8x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
