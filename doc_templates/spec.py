"""The document spec: the one input every path (CLI, flows, web) renders from.

Read it from YAML or JSON with :func:`load_spec`, or from a dict with
:func:`parse_spec`. Text is normalised to NFC and otherwise printed exactly
as given. Validation errors name the field path and say, in Vietnamese, how
to fix it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from doc_templates import doctypes
from doc_templates.body import body_problems, footnote_markers, table_refs
from doc_templates.errors import SpecError
from doc_templates.tables import TableSpec

Urgency = Literal["KHẨN", "THƯỢNG KHẨN", "HỎA TỐC"]
Secrecy = Literal["MẬT", "TỐI MẬT", "TUYỆT MẬT"]
Authority = Literal["TM.", "KT.", "TL.", "TUQ.", "Q."]

# Control characters would become page or paragraph breaks inside docxtpl
# (it rewrites \a and \f after rendering) or make the XML invalid.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Issuer(_Model):
    """Ô 2: the issuing body, with its direct parent on the line above."""

    parent: str | None = None
    name: str = Field(min_length=1)
    code: str = Field(min_length=1)
    text_name: str | None = None  # the name inside a sentence: "Ủy ban nhân dân huyện Đăk Hà"

    def in_text(self) -> str:
        """The issuer's name as written in a sentence (``text_name``, else the printed name)."""
        return self.text_name or " ".join(self.name.split())


class Signature(_Model):
    """Ô 7: signing authority prefix, the lines it applies to, title and name."""

    authority: Authority | None = None
    on_behalf_of: str | None = None
    for_title: str | None = None
    title: str | None = None
    name: str = Field(min_length=1)

    @model_validator(mode="after")
    def _authority_needs(self) -> Signature:
        if self.authority == "TM." and not self.on_behalf_of:
            raise ValueError(
                "TM. cần on_behalf_of: tên tập thể hoặc cơ quan (ví dụ: ỦY BAN NHÂN DÂN)"
            )
        if self.authority in {"KT.", "TL.", "TUQ.", "Q."} and not self.for_title:
            raise ValueError(
                f"{self.authority} cần for_title: chức vụ người đứng đầu (ví dụ: CHỦ TỊCH)"
            )
        if self.authority != "Q." and not self.title:
            raise ValueError("cần title: chức vụ người ký (ví dụ: CHỦ TỊCH)")
        return self

    def authority_lines(self) -> list[str]:
        """The bold caps lines above the signature, stacking TM. over KT./TL./TUQ./Q."""
        lines: list[str] = []
        if self.on_behalf_of and self.authority != "TM.":
            lines.append(f"TM. {self.on_behalf_of}")
        if self.authority == "TM.":
            lines.append(f"TM. {self.on_behalf_of}")
        elif self.authority:
            lines.append(f"{self.authority} {self.for_title}")
        if self.title:
            lines.extend(self.title.splitlines())
        return lines


class Appendix(_Model):
    """A Phụ lục: its title, its own content (body markup), orientation, same file or not."""

    title: str = Field(min_length=1)
    body: str = ""
    landscape: bool = False
    separate: bool = False  # its own file (render_appendix_docx), signed by the organisation


class Meeting(_Model):
    """Biên bản (Mẫu 1.9): when and where, who chaired, who took the minutes, who attended."""

    start: dt.datetime
    end: dt.datetime | None = None
    place: str = Field(min_length=1)
    chair: str = Field(min_length=1)
    secretary: str = Field(min_length=1)
    participants: list[str] = Field(min_length=1)
    absent: list[str] = []


