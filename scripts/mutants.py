"""A bounded mutation check of the tests' strength over registry, reporting and signing/verify.

Each mutant is one planted bug in a core rule (a small text replacement in one file). For each,
the script applies it, runs the tests that should notice (a fixed selection, with a time
limit), records whether they failed ("caught") and restores the file — whatever happens. The
score is caught / planted. Run it from the repository root on a clean tree:

    CONGVAN_TEST_POSTGRES_URL=postgresql+psycopg://127.0.0.1:5432/test \\
        .venv/bin/python scripts/mutants.py [--only NAME ...] [--timeout 600]

It refuses to start when a target file has uncommitted changes (it would restore the wrong
text). Results and the method are in docs/test-strength.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    what: str


REG = ("tests/registry",)
NUM = ("tests/registry/test_numbering.py", "tests/registry/test_year_rollover.py",
       "tests/registry/test_documents.py")
REP = ("tests/reporting",)
VERIFY = ("tests/signing/test_verify_pdf.py",)

MUTANTS = [
    Mutant("numbering-pg-no-year", "registry/numbering.py",
           """        .where(RegisterCounter.register_id == register_id,
               RegisterCounter.year == values["year"])""",
           """        .where(RegisterCounter.register_id == register_id)""",
           NUM, "PostgreSQL issuing path looks the counter up without the year"),
    Mutant("numbering-utc-year", "registry/numbering.py",
           "    year = local_date(on).year\n", "    year = on.year\n",
           NUM, "allocate_number takes the year of the UTC moment, not Viet Nam's date"),
    Mutant("clock-naive-local", "registry/clock.py",
           "        moment = moment.replace(tzinfo=UTC)",
           "        moment = moment.replace(tzinfo=VIETNAM)",
           REG, "a naive datetime (SQLite) is read as Viet Nam time instead of UTC"),
    Mutant("documents-issued-editable", "registry/documents.py",
           "FROZEN = {DocumentStatus.ISSUED, DocumentStatus.REVOKED, DocumentStatus.RECEIVED}",
           "FROZEN = {DocumentStatus.REVOKED, DocumentStatus.RECEIVED}",
           ("tests/registry/test_documents.py",), "an issued document may be edited"),
    Mutant("files-dotdot", "registry/files.py",
           """    if relative.is_absolute() or not relative.parts or ".." in relative.parts:""",
           """    if relative.is_absolute() or not relative.parts:""",
           ("tests/registry/test_foundation.py",), "the file store accepts '..' paths"),
    Mutant("files-no-hash-check", "registry/files.py",
           "    if expected_sha256 is not None and sha256(data) != expected_sha256:",
           "    if False:",
           ("tests/registry/test_foundation.py",), "reading a stored file skips the hash check"),
    Mutant("calendar-weekend-works", "registry/calendar.py",
           "        return d.weekday() < 5 and d not in info.holidays",
           "        return d.weekday() < 6 and d not in info.holidays",
           ("tests/registry/test_calendar.py",), "Saturday counts as a working day"),
    Mutant("derive-wrong-denominator", "reporting/aggregation.py",
           """        den = totals.get(d.denominator or "") or 0""",
           """        den = totals.get("models_total") or totals.get(d.denominator or "") or 0""",
           REP, "a derived percentage over the wrong denominator (86,5% → 80,4%)"),
    Mutant("derive-coverage-swapped", "reporting/aggregation.py",
           """            out[d.key] = f"{reported}/{owed}\"""",
           """            out[d.key] = f"{owed}/{reported}\"""",
           REP, "coverage printed owed/reported"),
    Mutant("aggregate-max-as-sum", "reporting/aggregation.py",
           """            totals[ind.key] = max(present) if present else None""",
           """            totals[ind.key] = sum(present) if present else None""",
           REP, "a 'max' indicator summed"),
    Mutant("aggregate-count-all", "reporting/aggregation.py",
           "(v > 0 if ind.count_if_positive else True)", "True",
           REP, "'count if positive' counts every unit"),
    Mutant("aggregate-old-submissions", "reporting/aggregation.py",
           "        Submission.current.is_(True), Submission.valid.is_(True)))}",
           "        Submission.valid.is_(True)))}",
           REP, "aggregation reads replaced submissions too"),
    Mutant("claim-returns-all", "reporting/reminders.py",
           "    claimed = [r for (r,) in session.execute(stmt).all()]",
           "    session.execute(stmt)\n    claimed = list(request_ids)",
           REP, "a retried reminder claim claims the same requests again"),
    Mutant("claim-counts-all", "reporting/reminders.py",
           "            ReportRequest.id.in_(claimed)).values(",
           "            ReportRequest.id.in_(request_ids)).values(",
           REP, "reminders_sent incremented for requests already reminded"),
    Mutant("late-on-due-date", "reporting/requests.py",
           "    return is_owed(request) and request.due_date < today",
           "    return is_owed(request) and request.due_date <= today",
           REP, "a report due today counts as late"),
    Mutant("closed-period-open", "reporting/submissions.py",
           "    return report if report is not None and report.status is DocumentStatus.ISSUED"
           " else None",
           "    return None",
           REP, "a unit replaces its figures after the Báo cáo is issued"),
    Mutant("submit-other-unit", "reporting/submissions.py",
           "    if request.unit.key != unit_key:", "    if False:",
           REP, "a unit files another unit's request"),
    Mutant("submit-keeps-old-current", "reporting/submissions.py",
           "                        .values(current=False))", "                        )",
           REP, "a replaced submission stays current"),
    Mutant("check-not-above-off", "reporting/forms.py",
           "            if a is not None and b is not None and a > b:",
           "            if a is not None and b is not None and a > b + 1:",
           REP + ("tests/workflows/test_staging.py",),
           "'not above' lets a figure exceed its limit by one"),
    Mutant("permission-member-any", "registry/permissions.py",
           "    if organization_id is None or actor.organization_id == organization_id:",
           "    if True:",
           REP + ("tests/outbox/test_relay.py",),
           "a clerk or reporter of another organisation acts for it"),
    Mutant("verify-intact-ignored", "signing/verify.py",
           "        intact=bool(status.intact),", "        intact=True,",
           VERIFY, "a changed signed PDF reported intact"),
    Mutant("verify-no-trust-check", "signing/verify.py",
           "    elif not r.trusted:", "    elif False:",
           VERIFY, "an untrusted chain not reported"),
    Mutant("verify-expiry-ignored", "signing/verify.py",
           "    if not r.certificate_valid_from <= moment <= r.certificate_valid_to:",
           "    if False:",
           VERIFY, "a certificate expired at signing time not reported"),
    Mutant("verify-later-changes-ok", "signing/verify.py",
           "    elif r.coverage == \"entire_revision\" and r.later_changes not in "
           "_ALLOWED_CHANGES:",
           """    elif False:""",
           VERIFY, "changes appended after signing not reported"),
]


