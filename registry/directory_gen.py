"""A deterministic, national-scale organisation directory for benchmarks and load tests.

It follows the directory YAML schema of ``examples/kontum-2022.yaml``: the
34 province-level units in force since 12 June 2025 (Nghị quyết
202/2025/QH15), each with its People's Committee, its steering committee and
a leader and clerk there, and ``communes`` commune-level steering committees
(3,321 by default, the national total after the 2025 reorganisation), each with
one reporter.

Province names are real. Commune names ("Xã Mẫu 0001"), person names,
e-mail addresses (under .example) and edXML ids (Z series) are placeholders,
and the number of communes per province is a deterministic spread, not the
real count. Same arguments, same bytes.

This module imports nothing of ours.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import yaml

NATIONAL_COMMUNES = 3321

# (name, level): the 6 centrally-run cities and 28 provinces of Nghị quyết 202/2025/QH15.
PROVINCES: tuple[tuple[str, str], ...] = (
    ("Hà Nội", "thành phố"),
    ("Huế", "thành phố"),
    ("Lai Châu", "tỉnh"),
    ("Điện Biên", "tỉnh"),
    ("Sơn La", "tỉnh"),
    ("Lạng Sơn", "tỉnh"),
    ("Quảng Ninh", "tỉnh"),
    ("Thanh Hóa", "tỉnh"),
    ("Nghệ An", "tỉnh"),
    ("Hà Tĩnh", "tỉnh"),
    ("Cao Bằng", "tỉnh"),
    ("Tuyên Quang", "tỉnh"),
    ("Lào Cai", "tỉnh"),
    ("Thái Nguyên", "tỉnh"),
    ("Phú Thọ", "tỉnh"),
    ("Bắc Ninh", "tỉnh"),
    ("Hưng Yên", "tỉnh"),
    ("Hải Phòng", "thành phố"),
    ("Ninh Bình", "tỉnh"),
    ("Quảng Trị", "tỉnh"),
    ("Đà Nẵng", "thành phố"),
    ("Quảng Ngãi", "tỉnh"),
    ("Gia Lai", "tỉnh"),
    ("Khánh Hòa", "tỉnh"),
    ("Lâm Đồng", "tỉnh"),
    ("Đắk Lắk", "tỉnh"),
    ("Thành phố Hồ Chí Minh", "thành phố"),
    ("Đồng Nai", "tỉnh"),
    ("Tây Ninh", "tỉnh"),
    ("Cần Thơ", "thành phố"),
    ("Vĩnh Long", "tỉnh"),
    ("Đồng Tháp", "tỉnh"),
    ("Cà Mau", "tỉnh"),
    ("An Giang", "tỉnh"),
)

BCD_NAME = "BAN CHỈ ĐẠO PCTP, TNXH\nVÀ XÂY DỰNG PHONG TRÀO\nTOÀN DÂN BVANTQ {level}"
_WEIGHTS = (6, 8, 10, 12, 14)  # a fixed uneven spread, so provinces differ in size

HEADER = """\
# Generated national-scale directory (registry.directory_gen): {provinces} province-level
# units with their real names; {communes} commune-level steering committees.
# PLACEHOLDERS: commune names ("Xã Mẫu NNNN"), person names, e-mail addresses
# (.example), edXML ids (Z series) and the number of communes per province.
"""


def slug(text: str) -> str:
    """Return an ASCII key fragment for a Vietnamese name ("Đắk Lắk" -> "dak-lak")."""
    folded = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    return "-".join(ascii_only.lower().replace("'", "").split())


def spread(total: int, parts: int) -> list[int]:
    """Split ``total`` into ``parts`` deterministic, uneven shares that add up exactly."""
    weights = [_WEIGHTS[i % len(_WEIGHTS)] for i in range(parts)]
    scale = sum(weights)
    shares = [total * w // scale for w in weights]
    # Largest remainders first, ties by position: deterministic and exact.
    order = sorted(range(parts), key=lambda i: (-(total * weights[i] % scale), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def generate(*, communes: int = NATIONAL_COMMUNES) -> dict[str, list[dict[str, Any]]]:
    """Return the directory as ``{"organizations": [...], "people": [...]}`` (schema order)."""
    if communes < 0:
        raise ValueError(f"Trường 'communes': phải là số không âm, nhận được {communes}.")
    organizations: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    number = 0
    for p, ((name, level), count) in enumerate(
        zip(PROVINCES, spread(communes, len(PROVINCES)), strict=True), start=1
    ):
        organizations += _province(p, name, level)
        people += _province_people(p, name)
        for c in range(1, count + 1):
            number += 1
            org, person = _commune(p, name, c, number)
            organizations.append(org)
            people.append(person)
    return {"organizations": organizations, "people": people}


def _province(p: int, name: str, level: str) -> list[dict[str, Any]]:
    key = slug(_short(name))
    upper = f"{level} {_short(name)}".upper()
    ubnd = _org(
        key=f"ubnd-{key}",
        name=f"ỦY BAN NHÂN DÂN\n{upper}",
        code="UBND",
        parent=None,
        header_parent=None,
        place=name,
        email=f"vanthu@ubnd.{key}.example",
        edxml_id=f"{p:03d}.00.00.Z00",
        kind="body",
    )
    bcd = _org(
        key=f"bcd-{key}",
        name=BCD_NAME.format(level=level.upper()),
        code="BCĐ",
        parent=f"ubnd-{key}",
        header_parent=f"UBND {upper}",
        place=name,
        email=f"bcd@{key}.example",
        edxml_id=f"{p:03d}.00.00.Z01",
        kind="advisory",
    )
    return [ubnd, bcd]


def _province_people(p: int, name: str) -> list[dict[str, Any]]:
    key = slug(_short(name))
    head = _person(
        key=f"truong-ban.{key}",
        name=f"Trưởng ban Mẫu {p:02d}",
        title="TRƯỞNG BAN",
        organization=f"bcd-{key}",
        roles=["leader"],
        email=f"truongban@{key}.example",
        signs=[
            {
                "issuer": f"bcd-{key}",
                "authority": "TM.",
                "for_title": None,
                "on_behalf_of": "BAN CHỈ ĐẠO",
                "types": [],
            }
        ],
    )
    clerk = _person(
        key=f"van-thu.{key}",
        name=f"Văn thư Mẫu {p:02d}",
        title="VĂN THƯ",
        organization=f"bcd-{key}",
        roles=["clerk"],
        email=f"vanthu@{key}.example",
    )
    return [head, clerk]


def _commune(p: int, province: str, c: int, number: int) -> tuple[dict[str, Any], dict[str, Any]]:
    key = slug(_short(province))
    commune = f"Xã Mẫu {number:04d}"
    org_key = f"bcd-{key}.x{number:04d}"
    org = _org(
        key=org_key,
        name=BCD_NAME.format(level="XÃ"),
        code="BCĐ",
        parent=f"bcd-{key}",
        header_parent=f"UBND {commune.upper()}",
        place=commune,
        email=f"bcd.x{number:04d}@{key}.example",
        edxml_id=f"{p:03d}.{c // 100:02d}.{c % 100:02d}.Z02",
        kind="advisory",
    )
    person = _person(
        key=f"bao-cao.{key}.x{number:04d}",
        name=f"Người báo cáo {number:04d}",
        title="CHUYÊN VIÊN",
        organization=org_key,
        roles=["reporter"],
        email=f"baocao.x{number:04d}@{key}.example",
    )
    return org, person


def _short(name: str) -> str:
    return name.removeprefix("Thành phố ")


def _org(**fields: Any) -> dict[str, Any]:
    return {**fields, "address": None, "phone": None}


def _person(**fields: Any) -> dict[str, Any]:
    return {**{k: v for k, v in fields.items() if k != "signs"}, "signs": fields.get("signs", [])}


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """A safe dumper that prints multi-line names as "LINE\\nLINE", as in the examples."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(directory: dict[str, list[dict[str, Any]]]) -> str:
    """Return the directory as YAML text, with a header saying what is placeholder."""
    body = yaml.dump(directory, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200)
    communes = sum(1 for o in directory["organizations"] if ".x" in o["key"])
    return HEADER.format(provinces=len(PROVINCES), communes=communes) + body
