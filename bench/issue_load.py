"""Concurrent clerks issuing through the web JSON API (issue 14, item 3).

``python bench/issue_load.py [--clerks 20] [--seconds 60] [--registers 4] [--web 2]``

Brings up on loopback a PostgreSQL registry (a scratch database), ``--registers``
organisations each with its outgoing register, its leader (a demo key of their own) and
``--clerks`` văn thư spread over them, and a pool of documents the leaders signed; starts
``--web`` real web processes (``congvan web``, uvicorn) on free ports. Each clerk signs in on
the form, then issues one document after another through ``POST /api/documents/{id}/issue``,
going round the web processes, until the time is up. Then it checks the registry: every issued
document has a number of its own, each register's numbers for the year are 1..N with no gap
and its counter stands at N (no number consumed without a document), every issued document has
its stored .docx and signed PDF with the recorded SHA-256, no document is half-issued
(a number without the issued state or the files, or files without a number); and it reports
the status codes (a 5xx fails the run), the issue latency p50/p95 and issues per second.

``--kill-web-after S`` kills the first web process with SIGKILL S seconds into the run (the
clerks carry on through the other one) — the same checks then show that a process killed in
the middle of issuing leaves no half-issued document and no consumed number.

How documents are prepared (not timed): per organisation one document goes the real way —
drafted, submitted, approved and signed by the leader on the final PDF rendered by LibreOffice
with their own key; the others are copies of it (same content, so the same person-signed PDF,
stored per document), which issuing checks exactly as any other (the person's signature intact
over the whole file, the content's hash unchanged).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "mật khẩu tải thử 2026"
KEY_PASSWORD = "issue-load"
DOC_TYPES = ("cong_van", "thong_bao", "ke_hoach", "bao_cao", "to_trinh", "giay_moi")


@dataclass
class World:
    """What was prepared: the registry, its home, who issues and what."""

    url: str
    home: Path
    key_password: str
    clerks: list[tuple[str, int]]  # (login, index of the register whose documents they issue)
    docs: dict[int, list[int]]  # register index -> signed document ids
    register_ids: list[int]


def prepare(work: Path, url: str, *, registers: int, clerks: int, docs: int) -> World:
    """Migrate ``url``, seed the organisations, people and accounts, and ``docs`` signed
    documents per register."""
    from congvan.auth import passwords
    from doc_templates.pdf import PdfConverter
    from registry import db, schema
    from registry.models import (
        Direction,
        Organization,
        Person,
        Register,
        SigningRight,
        UserAccount,
    )
    from signing import certificates, keys

    engine = db.make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    db.configure(url)
    home = work / "home"
    files = home / "files"
    keys.create_dev_ca(home / "keys", password=KEY_PASSWORD)
    hashed = passwords.hash_password(PASSWORD)
    world = World(url=url, home=home, key_password=KEY_PASSWORD, clerks=[], docs={},
                  register_ids=[])
    with PdfConverter() as converter, db.transaction() as s:
        org = Organization(key="ubnd-xa-thu-tai", name="ỦY BAN NHÂN DÂN\nXÃ THỬ TẢI",
                           code="UBND", kind="body", place="Kon Tum", header_parent="HUYỆN ĐĂK HÀ")
        unit = Organization(key="cong-an-xa-thu-tai", name="CÔNG AN XÃ THỬ TẢI", code="CAX",
                            kind="unit", email="ca-xa-thu-tai@example.test")
        leader = Person(key="chu-tich-thu-tai", full_name="Nguyễn Văn Tải", title="CHỦ TỊCH",
                        organization=org, roles=["leader"])
        s.add_all([org, unit, leader])
        s.flush()
        s.add(SigningRight(person=leader, issuer=org, doc_types=[], authority="TM.",
                           on_behalf_of="ỦY BAN NHÂN DÂN"))
        for c in range(clerks):
            clerk = Person(key=f"van-thu-tai-{c + 1}", full_name=f"Trần Thị Tải {c + 1}",
                           title="VĂN THƯ", organization=org, roles=["clerk"])
            s.add(clerk)
            s.flush()
            s.add(UserAccount(person=clerk, login=clerk.key, password_hash=hashed, active=True,
                              must_change_password=False))
            world.clerks.append((clerk.key, c % registers))
        p12 = keys.issue_person(home / "keys", password=KEY_PASSWORD, person_key=leader.key,
                                full_name=leader.full_name)
        certificates.register(session=s, certificate=(p12.parent / "cert.pem").read_bytes(),
                              actor=None, person=leader)
        # One register per document type (a sổ for each series): registers issue in parallel.
        for r in range(registers):
            doc_type = DOC_TYPES[r % len(DOC_TYPES)]
            register = Register(organization_id=org.id, code=f"DI-{r + 1}",
                                name=f"Sổ đăng ký văn bản đi số {r + 1}",
                                direction=Direction.OUTGOING, doc_types=[doc_type], secret=False)
            s.add(register)
            s.flush()
            world.register_ids.append(register.id)
            world.docs[r] = _signed_documents(s, org, unit, leader, p12, converter, files, docs,
                                              doc_type)
    return world


def _signed_documents(s: Any, org: Any, unit: Any, leader: Any, p12: Path, converter: Any,
                      files: Path, count: int, doc_type: str) -> list[int]:
    """``count`` documents ``leader`` signed: the first through drafting, approval and the
    leader's signature on the rendered final PDF; the others copies of it."""
    from sqlalchemy import select

    from registry import documents
    from registry.models import DocumentFile, DocumentSignature, DocumentStatus, Person
    from signing import approvals, person, storage
    from signing.appearance import PngImage
    from signing.keyring import KeySource

    clerk = s.scalars(select(Person).where(Person.organization_id == org.id,
                                           Person.key.like("van-thu-%")).limit(1)).one()
    subject = ("V/v báo cáo kết quả thử tải ban hành đồng thời" if doc_type == "cong_van"
               else "Kết quả thử tải ban hành đồng thời")

    def draft() -> Any:
        return documents.create(
            session=s, doc_type=doc_type, issuer=org, drafting_unit="VP",
            subject=subject,
            body="Đề nghị Công an xã báo cáo kết quả trước ngày 10 tháng 12.", created_by=clerk,
            recipients=[("Công an xã Thử Tải", unit), ("Lưu: VT, VP.", None)])

    first = draft()
    approvals.submit(session=s, document_id=first.id, actor=clerk, files_root=files,
                     reviewers=[leader])
    approvals.approve(session=s, document_id=first.id, actor=leader)
    with KeySource.pkcs12(p12, KEY_PASSWORD).open() as signer:
        person.sign_with_key(session=s, document_id=first.id, actor=leader, signer=signer,
                             signature=PngImage.from_file(p12.parent / "signature.png"),
                             converter=converter, files_root=files)
    sig = person.person_signature(session=s, document_id=first.id)
    assert sig is not None
    signed = storage.read(files, sig.file.path, expected_sha256=sig.file.sha256)
    ids = [first.id]
    for _ in range(count - 1):
        doc = draft()
        stored = storage.store(files, document_id=doc.id, year=_year(), stem="ky-duyet",
                               suffix=".pdf", data=signed)
        row = DocumentFile(document_id=doc.id, kind=person.PERSON_SIGNED_KIND, path=stored.path,
                           sha256=stored.sha256, size=stored.size)
        s.add(row)
        s.flush()
        s.add(DocumentSignature(document_id=doc.id, role="person", person_id=leader.id,
                                certificate_id=sig.certificate_id, file_id=row.id,
                                content_sha256=sig.content_sha256, year=sig.year,
                                signed_at=sig.signed_at))
        doc.signer_id, doc.signature_block = leader.id, first.signature_block
        doc.status = DocumentStatus.SIGNED
        ids.append(doc.id)
    s.flush()
    return ids


