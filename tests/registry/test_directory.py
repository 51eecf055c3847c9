"""Directory import/export: idempotent, validated before writing, errors name line and field."""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.directory import export_directory, import_directory
from registry.errors import DirectoryError
from registry.models import Organization, Person, Register, SigningRight

SMALL = textwrap.dedent("""\
    organizations:
      - key: ubnd-kt
        name: "ỦY BAN NHÂN DÂN\\nTỈNH KON TUM"
        code: UBND
        place: Kon Tum
      - key: bcd-kt
        name: "BAN CHỈ ĐẠO PCTP, TNXH\\nVÀ XÂY DỰNG PHONG TRÀO\\nTOÀN DÂN BVANTQ TỈNH"
        code: BCĐ
        parent: ubnd-kt
        header_parent: UBND TỈNH KON TUM
        kind: advisory
        place: Kon Tum
    people:
      - key: pho-truong-ban
        name: Nguyễn Văn Hoá
        title: PHÓ TRƯỞNG BAN
        organization: bcd-kt
        roles: [leader]
        signs:
          - issuer: bcd-kt
            authority: KT.
            for_title: TRƯỞNG BAN
    """)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestImport:
    def test_import_creates_tree_people_rights_and_default_registers(self,
                                                                     session: Session) -> None:
        """Bodies, their parent link, people, signing rights and two registers each are stored."""
        report = import_directory(session=session, text=SMALL)
        assert (report.organizations_created, report.people_created) == (2, 1)
        bcd = session.scalar(select(Organization).where(Organization.key == "bcd-kt"))
        assert bcd is not None and bcd.parent is not None and bcd.parent.key == "ubnd-kt"
        assert bcd.code == "BCĐ" and bcd.name.startswith("BAN CHỈ ĐẠO PCTP")
        assert {r.code for r in session.scalars(
            select(Register).where(Register.organization_id == bcd.id))} == {"DI", "DEN"}
        right = session.scalar(select(SigningRight))
        assert right is not None and (right.authority, right.for_title) == ("KT.", "TRƯỞNG BAN")

    def test_import_twice_changes_nothing(self, session: Session) -> None:
        """Importing the same file again updates in place: no new rows."""
        import_directory(session=session, text=SMALL)
        counts = [_count(session, m) for m in (Organization, Person, Register, SigningRight)]
        report = import_directory(session=session, text=SMALL)
        assert report.organizations_created == 0 and report.organizations_updated == 2
        models = (Organization, Person, Register, SigningRight)
        assert [_count(session, m) for m in models] == counts

    def test_spelling_is_kept_and_normalised_to_nfc(self, session: Session) -> None:
        """'Hoá' typed with a combining accent is stored NFC and never re-spelled as 'Hóa'."""
        decomposed = SMALL.replace("Nguyễn Văn Hoá", "Nguyễn Văn Hoa\u0301")
        import_directory(session=session, text=decomposed)
        person = session.scalar(select(Person))
        assert person is not None and person.full_name == "Nguyễn Văn Hoá"

    def test_export_round_trips(self, session: Session) -> None:
        """What export writes imports back without change."""
        import_directory(session=session, text=SMALL)
        exported = export_directory(session=session)
        report = import_directory(session=session, text=exported)
        assert report.organizations_created == 0 and report.people_created == 0
        assert "BAN CHỈ ĐẠO PCTP" in exported


