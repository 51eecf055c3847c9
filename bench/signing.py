"""Signatures and verifications per second through signing/, beside bare pyHanko in the same run.

    .venv/bin/python bench/signing.py [--rounds 40]

Each round runs every variant once, interleaved, so drift hits all of them
alike; the figures are medians. Variants:

- sign, invisible: bare ``pyhanko.sign.signers.PdfSigner`` vs ``PadesSigner.sign_pdf``;
  bare pyHanko measures the signature size with a trial signature, PadesSigner
  reserves room instead, so a second bare variant gets the same reservation
- sign, visible: bare pyHanko with the same image at a fixed box vs ``PadesSigner``
  locating the signature block (pdftotext) and placing the image there
- verify: bare ``validate_pdf_signature`` (same trust root) vs ``signing.verify.verify_pdf``
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSWORD = "bench"


def make_pdf(work: Path) -> bytes:
    """The one-page test dispatch (LibreOffice), converted once."""
    from tests.signing import sample_docs

    docx = sample_docs.write_dispatch(work / "bench.docx", body_paragraphs=3)
    return sample_docs.convert([docx], work, work / "profile")[0].read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("needs LibreOffice (soffice) for the test dispatch")

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from signing.appearance import PngImage, SignatureImage
    from signing.keys import create_dev_ca
    from signing.signer import PadesSigner, _image_style
    from signing.verify import _certs, _quiet_validator, verify_pdf
    from tests.signing.sample_docs import SIGNER_NAME, TITLE_LINES

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pdf = make_pdf(work)
        ca = create_dev_ca(work / "ca", password=PASSWORD)
        ca_pem = ca.ca_cert.read_bytes()
        p12 = ca.signer_p12.read_bytes()
        signature_png = ca.signature_png.read_bytes()

    with tempfile.NamedTemporaryFile(suffix=".p12") as f:
        f.write(p12)
        f.flush()
        ours = PadesSigner.from_pkcs12(f.name, PASSWORD)
    bare = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=(),
                                                 passphrase=PASSWORD.encode())
    appearance = SignatureImage(PngImage.from_png(signature_png), "\n".join(TITLE_LINES),
                                SIGNER_NAME)

    # The box PadesSigner chooses, reused at fixed coordinates by the bare variant.
    probe = ours.sign_pdf(pdf, appearance=appearance, reason="bench")
    box = _field_box(probe)
    from signing.placement import Placement

    fixed_style = _image_style(Placement(page=0, box=box, image=appearance.image))

    from signing.signer import _RESERVED_HEX

    def bare_sign(visible: bool, reserved: int | None = None) -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name="ChuKyNguoiKy", reason="bench", md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES)
        spec = fields.SigFieldSpec("ChuKyNguoiKy", on_page=0, box=box) if visible else None
        pdf_signer = signers.PdfSigner(meta, signer=bare, new_field_spec=spec,
                                       stamp_style=fixed_style if visible else None)
        return pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                                   bytes_reserved=reserved).getvalue()

    signed = ours.sign_pdf(pdf, appearance=None, reason="bench")
    roots = _certs([ca_pem])

    def bare_verify() -> None:
        with _quiet_validator():
            reader = PdfFileReader(io.BytesIO(signed))
            for sig in reader.embedded_signatures:
                validate_pdf_signature(sig, signer_validation_context=ValidationContext(
                    trust_roots=roots, allow_fetching=False))

    variants: dict[str, Callable[[], object]] = {
        "sign invisible, bare pyHanko": lambda: bare_sign(False),
        "sign invisible, bare pyHanko, same reserve": lambda: bare_sign(False, _RESERVED_HEX),
        "sign invisible, PadesSigner": lambda: ours.sign_pdf(pdf, appearance=None,
                                                             reason="bench"),
        "sign visible, bare pyHanko (fixed box)": lambda: bare_sign(True),
        "sign visible, bare pyHanko, same reserve": lambda: bare_sign(True, _RESERVED_HEX),
        "sign visible, PadesSigner (located)": lambda: ours.sign_pdf(
            pdf, appearance=appearance, reason="bench"),
        "verify, bare pyHanko": bare_verify,
        "verify, signing.verify": lambda: verify_pdf(signed, trust_roots=[ca_pem]),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():  # warm-up
        fn()
    for _ in range(args.rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)

    median = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"PDF {len(pdf)} bytes, {args.rounds} rounds, medians")
    for name, t in median.items():
        print(f"  {name:44s} {t * 1000:7.1f} ms  {1 / t:6.1f} /s")
    pairs = (("sign invisible", "sign invisible, bare pyHanko", "sign invisible, PadesSigner"),
             ("  same reserve", "sign invisible, bare pyHanko, same reserve",
              "sign invisible, PadesSigner"),
             ("sign visible", "sign visible, bare pyHanko (fixed box)",
              "sign visible, PadesSigner (located)"),
             ("  same reserve", "sign visible, bare pyHanko, same reserve",
              "sign visible, PadesSigner (located)"),
             ("verify", "verify, bare pyHanko", "verify, signing.verify"))
    for label, base, ours_name in pairs:
        ratio = median[ours_name] / median[base]
        print(f"ratio {label:15s} signing/ vs bare: {ratio:.2f}x  (overhead {ratio - 1:+.0%})")


def _field_box(pdf: bytes) -> tuple[float, float, float, float]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    for _, _, ref in enumerate_sig_fields(reader):
        return tuple(round(float(v), 2) for v in ref.get_object()["/Rect"])  # type: ignore
    raise SystemExit("no signature field")


if __name__ == "__main__":
    main()
