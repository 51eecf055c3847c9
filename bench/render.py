"""Benchmark: .docx rendering vs plain docxtpl, and warm PDF vs one soffice per document.

    .venv/bin/python bench/render.py [--docs 200] [--pdfs 40] [--singles 20] [--cold 6]
    .venv/bin/python bench/render.py --plan [--docs 40] [--pdfs 8] [--cold 4]

``--plan``: a 20-page Kế hoạch with three tables (one on landscape pages) and two
appendices (one landscape), instead of the two-page công văn.

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
from doc_templates.spec import DocumentSpec, load_spec, parse_spec  # noqa: E402

SPEC = ROOT / "tests" / "fixtures" / "documents" / "003_cong_van_4267_BCD-NC.yaml"


UNITS = [
    "Văn phòng HĐND và UBND",
    "Phòng Nội vụ",
    "Phòng Tài chính - Kế hoạch",
    "Phòng Văn hóa và Thông tin",
    "Phòng Giáo dục và Đào tạo",
    "Phòng Y tế",
    "Phòng Tư pháp",
    "Phòng Tài nguyên và Môi trường",
]


def plan_spec() -> DocumentSpec:
    """A 20-page Kế hoạch: five parts of numbered items, three tables, two appendices."""
    sentence = (
        "Các cơ quan, đơn vị chủ động rà soát, cập nhật quy trình nội bộ, bảo đảm hồ sơ "
        "được xử lý đúng thời hạn, công khai, minh bạch và thuận tiện cho người dân, "
        "doanh nghiệp; định kỳ báo cáo kết quả thực hiện về Ủy ban nhân dân huyện."
    )
    parts = []
    romans = ["I", "II", "III", "IV", "V"]
    for part, roman in enumerate(romans):
        parts.append(f"{roman}. NỘI DUNG PHẦN {part + 1}")
        for item in range(1, 7):
            parts.append(f"{item}. Nhiệm vụ {item} của phần {part + 1}")
            parts.append(f"{sentence} {sentence}")
            parts.append(f"a) {sentence}\nb) {sentence}")
        if part < 3:
            parts.append(f"[bảng: bang{part + 1}]")
    parts.append("Chi tiết tại Phụ lục I và Phụ lục II kèm theo Kế hoạch này./.")

    def table(rows: int, landscape: bool) -> dict[str, object]:
        return {
            "landscape": landscape,
            "columns": [
                {"title": "STT", "width": 1.3, "align": "center"},
                {"title": "Nội dung công việc"},
                {"title": "Đơn vị chủ trì"},
                {"title": "Thời hạn", "width": 3.2},
                {"title": "Kinh phí (triệu đồng)", "format": "number", "width": 3},
            ],
            "rows": [
                [
                    i,
                    f"Triển khai nhiệm vụ số {i} theo kế hoạch năm",
                    UNITS[i % len(UNITS)],
                    f"Quý {['I', 'II', 'III', 'IV'][i % 4]}/2024",
                    125 * i + 0.5 * (i % 3),
                ]
                for i in range(1, rows + 1)
            ],
            "total": "Tổng cộng",
        }

    return parse_spec(
        {
            "type": "ke_hoach",
            "issuer": {
                "parent": "UBND TỈNH KON TUM",
                "name": "ỦY BAN NHÂN DÂN HUYỆN ĐĂK HÀ",
                "code": "UBND",
                "text_name": "Ủy ban nhân dân huyện Đăk Hà",
            },
            "number": 152,
            "place": "Đăk Hà",
            "date": "2024-03-05",
            "subject": "Thực hiện cải cách hành chính và chuyển đổi số năm 2024",
            "body": "\n\n".join(parts),
            "tables": {
                "bang1": table(12, False),
                "bang2": table(30, True),
                "bang3": table(12, False),
                "pl2": table(40, True),
            },
            "appendices": [
                {
                    "title": "Danh mục nhiệm vụ trọng tâm",
                    "body": "\n\n".join(f"{i}. {sentence}" for i in range(1, 16)),
                },
                {"title": "Dự toán kinh phí thực hiện", "landscape": True, "body": "[bảng: pl2]"},
            ],
            "signature": {
                "authority": "KT.",
                "on_behalf_of": "ỦY BAN NHÂN DÂN",
                "for_title": "CHỦ TỊCH",
                "title": "PHÓ CHỦ TỊCH",
                "name": "Nguyễn Văn Lực",
            },
            "distribution": ["UBND tỉnh (b/c)", "TT Huyện ủy (b/c)", "Các phòng, ban"],
            "archive": "VT, NV (2)",
        }
    )


def bench_docx(n: int, spec: DocumentSpec | None = None) -> tuple[float, float]:
    """Documents per second: ours (spec → bytes) and plain docxtpl (prepared context → bytes)."""
    spec = spec or load_spec(SPEC)
    context = build_context(spec)
    template_path = str(spec.doctype.template_file)

    def plain() -> bytes:
        template = DocxTemplate(template_path)
        template.render(context, autoescape=True)
        out = io.BytesIO()
        template.save(out)
        return out.getvalue()

    ours_t = plain_t = ours_cpu = plain_cpu = 0.0
    for _ in range(3):  # warm-up both
        render_docx(spec)
        plain()
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        render_docx(spec)
        ours_t += time.perf_counter() - t
        ours_cpu += time.process_time() - c
        t, c = time.perf_counter(), time.process_time()
        plain()
        plain_t += time.perf_counter() - t
        plain_cpu += time.process_time() - c
    print(
        f"docx CPU time: ours {ours_cpu / n * 1000:.1f} ms/doc, plain docxtpl "
        f"{plain_cpu / n * 1000:.1f} ms/doc, ratio {plain_cpu / ours_cpu:.2f}"
    )
    return n / ours_t, n / plain_t


def bench_pdf(
    n_warm: int, n_single: int, n_cold: int, spec: DocumentSpec | None = None
) -> tuple[float, float, float, float]:
    """Seconds per document: batched, single (warm UNO), its start-up, one cold soffice each."""
    data = render_docx(spec or load_spec(SPEC))
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


def _pages(docx: bytes) -> int:
    with PdfConverter() as converter:
        pdf = converter.convert_bytes(docx)
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(
        next(line.split()[-1] for line in info.decode().splitlines() if line.startswith("Pages"))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--pdfs", type=int, default=40)
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--cold", type=int, default=6)
    parser.add_argument("--plan", action="store_true", help="the 20-page Kế hoạch")
    args = parser.parse_args()
    spec = plan_spec() if args.plan else None
    if spec is not None:
        pages = _pages(render_docx(spec))
        print(
            f"Kế hoạch: {pages} pages, {len(spec.tables)} tables, {len(spec.appendices)} appendices"
        )
    ours, plain = bench_docx(args.docs, spec)
    print(
        f"docx: ours {ours:.1f} docs/s, plain docxtpl {plain:.1f} docs/s, "
        f"ratio {ours / plain:.2f} (target >= 0.8)"
    )
    warm, single, startup, cold = bench_pdf(args.pdfs, args.singles, args.cold, spec)
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
