"""A secret document's trích yếu in lists (and /api/documents), the register page and its
search, the register .xlsx and the printed book: hidden behind the label table's placeholder
for a clerk without the right to read it (the row — number, date, mark — stays), shown to a
reader with the right."""

from __future__ import annotations

import html
import io
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from registry import db, documents
from registry.labels import HIDDEN_SUBJECT
from registry.lookup import get_by_key
from registry.models import Document, Organization, Person
from tests import factories
from tests.web import scenario
from tests.web.conftest import Web
from tests.web.module_world import module_web

OTHER_CLERK = "vo-thi-f"
PLAIN_SUBJECT = "V/v trả lời công văn của Ban Chỉ đạo"
NUMBER = "01/BCĐ-NC"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """The scenario with its issued document and its draft marked MẬT, and a second văn thư
    of the same office who neither drafted, registered nor handles them."""
    with module_web(tmp_path_factory.mktemp("secret-subjects")) as built:
        with db.transaction() as session:
            # Core UPDATE: the ORM guard refuses changing an issued document (as it should).
            session.execute(update(Document).where(Document.id.in_(
                (built.world.issued_id, built.world.draft_id))).values(secrecy="MẬT"))
            org = get_by_key(session=session, model=Organization, key="bcd-138")
            scenario.account(session, factories.person(
                session, org, key=OTHER_CLERK, full_name="Võ Thị F", roles=["clerk"]))
            issued = session.get(Document, built.world.issued_id)
            assert issued is not None and issued.number_symbol == NUMBER
            other = get_by_key(session=session, model=Person, key=OTHER_CLERK)
            # A plain draft of the second văn thư that answers the secret one (issue 11, item 5).
            plain = documents.create(session=session, doc_type="cong_van", issuer=org,
                                     drafting_unit="VT", subject=PLAIN_SUBJECT, created_by=other,
                                     recipients=[("Lưu: VT.", None)])
            documents.link(session=session, source=plain, target=issued, kind="answers")
        yield built


def _text(response: object) -> str:
    assert getattr(response, "status_code", None) == 200
    return html.unescape(getattr(response, "text", ""))


def _xlsx_cells(web: Web) -> list[str]:
    got = web.client.get("/so-dang-ky/xlsx?huong=di&nam=2022")
    assert got.status_code == 200
    sheet = load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    return [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]


class TestSecretSubjects:
    def test_clerk_without_the_right_sees_the_row_not_the_subject(self, web: Web) -> None:
        """Documents list, register page, register search, .xlsx and printed book: number and
        mark are there, the subject is the placeholder; a search on the subject's words does
        not find the document, a search on its number does."""
        web.sign_in(OTHER_CLERK)
        with db.transaction() as session:
            clerk = get_by_key(session=session, model=Person, key=OTHER_CLERK)
            assert clerk.has_role("clerk")
        for path in ("/", "/so-dang-ky", "/so-dang-ky/in?huong=di&nam=2022"):
            page = _text(web.client.get(path))
            assert scenario.SUBJECT not in page and scenario.DRAFT_SUBJECT not in page, path
            assert HIDDEN_SUBJECT in page, path
        register = _text(web.client.get("/so-dang-ky"))
        assert NUMBER in register and "MẬT" in _text(
            web.client.get("/so-dang-ky/in?huong=di&nam=2022"))
        assert NUMBER not in _text(web.client.get("/so-dang-ky", params={"q": "triển khai"}))
        found = _text(web.client.get("/so-dang-ky", params={"q": NUMBER}))
        assert NUMBER in found and HIDDEN_SUBJECT in found and scenario.SUBJECT not in found
        listed = {d["id"]: d["subject"] for d in web.client.get("/api/documents").json()}
        assert listed[web.world.issued_id] == HIDDEN_SUBJECT
        cells = _xlsx_cells(web)
        assert NUMBER in cells
        assert not [c for c in cells if scenario.SUBJECT.removeprefix("V/v ") in c]
        assert any(HIDDEN_SUBJECT in c for c in cells)

    def test_reader_with_the_right_sees_the_subject(self, web: Web) -> None:
        """The head of the office (a leader) reads both: the subject shows everywhere, and the
        search finds the document by its subject's words."""
        web.sign_in(web.world.chair_key)
        for path in ("/so-dang-ky", "/so-dang-ky/in?huong=di&nam=2022"):
            page = _text(web.client.get(path))
            assert scenario.SUBJECT in page and HIDDEN_SUBJECT not in page, path
        assert scenario.DRAFT_SUBJECT in _text(web.client.get("/"))
        assert NUMBER in _text(web.client.get("/so-dang-ky", params={"q": "triển khai"}))
        assert any(scenario.SUBJECT in c for c in _xlsx_cells(web))
        listed = {d["id"]: d["subject"] for d in web.client.get("/api/documents").json()}
        assert listed[web.world.issued_id] == scenario.SUBJECT

    def test_linked_documents_show_the_placeholder(self, web: Web) -> None:
        """The document page's linked-documents list names the secret document by its number
        and shows its trích yếu only to a reader with the right."""
        with db.transaction() as session:
            plain_id = session.scalars(select(Document.id).where(
                Document.subject == PLAIN_SUBJECT)).one()
        plain = f"/documents/{plain_id}"
        web.sign_in(OTHER_CLERK)
        page = _text(web.client.get(plain))
        assert PLAIN_SUBJECT in page and NUMBER in page
        assert HIDDEN_SUBJECT in page and scenario.SUBJECT not in page
        web.sign_in(web.world.chair_key)
        page = _text(web.client.get(plain))
        assert scenario.SUBJECT in page and HIDDEN_SUBJECT not in page
