"""documents.search_folded (PostgreSQL, migration 0014): the stored folded text the register
search reads is the text fold() makes, and follows every change of the document."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import documents
from registry.search import FROM, TO, fold
from tests import factories

MIGRATION = (Path(__file__).resolve().parents[2] / "registry" / "migrations" / "versions"
             / "20261129_0014_search_folded.py")


def test_migration_table_is_the_search_table() -> None:
    """The migration froze the same letter table the search folds queries with."""
    spec = importlib.util.spec_from_file_location("m0014", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.FROM, module.TO) == (FROM, TO)


def test_stored_text_is_folded_and_follows_changes(session: Session) -> None:
    """Subject, number, symbol, original number and sender, folded; an edit refolds."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite folds at query time")
    issuer = factories.org(session, code="BCĐ")
    doc = documents.create(session=session, doc_type="cong_van", issuer=issuer,
                           subject="V/v Đôn đốc BÁO CÁO quý IV")
    doc.number, doc.symbol, doc.sender_name = 7, "BCĐ-NC", "Sở Tư pháp"
    session.flush()

    def stored() -> str:
        return str(session.execute(text("SELECT search_folded FROM documents WHERE id = :i"),
                                   {"i": doc.id}).scalar())

    assert stored() == "v/v don doc bao cao quy iv 7 bcd-nc  so tu phap"
    assert fold(stored()) == fold(f"{doc.subject} 7 BCĐ-NC Sở Tư pháp")
    doc.subject = "Kế hoạch Tổng kết"
    session.flush()
    assert stored().startswith("ke hoach tong ket 7 bcd-nc")