def _year() -> int:
    from datetime import UTC, datetime

    from registry.clock import local_date

    return local_date(datetime.now(UTC)).year


def web_env(world: World) -> dict[str, str]:
    """The environment of a web process on the prepared registry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PREFECT_"))}
    env.update({"CONGVAN_HOME": str(world.home), "CONGVAN_DATABASE_URL": world.url,
                "CONGVAN_KEY_PASSWORD": world.key_password,
                "CONGVAN_SECRET_KEY": f"issue-load-{uuid.uuid4().hex}",
                "CONGVAN_CHANNELS": '["email"]'})
    return env


@contextlib.contextmanager
def web_processes(world: World, count: int, logs: Path) -> Iterator[list[WebProcess]]:
    """``count`` web processes (``congvan web``) on free loopback ports; stopped on exit."""
    from workflows.prefect_env import free_port, stop

    logs.mkdir(parents=True, exist_ok=True)
    env = web_env(world)
    procs: list[WebProcess] = []
    try:
        for _ in range(count):
            port = free_port()
            with (logs / f"web-{port}.log").open("ab") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "congvan", "web", "--port", str(port)], env=env,
                    cwd=world.home, stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, start_new_session=True)
            procs.append(WebProcess(port, proc))
        for p in procs:
            p.wait_ready(180)
        yield procs
    finally:
        for p in procs:
            stop(p.proc)


@dataclass
class WebProcess:
    """One web process and its port."""

    port: int
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"web process on {self.port} exited ({self.proc.returncode})")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/dang-nhap", timeout=3).status_code == 200:
                    return
            time.sleep(0.5)
        raise TimeoutError(f"web process on {self.port} not ready in {timeout:.0f} s")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@dataclass
class Outcome:
    """What the clerks saw."""

    latencies: list[float] = field(default_factory=list)  # successful issues, seconds
    statuses: dict[int, int] = field(default_factory=dict)
    numbers: list[tuple[int, int, int]] = field(default_factory=list)  # (register, year, no)
    cut: list[int] = field(default_factory=list)  # requests ended by a transport error
    cut_kinds: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    exhausted: bool = False
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(base: str) -> Any:
    import httpx

    return httpx.Client(base_url=base, timeout=120, follow_redirects=False)


def sign_in(client: Any, login: str) -> None:
    """Sign in on the form like a browser; the session's CSRF token goes in X-CSRF-Token."""
    import re

    page = client.get("/dang-nhap")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the sign-in page has no CSRF field"
    answer = client.post("/dang-nhap", data={"login": login, "password": PASSWORD,
                                             "csrf_token": token.group(1)})
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in of {login}: {answer.status_code} {answer.text[:200]}")
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf_token"]


