"""The access log through the web: pages, downloads, the API, register exports, printed
register books and the Appendix VI reports are logged; a secret document without the right is
403 and the refusal stays on the log (committed)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from registry import db, documents
from registry.lookup import get_by_key
from registry.models import AccessEvent, Organization, Person
from tests.web.conftest import Web


def _events(document_id: int | None = None) -> list[tuple[str, str, str, bool]]:
    with db.transaction() as session:
        query = select(AccessEvent).order_by(AccessEvent.id)
        if document_id is not None:
            query = query.where(AccessEvent.document_id == document_id)
        return [(e.actor_label, e.act, e.channel, e.allowed) for e in session.scalars(query)]


def _secret_draft(web: Web) -> int:
    with db.transaction() as session:
        chair = get_by_key(session=session, model=Person, key=web.world.chair_key)
        org = session.get(Organization, chair.organization_id)
        assert org is not None
        doc = documents.create(session=session, doc_type="cong_van", issuer=org,
                               subject="V/v kế hoạch bảo vệ bí mật", created_by=chair,
                               secrecy="TỐI MẬT")
        return doc.id


class TestWebReads:
    def test_reads_are_logged_and_secret_refusals_kept(self, web: Web) -> None:
        """Page, download, API and register export are logged; a TỐI MẬT draft is 403 for the
        clerk (logged, kept after the rollback) and readable by its author, whose page shows
        the refusal; another organisation's clerk gets 404, logged."""
        w = web.world
        assert web.client.get(f"/documents/{w.issued_id}").status_code == 200
        assert web.client.get(f"/documents/{w.issued_id}/files/{w.file_id}").status_code == 200
        assert web.client.get(f"/api/documents/{w.issued_id}").status_code == 200
        assert web.client.get("/so-dang-ky/xlsx?huong=di&nam=2022").status_code == 200
        assert web.client.get("/so-dang-ky/in?huong=di&nam=2022").status_code == 200
        assert "/so-dang-ky/phu-luc-vi" in web.client.get("/so-dang-ky").text
        assert "Phụ lục VI" in web.client.get("/so-dang-ky/phu-luc-vi").text
        for query in ("loai=den&nam=2022&ky=Q4", "loai=van-ban&nam=2022&dang=docx"):
            got = web.client.get(f"/so-dang-ky/phu-luc-vi/tai?{query}")
            assert got.status_code == 200 and got.content[:2] == b"PK"
        assert _events() == [("Trần Thị B", act, channel, True) for act, channel in
                             (("open", "web"), ("download", "web"), ("open", "api"),
                              ("export", "web"), ("print", "web"), ("export", "web"),
                              ("export", "web"))]

        secret = _secret_draft(web)
        page = web.client.get(f"/documents/{secret}")
        assert page.status_code == 403 and "TỐI MẬT" in page.text
        assert web.client.get(f"/api/documents/{secret}").status_code == 403
        assert web.client.get(f"/van-ban/{secret}/sua").status_code == 403
        assert _events(secret) == [("Trần Thị B", "open", "web", False),
                                   ("Trần Thị B", "open", "api", False),
                                   ("Trần Thị B", "open", "web", False)]

        web.sign_in(w.chair_key)
        page = web.client.get(f"/documents/{secret}")
        assert page.status_code == 200
        assert "Nhật ký truy cập" in page.text and "không có quyền (bị từ chối)" in page.text
        assert _events(secret)[-1] == ("Lê Ngọc Tuấn", "open", "web", True)
        book = web.client.get(f"/documents/{secret}/nhat-ky-truy-cap.xlsx")
        assert book.status_code == 200 and book.content[:2] == b"PK"
        sheet = load_workbook(io.BytesIO(book.content)).active
        assert sheet is not None
        assert [r[6] for r in sheet.iter_rows(min_row=3, values_only=True)] == [
            "không có quyền (bị từ chối)"] * 3 + ["người soạn hoặc người ký"]

        web.sign_in(w.clerk_key)  # a văn thư does not export the log
        assert web.client.get(f"/documents/{w.issued_id}/nhat-ky-truy-cap.xlsx"
                              ).status_code == 403

        web.sign_in(w.other_clerk_key)
        assert web.client.get(f"/documents/{w.issued_id}").status_code == 404
        assert _events(w.issued_id)[-1] == ("Đỗ Thị D", "open", "web", False)
