"""The web app under load: the deadlines board and the register search, at p95 with 10
concurrent clients on loopback, next to the bare SQL of the same answers in the same run.

Data (PostgreSQL, a database of its own, not timed): the generated national directory
(34 provinces, 3,321 commune steering committees — registry/directory_gen.py); Hà Nội's
steering committee collects a quarterly report from every commune for two years (8 periods,
26,568 requests; submissions for most, some late, the current period still open); 20,000
documents in its registers (outgoing numbered per year, incoming with their senders'
numbers), a few hundred of them about "đôn đốc báo cáo".

Timed: a real ``congvan web`` process (uvicorn) on a free loopback port; N clients (threads,
each its own httpx.Client and signed-in session of the văn thư) request, in turn:

* ``board``: the deadlines board of the last closed period (``/requests?period=…``: totals,
  late days, the figures so far, the first page of the units' table — 100 of 3,321);
* ``search-accented`` / ``search-plain``: the register search ``q=đôn đốc báo cáo`` and
  ``q=don doc bao cao`` (the same answer; its first page, 50 documents);
* ``search-symbol``: an exact number/symbol (``q=1234/BCĐ-VP``).

While the clients read, a unit files its report every ``--submit-every`` seconds (a new
current submission, as reporting.submissions does it), so the board's figures change during
the run as they do in a reporting week: the web may keep the figures only between changes.

Baseline, same run: the bare SQL that gives the same answer (the same rows), run by N
threads on their own psycopg connections, the same number of times. Printed: p50/p95 of
both and the ratio of the p95s, and whether the web's p95 is within the target (150 ms).
The machine is shared: say the load with the figures.

    python bench/web.py [--units 3321] [--documents 20000] [--clients 10] [--rounds 30]
                        [--web-processes 1] [--submit-every 1.0] [--postgres URL]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from bench._pg import admin_url, scratch_database  # noqa: E402
from registry import db, schema  # noqa: E402
from registry.directory import import_directory  # noqa: E402
from registry.directory_gen import dump, generate  # noqa: E402
from registry.models import (  # noqa: E402
    Direction,
    Document,
    DocumentStatus,
    Organization,
    Person,
    Register,
    ReportingDuty,
    ReportRequest,
    RequestStatus,
    Submission,
    UserAccount,
)
from registry.search import FROM, TO, fold  # noqa: E402

COLLECTOR, CLERK = "bcd-ha-noi", "van-thu.ha-noi"
PASSWORD = "mật khẩu đo hiệu năng 2026"
SECRET = "bench-web-secret-8d41c7e2b9a05f3e6a7c"
PERIODS = [f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
BOARD_PERIOD = "2026-Q3"  # closed, due in October: submitted, late and missing units
SYMBOL_QUERY = "1234/BCĐ-VP"
TARGET_MS = 150
SUBJECTS = [
    "V/v triển khai thực hiện Kế hoạch số {n}/KH-UBND về phòng, chống tội phạm",
    "V/v tổng hợp số liệu kết quả thực hiện quý {q} năm {y}",
    "V/v cử cán bộ tham dự hội nghị sơ kết công tác {y}",
    "V/v góp ý dự thảo Quy chế phối hợp của {unit}",
    "V/v báo cáo tình hình an ninh trật tự trên địa bàn {unit}",
    "V/v kiện toàn Ban Chỉ đạo {unit}",
    "V/v hướng dẫn xây dựng mô hình tự quản tại {unit}",
]
URGING = "V/v đôn đốc báo cáo kết quả thực hiện quý {q} năm {y} của {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--documents", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--web-processes", type=int, default=1,
                        help="congvan web processes; clients are spread over them")
    parser.add_argument("--rounds", type=int, default=30,
                        help="requests of each kind per client (after one warm-up round)")
    parser.add_argument("--submit-every", type=float, default=1.0,
                        help="seconds between two reports filed during the web run (0: none)")
    parser.add_argument("--postgres", default=admin_url())
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="congvan-bench-web-"))
    with scratch_database(args.postgres) as url:
        started = time.perf_counter()
        seed(url, units=args.units, documents=args.documents)
        print(f"seed: {args.units:,} units, {len(PERIODS)} periods, {args.documents:,} "
              f"documents in {time.perf_counter() - started:.1f} s")
        with contextlib.ExitStack() as stack:
            bases = [stack.enter_context(web_server(url, work / f"web-{n}"))
                     for n in range(args.web_processes)]
            with submitting(url, every=args.submit_every) as filed:
                web = load_web(bases, clients=args.clients, rounds=args.rounds)
            print(f"reports filed during the web run: {filed[0]}")
        bare = load_sql(url, clients=args.clients, rounds=args.rounds)
    shutil.rmtree(work, ignore_errors=True)
    report(web, bare, clients=args.clients, processes=args.web_processes)
    return 0


# --- data ------------------------------------------------------------------------------------

def seed(url: str, *, units: int, documents: int) -> None:
    """The directory, two years of quarterly requests and submissions, the registers."""
    from congvan.auth import passwords
    from reporting import scenario
    from reporting.forms import ensure_form, parse_form

    db.configure(url)
    schema.upgrade(db.get_engine())
    rng = random.Random(20261129)
    with db.transaction() as s:
        import_directory(session=s, text=dump(generate(communes=units)))
    with db.transaction() as s:
        collector = s.scalar(select(Organization).where(Organization.key == COLLECTOR))
        clerk = s.scalar(select(Person).where(Person.key == CLERK))
        assert collector is not None and clerk is not None
        s.add(UserAccount(person=clerk, login=CLERK, password_hash=passwords.hash_password(
            PASSWORD), active=True, must_change_password=False))
        form_def = parse_form(scenario.form_dict())
        form = ensure_form(session=s, form=form_def)
        duty = ReportingDuty(form_id=form.id, collector_id=collector.id,
                             description="Báo cáo quý kết quả thực hiện")
        s.add(duty)
        s.flush()
        communes = s.scalars(select(Organization.id).where(
            Organization.key.like("bcd-%.x%")).order_by(Organization.id)).all()[:units]
        _requests(s, rng, duty.id, form.id, list(communes), form_def)
        _documents(s, rng, collector, clerk, documents)
    # As a running database is after autovacuum has seen the bulk load: statistics, and the
    # visibility map for index-only scans.
    with db.get_engine().connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    db.get_engine().dispose()


def _requests(s, rng, duty_id, form_id, communes, form_def):  # type: ignore[no-untyped-def]
    from registry.calendar import Period
    from reporting import scenario

    today = dt.date(2026, 11, 29)
    for index, key in enumerate(PERIODS):
        period = Period.from_key(key)
        due = period.end + dt.timedelta(days=10)
        share = 0.0 if due > today else (0.9 if key == BOARD_PERIOD else 0.97)
        rows = [{"duty_id": duty_id, "form_id": form_id, "unit_id": unit, "period": key,
                 "period_start": period.start, "period_end": period.end, "due_date": due,
                 "status": RequestStatus.OPEN, "reminders_sent": 0} for unit in communes]
        ids = s.scalars(insert(ReportRequest).returning(ReportRequest.id), rows).all()
        done = [(rid, unit) for rid, unit in zip(ids, communes, strict=True)
                if rng.random() < share]
        if done:
            moment = dt.datetime.combine(due, dt.time(2), tzinfo=dt.UTC)
            s.execute(insert(Submission), [
                {"request_id": rid, "unit_id": unit, "values": scenario.sample_values(i + index),
                 "channel": "api", "valid": True, "errors": [], "current": True,
                 "submitted_at": moment - dt.timedelta(hours=rng.randint(1, 400))}
                for i, (rid, unit) in enumerate(done)])
            s.execute(ReportRequest.__table__.update()
                      .where(ReportRequest.id.in_([rid for rid, _ in done]))
                      .values(status=RequestStatus.SUBMITTED))
    assert form_def is not None


def _documents(s, rng, collector, clerk, count):  # type: ignore[no-untyped-def]
    registers = {r.direction: r for r in s.scalars(select(Register).where(
        Register.organization_id == collector.id))}
    for direction, code, name in ((Direction.OUTGOING, "DI", "Sổ văn bản đi"),
                                  (Direction.INCOMING, "DEN", "Sổ văn bản đến")):
        if direction not in registers:
            registers[direction] = Register(organization_id=collector.id, code=code, name=name,
                                            direction=direction)
            s.add(registers[direction])
    s.flush()
    names = [n.replace("\n", " ") for n in s.scalars(
        select(Organization.name).order_by(Organization.id).limit(400))]
    counters: dict[tuple[Direction, int], int] = {}
    rows = []
    for i in range(count):
        direction = Direction.OUTGOING if i % 5 < 3 else Direction.INCOMING
        day = dt.date(2025, 1, 2) + dt.timedelta(days=(i * 697) // count)
        key = (direction, day.year)
        counters[key] = counters.get(key, 0) + 1
        q, unit = (day.month - 1) // 3 + 1, rng.choice(names)
        template = URGING if i % 60 == 0 else rng.choice(SUBJECTS)
        subject = template.format(n=rng.randint(10, 400), q=("I", "II", "III", "IV")[q - 1],
                                  y=day.year, unit=unit)
        number = counters[key]
        row = {"direction": direction, "doc_type": "cong_van", "subject": subject, "body": "",
               "spec": {}, "register_id": registers[direction].id, "number": number,
               "year": day.year, "created_by_id": clerk.id}
        if direction is Direction.OUTGOING:
            row.update(status=DocumentStatus.ISSUED, issuer_id=collector.id, drafting_unit="VP",
                       symbol="BCĐ-VP", issue_date=day, signer_id=None)
        else:
            row.update(status=DocumentStatus.RECEIVED, sender_name=unit,
                       original_number=f"{rng.randint(1, 900)}/BC-BCĐ", original_date=day,
                       arrived_at=dt.datetime.combine(day, dt.time(3), tzinfo=dt.UTC))
        rows.append(row)
    for chunk in range(0, len(rows), 2000):
        s.execute(insert(Document), rows[chunk:chunk + 2000])


# --- the web process -------------------------------------------------------------------------

class web_server:  # noqa: N801 - used as a context manager like a function
    """``congvan web`` on a free loopback port with this database; stopped on exit."""

    def __init__(self, url: str, work: Path) -> None:
        self.url, self.work = url, work

    def __enter__(self) -> str:
        self.work.mkdir(parents=True, exist_ok=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "CONGVAN_DATABASE_URL": self.url, "CONGVAN_HOME": str(self.work),
               "CONGVAN_SECRET_KEY": SECRET, "CONGVAN_PUBLIC_BASE_URL": base}
        env.pop("CONGVAN_PREFECT_API_URL", None)
        self.log = (self.work / "web.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "congvan", "web", "--port", str(port)], env=env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.work)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/dang-nhap", timeout=2).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        self.__exit__()
        raise SystemExit(f"congvan web did not start; see {self.work / 'web.log'}")

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@contextlib.contextmanager
def submitting(url: str, *, every: float):  # type: ignore[no-untyped-def]
    """A unit of the board's period files (or corrects) its report every ``every`` seconds
    while the block runs: the previous current submission stops being current and a new row
    is the current one, and the request is submitted — what submit_values writes."""
    from reporting import scenario

    filed = [0]
    stop = threading.Event()
    engine = create_engine(url, pool_size=1, max_overflow=0)

    def run() -> None:
        rng = random.Random(7)
        with engine.connect() as conn:
            ids = conn.execute(text(
                "SELECT id, unit_id FROM report_requests WHERE period = :p ORDER BY id"),
                {"p": BOARD_PERIOD}).all()
            conn.rollback()
            while not stop.wait(every):
                rid, unit = rng.choice(ids)
                with conn.begin():
                    conn.execute(text("UPDATE submissions SET current = false "
                                      "WHERE request_id = :r"), {"r": rid})
                    conn.execute(insert(Submission).values(
                        request_id=rid, unit_id=unit, values=scenario.sample_values(filed[0]),
                        channel="api", valid=True, errors=[], current=True,
                        submitted_at=dt.datetime.now(dt.UTC)))
                    conn.execute(text("UPDATE report_requests SET status = 'submitted' "
                                      "WHERE id = :r"), {"r": rid})
                filed[0] += 1

    thread = threading.Thread(target=run, daemon=True)
    if every > 0:
        thread.start()
    try:
        yield filed
    finally:
        stop.set()
        if every > 0:
            thread.join()
        engine.dispose()


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/dang-nhap").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF field on the sign-in page"
    answer = client.post("/dang-nhap", data={"login": CLERK, "password": PASSWORD,
                                             "csrf_token": token.group(1)})
    assert answer.status_code in (200, 303) and "Đăng xuất" in client.get("/").text, \
        "sign-in failed"
    return client


WEB_QUERIES: dict[str, tuple[str, dict[str, str]]] = {
    "board": ("/requests", {"period": BOARD_PERIOD}),
    "search-accented": ("/so-dang-ky", {"q": "đôn đốc báo cáo"}),
    "search-plain": ("/so-dang-ky", {"q": "don doc bao cao"}),
    "search-symbol": ("/so-dang-ky", {"q": SYMBOL_QUERY}),
}


def load_web(bases: list[str], *, clients: int, rounds: int) -> dict[str, list[float]]:
    """Each client signs in (on the web processes in turn), warms up once, then asks every
    query ``rounds`` times."""
    sessions = [_signed_in(bases[n % len(bases)]) for n in range(clients)]
    answers = {name: _count_rows(sessions[0].get(path, params=params).text, name)
               for name, (path, params) in WEB_QUERIES.items()}
    print("web answers (rows):", answers)

    def one(client: httpx.Client, name: str) -> None:
        path, params = WEB_QUERIES[name]
        answer = client.get(path, params=params)
        assert answer.status_code == 200, (name, answer.status_code)

    try:
        before, wall = _cpu(), time.perf_counter()
        times = _hammer(sessions, one, rounds)
        used, wall = {k: v - before[k] for k, v in _cpu().items()}, time.perf_counter() - wall
        print(f"CPU seconds during the web run ({wall:.1f} s × {os.cpu_count()} cores = "
              f"{wall * (os.cpu_count() or 1):.1f} s): "
              + ", ".join(f"{k} {v:.1f}" for k, v in used.items()))
        return times
    finally:
        for client in sessions:
            client.close()


def _cpu() -> dict[str, float]:
    """CPU seconds used so far by the clients (this process), the web processes and
    PostgreSQL's processes, and the whole machine — where the time of a request goes."""
    tick = os.sysconf("SC_CLK_TCK")
    web = postgres = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        name = stat.split("(", 1)[1].rsplit(")", 1)[0]
        if name.startswith("postgres"):
            postgres += seconds
        elif b"congvan web" in command:
            web += seconds
    clients = os.times()
    machine = sum(float(v) for v in Path("/proc/stat").read_text().split()[1:4]) / tick
    return {"clients": clients.user + clients.system, "web": web, "PostgreSQL": postgres,
            "machine (all processes)": machine}


