"""registry.zipguard: the one zip check reporting.xlsx and records.plan share, each finding
with the figures their messages name."""

from __future__ import annotations

import io
import zipfile

from registry.zipguard import zip_problem

LIMITS = {"max_bytes": 1024 * 1024, "max_members": 5, "max_uncompressed": 2 * 1024 * 1024,
          "max_ratio": 200}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def test_each_problem_is_found_from_the_directory() -> None:
    """Size, not a zip, broken directory, too many members, a bomb; a small zip passes."""
    assert zip_problem(_zip({"a.xml": b"<a/>"}), **LIMITS) is None
    too_big = zip_problem(b"PK" + b"\0" * (2 * 1024 * 1024), **LIMITS)
    assert too_big is not None and too_big.kind == "size" and too_big.size > 2 * 1024 * 1024
    not_zip = zip_problem("tiêu đề, số liệu".encode(), **LIMITS)
    assert not_zip is not None and not_zip.kind == "not_zip"
    many = zip_problem(_zip({f"{i}.xml": b"<a/>" for i in range(6)}), **LIMITS)
    assert many is not None and (many.kind, many.members) == ("members", 6)
    bomb = zip_problem(_zip({"sheet.xml": b"\0" * (3 * 1024 * 1024)}), **LIMITS)
    assert bomb is not None and bomb.kind == "bomb"
    assert bomb.declared == 3 * 1024 * 1024 and bomb.ratio > 200
    good = _zip({"a.xml": b"<a/>"})
    cut = good[:-10]  # the end-of-directory record damaged: not a zip any more
    broken = zip_problem(cut, **LIMITS)
    assert broken is not None and broken.kind in ("not_zip", "broken")
