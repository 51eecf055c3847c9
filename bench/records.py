"""Exporting a file (hồ sơ) of 500 documents as its handover package, beside a plain copy of the
same bytes plus SHA-256 of each, in the same run.

    .venv/bin/python bench/records.py [--documents 500] [--rounds 5] [--signed 4]

Set-up (not timed): a 2-page công văn rendered once by LibreOffice and signed for real with
PAdES (signing.signer.PadesSigner, a dev CA); ``--signed`` documents are real signatures of it,
the others are those signed PDFs with a unique comment line appended after %%EOF (cheap
variation: each stored file has its own bytes and hash; validators ignore it). The documents,
their stored files (registry.files) and one closed file holding them live in a SQLite registry
in a temporary directory; closing counts every PDF's pages (2).

Timed, interleaved per round so drift hits both alike (medians):

- baseline: for every stored PDF, read it, write a copy into a directory, SHA-256 it;
- one file: the same bytes read, hashed and written into a single file (no per-file create
  and close: the bytes' own cost, a harder baseline);
- export: ``records.export.export`` — reads each PDF through the file store (checked against
  its recorded SHA-256), the Appendix VI XML of the file and of every document, the zip
  (stored), the manifest;
- verify (reported, not in the ratio): ``records.package.verify`` of the package.

Target: export ≤ 1.5 × baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench"
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def two_page_pdf(work: Path) -> bytes:
    """The test công văn long enough for two pages, converted once."""
    from records.closing import page_count
    from tests.signing import sample_docs

    for paragraphs in (14, 18, 24, 10):
        docx = sample_docs.write_dispatch(work / f"bench{paragraphs}.docx",
                                          body_paragraphs=paragraphs)
        pdf = sample_docs.convert([docx], work, work / "profile")[0].read_bytes()
        if page_count(pdf) == 2:
            return pdf
    sys.exit("could not make a 2-page test PDF")


def signed_pdfs(work: Path, count: int, real: int) -> list[bytes]:
    """``count`` distinct signed 2-page PDFs: ``real`` signed, the rest varied after %%EOF."""
    from signing.keys import create_dev_ca
    from signing.signer import PadesSigner

    pdf = two_page_pdf(work)
    ca = create_dev_ca(work / "ca", password=PASSWORD)
    signer = PadesSigner.from_pkcs12(ca.signer_p12, PASSWORD)
    originals = [signer.sign_pdf(pdf, appearance=None, reason=f"bench {i}")
                 for i in range(max(1, real))]
    return [originals[i] if i < len(originals) else
            originals[i % len(originals)] + f"%bench-{i}\n".encode() for i in range(count)]


def build(root: Path, pdfs: list[bytes]) -> tuple[str, int]:
    """A SQLite registry with the documents, their stored PDFs and one closed file."""
    from records import casefiles, closing
    from registry import db, schema
    from registry import files as file_store
    from registry.models import (
        Direction,
        Document,
        DocumentFile,
        DocumentStatus,
        Organization,
        Person,
        Register,
    )

    url = f"sqlite:///{root / 'congvan.db'}"
    schema.upgrade(db.configure(url))
    files_root = root / "files"
    with db.transaction() as s:
        org = Organization(key="bcd", name="BAN CHỈ ĐẠO", code="BCĐ", place="Kon Tum",
                           email="bcd@example.test", edxml_id="000.00.00.Z04")
        clerk = Person(key="van-thu", full_name="Trần Thị B", organization=org,
                       roles=["clerk"])
        register = Register(organization=org, code="DI", name="Sổ đi",
                            direction=Direction.OUTGOING)
        s.add_all([org, clerk, register])
        s.flush()
        case_file = casefiles.open_unplanned(
            session=s, organization=org, year=2026, code="01.TH", title="Hồ sơ thử 500 văn bản",
            retention_years=10, permanent=False, unit=None, actor=clerk, now=NOW)
        for n, data in enumerate(pdfs, start=1):
            doc = Document(direction=Direction.OUTGOING, doc_type="cong_van",
                           status=DocumentStatus.ISSUED, issuer_id=org.id, register=register,
                           number=n, year=2026, symbol="BCĐ-NC", subject=f"V/v thử số {n}",
                           issue_date=date(2026, 1 + n % 12, 1 + n % 28), created_by=clerk)
            s.add(doc)
            s.flush()
            stored = file_store.store(files_root, document_id=doc.id, year=2026,
                                      stem=f"{n:02d}_BCĐ-NC", suffix=".pdf", data=data)
            s.add(DocumentFile(document_id=doc.id, kind="signed_pdf", path=stored.path,
                               sha256=stored.sha256, size=stored.size))
            s.flush()
            casefiles.file_document(session=s, case_file=case_file, document=doc, actor=clerk,
                                    now=NOW)
        s.expire_all()
        closing.close(session=s, case_file=case_file, actor=clerk, now=NOW,
                      files_root=files_root)
        assert case_file.page_total == 2 * len(pdfs), case_file.page_total
        return url, case_file.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--signed", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("needs LibreOffice (soffice) for the test dispatch")

    from sqlalchemy import select

    from records import export, package
    from registry import db
    from registry.models import DocumentFile

    with tempfile.TemporaryDirectory(prefix="bench-records-") as tmp:
        work = Path(tmp)
        pdfs = signed_pdfs(work, args.documents, args.signed)
        _, file_id = build(work, pdfs)
        files_root = work / "files"
        with db.transaction() as s:
            stored = [(files_root / p, h) for p, h in s.execute(
                select(DocumentFile.path, DocumentFile.sha256).order_by(DocumentFile.id))]

        def baseline(out: Path) -> None:
            out.mkdir()
            for source, _ in stored:
                data = source.read_bytes()
                (out / source.name).write_bytes(data)
                hashlib.sha256(data).hexdigest()

        def concatenated(out: Path) -> None:
            # The bytes alone: one output file, no per-file create/close.
            out.mkdir()
            with (out / "all.bin").open("wb") as sink:
                for source, _ in stored:
                    data = source.read_bytes()
                    sink.write(data)
                    hashlib.sha256(data).hexdigest()

        def run_export(out: Path) -> Path:
            from registry.models import CaseFile

            with db.transaction() as s:
                case_file = s.get(CaseFile, file_id)
                assert case_file is not None
                return export.export(session=s, case_file=case_file, files_root=files_root,
                                     out_dir=out)

        times: dict[str, list[float]] = {"baseline": [], "one file": [], "export": [],
                                         "verify": []}
        path = run_export(work / "warm")  # warm-up: imports, caches
        baseline(work / "warm-copy")
        for r in range(args.rounds):
            start = time.perf_counter()
            baseline(work / f"copy-{r}")
            times["baseline"].append(time.perf_counter() - start)
            start = time.perf_counter()
            path = run_export(work / f"export-{r}")
            times["export"].append(time.perf_counter() - start)
            start = time.perf_counter()
            found = package.verify(path)
            times["verify"].append(time.perf_counter() - start)
            package_bytes = path.stat().st_size
            start = time.perf_counter()
            concatenated(work / f"cat-{r}")
            times["one file"].append(time.perf_counter() - start)
            for done in (f"copy-{r}", f"cat-{r}", f"export-{r}"):
                shutil.rmtree(work / done)
        median = {k: statistics.median(v) for k, v in times.items()}
        size = sum(len(p) for p in pdfs)
        print(f"{args.documents} documents of 2 pages ({args.signed} signed for real, the rest "
              f"varied), {size / 1e6:.1f} MB of PDF, package {package_bytes / 1e6:.1f} MB,"
              f" {found.members} members; {args.rounds} rounds, medians")
        for name, value in median.items():
            print(f"  {name:9s} {value:7.3f} s")
        print(f"ratio export / (copy + SHA-256): {median['export'] / median['baseline']:.2f}x "
              "(target ≤ 1.5x)")
        print(f"ratio export / (bytes into one file + SHA-256): "
              f"{median['export'] / median['one file']:.2f}x")
        print(f"ratio verify / (copy + SHA-256): {median['verify'] / median['baseline']:.2f}x")


if __name__ == "__main__":
    main()