class DocumentSpec(_Model):
    """Everything a template needs to print one document (Decree 30 components)."""

    type: str
    issuer: Issuer
    drafting_unit: str | None = None
    number: int | None = Field(default=None, ge=1)
    symbol: str | None = None
    place: str = Field(min_length=1)
    date: dt.date | None = None
    draft_year: int | None = Field(default=None, ge=1900, le=9999)
    draft_month: int | None = Field(default=None, ge=1, le=12)
    subject: str = ""
    urgency: Urgency | None = None
    secrecy: Secrecy | None = None
    recipients: list[str] = []
    bases: list[str] = []
    enacting_authority: str | None = None
    body: str = ""
    signature: Signature
    distribution: list[str] = []
    archive: str = "VT"
    address: str | None = None
    footnotes: dict[str, str] = Field(default={}, max_length=500)
    tables: dict[str, TableSpec] = Field(default={}, max_length=100)
    appendices: list[Appendix] = Field(default=[], max_length=12)
    meeting: Meeting | None = None
    # A biên bản of something other than a meeting (giao nhận hồ sơ, kiểm tra): no meeting block;
    # its body states when, where and who ("Hôm nay, ngày …, tại …, chúng tôi gồm: …").
    minutes_of: Literal["meeting", "record"] = "meeting"
    secretary_signature: Signature | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        data = _nfc(data)
        if isinstance(data, dict):
            data = _split_partial_date(data)
            notes = data.get("footnotes")
            if isinstance(notes, dict):  # YAML reads "1:" as an int key
                data = {**data, "footnotes": {str(k): v for k, v in notes.items()}}
        return data

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in doctypes.DOCTYPES:
            known = ", ".join(doctypes.DOCTYPES)
            raise ValueError(f"loại văn bản {value!r} không có; dùng một trong: {known}")
        return value

    @model_validator(mode="after")
    def _subject_present(self) -> DocumentSpec:
        kind = doctypes.get(self.type)
        if not self.subject and kind.layout is not doctypes.Layout.COPY and kind.summary_required:
            raise ValueError("subject: cần trích yếu nội dung (ví dụ: V/v …, Về việc …)")
        return self

    @property
    def doctype(self) -> doctypes.DocType:
        """The template type of this spec."""
        return doctypes.get(self.type)

    def computed_symbol(self) -> str:
        """The symbol after the slash: given, or TYPE-ISSUER, or ISSUER-UNIT for công văn."""
        if self.symbol:
            return self.symbol
        abbr = self.doctype.abbreviation
        parts = [self.issuer.code, self.drafting_unit] if abbr is None else [abbr, self.issuer.code]
        return "-".join(p for p in parts if p)


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
        if _FORBIDDEN.search(value):
            raise ValueError("văn bản chứa ký tự điều khiển không in được; hãy xoá ký tự đó")
        return value
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


def _split_partial_date(data: dict[str, Any]) -> dict[str, Any]:
    """Accept "2022-06" or "2022" (ISO 8601 reduced precision) for drafts."""
    raw = data.get("date")
    if isinstance(raw, int):
        raw = str(raw)
    if isinstance(raw, str) and (m := _PARTIAL_DATE.match(raw.strip())):
        data = {**data, "date": None, "draft_year": int(m.group(1))}
        if m.group(2):
            data["draft_month"] = int(m.group(2))
    return data


_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được hỗ trợ; kiểm tra lại chính tả tên trường",
    "string_type": "phải là chuỗi văn bản",
    "string_too_short": "không được để trống",
    "list_type": "phải là danh sách (mỗi dòng một mục)",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "too_long": "quá nhiều mục (tối đa {max_length})",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "date_from_datetime_parsing": "ngày phải theo ISO 8601: YYYY-MM-DD (ví dụ 2022-12-16)",
    "date_parsing": "ngày phải theo ISO 8601: YYYY-MM-DD (ví dụ 2022-12-16)",
    "date_type": "ngày phải theo ISO 8601: YYYY-MM-DD (ví dụ 2022-12-16)",
    "model_type": "phải là một nhóm trường (mapping)",
    "dict_type": "phải là một nhóm trường (mapping)",
}


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "literal_error":
        expected = str(error["ctx"]["expected"])
        return "giá trị không hợp lệ; chọn một trong: " + expected.replace(" or ", ", ")
    if kind == "value_error":
        return str(error["ctx"]["error"])
    template = _MESSAGES.get(kind)
    if template:
        return template.format(**error.get("ctx", {}))
    return str(error["msg"])


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"]) or "(toàn bộ văn bản)"
        problems.append((path, _message(error)))
    return problems


def parse_spec(data: Any, *, source: str | None = None) -> DocumentSpec:
    """Validate a mapping into a :class:`DocumentSpec`; raise :class:`SpecError` naming fields."""
    if not isinstance(data, dict):
        raise SpecError([("(toàn bộ văn bản)", "phải là một mapping YAML/JSON")], source)
    try:
        spec = DocumentSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_problems(exc), source) from None
    except ValueError as exc:  # raised while normalising, before field validation
        raise SpecError([("(toàn bộ văn bản)", str(exc))], source) from None
    problems = references(spec)
    if problems:
        raise SpecError(problems, source)
    return spec


_APPENDIX_REF = re.compile(r"Phụ lục\s+([IVXLC]+)\b")
# "… kèm theo Quyết định này": this document's own appendix; "… ban hành kèm theo Nghị định
# số 30/2020/NĐ-CP", "… của Bộ Nội vụ": another document's.
_OWN = re.compile(r"^[^.;]{0,60}?kèm theo (?:\w+ ){1,3}này")
_EXTERNAL = re.compile(
    r"^[^.;]{0,80}?(?:kèm theo|tại|của|thuộc)\s+(?:(?:Nghị định|Thông tư|Quyết định|Công văn|"
    r"Văn bản|Kế hoạch|Nghị quyết|Hướng dẫn|Chỉ thị|Luật|Thông báo)\s+(?:số\s+)?\d|"
    r"(?:Bộ|Chính phủ|Thủ tướng|Ủy ban|UBND|Sở)\b)"
)
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


