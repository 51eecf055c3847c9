"""The deadlines board's read of a period's flow runs from a real Prefect server (the session's
test harness), and its answer when there is no server."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from tests.outbox.smtp_server import free_port
from workflows.cycle_runs import runs_for_period


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the harness sets the API URL"
    return str(url)


def _make_runs() -> None:
    """Runs of the cycle's flows as a worker would leave them: one per state."""
    from prefect import flow, get_client
    from prefect.states import Completed, Failed, Scheduled

    @flow(name="aggregate_reports")
    def aggregate(duty_id: int, period_key: str) -> None: ...

    @flow(name="remind_late_units")
    def remind(period_key: str | None = None) -> None: ...

    @flow(name="reconcile_approved")
    def reconcile() -> None: ...

    moment = dt.datetime(2022, 12, 12, 0, 30, tzinfo=dt.UTC)

    async def make() -> None:
        async with get_client() as client:
            for fn, params, state in (
                (aggregate, {"duty_id": 1, "period_key": "2022-Q4"}, Completed()),
                (aggregate, {"duty_id": 1, "period_key": "2022-Q3"}, Completed()),
                (remind, {"period_key": "2022-Q4"}, Failed(message="SMTP 451 thử lại sau")),
                (remind, {}, Scheduled(scheduled_time=moment)),
                (reconcile, {}, Completed()),
            ):
                run = await client.create_flow_run(fn, parameters=params, state=state)
                await client.update_flow_run(run.id, name=f"{fn.name}-{params.get('period_key')}")
    asyncio.run(make())


class TestCycleRuns:
    def test_runs_of_the_period_with_their_state(self, prefect_harness: None) -> None:
        """The period's own runs and the period-less cycle runs scheduled in its window are
        listed with their state and message; another period's runs and the reconciler are
        not."""
        _make_runs()
        answer = runs_for_period("2022-Q4", api_url=_api_url())
        assert answer.connected and answer.problem is None
        seen = {(r.flow_name, r.period_key, r.state_type) for r in answer.runs}
        assert ("aggregate_reports", "2022-Q4", "COMPLETED") in seen
        assert ("remind_late_units", "2022-Q4", "FAILED") in seen
        assert ("remind_late_units", None, "SCHEDULED") in seen
        assert not any(r.flow_name == "reconcile_approved" for r in answer.runs)
        failed = next(r for r in answer.runs if r.state_type == "FAILED")
        assert failed.message == "SMTP 451 thử lại sau"
        assert not any(r.run_name.endswith("2022-Q3") for r in answer.runs)


class TestNotConnected:
    def test_no_server_configured(self) -> None:
        """Without a server URL the answer says so; nothing is contacted."""
        answer = runs_for_period("2022-Q4", api_url=None)
        assert not answer.connected and "Chưa kết nối máy chủ Prefect" in (answer.problem or "")

    def test_server_down_answers_within_the_timeout(self) -> None:
        """A URL where nothing listens gives a Vietnamese note, not an exception, promptly."""
        started = time.monotonic()
        answer = runs_for_period("2022-Q4", api_url=f"http://127.0.0.1:{free_port()}/api",
                                 timeout=1.0)
        assert not answer.connected and "Không đọc được máy chủ Prefect" in (answer.problem or "")
        assert time.monotonic() - started < 10
