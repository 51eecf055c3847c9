"""Two actors changing one document at once (two reconciler runs, a run and a clerk): the
second waits for the first one's row lock and then sees what the first did, on a real
PostgreSQL with two connections."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from registry import db, documents
from registry.errors import NotFound
from registry.models import Document, DocumentStatus
from tests import factories

pytestmark = pytest.mark.postgres


def _signed_document(engine: Any) -> int:
    with Session(engine) as s, s.begin():
        org = factories.org(s, key="ubnd-tinh", code="UBND")
        doc = documents.create(session=s, doc_type="cong_van", issuer=org,
                               subject="Về việc đôn đốc báo cáo")
        s.execute(update(Document).where(Document.id == doc.id)
                  .values(status=DocumentStatus.SIGNED))
        return doc.id


def test_the_second_locker_waits_and_sees_the_first_ones_change(fresh_pg_url: str) -> None:
    """While the first transaction holds the document, the second one's lock waits; after the
    first commits ISSUED, the second reads ISSUED (not the SIGNED it would have cached)."""
    engine = db.make_engine(fresh_pg_url)
    doc_id = _signed_document(engine)
    first = Session(engine)
    held = documents.lock(session=first, document_id=doc_id)
    assert held.status is DocumentStatus.SIGNED
    seen: list[Any] = []
    started = threading.Event()

    def second() -> None:
        with Session(engine) as s:
            cached = s.get(Document, doc_id)  # read before the lock: SIGNED
            assert cached is not None
            seen.append(cached.status)
            started.set()
            locked = documents.lock(session=s, document_id=doc_id)
            seen.append((locked.status, time.monotonic()))
            s.rollback()

    thread = threading.Thread(target=second)
    thread.start()
    assert started.wait(30)
    time.sleep(0.5)  # the second lock is now waiting for the first transaction
    assert len(seen) == 1, "the second transaction did not wait for the lock"
    held.status = DocumentStatus.ISSUED
    first.flush()
    released = time.monotonic()
    first.commit()
    first.close()
    thread.join(30)
    assert seen[0] is DocumentStatus.SIGNED
    status, at = seen[1]
    assert status is DocumentStatus.ISSUED
    assert at >= released
    engine.dispose()


def test_locking_a_missing_document_is_not_found(fresh_pg_url: str) -> None:
    """An unknown id is NotFound, as for a plain read."""
    engine = db.make_engine(fresh_pg_url)
    with Session(engine) as s, pytest.raises(NotFound, match="#424242"):
        documents.lock(session=s, document_id=424242)
    engine.dispose()
