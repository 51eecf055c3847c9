"""The folder-drop channel: one directory per recipient organisation, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from outbox.channels.folder import FolderChannel, drop
from outbox.errors import TransientDeliveryError
from outbox.message import Attachment, Party
from tests.outbox.conftest import PDF, make_message


class TestFolderChannel:
    def test_writes_files_and_metadata_under_recipient(self, tmp_path: Path) -> None:
        """The message lands in root/<organ id>/<key>/ with its files and message.json."""
        result = FolderChannel(tmp_path).send(make_message("k1"))
        assert result.message_id == "000.01.34.H34/k1"
        folder = tmp_path / "000.01.34.H34" / "k1"
        assert (folder / "4267-BCĐ-NC.pdf").read_bytes() == PDF
        meta = json.loads((folder / "message.json").read_text(encoding="utf-8"))
        assert meta["number_symbol"] == "4267/BCĐ-NC"
        assert meta["due_date"] == "2022-12-10"

    def test_recipient_without_organ_id_uses_its_name(self, tmp_path: Path) -> None:
        """Without an organ id the directory is the organisation's name, made path-safe."""
        message = make_message(recipient=Party("UBND xã A/B"))
        FolderChannel(tmp_path).send(message)
        assert (tmp_path / "UBND xã A_B" / "delivery-1").is_dir()

    def test_resend_keeps_the_first_copy(self, tmp_path: Path) -> None:
        """Sending the same delivery twice leaves one directory with the first content."""
        channel = FolderChannel(tmp_path)
        channel.send(make_message("k1"))
        changed = make_message("k1", attachments=(Attachment("4267-BCĐ-NC.pdf", "x/y", b"new"),))
        channel.send(changed)
        assert (tmp_path / "000.01.34.H34" / "k1" / "4267-BCĐ-NC.pdf").read_bytes() == PDF

    def test_no_partial_directory_is_visible(self, tmp_path: Path) -> None:
        """Only complete messages appear outside .tmp."""
        drop(tmp_path, "org", "m1", {"a": b"1", "b": b"2"})
        visible = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                         if ".tmp" not in p.parts)
        assert visible == ["org", "org/m1", "org/m1/a", "org/m1/b"]

    def test_unwritable_root_is_transient(self, tmp_path: Path) -> None:
        """A root that cannot be written (here: a file) is a transient failure."""
        root = tmp_path / "file"
        root.write_bytes(b"")
        with pytest.raises(TransientDeliveryError):
            FolderChannel(root).send(make_message())
