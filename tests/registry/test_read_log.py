"""The access log: append-only in the database; who may read a secret document; refusals logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from congvan.cli import app
from congvan.settings import get_settings
from registry import access, access_log, db, documents
from registry.access_log import Door
from registry.errors import PermissionDenied, RecordedNotFound, RecordedRefusal, ValidationError
from registry.models import AccessEvent, Document, HandlingAssignment, Organization, Person
from tests import factories


@dataclass
class Office:
    org: Organization
    head: Person
    drafter: Person
    clerk: Person
    staff: Person
    outsider: Person
    secret: Document
    plain: Document


@pytest.fixture
def office(session: Session) -> Office:
    org = factories.org(session)
    head = factories.person(session, org, roles=["leader"])
    drafter = factories.person(session, org, roles=["reviewer"])
    clerk = factories.person(session, org, roles=["clerk"])
    staff = factories.person(session, org, roles=["admin"])
    outsider = factories.person(session, factories.org(session), roles=["leader"])
    secret = documents.create(session=session, doc_type="cong_van", issuer=org,
                              subject="V/v phương án bảo vệ", created_by=drafter, secrecy="MẬT")
    plain = documents.create(session=session, doc_type="cong_van", issuer=org,
                             subject="V/v lịch họp", created_by=drafter)
    return Office(org, head, drafter, clerk, staff, outsider, secret, plain)


def _log(session: Session, document_id: int) -> list[tuple[str | None, bool, str]]:
    rows = session.scalars(select(AccessEvent).where(AccessEvent.document_id == document_id)
                           .order_by(AccessEvent.id))
    return [(r.actor_label, r.allowed, r.detail.get("right") or r.detail["reason"]) for r in rows]


class TestAppendOnly:
    def test_update_and_delete_are_refused_by_the_database(self, session: Session) -> None:
        """The database itself refuses UPDATE and DELETE of access events (both engines), and
        TRUNCATE on PostgreSQL."""
        access_log.record(session=session, door=Door(None, "cli", "máy"), act="open",
                          document_id=1)
        statements = ["UPDATE access_events SET act = 'x'", "DELETE FROM access_events",
                      "UPDATE access_events SET allowed = true"]
        if session.get_bind().dialect.name == "postgresql":
            statements.append("TRUNCATE access_events")  # row triggers miss TRUNCATE
        for statement in statements:
            nested = session.begin_nested()
            with pytest.raises(Exception, match="append-only"):
                session.execute(text(statement))
            nested.rollback()
        assert session.scalar(select(AccessEvent.act)) == "open"


class TestSecretRead:
    def test_people_with_a_right_read_and_it_is_logged(self, session: Session,
                                                       office: Office) -> None:
        """The drafter and the head read a MẬT document; each read is logged with its right."""
        for who in (office.drafter, office.head):
            doc = access_log.read(session=session, document_id=office.secret.id,
                                  door=Door(who, "web"))
            assert doc.id == office.secret.id
        assert _log(session, office.secret.id) == [
            (office.drafter.full_name, True, "author"), (office.head.full_name, True, "head")]

    def test_others_of_the_office_are_refused_and_logged(self, session: Session,
                                                         office: Office) -> None:
        """A clerk and an administrator of the same office without a right get 403's error,
        and each refusal is on the log; the plain document stays readable."""
        for who in (office.clerk, office.staff):
            with pytest.raises(RecordedRefusal, match="MẬT"):
                access_log.read(session=session, document_id=office.secret.id,
                                door=Door(who, "web"), act="download", file_id=7)
        assert _log(session, office.secret.id) == [
            (office.clerk.full_name, False, "refused"), (office.staff.full_name, False, "refused")]
        access_log.read(session=session, document_id=office.plain.id, door=Door(office.clerk,
                                                                                 "web"))
        assert _log(session, office.plain.id) == [(office.clerk.full_name, True, "visible")]

    def test_another_organisation_gets_not_found_and_is_logged(self, session: Session,
                                                               office: Office) -> None:
        """Another organisation's leader: NotFound (as if missing), and the attempt logged."""
        with pytest.raises(RecordedNotFound):
            access_log.read(session=session, document_id=office.plain.id,
                            door=Door(office.outsider, "api"))
        assert _log(session, office.plain.id) == [
            (office.outsider.full_name, False, "other_organisation")]

    def test_cli_without_a_person_reads_plain_but_not_secret(self, session: Session,
                                                             office: Office) -> None:
        """The CLI without --as reads a plain document; a secret one asks for --as."""
        door = Door(None, "cli", "dòng lệnh (tài khoản máy test)")
        access_log.read(session=session, document_id=office.plain.id, door=door)
        with pytest.raises(RecordedRefusal, match="--as"):
            access_log.read(session=session, document_id=office.secret.id, door=door)
        assert _log(session, office.secret.id) == [(door.label, False, "refused")]

    def test_grant_and_handler_give_the_right(self, session: Session, office: Office) -> None:
        """The head's grant lets the administrator read; an assigned unit's member reads too;
        only the head may grant, and only for a secret document."""
        with pytest.raises(PermissionDenied, match="lãnh đạo"):
            access.grant(session=session, document_id=office.secret.id, person=office.staff,
                         by=office.clerk)
        with pytest.raises(ValidationError, match="không phải văn bản mật"):
            access.grant(session=session, document_id=office.plain.id, person=office.staff,
                         by=office.head)
        access.grant(session=session, document_id=office.secret.id, person=office.staff,
                     by=office.head, reason="phối hợp")
        assert access.read_right(session=session, document=office.secret,
                                 actor=office.staff) == "grant"
        session.add(HandlingAssignment(document_id=office.secret.id, role="main",
                                       organization_id=office.org.id, assigned_by_id=office.head.id,
                                       assigned_at=datetime.now(UTC)))
        session.flush()
        assert access.read_right(session=session, document=office.secret,
                                 actor=office.clerk) == "handler"


