"""Report forms (mẫu thống kê): the YAML definition, its validation of submitted values.

A form lists indicators (key, Vietnamese label, type, unit, how it aggregates,
range, required), derived figures (ratio, percent, coverage) and checks between
indicators (parts that must add up to a total, one figure not above another).
:func:`validate_values` answers with errors that name the indicator, the .xlsx
cell and the fix, in Vietnamese.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import ReportForm
from registry.text import nfc as _nfc

IndicatorType = Literal["integer", "decimal", "text"]
Aggregate = Literal["sum", "count", "min", "max", "list", "none"]
FIRST_ROW = 6  # .xlsx row of the first indicator (rows 1–5: title, unit, period, header)
VALUE_COLUMN = "D"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Indicator(_Model):
    """One figure a unit reports."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    type: IndicatorType = "integer"
    unit: str = ""
    aggregate: Aggregate = "sum"
    required: bool = True
    min: float | None = None
    max: float | None = None
    count_if_positive: bool = False  # aggregate "count": count units whose value is > 0


class Derived(_Model):
    """A figure computed from aggregated indicators: ratio, percent or coverage."""

    key: str
    label: str
    kind: Literal["ratio", "percent", "coverage"]
    numerator: str | None = None
    denominator: str | None = None
    decimals: int = 1


class Check(_Model):
    """A rule between indicators: ``total`` equals the sum of ``parts``, or ``field`` ≤
    ``limit``."""

    total: str | None = None
    parts: list[str] = []
    field: str | None = None
    not_above: str | None = None
    message: str | None = None


class Wording(_Model):
    """The campaign's words in the documents built from a form's figures (the đôn đốc công văn
    and the Báo cáo), so a second campaign is a YAML file, not code. Each text is completed by
    the period ("quý IV năm 2023") where the documents need it; ``assessment`` may name derived
    figures as ``{key}``."""

    topic: str = "kết quả thực hiện"  # "chưa gửi báo cáo {topic} kèm mẫu thống kê"
    report_subject: str = "Kết quả thực hiện"  # the Báo cáo's trích yếu, before the period
    reminder_subject: str = "V/v đôn đốc báo cáo kết quả thực hiện"  # the đôn đốc's trích yếu
    table_columns: list[str] = []  # indicators in the per-unit table (default: first five sums)
    highlights: str | None = None  # a list indicator shown as a bullet list after the table
    highlights_heading: str = "Nội dung các đơn vị đề nghị:"
    assessment: str = "Các đơn vị đã triển khai thực hiện theo hướng dẫn."
    proposals: list[str] = ["Đề nghị các đơn vị chưa báo cáo khẩn trương gửi báo cáo theo mẫu "
                            "thống kê."]


class FormDef(_Model):
    """A statistics form as defined in YAML."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    version: int = 1
    name: str
    source: str = ""
    indicators: list[Indicator] = Field(min_length=1)
    derived: list[Derived] = []
    checks: list[Check] = []
    wording: Wording = Wording()

    @model_validator(mode="after")
    def _references(self) -> FormDef:
        keys = {i.key for i in self.indicators}
        if len(keys) != len(self.indicators):
            raise ValueError("indicators: có chỉ tiêu trùng khóa; mỗi 'key' chỉ dùng một lần")
        names = [(d.key, d.numerator) for d in self.derived] + [
            (d.key, d.denominator) for d in self.derived]
        names += [("checks", c.total) for c in self.checks] + [
            ("checks", p) for c in self.checks for p in c.parts]
        names += [("checks", c.field) for c in self.checks] + [
            ("checks", c.not_above) for c in self.checks]
        names += [("wording.table_columns", k) for k in self.wording.table_columns]
        names += [("wording.highlights", self.wording.highlights)]
        for where, name in names:
            if name is not None and name not in keys:
                raise ValueError(f"{where}: chỉ tiêu '{name}' không có trong 'indicators'")
        return self

    def indicator(self, key: str) -> Indicator:
        """The indicator with ``key``."""
        return next(i for i in self.indicators if i.key == key)

    def cell(self, key: str) -> str:
        """The .xlsx cell where the value of ``key`` is typed (``D6``…)."""
        index = [i.key for i in self.indicators].index(key)
        return f"{VALUE_COLUMN}{FIRST_ROW + index}"

    def table_columns(self) -> list[str]:
        """The indicators of the per-unit table: the wording's, else the first five summed."""
        return list(self.wording.table_columns) or [
            i.key for i in self.indicators if i.aggregate == "sum" and i.type != "text"][:5]


