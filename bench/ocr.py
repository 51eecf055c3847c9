"""Registering a scanned công văn through `congvan receive`, beside bare Tesseract in the same run,
and the field-detection rate on scans made from the rendered reference documents.

    .venv/bin/python bench/ocr.py [--rounds 3] [--skip-rate] [--skip-timing]

Timing (one page, 300 dpi, greyscale, the 4267/BCĐ-NC reference with noise): each round runs,
interleaved so drift hits both alike,

- bare: ``tesseract -l vie page.png stdout`` (the whole page, text only);
- receive: ``congvan receive page.png --org bcd-kontum.dakha`` as a new process on a fresh copy
  of a prepared SQLite registry: start-up, OCR of the header, fields, the incoming number
  committed and printed (``registered``), then the full-page text layer (PDF + text) stored
  (``total``).

The ratios printed are median(receive) / median(bare) for the moment the number is printed and
for the whole command.

Rate: the three reference documents (tests/fixtures/documents) rendered by LibreOffice,
rasterised with pdftoppm, each in six variants (clean; speckle noise; rotated +1.5°;
rotated −2.5° with noise; 200 dpi + JPEG q=50; blurred), read by ``outbox.intake.read_file``;
per field (number/symbol, date, issuer, subject) exact after whitespace clean-up, and subject
"near" (difflib ratio ≥ 0.95, an accent or two misread).
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPECS = ROOT / "tests" / "fixtures" / "documents"
CONGVAN = ROOT / ".venv" / "bin" / "congvan"
EXPECTED = {
    "001_cong_van_UBND-CAX_draft": {
        "number_symbol": "/UBND-CAX", "date": None,
        "issuer": "ỦY BAN NHÂN DÂN XÃ CẨM CHÂU",
        "subject": "V/v tăng cường công tác lãnh đạo, chỉ đạo trong công tác xây dựng mô hình "
                   "tự quản về ANTT tại địa bàn cơ sở"},
    "002_bao_cao_149_BC-BCD": {
        "number_symbol": "149/BC-BCĐ", "date": date(2018, 7, 27),
        "issuer": "UBND THỊ XÃ BỈM SƠN BAN CHỈ ĐẠO 138",
        "subject": "Tổng kết 10 năm thực hiện Đề án 375 và Chỉ thị số 10 của UBND tỉnh về đẩy "
                   "mạnh phong trào toàn dân bảo vệ ANTQ, xây dựng khu dân cư an toàn về ANTT "
                   "(Giai đoạn 2008-2018)"},
    "003_cong_van_4267_BCD-NC": {
        "number_symbol": "4267/BCĐ-NC", "date": date(2022, 12, 16),
        "issuer": "UBND TỈNH KON TUM BAN CHỈ ĐẠO PCTP, TNXH VÀ XÂY DỰNG PHONG TRÀO TOÀN DÂN "
                  "BVANTQ TỈNH",
        "subject": "V/v xây dựng, nhân rộng mô hình, điển hình tiên tiến trong phong trào toàn "
                   "dân bảo vệ an ninh Tổ quốc"},
}


def render_pages(work: Path) -> dict[str, Path]:
    """Page 1 of each reference document at 300 dpi, greyscale PNG (cached in ``work``)."""
    pages = {}
    for name in EXPECTED:
        png = work / f"{name}-1.png"
        if not png.exists():
            pdf = work / f"{name}.pdf"
            subprocess.run([str(CONGVAN), "render", str(SPECS / f"{name}.yaml"), "-o",
                            str(work / f"{name}.docx"), "--pdf", str(pdf)], check=True,
                           capture_output=True)
            subprocess.run(["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-gray", "-png",
                            str(pdf), str(work / name)], check=True)
        pages[name] = png
    return pages


def variants(page: Path, out: Path) -> list[Path]:
    """Six scans of ``page``: clean, noise, rotations, low resolution JPEG, blur."""
    from PIL import Image, ImageChops, ImageFilter

    rng = random.Random(page.name)
    clean = Image.open(page).convert("L")

    def noisy(image: Image.Image) -> Image.Image:
        noise = Image.effect_noise(image.size, 64).point(lambda v: 0 if v < 8 else 255)
        return ImageChops.darker(image, noise)

    made = {
        "clean": clean,
        "noise": noisy(clean),
        "rot+1.5": clean.rotate(1.5, fillcolor=255, resample=Image.Resampling.BILINEAR),
        "rot-2.5-noise": noisy(clean.rotate(-2.5, fillcolor=255,
                                            resample=Image.Resampling.BILINEAR)),
        "200dpi-jpeg": clean.resize((clean.width * 2 // 3, clean.height * 2 // 3)),
        "blur": clean.filter(ImageFilter.GaussianBlur(1.1 + rng.random() * 0.2)),
    }
    paths = []
    for tag, image in made.items():
        suffix = ".jpg" if "jpeg" in tag else ".png"
        path = out / f"{page.stem}-{tag}{suffix}"
        if suffix == ".jpg":
            image.save(path, quality=50, dpi=(200, 200))
        else:
            image.save(path, dpi=(300, 300))
        paths.append(path)
    return paths


def _clean(text: str) -> str:
    return " ".join(text.split())


def rate(work: Path) -> None:
    from outbox.intake import read_file

    pages = render_pages(work)
    fields = ("number_symbol", "date", "issuer", "subject")
    hits = dict.fromkeys(fields, 0)
    near = 0
    total = 0
    for name, page in pages.items():
        want = EXPECTED[name]
        for scan in variants(page, work):
            got = read_file(scan)
            total += 1
            found = {"number_symbol": got.number_symbol, "date": got.original_date,
                     "issuer": _clean(got.sender_name), "subject": _clean(got.subject)}
            marks = []
            for field in fields:
                ok = found[field] == want[field]
                hits[field] += ok
                marks.append("✓" if ok else f"✗({found[field]!s:.40})")
            close = difflib.SequenceMatcher(None, found["subject"], want["subject"]).ratio()
            near += close >= 0.95
            print(f"{scan.name:44} " + " ".join(marks), flush=True)
    checks = total * len(fields)
    print(f"\nscans: {total}; fields right: {sum(hits.values())}/{checks} "
          f"({sum(hits.values()) / checks:.0%})")
    for field in fields:
        print(f"  {field:14} {hits[field]}/{total}")
    print(f"  subject near (≥ 0.95): {near}/{total}")


def timing(work: Path, rounds: int) -> None:
    from PIL import Image, ImageChops

    page = render_pages(work)["003_cong_van_4267_BCD-NC"]
    scan = work / "scan-4267.png"
    image = Image.open(page).convert("L")
    noise = Image.effect_noise(image.size, 64).point(lambda v: 0 if v < 8 else 255)
    ImageChops.darker(image, noise).save(scan, dpi=(300, 300))
    template = work / "template"
    if template.exists():
        shutil.rmtree(template)
    template.mkdir()
    env = {**os.environ, "CONGVAN_HOME": str(template)}
    env.pop("CONGVAN_DATABASE_URL", None)
    env.pop("CONGVAN_FILES_DIR", None)
    subprocess.run([str(CONGVAN), "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([str(CONGVAN), "directory", "import", str(ROOT / "examples" /
                                                             "kontum-2022.yaml")],
                   env=env, check=True, capture_output=True)
    bare, registered, total = [], [], []
    for n in range(rounds):
        started = time.perf_counter()
        subprocess.run(["tesseract", "-l", "vie", str(scan), "stdout"], check=True,
                       capture_output=True)
        bare.append(time.perf_counter() - started)
        home = work / f"home-{n}"
        if home.exists():
            shutil.rmtree(home)
        shutil.copytree(template, home)
        run_env = {**env, "CONGVAN_HOME": str(home), "COLUMNS": "200"}
        started = time.perf_counter()
        process = subprocess.Popen([str(CONGVAN), "receive", str(scan), "--org",
                                    "bcd-kontum.dakha", "--at", "2022-12-17 08:30"],
                                   env=run_env, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        at = None
        for line in process.stdout:
            if at is None and "Đã vào sổ" in line:
                at = time.perf_counter() - started
        process.wait()
        if process.returncode != 0 or at is None:
            sys.exit(f"congvan receive failed (exit {process.returncode})")
        total.append(time.perf_counter() - started)
        registered.append(at)
        print(f"round {n + 1}: bare {bare[-1]:.2f} s, receive: number at {at:.2f} s, "
              f"done {total[-1]:.2f} s", flush=True)
    b, r, t = (statistics.median(x) for x in (bare, registered, total))
    print(f"\nmedian bare tesseract -l vie (whole page): {b:.2f} s")
    print(f"congvan receive, number printed: {r:.2f} s  → {r / b:.2f}× bare (target ≤ 1.2×)")
    print(f"congvan receive, with the text layer stored: {t:.2f} s  → {t / b:.2f}× bare")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-rate", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep rendered pages and scans here (default: a temporary folder)")
    args = parser.parse_args()
    for tool in ("tesseract", "pdftoppm", "soffice"):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool}")
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.skip_timing:
            timing(work, args.rounds)
        if not args.skip_rate:
            print()
            rate(work)


if __name__ == "__main__":
    main()