class TestEntries:
    def test_days_are_vietnam_days(self, session: Session, office: Office) -> None:
        """A read at 23:30 UTC on 31 Dec is 1 Jan in Viet Nam: in the 1 Jan export, not 31 Dec."""
        door = Door(office.head, "web")
        late = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)  # 06:30 on 1 Jan 2026, Vietnam
        early = datetime(2025, 12, 31, 16, 59, tzinfo=UTC)  # 23:59 on 31 Dec 2025, Vietnam
        for moment in (late, early):
            access_log.record(session=session, door=door, act="open",
                              document_id=office.plain.id, now=moment)
        new_year = access_log.entries(session=session, date_from=date(2026, 1, 1),
                                      date_to=date(2026, 1, 1), document_id=office.plain.id)
        old_year = access_log.entries(session=session, date_to=date(2025, 12, 31),
                                      document_id=office.plain.id)
        assert [e.at.replace(tzinfo=UTC) if e.at.tzinfo is None else e.at
                for e in new_year] == [late]
        assert len(old_year) == 1


class TestCliReads:
    def test_show_and_register_export_are_logged(self, fresh_sqlite_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        """`draft show` and `registers xlsx` are logged as CLI reads; a secret document needs
        --as with a right (refused without, logged)."""
        for key, value in {"DATABASE_URL": fresh_sqlite_url, "HOME": str(tmp_path),
                           "FILES_DIR": str(tmp_path / "files")}.items():
            monkeypatch.setenv(f"CONGVAN_{key}", value)
        get_settings.cache_clear()
        db.configure(fresh_sqlite_url)
        with db.transaction() as session:
            org = factories.org(session, key="so-noi-vu")
            factories.register(session, org)
            head = factories.person(session, org, key="giam-doc", roles=["leader"])
            factories.person(session, org, key="chuyen-vien", full_name="=1+2",
                             roles=["reviewer"])
            factories.person(session, factories.org(session, key="so-tai-chinh"),
                             key="quan-tri-tc", roles=["admin"])
            secret = documents.create(session=session, doc_type="cong_van", issuer=org,
                                      subject="V/v bảo vệ bí mật", secrecy="MẬT").id
            plain = documents.create(session=session, doc_type="cong_van", issuer=org,
                                     subject="V/v lịch họp").id
        runner = CliRunner()
        try:
            assert runner.invoke(app, ["draft", "show", str(plain)]).exit_code == 0
            refused = runner.invoke(app, ["draft", "show", str(secret)])
            assert refused.exit_code == 1 and "--as" in refused.output
            shown = runner.invoke(app, ["draft", "show", str(secret), "--as", "giam-doc"])
            assert shown.exit_code == 0, shown.output
            out = tmp_path / "so-di.xlsx"
            exported = runner.invoke(app, ["registers", "xlsx", "--org", "so-noi-vu", "--year",
                                           "2026", "-o", str(out), "--as", "giam-doc"])
            assert exported.exit_code == 0, exported.output
            granted = runner.invoke(app, ["access-log", "grant", str(secret), "--to",
                                          "chuyen-vien", "--by", "giam-doc"])
            assert granted.exit_code == 0, granted.output
            assert runner.invoke(app, ["draft", "show", str(secret), "--as",
                                       "chuyen-vien"]).exit_code == 0
            for name in ("log.xlsx", "log.csv"):
                done = runner.invoke(app, ["access-log", "export", "-o", str(tmp_path / name),
                                           "--document", str(secret), "--as", "giam-doc"])
                assert done.exit_code == 0, done.output
            # Only the office's leader, văn thư or administrator, and only its own events.
            export = ["access-log", "export", "-o", str(tmp_path / "other.csv")]
            nobody = runner.invoke(app, export)
            assert nobody.exit_code == 1 and "--as" in nobody.output
            refused = runner.invoke(app, [*export, "--as", "chuyen-vien"])
            assert refused.exit_code == 1 and "không có vai trò" in refused.output
            assert not (tmp_path / "other.csv").exists()
            elsewhere = runner.invoke(app, [*export, "--as", "quan-tri-tc"])
            assert elsewhere.exit_code == 0, elsewhere.output
            assert len((tmp_path / "other.csv").read_text(encoding="utf-8-sig")
                       .splitlines()) == 1  # the header: no event of another office
        finally:
            get_settings.cache_clear()
        with db.transaction() as session:
            rows = [(r.document_id, r.act, r.channel, r.allowed, r.actor_id == head.id)
                    for r in session.scalars(select(AccessEvent).order_by(AccessEvent.id))]
        assert rows == [(plain, "open", "cli", True, False), (secret, "open", "cli", False, False),
                        (secret, "open", "cli", True, True), (None, "export", "cli", True, True),
                        (secret, "open", "cli", True, False)]
        # The reader named "=1+2" stays text in both exports (never a formula).
        sheet = load_workbook(tmp_path / "log.xlsx").active
        assert sheet is not None
        cells = [c for c in sheet["B"] if c.value == "=1+2"]
        assert len(cells) == 1 and cells[0].data_type == "s"
        lines = (tmp_path / "log.csv").read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) == 4 and "'=1+2" in lines[-1] and "được lãnh đạo cho phép" in lines[-1]