def _count_rows(page: str, name: str) -> int:
    """Rows of the answer's main table (the board's units, the register's documents)."""
    body = page.split('id="ket-qua"')[-1]
    return body.rsplit("<tbody>", 1)[-1].split("</tbody>", 1)[0].count("<tr")


# --- the bare SQL of the same answers ------------------------------------------------------

def _sql_board(conn, ids):  # type: ignore[no-untyped-def]
    """The board's answer: counts by state, the first page (100) of the period's requests with
    unit and form and their current submissions, the figures summed over the current valid
    submissions (one SUM/MAX/COUNT per indicator) and the first 30 units that did not report."""
    scope = ("r.duty_id IN (SELECT id FROM reporting_duties WHERE collector_id = :org) "
             "AND r.period = :p")
    args = {"org": ids["org"], "p": BOARD_PERIOD, "today": dt.date(2026, 11, 29)}
    conn.execute(text(
        "SELECT count(*), count(CASE WHEN r.status NOT IN ('open', 'rejected') THEN 1 END), "
        "count(CASE WHEN r.status IN ('open', 'rejected') AND r.due_date < :today THEN 1 END) "
        f"FROM report_requests r WHERE {scope}"), args).one()
    rows = conn.execute(text(
        "SELECT r.id, r.status, r.due_date, r.reminders_sent, o.name, f.name "
        "FROM report_requests r JOIN organizations o ON o.id = r.unit_id "
        f"JOIN report_forms f ON f.id = r.form_id WHERE {scope} "
        "ORDER BY r.due_date, r.id LIMIT 100"), args).all()
    conn.execute(text("SELECT request_id, submitted_at FROM submissions WHERE current AND "
                      "request_id = ANY(:ids)"), {"ids": [r[0] for r in rows]}).all()
    current = ("s.request_id = r.id AND s.current AND s.valid")
    conn.execute(text(
        "SELECT count(*), " + ", ".join(ids["sums"]) +
        f" FROM submissions s JOIN report_requests r ON {current} "
        "WHERE r.duty_id = :d AND r.period = :p"), {"d": ids["duty"], "p": BOARD_PERIOD}).one()
    conn.execute(text(
        "SELECT o.name FROM organizations o JOIN report_requests r ON r.unit_id = o.id "
        "WHERE r.duty_id = :d AND r.period = :p AND NOT EXISTS "
        f"(SELECT 1 FROM submissions s WHERE {current}) ORDER BY r.unit_id LIMIT 30"),
        {"d": ids["duty"], "p": BOARD_PERIOD}).all()
    return len(rows)


