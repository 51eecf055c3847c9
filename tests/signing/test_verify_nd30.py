"""`congvan verify` as the integrity gate of issued documents (ND30 profile): the genuine file
passes (and poppler's pdfsig agrees); each forgery, built with pyHanko's incremental writer,
is refused by kind. One genuine document per module: LibreOffice render, the reserved fields,
the person's signature, the fill, the organisation's signature — the issuing pipeline without
a database."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from congvan.cli import app
from doc_templates.pdf import PdfConverter
from doc_templates.spec import parse_spec
from signing import final, keys
from signing.appearance import PngImage, SealImage, SignatureImage
from signing.errors import VerificationError
from signing.keyring import KeySource
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD
from signing.verify import verify_pdf

pytestmark = pytest.mark.libreoffice
PASSWORD = "thu-nghiem"
TITLE = "TM. BAN CHỈ ĐẠO\nKT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN"
NAME = "Nguyễn Văn A"
runner = CliRunner()


@dataclass(frozen=True)
class Docs:
    ca: keys.DevCAFiles
    rogue: keys.DevCAFiles
    filled: bytes  # person-signed and filled, before the organisation's signature
    genuine: bytes
    work: Path


def _spec() -> object:
    return parse_spec({
        "type": "cong_van", "issuer": {"parent": "UBND TỈNH KON TUM",
                                       "name": "BAN CHỈ ĐẠO PCTP, TNXH\nTỈNH KON TUM",
                                       "code": "BCĐ"},
        "drafting_unit": "NC", "subject": "V/v báo cáo kết quả", "place": "Kon Tum",
        "body": "Đề nghị các đơn vị báo cáo kết quả thực hiện.",
        "recipients": ["Các thành viên Ban Chỉ đạo"],
        "signature": {"authority": "KT.", "on_behalf_of": "BAN CHỈ ĐẠO",
                      "for_title": "TRƯỞNG BAN", "title": "PHÓ TRƯỞNG BAN", "name": NAME},
    }, source="test")


def _org_sign(pdf: bytes, p12: Path, seal: Path) -> bytes:
    with KeySource.pkcs12(p12, PASSWORD).open() as org:
        return org.sign_pdf(pdf, appearance=SealImage(PngImage.from_file(seal), TITLE, NAME),
                            reason="Chữ ký số của cơ quan", field_name=ORGANIZATION_FIELD)


def _person_sign(pdf: bytes, p12: Path, image: Path) -> bytes:
    with KeySource.pkcs12(p12, PASSWORD).open() as person:
        return person.sign_pdf(pdf, appearance=SignatureImage(PngImage.from_file(image), TITLE,
                                                              NAME),
                               reason="Ký duyệt", field_name=PERSON_FIELD)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Docs]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    work = tmp_path_factory.mktemp("nd30")
    ca = keys.create_dev_ca(work / "ca", password=PASSWORD, signer_name=NAME,
                            organization="BAN CHỈ ĐẠO PCTP, TNXH TỈNH KON TUM",
                            people=[("chair", "Lê Ngọc Tuấn")])
    rogue = keys.create_dev_ca(work / "rogue", password=PASSWORD, signer_name=NAME,
                               organization="BAN CHỈ ĐẠO PCTP, TNXH TỈNH KON TUM")
    with PdfConverter() as conv:
        rendered = conv.convert_bytes(final.render_reserved_docx(_spec(), year=2026))
    reserved = final.add_reserved_fields(rendered, final.locate_slots(rendered))
    signed = _person_sign(reserved, ca.signer_p12, ca.signature_png)
    filled = final.fill(signed, number=7, on=dt.date(2026, 12, 16))
    genuine = _org_sign(filled, ca.organization_p12, ca.seal_png)
    yield Docs(ca, rogue, filled, genuine, work)


def _kinds(pdf: bytes, docs: Docs) -> set[str]:
    report = verify_pdf(pdf, trust_roots=[docs.ca.ca_cert.read_bytes()], profile="nd30")
    assert not report.ok
    return {f.kind for f in report.findings}


def _incremental(pdf: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _appearance(writer, text: bytes) -> object:  # type: ignore[no-untyped-def]
    from pyhanko.pdf_utils import generic

    font = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Font"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
        generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica")}))
    return writer.add_object(generic.StreamObject({
        generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
        generic.pdf_name("/BBox"): generic.ArrayObject([generic.NumberObject(v)
                                                        for v in (0, 0, 400, 60)]),
        generic.pdf_name("/Resources"): generic.DictionaryObject({
            generic.pdf_name("/Font"): generic.DictionaryObject(
                {generic.pdf_name("/F1"): font})}),
    }, stream_data=b"1 1 1 rg 0 0 400 60 re f 0 g BT /F1 18 Tf 5 20 Td (" + text + b") Tj ET"))


def _add_annotation(pdf: bytes, subtype: str, **extra: object) -> bytes:
    from pyhanko.pdf_utils import generic

    def change(writer) -> None:  # type: ignore[no-untyped-def]
        page = writer.find_page_for_modification(0)[0]
        annot = generic.DictionaryObject({
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name(subtype),
            generic.pdf_name("/Rect"): generic.ArrayObject(
                [generic.NumberObject(v) for v in (100, 500, 500, 560)]),
            generic.pdf_name("/F"): generic.NumberObject(4),
            generic.pdf_name("/AP"): generic.DictionaryObject(
                {generic.pdf_name("/N"): _appearance(writer, b"SO TIEN: 9.000.000.000")}),
            **{generic.pdf_name(k): generic.TextStringObject(v) if isinstance(v, str) else v
               for k, v in extra.items()},
        })
        writer.register_annotation(page, writer.add_object(annot))

    return _incremental(pdf, change)


class TestGenuine:
    def test_genuine_passes_verify_and_pdfsig(self, docs: Docs) -> None:
        """The issued file passes `congvan verify` (ND30 profile, exit 0) and poppler's pdfsig
        reports both signatures valid."""
        path = docs.work / "genuine.pdf"
        path.write_bytes(docs.genuine)
        result = runner.invoke(app, ["verify", str(path), "--trust-root", str(docs.ca.ca_cert),
                                     "--no-registry", "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["profile"] == "nd30" and data["findings"] == [] and data["ok"] is True
        done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.count("Signature is Valid") == 2


class TestForgeries:
    def test_overlay_through_an_unsigned_signature_field(self, docs: Docs) -> None:
        """A new unsigned signature field whose appearance paints over the body (pyHanko
        alone calls it form filling) is reported as a new field."""
        from pyhanko.pdf_utils import generic

        def change(writer) -> None:  # type: ignore[no-untyped-def]
            page = writer.find_page_for_modification(0)[0]
            widget = writer.add_object(generic.DictionaryObject({
                generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
                generic.pdf_name("/Subtype"): generic.pdf_name("/Widget"),
                generic.pdf_name("/FT"): generic.pdf_name("/Sig"),
                generic.pdf_name("/T"): generic.TextStringObject("Overlay"),
                generic.pdf_name("/F"): generic.NumberObject(4),
                generic.pdf_name("/P"): page,
                generic.pdf_name("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (100, 500, 500, 560)]),
                generic.pdf_name("/AP"): generic.DictionaryObject(
                    {generic.pdf_name("/N"): _appearance(writer, b"DA DUOC DUYET 9 TY")}),
            }))
            form = writer.root["/AcroForm"]
            form["/Fields"].append(widget)
            writer.update_container(form)
            writer.register_annotation(page, widget)

        forged = _incremental(docs.genuine, change)
        pyhanko_alone = verify_pdf(forged, trust_roots=[docs.ca.ca_cert.read_bytes()])
        assert pyhanko_alone.ok  # the trap: the generic check accepts it
        assert "new_field" in _kinds(forged, docs)

    def test_free_text_annotation(self, docs: Docs) -> None:
        """A FreeText annotation added after the organisation's signature."""
        forged = _add_annotation(docs.genuine, "/FreeText",
                                 **{"/Contents": "SO TIEN: 9.000.000.000"})
        assert {"annotation", "not_whole_file"} <= _kinds(forged, docs)

    def test_stamp_annotation(self, docs: Docs) -> None:
        """A Stamp annotation added after the organisation's signature."""
        assert "annotation" in _kinds(_add_annotation(docs.genuine, "/Stamp"), docs)

    def test_new_content_stream(self, docs: Docs) -> None:
        """A content stream appended to page 1."""
        from pyhanko.pdf_utils import generic

        def change(writer) -> None:  # type: ignore[no-untyped-def]
            stream = writer.add_object(generic.StreamObject(
                stream_data=b"1 1 1 rg 100 700 300 40 re f"))
            writer.add_stream_to_page(0, stream)

        assert "content_change" in _kinds(_incremental(docs.genuine, change), docs)

    def test_removed_last_signature(self, docs: Docs) -> None:
        """The file cut at the end of the fill revision: the organisation's signature is
        missing (and pyHanko alone sees one intact signature)."""
        end = docs.genuine.rfind(b"%%EOF", 0, len(docs.genuine) - 8) + 5
        cut = docs.genuine[:end] + b"\n"
        assert cut.startswith(docs.filled[:len(docs.filled) - 8])
        assert "missing_signature" in _kinds(cut, docs)

    def test_trailing_garbage(self, docs: Docs) -> None:
        """Bytes after the last %%EOF."""
        forged = docs.genuine + b"\n% appended after signing\n1 0 obj (x) endobj\n"
        assert "trailing_bytes" in _kinds(forged, docs)

    def test_certificate_of_another_ca_with_the_same_names(self, docs: Docs) -> None:
        """An organisation signature by a rogue CA's key with identical names: untrusted."""
        forged = _org_sign(docs.filled, docs.rogue.organization_p12, docs.rogue.seal_png)
        report = verify_pdf(forged, trust_roots=[docs.ca.ca_cert.read_bytes()], profile="nd30")
        assert not report.ok
        org = report.signatures[-1]
        assert org.intact and not org.trusted
        assert org.signer == report.signatures[-1].signer  # same printed names
        assert any("tin cậy" in p for p in org.problems)

    def test_fill_with_a_painted_appearance(self, docs: Docs) -> None:
        """The number field filled with an appearance that is not its digits."""
        from pyhanko.pdf_utils import generic

        def change(writer) -> None:  # type: ignore[no-untyped-def]
            ref, _ = final.reserved_fields(writer.prev)[final.NUMBER_FIELD]
            field = writer.get_object(ref.reference)
            field[generic.pdf_name("/V")] = generic.TextStringObject("07")
            field[generic.pdf_name("/AP")] = generic.DictionaryObject(
                {generic.pdf_name("/N"): _appearance(writer, b"9999")})
            writer.mark_update(ref)

        person_signed = docs.filled[:docs.filled.rfind(b"%%EOF", 0, len(docs.filled) - 8) + 5]
        painted = _incremental(person_signed + b"\n", change)
        forged = _org_sign(painted, docs.ca.organization_p12, docs.ca.seal_png)
        assert "fill_appearance" in _kinds(forged, docs)


class TestMalformed:
    def test_deeply_nested_pdf_is_a_clear_error(self) -> None:
        """Ten thousand nested arrays: a Vietnamese error, never a traceback."""
        body = b"[" * 10000 + b"]" * 10000
        pdf = (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R /X " + body + b" >> endobj\n"
               b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
               b"trailer << /Root 1 0 R >>\n%%EOF\n")
        with pytest.raises(VerificationError):
            verify_pdf(pdf, profile="nd30")

    def test_not_a_pdf_exits_two(self, tmp_path: Path) -> None:
        """Garbage gives exit code 2 and a message."""
        path = tmp_path / "x.pdf"
        path.write_bytes(b"GIF89a" + b"\x00" * 100)
        result = runner.invoke(app, ["verify", str(path), "--no-registry"])
        assert result.exit_code == 2 and "không phải PDF" in result.output
