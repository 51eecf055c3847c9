"""The flow runs of one reporting period, read from the Prefect server for the deadlines board.

A run belongs to the period when its parameters name it (``period_key``, or ``period_keys``
holding it); a cycle flow that takes no period (the daily reminder over every open period,
report collection) belongs when it was scheduled inside the period's window — from its
first day to three months after its last. The reconciler (every ten minutes, every period)
is not listed.

This reads Prefect's REST API (``POST /flow_runs/filter``, ``/flows/filter``) with httpx
under a hard time limit instead of importing prefect's client: the web process then pays
neither ``import prefect`` (1.2–1.5 s) nor its logging set-up, and a server that is down or
slow costs the page at most ``timeout`` seconds. No server configured, or none answering,
is an answer too (``connected=False`` with the reason in Vietnamese), never an exception.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx

from registry.calendar import Period, PolicyError

CYCLE_FLOWS = ("instruct_units", "issue_instruction", "collect", "ingest_posts",
               "remind_late_units", "aggregate_reports", "forward_report", "quarterly_cycle")
WINDOW_AFTER = dt.timedelta(days=92)
FETCH = 200


@dataclass(frozen=True)
class CycleRun:
    """One flow run as the board shows it."""

    flow_name: str
    run_name: str
    state_type: str  # Prefect's state type; "LATE" for a scheduled run no worker picked up
    state_name: str
    message: str | None
    expected_start: dt.datetime | None
    start: dt.datetime | None
    end: dt.datetime | None
    period_key: str | None  # None: the run covers every open period (daily reminder, collect)


@dataclass(frozen=True)
class CycleRuns:
    """The answer: the runs, or why there are none to show."""

    connected: bool
    runs: list[CycleRun] = field(default_factory=list)
    problem: str | None = None
    server: str | None = None


def runs_for_period(period_key: str, *, api_url: str | None, timeout: float = 3.0,
                    limit: int = 30) -> CycleRuns:
    """The newest ``limit`` runs of the period's cycle flows on the server at ``api_url``."""
    if not api_url:
        return CycleRuns(False, problem="Chưa kết nối máy chủ Prefect (CONGVAN_PREFECT_API_URL "
                                        "chưa đặt): các lượt chạy tự động không hiển thị ở đây.")
    try:
        period = Period.from_key(period_key)
    except PolicyError as exc:
        return CycleRuns(True, problem=str(exc), server=api_url)
    base = api_url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=httpx.Timeout(timeout)) as client:
            flows = _post(client, "/flows/filter", {"flows": {"name": {"any_": CYCLE_FLOWS}}})
            names = {f["id"]: f["name"] for f in flows}
            raw = _fetch(client, names, period) if names else []
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        return CycleRuns(False, server=api_url, problem=(
            f"Không đọc được máy chủ Prefect {base} ({type(exc).__name__}); kiểm tra máy chủ "
            f"đang chạy và CONGVAN_PREFECT_API_URL. Trang vẫn dùng được bình thường."))
    runs = [run for item in raw
            if (run := _run(item, names.get(item.get("flow_id"), "?"), period)) is not None]
    return CycleRuns(True, runs=runs[:limit], server=api_url)


def _fetch(client: httpx.Client, names: dict[str, str], period: Period) -> list[dict[str, Any]]:
    """Runs scheduled in the period's window, and the newest runs whenever they ran: a run
    that names the period (an aggregation redone a year later) still belongs to it."""
    in_window = _post(client, "/flow_runs/filter", {
        "flows": {"id": {"any_": list(names)}},
        "flow_runs": {"expected_start_time": {
            "after_": _iso(period.start), "before_": _iso(period.end + WINDOW_AFTER)}},
        "sort": "EXPECTED_START_TIME_DESC", "limit": FETCH})
    named = _post(client, "/flow_runs/filter", {
        "flows": {"id": {"any_": list(names)}}, "sort": "EXPECTED_START_TIME_DESC",
        "limit": FETCH})
    merged = {item["id"]: item for item in [*in_window, *named]}
    return sorted(merged.values(), key=lambda i: str(i.get("expected_start_time") or ""),
                  reverse=True)


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = client.post(path, json=body)
    answer.raise_for_status()
    data = answer.json()
    if not isinstance(data, list):
        raise ValueError(f"{path} did not answer a list")
    return data


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _iso(day: dt.date) -> str:
    return _at(day).isoformat()


def _run(item: dict[str, Any], flow_name: str, period: Period) -> CycleRun | None:
    params = item.get("parameters") or {}
    named, keys = params.get("period_key"), params.get("period_keys")
    names_period = named is not None or (isinstance(keys, list) and bool(keys))
    expected = _moment(item.get("expected_start_time"))
    if names_period:
        if named != period.key and not (isinstance(keys, list) and period.key in keys):
            return None
    elif expected is None or not (_at(period.start) <= expected
                                  < _at(period.end + WINDOW_AFTER)):
        return None
    state = item.get("state") or {}
    state_type = str(state.get("type") or "UNKNOWN")
    if state_type == "SCHEDULED" and state.get("name") == "Late":
        state_type = "LATE"
    return CycleRun(
        flow_name=flow_name, run_name=str(item.get("name") or ""), state_type=state_type,
        state_name=str(state.get("name") or ""), message=state.get("message") or None,
        expected_start=expected, start=_moment(item.get("start_time")),
        end=_moment(item.get("end_time")), period_key=period.key if names_period else None)


def _moment(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
