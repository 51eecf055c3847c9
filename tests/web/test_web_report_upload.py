"""A unit files its report as the filled form workbook (.xlsx), signed in or through its
single-use link: the receipt, errors beside their fields, hostile files refused."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from congvan.auth import links
from registry import db
from registry.clock import to_local
from registry.models import Person, Submission
from reporting.forms import parse_form
from reporting.xlsx import fill_workbook
from tests.web import scenario
from tests.web.conftest import Web, csrf_of
from tests.web.module_world import module_web

FORM = parse_form(scenario.FORM)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with module_web(tmp_path_factory.mktemp("upload")) as built:
        yield built


@pytest.fixture
def reporter(web: Web) -> Web:
    """Signed in as the late unit's reporter (argon2 is slow: only when not already)."""
    answer = web.client.get("/api/session")
    if answer.status_code != 200 or answer.json().get("login") != web.world.reporter_key:
        web.sign_in(web.world.reporter_key)
    return web


def template(web: Web, request_id: int) -> bytes:
    answer = web.client.get(f"/bao-cao/{request_id}/mau.xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    return answer.content


def upload(web: Web, request_id: int, data: bytes, name: str = "bao-cao.xlsx"):  # type: ignore[no-untyped-def]
    return web.client.post(f"/bao-cao/{request_id}/xlsx", files={"tep": (name, data, XLSX)})


def error_beside(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-loi">([^<]+)<', page)
    assert found, f"no error beside {field}"
    return found.group(1)


class TestUpload:
    def test_filled_template_is_received_with_a_receipt(self, reporter: Web) -> None:
        """The unit's own template, filled, is filed: reference BC-n and the time recorded on
        the submission in Vietnam's time; the stored file is the uploaded one."""
        late = reporter.world.late_request_id
        data = fill_workbook(template(reporter, late), {"mo_hinh": 7, "nguoi_tham_gia": 900},
                             FORM)
        answer = upload(reporter, late, data)
        assert answer.status_code == 200, answer.text
        found = re.search(r"Mã tiếp nhận <strong[^>]*>BC-(\d+)</strong>", answer.text)
        assert found and "Đã nhận báo cáo." in answer.text
        with db.transaction() as session:
            row = session.get(Submission, int(found.group(1)))
            assert row is not None and row.channel == "xlsx" and row.current
            assert row.values == {"mo_hinh": 7, "nguoi_tham_gia": 900}
            assert row.request_id == late and row.file_sha256
            local = to_local(row.submitted_at)
        assert f"{local:%H:%M}" in answer.text and f"năm {local.year}" in answer.text

    def test_wrong_figures_are_shown_beside_their_fields_with_the_cell(self, reporter: Web
                                                                       ) -> None:
        """A negative figure comes back next to its field, naming the workbook cell; nothing
        is stored."""
        late = reporter.world.late_request_id
        data = fill_workbook(template(reporter, late), {"mo_hinh": -3, "nguoi_tham_gia": "nhiều"},
                             FORM)
        before = _count(late)
        answer = upload(reporter, late, data)
        assert answer.status_code == 422
        assert error_beside(answer.text, "v_mo_hinh").startswith("Ô D6: Tổng số mô hình")
        assert "không phải là số" in error_beside(answer.text, "v_nguoi_tham_gia")
        assert _count(late) == before

    @pytest.mark.parametrize(("make", "said"), [
        (lambda t: b"%PDF-1.7\n%%EOF\n", "không phải bảng tính .xlsx"),
        (lambda t: _zip({"word/document.xml": b"<w:document/>"}), "không đọc được bảng tính"),
        (lambda t: _zip({"xl/worksheets/sheet1.xml": b"\0" * 30_000_000}),
         "dấu hiệu tệp nén độc hại"),
        (lambda t: _formula(t), "chứa công thức"),
        (lambda t: _huge(t), "quá lớn với mẫu"),
        (lambda t: _renamed(t), "không có trang tính 'MauThongKe'"),
    ], ids=["pdf", "docx-like-zip", "zip-bomb", "formula", "huge-sheet", "renamed-sheet"])
    def test_hostile_files_are_refused_with_a_clear_message(self, reporter: Web, make, said
                                                            ) -> None:  # type: ignore[no-untyped-def]
        """Not a workbook, a zip bomb, a formula, a huge or renamed sheet: refused beside the
        upload field, nothing stored."""
        late = reporter.world.late_request_id
        before = _count(late)
        answer = upload(reporter, late, make(template(reporter, late)))
        assert answer.status_code == 422
        shown = re.search(r'id="tep-loi">([^<]+)<', answer.text)
        assert shown and said in html.unescape(shown.group(1)), answer.text[-3000:]
        assert 'aria-describedby="tep-loi"' in answer.text
        assert _count(late) == before

    def test_another_units_workbook_is_refused(self, reporter: Web) -> None:
        """Another unit's filled workbook, uploaded by the late unit's reporter, is refused
        naming the unit it belongs to."""
        answer = upload(reporter, reporter.world.late_request_id, _other_units_workbook(reporter))
        assert answer.status_code == 422
        assert "mẫu của đơn vị 'ca-dak-ha'" in html.unescape(answer.text)

    def test_over_the_form_limit_is_413(self, reporter: Web) -> None:
        """A file over 5 MB answers 413 with the limit in the message."""
        answer = upload(reporter, reporter.world.late_request_id, b"PK" + b"x" * (5 * 2**20))
        assert answer.status_code == 413 and "lớn hơn 5 MB" in answer.text

    def test_no_file_chosen(self, reporter: Web) -> None:
        """Posting without a file says to choose one."""
        answer = reporter.client.post(f"/bao-cao/{reporter.world.late_request_id}/xlsx",
                                      data={"x": "1"})
        assert answer.status_code == 422 and "Chưa chọn tệp" in answer.text

    def test_another_units_request_is_404(self, reporter: Web) -> None:
        """A reporter reaches neither the template nor the upload of another unit."""
        other = reporter.world.submitted_request_id
        assert reporter.client.get(f"/bao-cao/{other}/mau.xlsx").status_code == 404
        assert upload(reporter, other, b"PK").status_code == 404


class TestThroughTheLink:
    def test_link_session_uploads_its_own_request_only(self, web: Web) -> None:
        """Opened through the single-use link, the form takes the workbook and gives a
        receipt; the session reaches no other request."""
        with db.transaction() as session:
            clerk = session.scalar(select(Person).where(Person.key == web.world.clerk_key))
            token = links.make(session=session, request_id=web.world.late_request_id,
                               actor=clerk, valid_for=timedelta(days=2)).token
        web.sign_out()
        shown = web.client.get(f"/nop-bao-cao/{token}")
        opened = web.client.post(f"/nop-bao-cao/{token}", data={"csrf_token": csrf_of(shown.text)})
        assert opened.status_code == 200 and "Hoặc nộp bằng tệp Excel" in opened.text
        web.client.headers["X-CSRF-Token"] = csrf_of(opened.text)
        late = web.world.late_request_id
        data = fill_workbook(template(web, late), {"mo_hinh": 4, "nguoi_tham_gia": 40}, FORM)
        answer = upload(web, late, data)
        assert answer.status_code == 200 and "Mã tiếp nhận" in answer.text
        other = web.world.submitted_request_id
        assert web.client.get(f"/bao-cao/{other}/mau.xlsx").status_code == 404
        assert upload(web, other, data).status_code == 404


def _count(request_id: int) -> int:
    with db.transaction() as session:
        return len(session.scalars(select(Submission).where(
            Submission.request_id == request_id)).all())


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _edit(template: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _formula(template: bytes) -> bytes:
    def change(wb):  # type: ignore[no-untyped-def]
        wb["MauThongKe"]["D6"] = '=WEBSERVICE("http://example.test/x")'
        wb["MauThongKe"]["D7"] = 5
    return _edit(template, change)


def _huge(template: bytes) -> bytes:
    def change(wb):  # type: ignore[no-untyped-def]
        wb["MauThongKe"]["A50000"] = 1
    return _edit(template, change)


def _renamed(template: bytes) -> bytes:
    def change(wb):  # type: ignore[no-untyped-def]
        wb["MauThongKe"].title = "Sheet1"
    return _edit(template, change)


def _other_units_workbook(web: Web) -> bytes:
    # Built through the reporting service, as the CLI demo does.
    from registry.models import ReportRequest
    from reporting.xlsx import build_workbook

    with db.transaction() as session:
        r = session.get(ReportRequest, web.world.submitted_request_id)
        assert r is not None
        blank = build_workbook(FORM, unit_name=r.unit.name, unit_key=r.unit.key,
                               period_key=r.period, period_label="Quý IV năm 2022",
                               request_id=r.id, due="10/12/2022")
    return fill_workbook(blank, {"mo_hinh": 1, "nguoi_tham_gia": 2}, FORM)