def _sql_search(conn, ids, query):  # type: ignore[no-untyped-def]
    """The search's answer: the documents the clerk may see whose folded text holds every word
    (or whose number/symbol is the query), newest first, the first page (50) and whether there
    is a next one, with issuer/sender."""
    words = fold(query).split()
    where = " AND ".join(f"d.search_folded LIKE :w{i}" for i in range(len(words)))
    params = {"src": FROM, "dst": TO, "org": ids["org"],
              **{f"w{i}": f"%{w}%" for i, w in enumerate(words)}}
    number, _, symbol = query.partition("/")
    if number.isdigit() and symbol:
        where = (f"(({where}) OR (d.number = :n AND translate(coalesce(d.symbol,''), :src, :dst)"
                 " = :sym) OR (d.search_folded LIKE :whole AND "
                 "translate(coalesce(d.original_number,''), :src, :dst) = :orig))")
        params.update(n=int(number), sym=fold(symbol), orig=fold(query),
                      whole=f"%{fold(query)}%")
    rows = conn.execute(text(
        "SELECT d.id, d.number, d.symbol, d.subject, d.issue_date, d.original_date, "
        "d.status, i.name, d.sender_name FROM documents d "
        "LEFT JOIN organizations i ON i.id = d.issuer_id "
        "WHERE (d.issuer_id = :org OR d.created_by_id IN "
        "(SELECT id FROM people WHERE organization_id = :org) OR d.register_id IN "
        "(SELECT id FROM registers WHERE organization_id = :org)) AND " + where +
        " ORDER BY coalesce(d.issue_date, d.original_date) DESC NULLS LAST, d.id DESC "
        "LIMIT 51"), params).all()
    return len(rows[:50])


