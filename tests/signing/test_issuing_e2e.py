"""End to end: a real LibreOffice PDF, real visible PAdES signatures (the person's image between
title and name, then the organisation's seal over its left third), both intact and trusted, and
the register number in the PDF text. One conversion for the whole module."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from doc_templates.pdf import PdfConverter
from registry.models import DocumentStatus as S
from signing import issuing, keys, pkcs12, storage
from signing.locate import page_lines
from signing.signer import ORGANIZATION_FIELD, PERSON_FIELD
from signing.verify import verify_pdf
from tests.signing.test_approvals_fixtures import build_world
from tests.signing.test_issuing import signed_draft

pytestmark = pytest.mark.libreoffice
PASSWORD = "thu-nghiem"


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    with PdfConverter() as conv:
        yield conv


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> keys.DevCAFiles:
    return keys.create_dev_ca(tmp_path_factory.mktemp("keys"), password=PASSWORD)


def widget_rects(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Each signature field's page index and widget /Rect, read with pyHanko's reader."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(io.BytesIO(pdf))
    pages = [reader.find_page_for_modification(i)[0].idnum for i in range(
        int(reader.root["/Pages"]["/Count"]))]
    out = {}
    for name, _, ref in enumerate_sig_fields(reader):
        widget = ref.get_object()
        x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
        out[name] = (pages.index(widget.raw_get("/P").idnum), (x0, y0, x1, y1))
    return out


def test_issue_with_real_pdf_and_two_pades_signatures(
        session: Session, tmp_path: Path, converter: PdfConverter,
        dev_ca: keys.DevCAFiles, engine) -> None:
    """The issued PDF carries the number and two signatures intact and trusted against the demo
    CA; the person's widget lies between title and name on the last page, the seal's right edge a
    third into it; the stored files match their SHA-256."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one LibreOffice conversion per module: the SQLite run covers it")
    world = build_world(session)
    doc = signed_draft(session, world, tmp_path)
    result = issuing.issue(
        session=session, document_id=doc.id, actor=world.clerk, converter=converter,
        keys=pkcs12.pair(dev_ca.signer_p12.parent, PASSWORD), files_root=tmp_path,
        on=datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    assert doc.status is S.ISSUED
    pdf = storage.read(tmp_path, result.pdf.path, expected_sha256=result.pdf.sha256)

    report = verify_pdf(pdf, trust_roots=[dev_ca.ca_cert.read_bytes()])
    assert [(s.field_name, s.intact, s.trusted) for s in report.signatures] == [
        (PERSON_FIELD, True, True), (ORGANIZATION_FIELD, True, True)]
    assert report.ok, [s.problems for s in report.signatures]

    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "01/BCĐ-NC" in text
    assert "ngày 16 tháng 12 năm 2026" in text
    assert "KT. TRƯỞNG BAN" in text and "Nguyễn Văn A" in text

    rects = widget_rects(pdf)
    last_page = int(text.count("\f")) - 1
    page, (px0, py0, px1, py1) = rects[PERSON_FIELD]
    assert page == last_page
    _, _, lines = page_lines(pdf, page)
    title = next(ln for ln in lines if ln.text == "PHÓ TRƯỞNG BAN")
    name = next(ln for ln in lines if ln.text == "Nguyễn Văn A")
    assert name.y1 <= py0 < py1 <= title.y0  # between 7a and 7b
    assert px0 < title.centre_x < px1 and px0 < name.centre_x < px1
    seal_page, (cx0, cy0, cx1, cy1) = rects[ORGANIZATION_FIELD]
    assert seal_page == page
    assert px0 < cx1 < px0 + (px1 - px0) / 2  # the seal reaches into the image's left part
    assert cx1 == pytest.approx(px0 + (px1 - px0) / 3, abs=0.5)
    assert cy0 < (py0 + py1) / 2 < cy1
