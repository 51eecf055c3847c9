"""Fixtures for the reporting services: a form, a duty, one unit's request, on both engines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session

from registry.models import Organization, ReportingDuty, ReportRequest
from reporting.forms import FormDef, ensure_form, parse_form
from reporting.scenario import form_dict
from tests import factories


@dataclass
class Owed:
    """A collector, a unit owing one report for 2023-Q4, and the request."""

    form: FormDef
    collector: Organization
    unit: Organization
    duty: ReportingDuty
    request: ReportRequest


@pytest.fixture
def owed(session: Session) -> Owed:
    form = parse_form(form_dict())
    row = ensure_form(session=session, form=form)
    collector = factories.org(session, code="BCĐ", kind="advisory", name="BAN CHỈ ĐẠO\nTỈNH")
    factories.register(session, collector)
    unit = factories.org(session, name="CÔNG AN HUYỆN ĐĂK HÀ")
    duty = ReportingDuty(form_id=row.id, collector_id=collector.id,
                         policy={"kind": "quarterly", "day": 10, "month_of_quarter": 3})
    session.add(duty)
    session.flush()
    request = ReportRequest(duty_id=duty.id, form_id=row.id, unit_id=unit.id, period="2023-Q4",
                            period_start=date(2023, 10, 1), period_end=date(2023, 12, 31),
                            due_date=date(2023, 12, 8))
    session.add(request)
    session.flush()
    return Owed(form, collector, unit, duty, request)