SQL_QUERIES: dict[str, Callable[..., int]] = {
    "board": _sql_board,
    "search-accented": lambda c, ids: _sql_search(c, ids, "đôn đốc báo cáo"),
    "search-plain": lambda c, ids: _sql_search(c, ids, "don doc bao cao"),
    "search-symbol": lambda c, ids: _sql_search(c, ids, SYMBOL_QUERY),
}


def load_sql(url: str, *, clients: int, rounds: int) -> dict[str, list[float]]:
    """The same answers straight from PostgreSQL, one connection per client thread."""
    engine = create_engine(url, pool_size=clients, max_overflow=0)
    with engine.connect() as conn:
        ids = {"org": conn.scalar(text("SELECT id FROM organizations WHERE key = :k"),
                                  {"k": COLLECTOR})}
        ids["duty"] = conn.scalar(text("SELECT id FROM reporting_duties WHERE collector_id = :o"),
                                  {"o": ids["org"]})
        ids["sums"] = _sums(conn)
        print("SQL answers (rows):", {n: q(conn, ids) for n, q in SQL_QUERIES.items()})
    conns = [engine.connect() for _ in range(clients)]

    def one(conn, name: str) -> None:  # type: ignore[no-untyped-def]
        SQL_QUERIES[name](conn, ids)
        conn.rollback()

    try:
        return _hammer(conns, one, rounds)
    finally:
        for conn in conns:
            conn.close()
        engine.dispose()