def _dirty(paths: set[str]) -> list[str]:
    out = subprocess.run(["git", "status", "--porcelain", "--", *sorted(paths)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def run(mutant: Mutant, timeout: int) -> tuple[str, float]:
    """Apply, test, restore; returns ("caught" | "missed" | "not applied" | "timeout", s)."""
    path = ROOT / mutant.path
    original = path.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        return "not applied", 0.0
    start = time.monotonic()
    try:
        path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
             "-m", "not browser", *mutant.tests],
            cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        verdict = "missed" if proc.returncode == 0 else "caught"
    except subprocess.TimeoutExpired:
        verdict = "timeout"
    finally:
        path.write_text(original, encoding="utf-8")
    return verdict, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if args.only is None or m.name in args.only]
    dirty = _dirty({m.path for m in chosen})
    if dirty:
        print("Uncommitted changes in target files; commit or discard them first:\n"
              + "\n".join(dirty))
        return 2
    results = []
    for mutant in chosen:
        verdict, seconds = run(mutant, args.timeout)
        results.append((mutant, verdict))
        print(f"{verdict:12} {seconds:6.1f} s  {mutant.name:28} {mutant.what}", flush=True)
    caught = sum(v == "caught" for _, v in results)
    applied = sum(v != "not applied" for _, v in results)
    print(f"\nscore: {caught}/{applied} caught"
          + (f" ({len(results) - applied} not applied)" if applied < len(results) else ""))
    return 0 if caught == applied else 1


if __name__ == "__main__":
    raise SystemExit(main())
