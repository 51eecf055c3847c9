"""The organisation directory: import and export of bodies, units, people and registers.

The file is YAML (schema in ``examples/kontum-2022.yaml``). Import is
idempotent (rows are matched by ``key``), validates the whole file before it
writes anything, and runs inside the caller's transaction, so a bad file
stores nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticError
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import safe_yaml
from registry.errors import DirectoryError
from registry.models import (
    Direction,
    Organization,
    Person,
    RecipientGroup,
    RecipientGroupMember,
    Register,
    SigningCertificate,
    SigningRight,
)
from registry.text import nfc

KEY_RE = r"^[a-z0-9][a-z0-9._-]*$"
AUTHORITIES = (None, "TM.", "KT.", "TL.", "TUQ.", "Q.")
ROLES = {"clerk", "leader", "reviewer", "reporter", "admin"}
EMAIL_RE = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+")


def _load_certificate(pem: str) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem.strip().encode("ascii", errors="strict"))


def _certificate_row(session: Session, person: Person, pem: str, where: str) -> None:
    """Register ``pem`` to ``person`` unless it already is; another owner is an error."""
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding

    cert = _load_certificate(pem)
    der = cert.public_bytes(Encoding.DER)
    fingerprint = hashlib.sha256(der).hexdigest()
    row = session.scalar(select(SigningCertificate).where(
        SigningCertificate.fingerprint == fingerprint))
    if row is not None:
        if row.person_id is not None and row.person_id == person.id:
            return
        owner = row.person.key if row.person is not None else (
            row.organization.key if row.organization is not None else "?")
        raise DirectoryError(f"chứng thư SHA-256 {fingerprint[:16]}… đã đăng ký cho '{owner}', "
                             f"không gán được cho '{person.key}'", field=where)
    session.add(SigningCertificate(
        person=person, fingerprint=fingerprint, subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(), serial=format(cert.serial_number, "x"),
        valid_from=cert.not_valid_before_utc, valid_until=cert.not_valid_after_utc, der=der))
    session.flush()


def _pem(der: bytes) -> str:
    import base64

    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"


def _one_line(value: str | None) -> str | None:
    # A CR or LF in a name or address would become a new header line in an e-mail (header
    # injection) or a new row in a register; printed line breaks belong in an organisation's
    # ``name`` only.
    if value is not None and ("\r" in value or "\n" in value):
        raise ValueError("không được chứa ký tự xuống dòng (CR/LF); hãy viết trên một dòng")
    return value


def _email(value: str | None) -> str | None:
    _one_line(value)
    if value is not None and not EMAIL_RE.fullmatch(value):
        raise ValueError(f"địa chỉ e-mail «{value}» không hợp lệ; viết dạng vanthu@coquan.gov.vn")
    return value


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegisterEntry(_Entry):
    code: str = Field(min_length=1, max_length=40)
    name: str
    direction: Literal["out", "in"]
    doc_types: list[str] = []
    secret: bool = False


class OrgEntry(_Entry):
    key: str = Field(pattern=KEY_RE, max_length=120)
    name: str = Field(min_length=1)
    code: str = Field(min_length=1, max_length=40)
    parent: str | None = None
    header_parent: str | None = None
    text_name: str | None = None
    place: str | None = None
    email: str | None = None
    edxml_id: str | None = Field(default=None, max_length=32)
    kind: Literal["body", "unit", "advisory"] = "body"
    address: str | None = None
    phone: str | None = None
    registers: list[RegisterEntry] | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if re.search(r"[\s/]", v):
            raise ValueError("chữ viết tắt không được chứa dấu cách hoặc dấu '/'")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if "\r" in v:
            raise ValueError("không được chứa ký tự CR; xuống dòng khi in dùng \\n")
        return v

    @field_validator("text_name", "header_parent", "place", "edxml_id", "phone")
    @classmethod
    def _single_line(cls, v: str | None) -> str | None:
        return _one_line(v)

    @field_validator("email")
    @classmethod
    def _org_email(cls, v: str | None) -> str | None:
        return _email(v)


class RightEntry(_Entry):
    issuer: str
    authority: str | None = None
    for_title: str | None = None
    on_behalf_of: str | None = None
    types: list[str] = []
    valid_from: date | None = None
    valid_until: date | None = None
    delegation_ref: str | None = None

    @field_validator("authority")
    @classmethod
    def _authority(cls, v: str | None) -> str | None:
        if v not in AUTHORITIES:
            raise ValueError(
                "thẩm quyền ký phải là một trong: TM., KT., TL., TUQ., Q. hoặc để trống")
        return v


class PersonEntry(_Entry):
    key: str = Field(pattern=KEY_RE, max_length=120)
    name: str = Field(min_length=1)
    title: str | None = None
    organization: str
    roles: list[str] = []
    email: str | None = None
    signs: list[RightEntry] = []
    # The person's own signing certificates (PEM): only signatures made with one of them are
    # accepted as this person's (issue 9); ``congvan keys register`` adds one later.
    certificates: list[str] = []

    @field_validator("certificates")
    @classmethod
    def _certificates(cls, v: list[str]) -> list[str]:
        for i, pem in enumerate(v):
            try:
                _load_certificate(pem)
            except ValueError as exc:
                raise ValueError(f"chứng thư thứ {i + 1} không phải chứng thư X.509 dạng PEM "
                                 f"(-----BEGIN CERTIFICATE-----…): {exc}") from None
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        bad = [r for r in v if r not in ROLES]
        if bad:
            raise ValueError(f"vai trò không hợp lệ {bad}; dùng: {', '.join(sorted(ROLES))}")
        return v

    @field_validator("name", "title")
    @classmethod
    def _single_line(cls, v: str | None) -> str | None:
        return _one_line(v)

    @field_validator("email")
    @classmethod
    def _person_email(cls, v: str | None) -> str | None:
        return _email(v)


class GroupEntry(_Entry):
    """A recipient group: the line printed, and the organisations it reaches."""

    key: str = Field(pattern=KEY_RE, max_length=120)
    name: str = Field(min_length=1)
    members: list[str] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _single_line(cls, v: str) -> str:
        _one_line(v)
        return v


@dataclass
class ImportReport:
    organizations_created: int = 0
    organizations_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    registers_created: int = 0
    groups_created: int = 0
    groups_updated: int = 0
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- parsing


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10× faster


class _LineLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """A SafeLoader that remembers the line of every mapping as ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(raw: Any, loc: tuple[Any, ...]) -> int | None:
    line = raw.get("__line__") if isinstance(raw, dict) else None
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "__line__" in node:
            line = node["__line__"]
    return line