def _sums(conn):  # type: ignore[no-untyped-def]
    """One aggregate per indicator of the form, as the board sums them."""
    import json

    definition = conn.scalar(text("SELECT definition FROM report_forms LIMIT 1"))
    definition = definition if isinstance(definition, dict) else json.loads(definition)
    out = []
    for ind in definition["indicators"]:
        value = f"(s.values ->> '{ind['key']}')"
        kind = ind.get("aggregate", "sum")
        if kind == "list" or ind.get("type") == "text":
            out.append(f"count(NULLIF({value}, ''))")
        elif kind in ("max", "min"):
            out.append(f"{kind}({value}::numeric)")
        elif kind == "count":
            out.append(f"count(CASE WHEN {value}::numeric > 0 THEN 1 END)")
        elif kind != "none":
            out.append(f"coalesce(sum({value}::numeric), 0)")
    return out


# --- load and report -----------------------------------------------------------------------

def _hammer(workers: list, one: Callable, rounds: int) -> dict[str, list[float]]:  # type: ignore[type-arg]
    """Every worker in its own thread: a warm-up round, then ``rounds`` of every query in
    turn, all workers at once; latencies in ms per query."""
    times: dict[str, list[float]] = {name: [] for name in WEB_QUERIES}
    lock = threading.Lock()
    gate = threading.Barrier(len(workers))

    def run(worker: object) -> None:
        for name in WEB_QUERIES:
            one(worker, name)
        gate.wait()
        mine: dict[str, list[float]] = {name: [] for name in WEB_QUERIES}
        for _ in range(rounds):
            for name in WEB_QUERIES:
                started = time.perf_counter()
                one(worker, name)
                mine[name].append((time.perf_counter() - started) * 1000)
        with lock:
            for name, values in mine.items():
                times[name].extend(values)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(web: dict[str, list[float]], bare: dict[str, list[float]], *, clients: int,
           processes: int) -> None:
    load = os.getloadavg()
    print(f"\n{clients} concurrent clients, {processes} web process(es); load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (shared machine: compare the ratios)")
    print(f"{'query':<16} {'n':>5} {'web p50':>9} {'web p95':>9} {'SQL p50':>9} "
          f"{'SQL p95':>9} {'p95 web/SQL':>12}")
    for name in WEB_QUERIES:
        w, b = web[name], bare[name]
        print(f"{name:<16} {len(w):>5} {_p(w, 50):>8.1f}  {_p(w, 95):>8.1f}  {_p(b, 50):>8.1f}  "
              f"{_p(b, 95):>8.1f}  {_p(w, 95) / _p(b, 95):>11.1f}×")
    print("(milliseconds; web: a real uvicorn process over loopback, httpx, signed in)")
    worst = max(_p(web[name], 95) for name in WEB_QUERIES)
    print(f"target p95 ≤ {TARGET_MS} ms under {clients} clients: "
          + ("met" if worst <= TARGET_MS else "NOT met") + f" (worst web p95 {worst:.1f} ms)")


if __name__ == "__main__":
    raise SystemExit(main())