class TestBadFiles:
    def test_missing_field_names_line_and_field(self, session: Session) -> None:
        """A body without a code is refused with its line and 'organizations[1].code'."""
        bad = SMALL.replace("    code: BCĐ\n", "")
        with pytest.raises(DirectoryError) as err:
            import_directory(session=session, text=bad)
        assert err.value.field == "organizations[1].code"
        assert err.value.line == 6
        assert str(err.value).startswith("dòng 6, organizations[1].code: thiếu trường bắt buộc")

    def test_unknown_parent_is_refused(self, session: Session) -> None:
        """A parent key that is not declared above is refused, naming the fix."""
        bad = SMALL.replace("parent: ubnd-kt", "parent: khong-co")
        with pytest.raises(DirectoryError, match="cơ quan cấp trên 'khong-co'"):
            import_directory(session=session, text=bad)

    def test_bad_authority_is_refused(self, session: Session) -> None:
        """A signing authority outside TM./KT./TL./TUQ./Q. is refused."""
        bad = SMALL.replace("authority: KT.", "authority: KY")
        with pytest.raises(DirectoryError) as err:
            import_directory(session=session, text=bad)
        assert err.value.field == "people[0].signs[0].authority"

    def test_bad_file_stores_nothing(self, session: Session) -> None:
        """A file with an error late in it leaves the database as it was."""
        bad = SMALL.replace("roles: [leader]", "roles: [boss]")
        with pytest.raises(DirectoryError, match="vai trò"):
            import_directory(session=session, text=bad)
        assert _count(session, Organization) == 0

    def test_broken_yaml_names_the_line(self, session: Session) -> None:
        """Unparseable YAML is reported with a line number."""
        with pytest.raises(DirectoryError) as err:
            import_directory(session=session, text="organizations:\n  - key: [a\n")
        assert err.value.line is not None


class TestNameInText:
    def test_running_text_uses_text_name_never_recased(self, session: Session) -> None:
        """'Bộ Công an' comes from text_name; without one the printed name is kept as typed."""
        text = SMALL.replace(
            "    code: UBND\n",
            "    code: UBND\n    text_name: \"Ủy ban nhân dân tỉnh Kon Tum\"\n")
        import_directory(session=session, text=text)
        ubnd = session.scalar(select(Organization).where(Organization.key == "ubnd-kt"))
        bcd = session.scalar(select(Organization).where(Organization.key == "bcd-kt"))
        assert ubnd is not None and ubnd.name_in_text == "Ủy ban nhân dân tỉnh Kon Tum"
        assert bcd is not None
        assert bcd.name_in_text == ("BAN CHỈ ĐẠO PCTP, TNXH VÀ XÂY DỰNG PHONG TRÀO "
                                    "TOÀN DÂN BVANTQ TỈNH")


class TestCertificates:
    @pytest.fixture(scope="class")
    def pems(self, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
        from signing.keys import create_dev_ca

        ca = create_dev_ca(tmp_path_factory.mktemp("ca"), password="x",
                           people=[("a", "Nguyễn Văn Hoá"), ("b", "Lê Văn B")])
        return [(p.parent / "cert.pem").read_text() for p in ca.people.values()]

    @staticmethod
    def _with(pem: str, key: str = "pho-truong-ban") -> str:
        block = textwrap.indent(pem.strip(), " " * 10)
        return SMALL.replace("key: pho-truong-ban", f"key: {key}") + (
            "    certificates:\n      - |\n" + block + "\n")

    def test_a_persons_certificate_is_registered_and_exported(
            self, session: Session, pems: list[str]) -> None:
        """The directory field registers the person's own certificate (idempotently); export
        writes it back so the round trip keeps it."""
        from registry.models import SigningCertificate

        import_directory(session=session, text=self._with(pems[0]))
        import_directory(session=session, text=self._with(pems[0]))
        rows = session.scalars(select(SigningCertificate)).all()
        assert len(rows) == 1 and rows[0].person is not None
        assert rows[0].person.key == "pho-truong-ban" and "Nguyễn Văn Hoá" in rows[0].subject
        exported = export_directory(session=session)
        assert "BEGIN CERTIFICATE" in exported
        import_directory(session=session, text=exported)
        assert _count(session, SigningCertificate) == 1

    def test_a_certificate_of_another_person_is_refused(
            self, session: Session, pems: list[str]) -> None:
        """The same certificate listed for a second person names the first and the field."""
        import_directory(session=session, text=self._with(pems[0]))
        with pytest.raises(DirectoryError, match="pho-truong-ban.*truong-ban-2") as err:
            import_directory(session=session, text=self._with(pems[0], key="truong-ban-2"))
        assert "certificates[0]" in str(err.value)

    def test_not_a_certificate_names_the_field(self, session: Session) -> None:
        """Garbage in the field is refused before anything is written."""
        with pytest.raises(DirectoryError, match="PEM"):
            import_directory(session=session, text=self._with("không phải chứng thư"))
