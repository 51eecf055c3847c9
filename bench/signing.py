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
- two-step flow: the person's signature on the reserved final PDF, then the văn thư's
  number/date fill + the organisation's seal signature, each beside bare pyHanko doing the
  same work (same boxes, same reservation); then ``issuing.issue`` in a real SQLite registry
  with the time the register's counter is locked (it must not include rendering or the
  person's signature)
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
    from signing.verify import _certs, quiet_validator, verify_pdf
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
        with quiet_validator():
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
    two_step(args.rounds)


def two_step(rounds: int) -> None:
    """The person's signature, then the văn thư's fill + organisation signature, each beside
    bare pyHanko doing the same work; and the issuing critical section in a real registry."""
    import datetime as dt

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from doc_templates.pdf import PdfConverter
    from doc_templates.spec import parse_spec
    from signing import final
    from signing.appearance import PngImage, SealImage, SignatureImage
    from signing.keys import create_dev_ca
    from signing.placement import Placement
    from signing.signer import (
        _RESERVED_HEX,
        ORGANIZATION_FIELD,
        PERSON_FIELD,
        PadesSigner,
        _image_style,
    )

    title, name = "TM. BAN CHỈ ĐẠO\nKT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN", "Nguyễn Văn A"
    spec = parse_spec({
        "type": "cong_van", "issuer": {"parent": "UBND TỈNH KON TUM",
                                       "name": "BAN CHỈ ĐẠO PCTP, TNXH\nTỈNH KON TUM",
                                       "code": "BCĐ"},
        "drafting_unit": "NC", "subject": "V/v báo cáo", "place": "Kon Tum",
        "body": "Đề nghị các đơn vị báo cáo.", "recipients": ["Các thành viên Ban Chỉ đạo"],
        "signature": {"authority": "KT.", "on_behalf_of": "BAN CHỈ ĐẠO",
                      "for_title": "TRƯỞNG BAN", "title": "PHÓ TRƯỞNG BAN", "name": name}},
        source="bench")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ca = create_dev_ca(work / "ca", password=PASSWORD, signer_name=name)
        with PdfConverter() as conv:
            started = time.perf_counter()
            rendered = conv.convert_bytes(final.render_reserved_docx(spec, year=2026))
            render_s = time.perf_counter() - started
        reserved = final.add_reserved_fields(rendered, final.locate_slots(rendered))
        person = PadesSigner.from_pkcs12(ca.signer_p12, PASSWORD)
        org = PadesSigner.from_pkcs12(ca.organization_p12, PASSWORD)
        bare_person = signers.SimpleSigner.load_pkcs12(str(ca.signer_p12),
                                                       passphrase=PASSWORD.encode())
        bare_org = signers.SimpleSigner.load_pkcs12(str(ca.organization_p12),
                                                    passphrase=PASSWORD.encode())
        signature = SignatureImage(PngImage.from_file(ca.signature_png), title, name)
        seal = SealImage(PngImage.from_file(ca.seal_png), title, name)

    person_signed = person.sign_pdf(reserved, appearance=signature, reason="bench",
                                    field_name=PERSON_FIELD)
    person_box = _field_box(person_signed)
    person_placement = person.placement(reserved, signature)
    on = dt.date(2026, 12, 16)
    filled = final.fill(person_signed, number=7, on=on)
    seal_placement = org.placement(filled, seal)
    assert seal_placement is not None
    sig_style = _image_style(Placement(page=0, box=person_box, image=signature.image))
    seal_style = _image_style(seal_placement)
    values = final.field_values(7, on)

    def bare_sign(pdf: bytes, signer: object, field: str, box: object, style: object) -> bytes:
        meta = signers.PdfSignatureMetadata(field_name=field, reason="bench",
                                            md_algorithm="sha256",
                                            subfilter=fields.SigSeedSubFilter.PADES)
        pdf_signer = signers.PdfSigner(meta, signer=signer,  # type: ignore[arg-type]
                                       new_field_spec=fields.SigFieldSpec(
                                           field, on_page=0, box=box),  # type: ignore[arg-type]
                                       stamp_style=style)  # type: ignore[arg-type]
        return pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                                   bytes_reserved=_RESERVED_HEX).getvalue()

    def bare_fill(pdf: bytes) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        for ref in writer.root["/AcroForm"]["/Fields"]:
            field = ref.get_object()
            name_ = str(field.get("/T", ""))
            if name_ in values:
                field[generic.pdf_name("/V")] = generic.TextStringObject(values[name_])
                field[generic.pdf_name("/AP")] = generic.DictionaryObject({
                    generic.pdf_name("/N"): writer.add_object(generic.StreamObject(
                        stream_data=b"BT /F1 13 Tf 0 0 Td (" + values[name_].encode()
                        + b") Tj ET"))})
                writer.mark_update(ref)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    variants: dict[str, Callable[[], object]] = {
        "person, bare pyHanko (same box, reserve)": lambda: bare_sign(
            reserved, bare_person, PERSON_FIELD, person_box, sig_style),
        "person, signing/ (block located)": lambda: person.sign_pdf(
            reserved, appearance=signature, reason="bench", field_name=PERSON_FIELD),
        "person, signing/ (placement precomputed)": lambda: person.sign_pdf(
            reserved, appearance=signature, reason="bench", field_name=PERSON_FIELD,
            placement=person_placement),
        "fill+seal, bare pyHanko": lambda: bare_sign(
            bare_fill(person_signed), bare_org, ORGANIZATION_FIELD, seal_placement.box,
            seal_style),
        "fill+seal, signing/ (placement precomputed)": lambda: org.sign_pdf(
            final.fill(person_signed, number=7, on=on), appearance=seal, reason="bench",
            field_name=ORGANIZATION_FIELD, placement=seal_placement),
    }
    times: dict[str, list[float]] = {n: [] for n in variants}
    for fn in variants.values():
        fn()
    for _ in range(rounds):
        for n, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[n].append(time.perf_counter() - start)
    median = {n: statistics.median(ts) for n, ts in times.items()}
    print(f"\nTwo-step flow, {rounds} rounds, medians (LibreOffice render of the final PDF, "
          f"once: {render_s * 1000:.0f} ms — at draft sign, never at issue)")
    for n, t in median.items():
        print(f"  {n:46s} {t * 1000:7.1f} ms")
    for label, base, ours_name in (
            ("person signature", "person, bare pyHanko (same box, reserve)",
             "person, signing/ (block located)"),
            ("  placement given", "person, bare pyHanko (same box, reserve)",
             "person, signing/ (placement precomputed)"),
            ("fill + organisation", "fill+seal, bare pyHanko",
             "fill+seal, signing/ (placement precomputed)")):
        ratio = median[ours_name] / median[base]
        print(f"ratio {label:20s} signing/ vs bare: {ratio:.2f}x (target <= 1.2x)")
    critical_section(rounds=max(5, rounds // 4))


def critical_section(rounds: int) -> None:
    """issuing.issue in a real SQLite registry: the time the register's counter is locked
    (from issue_number to the commit) against the whole act and the person's signature."""
    import datetime as dt

    from sqlalchemy.orm import Session

    from doc_templates.pdf import PdfConverter
    from registry import db, schema
    from signing import approvals, certificates, issuing, person, pkcs12
    from signing.appearance import PngImage
    from signing.keyring import KeySource
    from signing.keys import create_dev_ca
    from tests.signing.test_approvals_fixtures import build_world, new_draft

    locked, whole, personal = [], [], []
    with tempfile.TemporaryDirectory() as tmp, PdfConverter() as conv:
        work = Path(tmp)
        ca = create_dev_ca(work / "ca", password=PASSWORD, people=[("deputy", "Nguyễn Văn A")])
        engine = db.make_engine(f"sqlite:///{work / 'bench.db'}")
        schema.upgrade(engine)
        org = pkcs12.pair(ca.ca_cert.parent, PASSWORD)
        with Session(engine, expire_on_commit=False) as s:
            world = build_world(s)
            world.deputy.key = "deputy"
            certificates.register(session=s, actor=world.deputy, person=world.deputy,
                                  certificate=(ca.people["deputy"].parent / "cert.pem")
                                  .read_bytes())
            s.commit()
            own = KeySource.pkcs12(ca.people["deputy"], PASSWORD).open()
            image = PngImage.from_file(ca.people["deputy"].parent / "signature.png")
            for _ in range(rounds):
                doc = new_draft(s, world)
                approvals.submit(session=s, document_id=doc.id, actor=world.drafter,
                                 files_root=work, reviewers=[world.head_of_dept])
                approvals.approve(session=s, document_id=doc.id, actor=world.head_of_dept)
                s.commit()
                start = time.perf_counter()
                person.sign_with_key(session=s, document_id=doc.id, actor=world.deputy,
                                     signer=own, signature=image, converter=conv,
                                     files_root=work)
                s.commit()
                personal.append(time.perf_counter() - start)
                timings: dict[str, float] = {}
                start = time.perf_counter()
                issuing.issue(session=s, document_id=doc.id, actor=world.clerk, keys=org,
                              files_root=work, on=dt.datetime.now(dt.UTC), timings=timings)
                s.commit()
                end = time.perf_counter()
                whole.append(end - start)
                locked.append(end - timings["locked_at"])
            own.close()
        engine.dispose()
    print(f"\nIssuing critical section (SQLite registry, {rounds} documents, medians):")
    print(f"  person's signature at draft sign (render + sign): "
          f"{statistics.median(personal) * 1000:7.1f} ms — outside issuing")
    print(f"  draft issue, whole act:                          "
          f"{statistics.median(whole) * 1000:7.1f} ms")
    print(f"  counter locked (number -> fill -> seal -> store -> commit): "
          f"{statistics.median(locked) * 1000:7.1f} ms")


def _field_box(pdf: bytes) -> tuple[float, float, float, float]:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    for _, _, ref in enumerate_sig_fields(reader):
        return tuple(round(float(v), 2) for v in ref.get_object()["/Rect"])  # type: ignore
    raise SystemExit("no signature field")


if __name__ == "__main__":
    main()
