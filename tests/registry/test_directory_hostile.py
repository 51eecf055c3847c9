"""Hostile directory and spec files: header injection, alias bombs, oversized files."""

from __future__ import annotations

import textwrap
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from doc_templates.errors import SpecError
from doc_templates.spec import load_spec
from registry import safe_yaml
from registry.directory import import_directory, parse_directory
from registry.errors import DirectoryError
from registry.models import Organization

BASE = textwrap.dedent("""\
    organizations:
      - key: ubnd
        name: "ỦY BAN NHÂN DÂN\\nTỈNH KON TUM"
        code: UBND
        email: {email}
    people:
      - key: van-thu
        name: {name}
        organization: ubnd
    """)

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


class TestHeaderInjection:
    @pytest.mark.parametrize("email", ['"vt@a.example\\r\\nBcc: all@x.example"',
                                       '"vt@a.example\\nBcc: all@x.example"'])
    def test_crlf_in_email_is_refused_with_line_and_field(self, session: Session,
                                                          email: str) -> None:
        """An e-mail address with CR or LF names line 2 and organizations[0].email."""
        with pytest.raises(DirectoryError) as err:
            import_directory(session=session, text=BASE.format(email=email, name="Trần Thị B"))
        assert err.value.line == 2 and err.value.field == "organizations[0].email"
        assert "xuống dòng" in str(err.value)
        assert session.scalar(select(func.count()).select_from(Organization)) == 0

    def test_crlf_in_person_name_is_refused(self, session: Session) -> None:
        """A person's name with a line break names the field and stores nothing."""
        with pytest.raises(DirectoryError) as err:
            import_directory(session=session, text=BASE.format(email="vt@a.example",
                                                               name='"Trần Thị B\\r\\nX: y"'))
        assert err.value.field == "people[0].name" and err.value.line == 7

    def test_cr_in_organisation_name_is_refused_lf_kept(self, session: Session) -> None:
        """An organisation's printed name keeps its LF line breaks; a CR is refused."""
        text = BASE.format(email="vt@a.example", name="Trần Thị B")
        import_directory(session=session, text=text)
        with pytest.raises(DirectoryError, match="CR"):
            parse_directory(text.replace("\\nTỈNH", "\\r\\nTỈNH"))

    def test_malformed_email_is_refused(self) -> None:
        """An address without a domain is refused with an example of the right form."""
        with pytest.raises(DirectoryError, match="vanthu@coquan.gov.vn"):
            parse_directory(BASE.format(email="vanthu", name="Trần Thị B"))


class TestBombs:
    def test_alias_bomb_directory_is_refused_in_bounded_memory(self) -> None:
        """Nine levels of nine aliases are refused at the first anchor, in under 20 MB."""
        tracemalloc.start()
        try:
            with pytest.raises(DirectoryError) as err:
                parse_directory("organizations: []\n" + BOMB)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert "bí danh" in str(err.value) and err.value.line == 2
        assert peak < 20 * 1024 * 1024

    def test_oversized_directory_is_refused_before_parsing(self) -> None:
        """A file over the limit is refused with its size and the limit."""
        with pytest.raises(DirectoryError) as err:
            parse_directory("organizations: []\n# " + "x" * (safe_yaml.MAX_BYTES + 1))
        assert "tệp quá lớn (5.242.901 byte, tối đa 5.242.880)" in str(err.value)

    def test_many_nodes_are_refused(self) -> None:
        """A flat list beyond the node limit is refused without building it."""
        with pytest.raises(safe_yaml.UnsafeYaml, match="quá nhiều"):
            safe_yaml.check("[" + "1," * 2000 + "1]", max_events=1000)

    def test_alias_bomb_spec_is_refused(self, tmp_path: Path) -> None:
        """A document spec with aliases is refused with the line, in bounded memory."""
        path = tmp_path / "spec.yaml"
        path.write_text("type: cong_van\n" + BOMB, encoding="utf-8")
        tracemalloc.start()
        try:
            with pytest.raises(SpecError) as err:
                load_spec(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert "dòng 2" in str(err.value) and peak < 20 * 1024 * 1024

    def test_oversized_spec_is_refused(self, tmp_path: Path) -> None:
        """A spec over 1 MiB is refused before it is parsed."""
        path = tmp_path / "spec.yaml"
        path.write_text("type: cong_van\nbody: " + "a" * (1024 * 1024 + 1), encoding="utf-8")
        with pytest.raises(SpecError, match="quá lớn"):
            load_spec(path)
