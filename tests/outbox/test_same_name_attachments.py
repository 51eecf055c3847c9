"""Two attachments with the same name are both kept: in the folder drop and at intake."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from outbox.channels.folder import FolderChannel
from outbox.intake import Incoming, register_incoming
from outbox.message import Attachment
from registry.files import unique_names
from tests.outbox.conftest import make_message
from tests.outbox.test_intake import ARRIVED, setup_org


class TestUniqueNames:
    def test_repeats_are_numbered_before_the_suffix(self) -> None:
        """Repeats get " (2)", " (3)" before the extension; case does not make them different."""
        names = ["Phụ lục.pdf", "phụ lục.PDF", "Phụ lục.pdf", "ghi chú", "ghi chú"]
        assert unique_names(names) == [
            "Phụ lục.pdf", "phụ lục (2).PDF", "Phụ lục (3).pdf", "ghi chú", "ghi chú (2)"]

    def test_a_numbered_name_already_present_is_skipped(self) -> None:
        """A name that already reads "a (2).pdf" is not reused for a repeat."""
        assert unique_names(["a.pdf", "a (2).pdf", "a.pdf"]) == ["a.pdf", "a (2).pdf", "a (3).pdf"]


class TestFolderDrop:
    def test_both_files_written(self, tmp_path: Path) -> None:
        """A message with two "Phụ lục.pdf" drops both files with their own bytes."""
        message = dataclasses.replace(make_message(), attachments=(
            Attachment("Phụ lục.pdf", "application/pdf", b"%PDF-1 first"),
            Attachment("Phụ lục.pdf", "application/pdf", b"%PDF-1 second")))
        result = FolderChannel(tmp_path).send(message)
        folder = tmp_path / result.message_id
        assert (folder / "Phụ lục.pdf").read_bytes() == b"%PDF-1 first"
        assert (folder / "Phụ lục (2).pdf").read_bytes() == b"%PDF-1 second"


class TestIntake:
    def test_both_files_stored(self, session: Session, tmp_path: Path) -> None:
        """An incoming document with two same-named files stores two files, two rows."""
        ours = setup_org(session, tmp_path)
        incoming = Incoming(number_symbol="7/CV-CAH", subject="V/v gửi phụ lục",
                            sender_name="CÔNG AN HUYỆN 1", original_date=date(2023, 1, 5),
                            files=(("Phụ lục.pdf", b"first"), ("x/Phụ lục.pdf", b"second")))
        assert ours.issuer_id is not None
        doc = register_incoming(session=session, organization_id=ours.issuer_id,
                                incoming=incoming, arrived_at=ARRIVED,
                                files_root=tmp_path).document
        stored = {(tmp_path / f.path).read_bytes() for f in doc.files}
        assert len(doc.files) == 2 and stored == {b"first", b"second"}