def parse_form(data: Any) -> FormDef:
    """Validate a mapping into a :class:`FormDef` (pydantic errors name the field)."""
    return FormDef.model_validate(_nfc(data))


def load_form(path: str | Path) -> FormDef:
    """Read a form definition from a YAML file."""
    return parse_form(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def ensure_form(*, session: Session, form: FormDef) -> ReportForm:
    """The ReportForm row for ``form`` (code, version), created if missing. Flushes."""
    row = session.scalar(select(ReportForm).where(
        ReportForm.code == form.code, ReportForm.version == form.version))
    if row is None:
        row = ReportForm(code=form.code, version=form.version, name=form.name,
                         definition=form.model_dump(mode="json"))
        session.add(row)
        session.flush()
    return row


def form_of(row: ReportForm) -> FormDef:
    """The definition stored on a ReportForm row."""
    return parse_form(row.definition)


def _error(form: FormDef, key: str, message: str) -> dict[str, Any]:
    return {"indicator": key, "cell": form.cell(key), "label": form.indicator(key).label,
            "message": message}


def coerce(indicator: Indicator, raw: Any) -> tuple[Any, str | None]:
    """Turn a raw value into the indicator's type; returns (value, error message or None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if indicator.type == "text":
        return _nfc(str(raw)).strip(), None
    if isinstance(raw, bool):
        return None, "phải là số, không phải đúng/sai"
    try:
        number = Decimal(str(raw).strip().replace(" ", ""))
    except InvalidOperation:
        return None, f"'{raw}' không phải là số; hãy nhập chữ số (ví dụ 12)"
    if not number.is_finite():
        return None, f"'{raw}' không phải là số hữu hạn"
    if indicator.type == "integer":
        if number != number.to_integral_value():
            return None, f"{raw} phải là số nguyên (không có phần thập phân)"
        return int(number), None
    return float(number), None


def validate_values(form: FormDef, raw: dict[str, Any]
                    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Coerce and check ``raw``; returns (values, errors). Unknown keys are errors too."""
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    known = {i.key for i in form.indicators}
    for key in raw:
        if key not in known:
            errors.append({"indicator": key, "cell": None, "label": key,
                           "message": f"chỉ tiêu '{key}' không có trong mẫu {form.code}; "
                                      "hãy bỏ trường này"})
    for ind in form.indicators:
        value, problem = coerce(ind, raw.get(ind.key))
        if problem:
            errors.append(_error(form, ind.key, f"{ind.label}: {problem}"))
            continue
        if value is None:
            if ind.required:
                errors.append(_error(form, ind.key, f"{ind.label}: bắt buộc; hãy nhập số liệu "
                                     "(nhập 0 nếu không có)"))
            continue
        if ind.type != "text":
            if ind.min is not None and value < ind.min:
                errors.append(_error(form, ind.key, f"{ind.label}: {value} nhỏ hơn mức tối thiểu "
                                     f"{_num(ind.min)}; hãy nhập số từ {_num(ind.min)} trở lên"))
                continue
            if ind.max is not None and value > ind.max:
                errors.append(_error(form, ind.key, f"{ind.label}: {value} lớn hơn mức tối đa "
                                     f"{_num(ind.max)}; hãy kiểm tra lại số liệu"))
                continue
        values[ind.key] = value
    if not errors:
        errors += _checks(form, values)
    return values, errors


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _checks(form: FormDef, values: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for check in form.checks:
        if check.total and check.parts:
            if any(values.get(k) is None for k in [check.total, *check.parts]):
                continue
            parts_sum = sum(values[p] for p in check.parts)
            if parts_sum != values[check.total]:
                labels = " + ".join(f"{form.indicator(p).label} ({form.cell(p)})"
                                    for p in check.parts)
                errors.append(_error(form, check.total, check.message or (
                    f"{form.indicator(check.total).label} là {values[check.total]} nhưng "
                    f"{labels} = {parts_sum}; hãy sửa ô {form.cell(check.total)} hoặc các ô "
                    "thành phần cho khớp")))
        if check.field and check.not_above:
            a, b = values.get(check.field), values.get(check.not_above)
            if a is not None and b is not None and a > b:
                errors.append(_error(form, check.field, check.message or (
                    f"{form.indicator(check.field).label} ({a}) không được lớn hơn "
                    f"{form.indicator(check.not_above).label} ({b}, ô "
                    f"{form.cell(check.not_above)}); hãy sửa ô {form.cell(check.field)}")))
    return errors