def references(spec: DocumentSpec) -> list[tuple[str, str]]:
    """What the texts refer to that is missing, and what is given but never referred to."""
    problems: list[tuple[str, str]] = []
    texts = [("body", spec.body)] + [
        (f"appendices[{i}].body", a.body) for i, a in enumerate(spec.appendices)
    ]
    for path, text in texts:
        problems += [(path, m) for m in body_problems(text, spec.footnotes, spec.tables)]
    used_notes = {k for _, text in texts for k in footnote_markers(text)}
    for key in spec.footnotes:
        if key not in used_notes:
            problems.append(
                (f"footnotes.{key}", f"chú thích không được dùng; đặt [^{key}] vào nội dung")
            )
    used_tables = {k for _, text in texts for k in table_refs(text)}
    for key, table in spec.tables.items():
        if key not in used_tables:
            problems.append(
                (f"tables.{key}", f"bảng không được dùng; đặt dòng [bảng: {key}] vào nội dung")
            )
        problems += table.problems(f"tables.{key}")
    count = len(spec.appendices)
    for path, text in texts:
        for m in _APPENDIX_REF.finditer(text):
            numeral = m.group(1)
            after = text[m.end() : m.end() + 120]
            if _EXTERNAL.match(after) or (not count and not _OWN.match(after)):
                continue  # another document's appendix ("Phụ lục I kèm theo Nghị định số 30…")
            if numeral not in ROMAN[:count]:
                have = f"chỉ có {count} phụ lục" if count else "không có phụ lục nào"
                problems.append(
                    (
                        path,
                        f"nhắc đến '{m.group(0)}' nhưng {have}; thêm vào appendices hoặc sửa lại",
                    )
                )
    if count:
        mentioned = " ".join(t for _, t in texts[:1])
        for index in range(count):
            label = "Phụ lục" if count == 1 else f"Phụ lục {ROMAN[index]}"
            pattern = rf"{label}\b" if count > 1 else r"[Pp]hụ lục"
            if not re.search(pattern, mentioned):
                problems.append(
                    (
                        f"appendices[{index}]",
                        f"nội dung văn bản phải nhắc đến '{label}' "
                        "(ND30: văn bản phải dẫn chiếu phụ lục)",
                    )
                )
    if count > len(ROMAN):
        problems.append(("appendices", f"tối đa {len(ROMAN)} phụ lục"))
    kind = spec.doctype.layout
    if kind is doctypes.Layout.MINUTES:
        if spec.meeting is None and spec.minutes_of == "meeting":
            problems.append(
                ("meeting", "biên bản cần meeting: start, place, chair, secretary, participants "
                            "(biên bản không phải cuộc họp: minutes_of: record)")
            )
        if spec.secretary_signature is None:
            problems.append(
                (
                    "secretary_signature",
                    "biên bản cần chữ ký thư ký (ví dụ: title: THƯ KÝ, name: …)",
                )
            )
    return problems


MAX_SPEC_BYTES = 1024 * 1024  # a công văn's spec is a few KiB; an attachment list a few more
MAX_SPEC_EVENTS = 100_000
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, *, source: str | None = None) -> Any:
    """Load a spec's YAML after refusing, quickly and in bounded memory, a file over 1 MiB or
    one using aliases (nine levels of nine aliases expand to 387 million strings when walked).

    registry.safe_yaml does the same for the directory; doc_templates imports no package of ours.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise SpecError(
            [
                (
                    "(toàn bộ tệp)",
                    f"tệp quá lớn (tối đa {MAX_SPEC_BYTES // 1024} KiB); hãy bỏ phần không cần",
                )
            ],
            source,
        )
    try:
        for count, event in enumerate(yaml.parse(text, Loader=_YamlLoader)):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise SpecError(
                    [
                        (
                            f"dòng {line}",
                            "tệp dùng neo/bí danh YAML (&… / *…), không "
                            "được hỗ trợ; hãy viết đầy đủ giá trị",
                        )
                    ],
                    source,
                )
            if count > MAX_SPEC_EVENTS:
                raise SpecError(
                    [("(toàn bộ tệp)", "tệp có quá nhiều phần tử; hãy chia nhỏ")], source
                )
        return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise SpecError([("(cú pháp tệp)", f"không đọc được YAML: {exc}")], source) from None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a document spec (draft 2020-12), for editors and other offices."""
    schema = DocumentSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Spec văn bản congvan (congvan render, congvan draft new --spec)"
    schema["description"] = (
        "Các thành phần thể thức theo Nghị định 30/2020/NĐ-CP. type: "
        + ", ".join(doctypes.DOCTYPES)
        + ". Tệp tối đa 1 MiB, không dùng neo/bí danh YAML."
    )
    return schema


def load_spec(path: str | Path) -> DocumentSpec:
    """Read a spec from a .yaml/.yml or .json file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError([("(cú pháp tệp)", f"không đọc được JSON: {exc}")], str(path)) from None
    else:
        data = read_yaml(text, source=str(path))
    return parse_spec(data, source=str(path))