def load(world: World, webs: list[WebProcess], *, seconds: float,
         kill_after: float | None = None, reserve: int = 0) -> Outcome:
    """Every clerk issues documents of their register until ``seconds`` have passed (or the
    register's signed documents run out, leaving the last ``reserve`` of each for a later
    run)."""
    import queue

    import httpx
    from sqlalchemy import select

    from registry import db
    from registry.models import Document, DocumentStatus

    with db.transaction() as s:  # what is still to issue (an earlier run took the others)
        waiting = set(s.scalars(select(Document.id).where(
            Document.status == DocumentStatus.SIGNED)))
    pools: dict[int, queue.SimpleQueue[int]] = {}
    for r, ids in world.docs.items():
        pools[r] = queue.SimpleQueue()
        left = [i for i in ids if i in waiting]
        for i in left[:max(0, len(left) - reserve)]:
            pools[r].put(i)
    out = Outcome()
    alive = list(webs)
    in_flight = {w.port: 0 for w in webs}
    start: list[float] = []
    ready = threading.Barrier(len(world.clerks) + 1,
                              action=lambda: start.append(time.monotonic()))

    def clerk(n: int, login: str, r: int) -> None:
        clients = [_client(w.base) for w in webs]
        try:
            sign_in(clients[n % len(clients)], login)
            for c in clients:  # the session is the registry's: valid on every process
                c.cookies = clients[n % len(clients)].cookies
                c.headers["X-CSRF-Token"] = clients[n % len(clients)].headers["X-CSRF-Token"]
        except Exception as exc:  # noqa: BLE001 - reported
            with out.lock:
                out.errors.append(f"{login}: {exc!r}")
            ready.abort()
            return
        ready.wait()
        turn = n
        while time.monotonic() - start[0] < seconds:
            try:
                doc_id = pools[r].get_nowait()
            except queue.Empty:
                out.exhausted = True
                return
            web = alive[turn % len(alive)] if alive else webs[0]
            turn += 1
            client = clients[webs.index(web)]
            t0 = time.perf_counter()
            with out.lock:
                in_flight[web.port] += 1
            try:
                answer = client.post(f"/api/documents/{doc_id}/issue", json={})
            except httpx.TransportError as exc:
                with out.lock:
                    out.cut.append(doc_id)
                    kind = type(exc).__name__
                    out.cut_kinds[kind] = out.cut_kinds.get(kind, 0) + 1
                continue
            finally:
                with out.lock:
                    in_flight[web.port] -= 1
            took = time.perf_counter() - t0
            with out.lock:
                out.statuses[answer.status_code] = out.statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 200:
                    body = answer.json()
                    out.latencies.append(took)
                    out.numbers.append((r, body["year"], body["number"]))
                elif len(out.errors) < 20:
                    out.errors.append(f"{doc_id}: {answer.status_code} {answer.text[:300]}")
        for c in clients:
            c.close()

    threads = [threading.Thread(target=clerk, args=(n, login, r), daemon=True)
               for n, (login, r) in enumerate(world.clerks)]
    for t in threads:
        t.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a clerk could not sign in: {out.errors}") from None
    if kill_after is not None:
        def killer() -> None:
            time.sleep(kill_after)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # kill while it is issuing, not between requests
                with out.lock:
                    if in_flight[webs[0].port]:
                        break
                time.sleep(0.01)
            alive.remove(webs[0])
            webs[0].kill()

        threading.Thread(target=killer, daemon=True).start()
    for t in threads:
        t.join()
    out.elapsed = time.monotonic() - start[0]
    return out


