"""Reminder notices and escalations go through the outbox: enqueued with the Reminder row,
delivered by the relay to a real SMTP server on loopback; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outbox.channels.email import SmtpChannel
from outbox.relay import RetryPolicy, relay_once, utcnow
from registry import db
from registry.models import Delivery, DeliveryStatus, Notice, Organization, Reminder
from reporting import scenario, staging
from reporting.staging import Posted
from tests.outbox.smtp_server import SmtpTestServer
from workflows import steps

PERIOD = "2023-Q4"
FAST = RetryPolicy(max_attempts=3, base=60, jitter=0.0, lease=300)


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """The outbox tests' fault-injecting SMTP server on loopback, started."""
    with SmtpTestServer() as server:
        yield server


def _late_cycle(files_dir: Path) -> tuple[int, list[str], steps.CycleSettings]:
    """The instruction drafted (not issued), requests opened, 8 of 10 districts reported:
    (instruction id, keys of the 2 late units, settings sending by e-mail)."""
    settings = steps.CycleSettings(files_dir=str(files_dir), channels=["email"])
    gid = steps.receive_guidance(scenario.guidance())
    iid = steps.draft_instruction(scenario.instruction(gid, reporting_unit_keys=scenario.DISTRICTS),
                                  settings)
    for duty_id, period, units in steps.instruction_plan(iid, [PERIOD]):
        steps.open_requests_chunk(duty_id, period, units)
    reqs = steps.request_ids(1, PERIOD)
    with db.transaction() as s:
        staging.stage_posts(session=s, posts=[
            Posted(request_id=rid, unit_key=unit, values=scenario.sample_values(n))
            for n, (rid, unit) in enumerate(reqs[:8])])
        for first, last in staging.pending_ranges(session=s, duty_id=1, period_key=PERIOD):
            staging.ingest_range(session=s, first_id=first, last_id=last)
    return iid, [unit for _, unit in reqs[8:]], settings


def _relay(server: SmtpTestServer, *, later: float = 0) -> object:
    with SmtpChannel(host=server.host, port=server.port,
                     from_addr="congvan@kontum.example") as channel:
        return relay_once(engine=db.get_engine(), channels={"email": channel}, policy=FAST,
                          clock=lambda: utcnow() + timedelta(seconds=later))


def _orgs(keys: list[str]) -> dict[str, Organization]:
    with db.transaction() as s:
        return {o.key: o for o in s.scalars(select(Organization).where(Organization.key.in_(keys)))}


def _count(model: type, *where: object) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


class TestNoticeStage:
    def test_each_late_unit_receives_its_notice_by_email(
            self, kontum_url: str, files_dir: Path, smtp_server: SmtpTestServer) -> None:
        """On the notice day each unit that has not reported gets one Vietnamese e-mail naming
        the period and the due date, sent by the relay."""
        _, late, settings = _late_cycle(files_dir)
        dates = steps.default_dates(PERIOD, 1)
        assert steps.send_notices(1, PERIOD, "notice", dates["notice"], settings) == 2
        assert _count(Delivery, Delivery.status == DeliveryStatus.QUEUED) == 2
        report = _relay(smtp_server)
        assert report.sent == 2
        units = _orgs(late)
        mails = {m["To"].addresses[0].addr_spec: m for m in smtp_server.mailbox.messages}
        assert set(mails) == {units[k].email for k in late}
        for key in late:
            mail = mails[units[key].email]
            assert mail["Subject"] == "Nhắc hạn gửi báo cáo quý IV năm 2023"
            body = mail.get_content()
            assert body.startswith(f"Kính gửi: {units[key].name_in_text}\r\n")
            assert f"là ngày {dates['due']:%d/%m/%Y}" in body
            assert "Ban Chỉ đạo Phòng, chống tội phạm tỉnh chưa nhận được báo cáo" in body
            assert mail["Message-ID"].startswith("<reminder.")
        assert _count(Delivery, Delivery.status == DeliveryStatus.SENT) == 2

    def test_running_the_step_twice_enqueues_nothing_new(
            self, kontum_url: str, files_dir: Path) -> None:
        """A second run of the notice step (a retried task) claims and enqueues nothing."""
        _, _, settings = _late_cycle(files_dir)
        day = steps.default_dates(PERIOD, 1)["notice"]
        assert steps.send_notices(1, PERIOD, "notice", day, settings) == 2
        assert steps.send_notices(1, PERIOD, "notice", day, settings) == 0
        assert _count(Delivery) == 2 and _count(Notice) == 2
        assert _count(Reminder, Reminder.stage == "notice") == 2

    def test_a_4xx_is_retried_then_sent(self, kontum_url: str, files_dir: Path,
                                         smtp_server: SmtpTestServer) -> None:
        """An SMTP 451 keeps the notice queued for a later pass, which sends it once."""
        _, _, settings = _late_cycle(files_dir)
        steps.send_notices(1, PERIOD, "notice", steps.default_dates(PERIOD, 1)["notice"],
                           settings)
        smtp_server.faults.transient = 1
        first = _relay(smtp_server)
        assert (first.sent, first.retried) == (1, 1)
        assert _count(Delivery, Delivery.status == DeliveryStatus.FAILED) == 1
        second = _relay(smtp_server, later=FAST.base + 1)
        assert (second.sent, second.retried) == (1, 0)
        assert len(smtp_server.mailbox.messages) == 2
        assert set(smtp_server.mailbox.per_message_id.values()) == {1}


class TestEscalationStage:
    def test_superior_is_told_which_unit_is_late(
            self, kontum_url: str, files_dir: Path, smtp_server: SmtpTestServer) -> None:
        """On the escalation day the late unit's parent gets one e-mail per late unit, naming it."""
        _, late, settings = _late_cycle(files_dir)
        day = steps.default_dates(PERIOD, 1)["escalation"]
        assert steps.send_notices(1, PERIOD, "escalation", day, settings) == 2
        assert steps.send_notices(1, PERIOD, "escalation", day, settings) == 0
        _relay(smtp_server)
        units = _orgs([*late, "bcd-kontum"])
        superior = units["bcd-kontum"]
        assert all(units[k].parent_id == superior.id for k in late)
        mails = smtp_server.mailbox.messages
        assert [m["To"].addresses[0].addr_spec for m in mails] == [superior.email] * 2
        assert sorted(m["Subject"] for m in mails) == sorted(
            f"{units[k].name_in_text} chậm gửi báo cáo quý IV năm 2023" for k in late)
        for mail in mails:
            body = mail.get_content()
            assert body.startswith(f"Kính gửi: {superior.name_in_text}\r\n")
            assert "chỉ đạo đơn vị gửi báo cáo ngay" in body


class TestReminderFlow:
    def test_flow_twice_sends_each_notice_once(
            self, prefect_harness: None, kontum_url: str, files_dir: Path,
            smtp_server: SmtpTestServer) -> None:
        """quarterly_cycle run twice on the notice day enqueues the 2 notices once; the relay
        delivers exactly 2 e-mails."""
        from workflows.quarterly_cycle import quarterly_cycle

        iid, _, settings = _late_cycle(files_dir)
        day = steps.default_dates(PERIOD, 1)["notice"]
        assert day < steps.default_dates(PERIOD, 1)["due"]
        for expected in (2, 0):
            summary = quarterly_cycle(iid, PERIOD, "le-ngoc-tuan", "bca", today=day,
                                      settings=settings, aggregate=False)
            assert summary["reminders[1]"]["notice"] == expected
        assert _count(Delivery) == 2
        _relay(smtp_server)
        _relay(smtp_server, later=3600)
        assert len(smtp_server.mailbox.messages) == 2
