"""The guidance is registered through the one intake service: same number, same recognition."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outbox.intake import corrected, paper, register_incoming
from registry.directory import import_file
from registry.models import Document, IncomingArrival, ReportingDuty
from reporting.guidance import register_guidance
from reporting.scenario import DIRECTORY_FILE, guidance


class TestGuidanceIntake:
    def test_registered_once_with_its_duties(self, session: Session, tmp_path: Path) -> None:
        """Registering 22/HD-BCA-V05 twice gives one document, one arrival and three duties; the
        same guidance typed in from paper later is recognised, not renumbered."""
        import_file(session=session, path=DIRECTORY_FILE)
        first = register_guidance(session=session, guidance=guidance())
        assert register_guidance(session=session, guidance=guidance()) == first
        doc = session.get(Document, first)
        assert doc is not None and (doc.number, doc.original_number) == (1, "22/HD-BCA-V05")
        assert doc.sender is not None and doc.sender.key == "bca"
        duties = session.scalar(select(func.count()).select_from(ReportingDuty).where(
            ReportingDuty.source_document_id == first))
        arrivals = session.scalar(select(func.count()).select_from(IncomingArrival).where(
            IncomingArrival.document_id == first))
        assert (duties, arrivals) == (3, 1)
        typed = corrected(paper(), number="22", symbol="HD-BCA-V05", date_="18/11/2022",
                          issuer="BỘ CÔNG AN", subject="Xây dựng, nhân rộng mô hình")
        again = register_incoming(session=session, organization_id=doc.register.organization_id
                                  if doc.register else 0, incoming=typed,
                                  arrived_at=datetime(2022, 11, 28, 2, tzinfo=UTC),
                                  files_root=tmp_path)
        assert again.duplicate and again.document.id == first
        assert doc.original_date == date(2022, 11, 18)