def check(world: World, out: Outcome) -> dict[str, Any]:
    """The registry after the run: unique numbers, 1..N per register and year with the counter
    at N, every issued document whole, nothing half-issued; raises AssertionError otherwise."""
    from sqlalchemy import select

    from registry import db
    from registry.models import Document, DocumentFile, DocumentStatus, RegisterCounter
    from signing import storage

    files = world.home / "files"
    problems: list[str] = []
    books: dict[tuple[int, int], list[int]] = {}
    with db.transaction() as s:
        counters = {(c.register_id, c.year): c.last_number
                    for c in s.scalars(select(RegisterCounter))}
        docs = list(s.scalars(select(Document).where(
            Document.register_id.in_(world.register_ids) | Document.id.in_(
                [i for ids in world.docs.values() for i in ids]))))
        for doc in docs:
            kinds = {f.kind: f for f in s.scalars(select(DocumentFile).where(
                DocumentFile.document_id == doc.id))}
            if doc.status is DocumentStatus.ISSUED:
                if doc.number is None or doc.year is None or doc.register_id is None:
                    problems.append(f"#{doc.id} issued without a number")
                    continue
                books.setdefault((doc.register_id, doc.year), []).append(doc.number)
                for kind in ("docx", "signed_pdf"):
                    f = kinds.get(kind)
                    if f is None:
                        problems.append(f"#{doc.id} issued without its {kind}")
                    else:
                        try:
                            storage.read(files, f.path, expected_sha256=f.sha256)
                        except (OSError, ValueError) as exc:
                            problems.append(f"#{doc.id} {kind}: {exc}")
            elif doc.number is not None or "signed_pdf" in kinds or "docx" in kinds:
                problems.append(f"#{doc.id} half-issued: {doc.status.value}, number "
                                f"{doc.number}, files {sorted(kinds)}")
    for (register_id, year), numbers in books.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            problems.append(f"register {register_id}/{year}: numbers are not 1..N: "
                            f"{_gaps(numbers)}")
        if counters.get((register_id, year)) != len(numbers):
            problems.append(f"register {register_id}/{year}: counter at "
                            f"{counters.get((register_id, year))} for {len(numbers)} documents "
                            "(a number consumed without a document)")
    for key, last in counters.items():
        if key[0] in world.register_ids and key not in books and last:
            problems.append(f"register {key}: counter at {last} with no issued document")
    answered = [(world.register_ids[r], y, n) for r, y, n in out.numbers]
    if len(set(answered)) != len(answered):
        problems.append("the same number was answered twice")
    in_db = {(k[0], k[1], n) for k, ns in books.items() for n in ns}
    if not set(answered) <= in_db:
        problems.append("a number answered to a clerk is not in the registry")
    fivexx = {code: n for code, n in out.statuses.items() if code >= 500}
    if fivexx:
        problems.append(f"5xx answers: {fivexx}; first errors: {out.errors[:3]}")
    if not answered:
        problems.append(f"nothing was issued: {out.statuses}, {out.errors[:3]}")
    if problems:
        raise AssertionError("; ".join(problems[:20]))
    return {"issued": sum(len(v) for v in books.values()),
            "per register": {f"{k[0]}/{k[1]}": len(v) for k, v in sorted(books.items())},
            "answered 200": len(answered),
            "requests cut (transport error)": dict(out.cut_kinds),
            "statuses": dict(sorted(out.statuses.items()))}