def _validate(model: type[_Entry], raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise DirectoryError("mỗi mục phải là một bảng khoá: giá trị", field=where)
    try:
        return model.model_validate(nfc(_strip_lines(raw)))
    except PydanticError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        name = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        message = err["msg"]
        if err["type"] == "missing":
            message = "thiếu trường bắt buộc; hãy thêm trường này"
        elif err["type"] == "extra_forbidden":
            message = "trường không được hỗ trợ; hãy xoá hoặc sửa tên trường"
        elif err["type"] == "string_pattern_mismatch":
            message = "chỉ dùng chữ thường không dấu, số, '.', '-', '_' (ví dụ: bcd-kontum)"
        raise DirectoryError(message, field=name, line=_line_of(raw, loc)) from None


class DirectoryFile(_Entry):
    """The whole directory file, for its JSON Schema (``congvan directory schema``)."""

    organizations: list[OrgEntry]
    people: list[PersonEntry] = []
    groups: list[GroupEntry] = []


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a directory file (draft 2020-12), with Vietnamese titles."""
    schema = DirectoryFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Danh bạ congvan (congvan directory import)"
    schema["description"] = (
        "Cơ quan, đơn vị (cha trước con), cán bộ và quyền ký, nhóm nơi nhận. Khoá: chữ thường "
        "không dấu, số, '.', '-', '_'. Tệp tối đa 5 MiB, không dùng neo/bí danh YAML.")
    return schema


@dataclass
class Directory:
    organizations: list[OrgEntry]
    people: list[PersonEntry]
    groups: list[GroupEntry] = field(default_factory=list)


def parse_directory(text: str) -> Directory:
    """Parse and validate a directory file; raises DirectoryError naming line and field.

    Files over 5 MiB or using YAML aliases are refused before they are loaded.
    """
    try:
        safe_yaml.check(text)
    except safe_yaml.UnsafeYaml as exc:
        raise DirectoryError(str(exc), line=exc.line) from None
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DirectoryError(
            f"tệp YAML không đọc được ({getattr(exc, 'problem', exc)})",
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(raw, dict) or "organizations" not in raw:
        raise DirectoryError("tệp danh bạ phải có mục 'organizations'", field="organizations")
    unknown = sorted(str(k) for k in raw if k not in {"organizations", "people", "groups",
                                                       "__line__"})
    if unknown:
        raise DirectoryError("mục không được hỗ trợ; tệp danh bạ chỉ có organizations, people, "
                             "groups", field=unknown[0])
    orgs_raw = _list_of(raw, "organizations")
    people_raw = _list_of(raw, "people")
    groups_raw = _list_of(raw, "groups")
    orgs = [_validate(OrgEntry, r, f"organizations[{i}]") for i, r in enumerate(orgs_raw)]
    people = [_validate(PersonEntry, r, f"people[{i}]") for i, r in enumerate(people_raw)]
    groups = [_validate(GroupEntry, r, f"groups[{i}]") for i, r in enumerate(groups_raw)]
    _check_references(orgs, people, orgs_raw, people_raw)
    _check_groups(groups, groups_raw, {o.key for o in orgs}, {p.key for p in people})
    return Directory(orgs, people, groups)


def _list_of(raw: dict[str, Any], name: str) -> list[Any]:
    value = raw.get(name) or []
    if not isinstance(value, list):
        raise DirectoryError("phải là một danh sách (mỗi mục bắt đầu bằng '- ')", field=name)
    return value


def _check_groups(groups: list[GroupEntry], groups_raw: list[Any], org_keys: set[str],
                  person_keys: set[str]) -> None:
    seen: set[str] = set()
    for i, group in enumerate(groups):
        line = groups_raw[i].get("__line__")
        if group.key in seen:
            raise DirectoryError(f"khoá '{group.key}' bị trùng", field=f"groups[{i}].key",
                                 line=line)
        if group.key in org_keys or group.key in person_keys:
            raise DirectoryError(
                f"khoá '{group.key}' đã là khoá của một cơ quan hoặc cán bộ; hãy đặt khoá khác "
                "cho nhóm (ví dụ: nhom-cac-huyen)", field=f"groups[{i}].key", line=line)
        seen.add(group.key)
        for j, member in enumerate(group.members):
            if member not in org_keys:
                raise DirectoryError(f"không có cơ quan '{member}' trong danh bạ",
                                     field=f"groups[{i}].members[{j}]", line=line)
        if len(set(group.members)) != len(group.members):
            raise DirectoryError("một cơ quan được ghi hai lần trong nhóm",
                                 field=f"groups[{i}].members", line=line)


def _check_references(
    orgs: list[OrgEntry], people: list[PersonEntry], orgs_raw: list[Any], people_raw: list[Any]
) -> None:
    seen: set[str] = set()
    for i, org in enumerate(orgs):
        line = orgs_raw[i].get("__line__")
        if org.key in seen:
            raise DirectoryError(f"khoá '{org.key}' bị trùng", field=f"organizations[{i}].key",
                                 line=line)
        if org.parent is not None and org.parent not in seen:
            raise DirectoryError(
                f"cơ quan cấp trên '{org.parent}' chưa được khai báo ở phía trên; "
                "hãy đặt cơ quan cấp trên trước cơ quan cấp dưới",
                field=f"organizations[{i}].parent", line=line)
        seen.add(org.key)
    person_keys: set[str] = set()
    for i, person in enumerate(people):
        line = people_raw[i].get("__line__")
        if person.key in person_keys:
            raise DirectoryError(f"khoá '{person.key}' bị trùng", field=f"people[{i}].key",
                                 line=line)
        person_keys.add(person.key)
        if person.organization not in seen:
            raise DirectoryError(f"không có cơ quan '{person.organization}' trong danh bạ",
                                 field=f"people[{i}].organization", line=line)
        for j, right in enumerate(person.signs):
            if right.issuer not in seen:
                raise DirectoryError(f"không có cơ quan '{right.issuer}' trong danh bạ",
                                     field=f"people[{i}].signs[{j}].issuer", line=line)


# ---------------------------------------------------------------- import / export


def import_directory(*, session: Session, text: str) -> ImportReport:
    """Validate ``text`` fully, then upsert every row by key. Flushes; never commits."""
    directory = parse_directory(text)
    report = ImportReport()
    existing = {o.key: o for o in session.scalars(select(Organization))}
    by_key: dict[str, Organization] = {}
    for entry in directory.organizations:
        org = existing.get(entry.key)
        if org is None:
            org = Organization(key=entry.key)
            session.add(org)
            report.organizations_created += 1
        else:
            report.organizations_updated += 1
        _apply_org(org, entry, by_key)
        by_key[entry.key] = org
    session.flush()
    registers: dict[int, dict[str, Register]] = {}
    for reg in session.scalars(select(Register)):
        registers.setdefault(reg.organization_id, {})[reg.code] = reg
    for entry in directory.organizations:
        org = by_key[entry.key]
        report.registers_created += _ensure_registers(session, org, entry,
                                                      registers.get(org.id, {}))
    _import_people(session, directory.people, by_key, report)
    _import_groups(session, directory.groups, by_key, report)
    session.flush()
    return report


def _import_groups(session: Session, groups: list[GroupEntry], orgs: dict[str, Organization],
                   report: ImportReport) -> None:
    existing = {g.key: g for g in session.scalars(select(RecipientGroup))}
    for entry in groups:
        group = existing.get(entry.key)
        if group is None:
            group = RecipientGroup(key=entry.key)
            session.add(group)
            report.groups_created += 1
        else:
            report.groups_updated += 1
        group.name = entry.name
        # Members are keyed (group, organisation): delete the old rows before re-adding any.
        group.members.clear()
        session.flush()
        group.members.extend(RecipientGroupMember(organization=orgs[key], position=i)
                             for i, key in enumerate(entry.members))
        session.flush()


def _apply_org(org: Organization, entry: OrgEntry, by_key: dict[str, Organization]) -> None:
    org.name = entry.name
    org.code = entry.code
    org.parent = by_key[entry.parent] if entry.parent else None
    org.header_parent = entry.header_parent
    org.text_name = entry.text_name
    org.place = entry.place
    org.email = entry.email
    org.edxml_id = entry.edxml_id
    org.kind = entry.kind
    org.address = entry.address
    org.phone = entry.phone


DEFAULT_REGISTERS = (
    RegisterEntry(code="DI", name="Sổ đăng ký văn bản đi", direction="out"),
    RegisterEntry(code="DEN", name="Sổ đăng ký văn bản đến", direction="in"),
)


def _ensure_registers(
    session: Session, org: Organization, entry: OrgEntry, current: dict[str, Register]
) -> int:
    wanted = entry.registers if entry.registers is not None else list(DEFAULT_REGISTERS)
    created = 0
    for reg in wanted:
        row = current.get(reg.code)
        if row is None:
            row = Register(organization_id=org.id, code=reg.code)
            session.add(row)
            created += 1
        # A register's series is never deleted by an import: numbers already given stay valid.
        row.name = reg.name
        row.direction = Direction(reg.direction)
        row.doc_types = list(reg.doc_types)
        row.secret = reg.secret
    return created


def _import_people(
    session: Session, people: list[PersonEntry], orgs: dict[str, Organization],
    report: ImportReport,
) -> None:
    existing = {p.key: p for p in session.scalars(select(Person))}
    for entry in people:
        person = existing.get(entry.key)
        if person is None:
            person = Person(key=entry.key)
            session.add(person)
            report.people_created += 1
        else:
            report.people_updated += 1
        person.full_name = entry.name
        person.title = entry.title
        person.organization = orgs[entry.organization]
        person.roles = list(entry.roles)
        person.email = entry.email
        person.signing_rights = [
            SigningRight(
                issuer=orgs[r.issuer], authority=r.authority, for_title=r.for_title,
                on_behalf_of=r.on_behalf_of, doc_types=list(r.types), valid_from=r.valid_from,
                valid_until=r.valid_until, delegation_ref=r.delegation_ref,
            )
            for r in entry.signs
        ]
        if entry.certificates:
            session.flush()
            i = people.index(entry)
            for j, pem in enumerate(entry.certificates):
                _certificate_row(session, person, pem, f"people[{i}].certificates[{j}]")


def export_directory(*, session: Session) -> str:
    """The directory as YAML in the import schema (parents before children)."""
    orgs = list(session.scalars(select(Organization).order_by(Organization.id)))
    ordered = _parents_first(orgs)
    key_of = {o.id: o.key for o in orgs}
    org_rows = []
    for org in ordered:
        registers = session.scalars(
            select(Register).where(Register.organization_id == org.id).order_by(Register.id)
        ).all()
        row: dict[str, Any] = {
            "key": org.key, "name": org.name, "code": org.code,
            "parent": key_of.get(org.parent_id) if org.parent_id else None,
            "header_parent": org.header_parent, "text_name": org.text_name, "place": org.place,
            "email": org.email,
            "edxml_id": org.edxml_id, "kind": org.kind, "address": org.address,
            "phone": org.phone,
            "registers": [
                {"code": r.code, "name": r.name, "direction": r.direction.value,
                 "doc_types": list(r.doc_types or []), "secret": r.secret}
                for r in registers
            ],
        }
        org_rows.append(row)
    people_rows = []
    for p in session.scalars(select(Person).order_by(Person.id)):
        people_rows.append({
            "key": p.key, "name": p.full_name, "title": p.title,
            "organization": key_of[p.organization_id], "roles": list(p.roles or []),
            "email": p.email,
            "signs": [
                {"issuer": key_of[r.issuer_id], "authority": r.authority,
                 "for_title": r.for_title, "on_behalf_of": r.on_behalf_of,
                 "types": list(r.doc_types or []), "valid_from": r.valid_from,
                 "valid_until": r.valid_until, "delegation_ref": r.delegation_ref}
                for r in p.signing_rights
            ],
        })
        pems = [_pem(c.der) for c in session.scalars(select(SigningCertificate).where(
            SigningCertificate.person_id == p.id).order_by(SigningCertificate.id))]
        if pems:
            people_rows[-1]["certificates"] = pems
    group_rows = [
        {"key": g.key, "name": g.name,
         "members": [key_of[m.organization_id] for m in g.members]}
        for g in session.scalars(select(RecipientGroup).order_by(RecipientGroup.id))
    ]
    data: dict[str, Any] = {"organizations": org_rows, "people": people_rows}
    if group_rows:
        data["groups"] = group_rows
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _parents_first(orgs: list[Organization]) -> list[Organization]:
    by_id = {o.id: o for o in orgs}
    done: set[int] = set()
    out: list[Organization] = []

    def visit(org: Organization) -> None:
        if org.id in done:
            return
        if org.parent_id is not None and org.parent_id in by_id:
            visit(by_id[org.parent_id])
        done.add(org.id)
        out.append(org)

    for org in orgs:
        visit(org)
    return out


def import_file(*, session: Session, path: Path) -> ImportReport:
    """Import a directory file from disk."""
    return import_directory(session=session, text=path.read_text(encoding="utf-8"))
