"""Register search that ignores diacritics and case, on SQLite and PostgreSQL alike.

``fold("Đôn đốc BÁO CÁO")`` is ``"don doc bao cao"``. The database folds the
stored text the same way: PostgreSQL with ``translate()`` over a fixed table of
Vietnamese letters (no extension, no locale dependence) in a stored generated
column (``documents.search_folded``, migration 0014), SQLite at query time with
the same Python function registered on the connection. Every word of the
query must appear; a query that is a number/symbol ("12/BC-UBND") also matches
that exact document. A secret document whose subject the searcher may not see
(registry.access.may_see_subject) matches on its number, symbol and sender only.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session, defer

from registry.access import may_see_subject, visible_to
from registry.models import Direction, Document, DocumentStatus, Person

_VOWELS = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ", "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ",
}
_SOURCE = "".join(letters + letters.upper() for letters in _VOWELS.values())
_TARGET = "".join(base * (2 * len(letters)) for base, letters in _VOWELS.items())
_ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# One table for both engines: accented and capital letters to plain lower case.
FROM = _SOURCE + _ASCII_UPPER
TO = _TARGET + _ASCII_UPPER.lower()
_TABLE = str.maketrans(FROM, TO)
MAX_QUERY = 200


def fold(text: str | None) -> str:
    """Lower case without diacritics, spaces collapsed (NFC first, as stored)."""
    if not text:
        return ""
    plain = unicodedata.normalize("NFC", text).translate(_TABLE)
    return " ".join(plain.lower().split())


def _sqlite_fold(text: str | None) -> str:
    return fold(text)


def _folded(session: Session, column: ColumnElement[str]) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "sqlite":
        return func.cv_fold(column)
    return func.translate(column, literal(FROM), literal(TO))


def _prepare(session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        raw = session.connection().connection.driver_connection
        assert raw is not None
        raw.create_function("cv_fold", 1, _sqlite_fold, deterministic=True)


def _haystack(session: Session) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        # Kept by PostgreSQL on every write (migration 0014_search_folded: the expression
        # below, stored): folding 20,000 rows at query time took seconds.
        return literal_column("documents.search_folded", String)
    parts: list[ColumnElement[str]] = [
        func.coalesce(Document.subject, ""),
        func.coalesce(cast(Document.number, String), ""),
        func.coalesce(Document.symbol, ""),
        func.coalesce(Document.original_number, ""),
        func.coalesce(Document.sender_name, ""),
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + literal(" ") + part
    return _folded(session, joined)


def _exact_symbol(session: Session, query: str) -> ColumnElement[bool] | None:
    number, slash, symbol = query.strip().partition("/")
    if not slash or not number.isdigit() or not symbol or len(number) > 9:
        return None
    # The cheap test first on each side (the number; the folded text holding the query), so
    # the per-row fold runs only on the few rows that pass it.
    whole = fold(query)
    return or_(and_(Document.number == int(number),
                    _folded(session, func.coalesce(Document.symbol, "")) == fold(symbol)),
               and_(_haystack(session).contains(whole, autoescape=True),
                    _folded(session, func.coalesce(Document.original_number, "")) == whole))


def search(*, session: Session, actor: Person, query: str = "",
           direction: Direction | None = None, year: int | None = None,
           doc_type: str | None = None, status: DocumentStatus | None = None,
           date_from: dt.date | None = None, date_to: dt.date | None = None,
           party: str | None = None, limit: int = 200, offset: int = 0,
           full: bool = False) -> Sequence[Document]:
    """Documents ``actor`` may see that match every word of ``query`` and the filters,
    newest first; ``limit`` of them from ``offset`` (a page). ``party`` is the issuer
    (outgoing) or the sender (incoming), by words. The text and layout of each document (body,
    spec, signature block) are not loaded unless ``full`` (the printed register reads the
    spec): a list shows none of them, and reading them for 200 rows cost more than the search
    itself (bench/web.py)."""
    _prepare(session)
    conditions: list[ColumnElement[bool]] = [visible_to(actor)]
    words = fold(query[:MAX_QUERY]).split()
    if words:
        haystack = _haystack(session)
        every_word = and_(*(haystack.contains(w, autoescape=True) for w in words))
        exact = _exact_symbol(session, query[:MAX_QUERY])
        conditions.append(or_(every_word, exact) if exact is not None else every_word)
    if direction is not None:
        conditions.append(Document.direction == direction)
    if doc_type:
        conditions.append(Document.doc_type == doc_type)
    if status is not None:
        conditions.append(Document.status == status)
    day = func.coalesce(Document.issue_date, Document.original_date)
    if year is not None:
        conditions.append(or_(Document.year == year, and_(
            Document.year.is_(None), day >= dt.date(year, 1, 1), day <= dt.date(year, 12, 31))))
    if date_from is not None:
        conditions.append(day >= date_from)
    if date_to is not None:
        conditions.append(day <= date_to)
    if party:
        from registry.models import Organization

        names = select(Organization.id).where(and_(*(
            _folded(session, func.coalesce(Organization.name, "")).contains(w, autoescape=True)
            for w in fold(party[:MAX_QUERY]).split())))
        conditions.append(or_(Document.issuer_id.in_(names), Document.sender_id.in_(names),
                              and_(*(_folded(session, func.coalesce(Document.sender_name, ""))
                                     .contains(w, autoescape=True)
                                     for w in fold(party[:MAX_QUERY]).split()))))
    chosen = select(Document).where(*conditions)
    if not full:
        chosen = chosen.options(defer(Document.body), defer(Document.spec),
                                defer(Document.signature_block))
    found = session.scalars(chosen.order_by(day.desc().nulls_last(), Document.id.desc())
                            .offset(offset).limit(limit)).all()
    if not words:
        return found
    # A secret document whose subject the reader may not see matches on its number, symbol
    # and sender only: its hidden subject must not be guessable by searching.
    return [doc for doc in found
            if may_see_subject(session=session, document=doc, reader=actor)
            or _matches_without_subject(doc, words, query[:MAX_QUERY])]


def _matches_without_subject(doc: Document, words: Sequence[str], query: str) -> bool:
    haystack = fold(" ".join((str(doc.number) if doc.number is not None else "",
                              doc.symbol or "", doc.original_number or "",
                              doc.sender_name or "")))
    if all(w in haystack for w in words):
        return True
    number, slash, symbol = query.strip().partition("/")
    if slash and number.isdigit() and doc.number == int(number) and fold(doc.symbol) == \
            fold(symbol):
        return True
    return fold(doc.original_number) == fold(query) != ""
