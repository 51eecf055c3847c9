"""The handover package of one file, and the separate reader that checks one.

A package is a zip (members stored, not compressed: PDFs are compressed already)::

    ho-so.xml                        the file's 11 Appendix VI fields
    van-ban/001/van-ban.xml          each document's 16 (outgoing) or 18 (incoming) fields
    van-ban/001/<số-ký-hiệu>.pdf     its signed PDF, byte for byte as stored
    manifest-sha256.txt              "<sha256>  <member>" for every other member, sorted

The manifest is written in ``sha256sum`` format, so ``sha256sum -c`` checks it too.

:func:`verify` trusts nothing in the package: names (no absolute path, drive, ``..``,
backslash or link), the member count and sizes and the compression ratio are checked before a
byte is read; every member is read in bounded chunks and hashed; the manifest must list exactly
the other members with their hashes and be byte for byte what those members give; the XML
(read with defusedxml) must have the Appendix VI fields, one document folder per DocTotal, and
page counts that add up. A one-byte change anywhere fails one of these.
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from records.errors import PackageError

MANIFEST = "manifest-sha256.txt"
FILE_XML = "ho-so.xml"
DOC_DIR = "van-ban"
DOC_XML = "van-ban.xml"
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024
MAX_XML_BYTES = 4 * 1024 * 1024
MAX_RATIO = 100  # a member may not expand more than 100× (zip bomb)
CHUNK = 1024 * 1024
# Fixed member time: the same file gives the same package bytes.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_LINE = re.compile(r"([0-9a-f]{64})  (\S(?:.*\S)?)")


@dataclass(frozen=True)
class Member:
    """One member to write: its name in the package and where its bytes come from."""

    name: str
    data: bytes | None = None
    path: Path | None = None
    sha256: str | None = None  # known already (the registry's recorded hash, checked on read)


def safe_name(text: str, *, limit: int = 80) -> str:
    """A member name part from a number/symbol: letters kept (Đ stays), others become '_'."""
    cleaned = re.sub(r"[^\w.-]+", "_", text, flags=re.UNICODE).strip("._")
    return cleaned[:limit] or "van-ban"


def manifest_bytes(hashes: dict[str, str]) -> bytes:
    """The canonical manifest for ``{member: sha256}``."""
    return "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes)).encode("utf-8")


def write(target: Path, members: Iterable[Member]) -> dict[str, str]:
    """Write the package to ``target`` (via a temporary name); returns {member: sha256}."""
    hashes: dict[str, str] = {}
    tmp = target.with_name(f".tmp-{target.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
            for member in members:
                data = member.data if member.data is not None else (
                    member.path.read_bytes() if member.path is not None else b"")
                digest = member.sha256 or hashlib.sha256(data).hexdigest()
                info = zipfile.ZipInfo(member.name, date_time=ZIP_TIME)
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                archive.writestr(info, data)
                hashes[member.name] = digest
            info = zipfile.ZipInfo(MANIFEST, date_time=ZIP_TIME)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, manifest_bytes(hashes))
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return hashes


# ------------------------------------------------------------------ the reader


@dataclass
class Verified:
    """What a good package holds."""

    file_code: str
    title: str
    documents: int
    pages: int
    members: int
    bytes: int
    problems: list[str] = field(default_factory=list)
    signed: int = 0  # PDFs whose every signature is intact (with signatures=True)
    unsigned: int = 0  # PDFs without a signature (a scan of paper)


def _check_name(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if not name or len(name) > 255:
        return f"tên thành phần dài {len(name)} ký tự"
    if "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return f"«{name[:80]}» là đường dẫn tuyệt đối hoặc có ký tự lạ"
    parts = PurePosixPath(name).parts
    if ".." in parts or "." in parts or any(not p for p in name.split("/")):
        return f"«{name[:80]}» thoát ra ngoài gói (có '..')"
    kind = (info.external_attr >> 16) & 0o170000
    if info.is_dir() or kind not in (0, stat.S_IFREG):
        return f"«{name[:80]}» không phải tệp thường (thư mục, liên kết)"
    return None


def _bounds(infos: Sequence[zipfile.ZipInfo]) -> list[str]:
    problems: list[str] = []
    if len(infos) > MAX_MEMBERS:
        return [f"gói có {len(infos)} thành phần, tối đa {MAX_MEMBERS}"]
    seen: set[str] = set()
    total = 0
    for info in infos:
        bad = _check_name(info)
        if bad:
            problems.append(bad)
            continue
        if info.filename.casefold() in seen:
            problems.append(f"«{info.filename}» có hai lần trong gói")
        seen.add(info.filename.casefold())
        if info.file_size > MAX_MEMBER_BYTES:
            problems.append(f"«{info.filename}» quá lớn ({info.file_size} byte)")
        if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            problems.append(f"«{info.filename}» nén quá {MAX_RATIO} lần (nghi bom nén)")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        problems.append(f"tổng dung lượng giải nén {total} byte vượt giới hạn")
    return problems


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> tuple[bytes | None, str]:
    """(bytes if small enough to keep, sha256), reading at most the declared size."""
    digest = hashlib.sha256()
    kept = bytearray() if info.file_size <= limit else None
    got = 0
    with archive.open(info) as handle:
        while chunk := handle.read(CHUNK):
            got += len(chunk)
            if got > info.file_size:
                raise PackageError(f"«{info.filename}» dài hơn kích thước khai báo")
            digest.update(chunk)
            if kept is not None:
                kept.extend(chunk)
    return (bytes(kept) if kept is not None else None), digest.hexdigest()


def _xml(data: bytes | None, name: str) -> object:
    from defusedxml import ElementTree

    if data is None:
        raise PackageError(f"«{name}» quá lớn cho một tệp XML")
    try:
        return ElementTree.fromstring(data)
    except Exception as exc:  # noqa: BLE001 - any XML problem is the same refusal
        raise PackageError(f"«{name}» không phải XML hợp lệ ({exc.__class__.__name__})") from None


def _text(root: object, path: str) -> str:
    found = root.find(path)  # type: ignore[attr-defined]
    return (found.text or "").strip() if found is not None else ""


def _check_manifest(data: bytes | None, hashes: dict[str, str]) -> list[str]:
    if data is None:
        return ["bảng băm quá lớn"]
    problems: list[str] = []
    listed: dict[str, str] = {}
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return [f"{MANIFEST} không phải UTF-8"]
    for number, line in enumerate(lines, start=1):
        match = _LINE.fullmatch(line)
        if match is None:
            problems.append(f"{MANIFEST} dòng {number} sai dạng «sha256  tên»")
            continue
        listed[match.group(2)] = match.group(1)
    others = {n: h for n, h in hashes.items() if n != MANIFEST}
    for name in sorted(set(others) - set(listed)):
        problems.append(f"«{name}» không có trong {MANIFEST}")
    for name in sorted(set(listed) - set(others)):
        problems.append(f"{MANIFEST} ghi «{name}» nhưng gói không có")
    for name in sorted(set(listed) & set(others)):
        if listed[name] != others[name]:
            problems.append(f"«{name}» đã bị thay đổi (SHA-256 không khớp bảng băm)")
    if not problems and data != manifest_bytes(others):
        problems.append(f"{MANIFEST} đã bị sửa (không đúng dạng chuẩn của gói)")
    return problems


def _signatures(pdfs: dict[str, bytes]) -> tuple[int, int, list[str]]:
    """(intact, unsigned, problems): every PAdES signature of each PDF checked for integrity
    (not for trust: the archive holds its own roots)."""
    from signing.errors import VerificationError
    from signing.verify import verify_pdf

    intact = unsigned = 0
    problems: list[str] = []
    for name, data in sorted(pdfs.items()):
        try:
            report = verify_pdf(data)
        except VerificationError as exc:
            if "không có chữ ký số" in str(exc):
                unsigned += 1
            else:
                problems.append(f"«{name}»: {exc}")
            continue
        broken = [r.signer for r in report.signatures if not r.intact]
        if broken:
            problems.append(f"«{name}»: chữ ký số của {', '.join(broken)} không còn nguyên vẹn "
                            "(tệp đã bị sửa sau khi ký)")
        else:
            intact += 1
    return intact, unsigned, problems


def verify(path: Path, *, signatures: bool = False) -> Verified:
    """Check a package; PackageError lists every problem found (nothing is extracted).

    ``signatures`` also checks that every signature in every PDF is intact: a package whose
    PDF was changed and whose manifest was rewritten to match passes the hashes, not this."""
    from records.metadata import FILE_FIELDS, INCOMING_FIELDS, OUTGOING_FIELDS

    if not path.is_file():
        raise PackageError(f"không có tệp {path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path.name} không phải gói .zip đọc được ({exc})") from None
    with archive:
        infos = archive.infolist()
        problems = _bounds(infos)
        if problems:
            raise PackageError("; ".join(problems[:20]))
        hashes: dict[str, str] = {}
        small: dict[str, bytes | None] = {}
        pdfs: dict[str, bytes] = {}
        for info in infos:
            keep = signatures and info.filename.endswith(".pdf")
            try:
                data, digest = _read(archive, info, MAX_MEMBER_BYTES if keep else MAX_XML_BYTES)
            except (zipfile.BadZipFile, OSError) as exc:
                problems.append(f"«{info.filename}» hỏng ({exc})")
                continue
            hashes[info.filename] = digest
            if info.filename.endswith((".xml", ".txt")):
                small[info.filename] = data
            elif keep and data is not None:
                pdfs[info.filename] = data
    if MANIFEST not in hashes:
        raise PackageError(f"gói thiếu {MANIFEST}" + ("; " + "; ".join(problems)
                                                      if problems else ""))
    problems += _check_manifest(small[MANIFEST], hashes)
    if FILE_XML not in small:
        raise PackageError("; ".join([*problems, f"gói thiếu {FILE_XML}"]))
    file_root = _xml(small[FILE_XML], FILE_XML)
    tags = [c.tag for c in file_root]  # type: ignore[attr-defined]
    if tuple(tags) != FILE_FIELDS:
        problems.append(f"{FILE_XML} cần đúng 11 trường {', '.join(FILE_FIELDS)}")
    notation = _text(file_root, "FileCode/FileNotation")
    folders = sorted({n.split("/")[1] for n in hashes if n.startswith(f"{DOC_DIR}/")})
    doc_total = _text(file_root, "DocTotal")
    if doc_total != str(len(folders)):
        problems.append(f"DocTotal {doc_total} nhưng gói có {len(folders)} văn bản")
    pages = 0
    for folder in folders:
        name = f"{DOC_DIR}/{folder}/{DOC_XML}"
        if name not in small:
            problems.append(f"thiếu {name}")
            continue
        root = _xml(small[name], name)
        incoming = root.get("direction") == "den"  # type: ignore[attr-defined]
        expected = INCOMING_FIELDS if incoming else OUTGOING_FIELDS
        found = tuple(dict.fromkeys(c.tag for c in root))  # type: ignore[attr-defined]
        if found != expected:
            problems.append(f"{name} cần {len(expected)} trường Phụ lục VI theo thứ tự")
        if _text(root, "FileCode/FileNotation") != notation:
            problems.append(f"{name}: FileCode khác mã hồ sơ {notation}")
        if not folder.isdigit() or _text(root, "DocOrdinal") != str(int(folder)):
            problems.append(f"{name}: DocOrdinal không khớp thư mục {folder}")
        amount = _text(root, "PageAmount")
        if not amount.isdigit():
            problems.append(f"{name}: PageAmount «{amount[:20]}» không phải số")
            continue
        pages += int(amount)
        in_folder = [n for n in hashes
                     if n.startswith(f"{DOC_DIR}/{folder}/") and n.endswith(".pdf")]
        if int(amount) and not in_folder:
            problems.append(f"{DOC_DIR}/{folder}: có {amount} trang nhưng thiếu tệp PDF")
    if _text(file_root, "PageTotal") != str(pages):
        problems.append(f"PageTotal {_text(file_root, 'PageTotal')} khác tổng PageAmount {pages}")
    intact, unsigned, bad = _signatures(pdfs) if signatures else (0, 0, [])
    problems += bad
    if problems:
        raise PackageError("; ".join(problems[:20]))
    return Verified(file_code=notation, title=_text(file_root, "Title"), documents=len(folders),
                    pages=pages, members=len(hashes), bytes=sum(i.file_size for i in infos),
                    signed=intact, unsigned=unsigned)


__all__ = ["MANIFEST", "Member", "PackageError", "Verified", "manifest_bytes", "safe_name",
           "verify", "write"]