def _gaps(numbers: list[int]) -> str:
    have = sorted(numbers)
    missing = sorted(set(range(1, max(have) + 1)) - set(have))
    twice = sorted({n for n in have if have.count(n) > 1})
    return f"{len(have)} numbers, missing {missing[:10]}, twice {twice[:10]}"


def figures(out: Outcome) -> dict[str, Any]:
    """Latency p50/p95 of the successful issues and issues per second."""
    lat = sorted(out.latencies)
    if not lat:
        return {"issues/s": 0.0}
    p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
    return {"issues": len(lat), "seconds": round(out.elapsed, 1),
            "issues/s": round(len(lat) / out.elapsed, 2),
            "p50 s": round(statistics.median(lat), 3), "p95 s": round(p95, 3),
            "pool exhausted": out.exhausted}


def run(work: Path, admin_url: str, *, clerks: int, seconds: float, registers: int, webs: int,
        docs: int, kill_after: float | None = None) -> dict[str, Any]:
    """Prepare, bring up the web processes, load, check; returns the findings."""
    from bench._pg import scratch_database
    from registry import db

    with scratch_database(admin_url) as url:
        try:
            world = prepare(work, url, registers=registers, clerks=clerks, docs=docs)
            with web_processes(world, webs, work / "logs") as procs:
                out = load(world, procs, seconds=seconds, kill_after=kill_after)
            findings = check(world, out)
            findings.update(figures(out))
            return findings
        finally:
            with contextlib.suppress(Exception):
                db.get_engine().dispose()


def main() -> None:
    from bench._pg import admin_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clerks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--registers", type=int, default=4)
    parser.add_argument("--web", type=int, default=2)
    parser.add_argument("--docs", type=int, default=0,
                        help="signed documents per register (default: enough for the run)")
    parser.add_argument("--kill-web-after", type=float, default=None)
    parser.add_argument("--postgres", default=admin_url())
    parser.add_argument("--keep", type=Path, help="keep logs and files in this directory")
    args = parser.parse_args()
    docs = args.docs or int(args.seconds * 0.4 * args.clerks / args.registers) + 20
    work = args.keep or Path(tempfile.mkdtemp(prefix="congvan-issue-load-"))
    work.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        t0 = time.monotonic()
        findings = run(work, args.postgres, clerks=args.clerks, seconds=args.seconds,
                       registers=args.registers, webs=args.web, docs=docs,
                       kill_after=args.kill_web_after)
        print(f"{args.clerks} clerks, {args.registers} registers, {args.web} web processes, "
              f"{args.seconds:.0f} s (whole run {time.monotonic() - t0:.0f} s):")
        for key, value in findings.items():
            print(f"  {key}: {value}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
