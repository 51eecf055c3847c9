"""Working days, Vietnamese public holidays and reporting-deadline policies.

The civil-service week is Monday to Friday (QĐ 188/1999/QĐ-TTg). Public
holidays come from the ``holidays`` package (Labour Code 2019 Art. 112, with
its observed days and the swaps it knows). On top of them, the Government's
yearly notices may swap a weekday off for a Saturday worked; those swaps are
:class:`Adjustment` rows, loaded from YAML with :func:`load_adjustments`.

Deadlines follow the Civil Code 2015: the first day of a period is not counted
(Art. 147) and a deadline falling on a non-working day moves to the next
working day (Art. 148) — ``roll_forward`` in :func:`due_date`.

This module imports nothing of ours.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import holidays
import yaml

from registry import safe_yaml
from registry.text import nfc as _nfc

__all__ = [
    "AdjustmentFileError",
    "Adjustment",
    "AnnualPolicy",
    "CustomPolicy",
    "DeadlinePolicy",
    "Period",
    "PolicyError",
    "QuarterlyPolicy",
    "SixMonthPolicy",
    "WorkingCalendar",
    "due_date",
    "load_adjustments",
    "merge_adjustments",
    "office_adjustments",
    "periods_for",
    "policy_from_dict",
    "shipped_adjustments",
    "write_adjustments",
]

SHIPPED_ADJUSTMENTS = "calendar_adjustments.yaml"

# The package labels a swapped day off "Ngày nghỉ (thay cho ngày 22/08/2026)" in
# Vietnamese; the date in brackets is the Saturday worked instead. We pin
# language="vi" so this label does not follow LANG.
_SWAP_LABEL = re.compile(r"thay cho ngày (\d{2})/(\d{2})/(\d{4})")
_ROMAN_QUARTERS = ("I", "II", "III", "IV")


class AdjustmentFileError(ValueError):
    """An adjustment file that cannot be read; the message names the line and field."""

    def __init__(
        self, message: str, *, path: str, line: int | None = None, field: str | None = None
    ) -> None:
        where = path if line is None else f"{path}, dòng {line}"
        if field is not None:
            where += f", trường '{field}'"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.field = field


class PolicyError(ValueError):
    """A deadline policy or period that does not validate; ``field`` names the culprit."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"Trường '{field}': {message}")
        self.field = field


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One Government swap: ``day_off`` becomes a holiday, ``worked_day`` a working day.

    Either side may be missing (a bare extra day off, or a bare Saturday worked).
    """

    name: str
    day_off: date | None = None
    worked_day: date | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the adjustment as a plain dict (dates as ISO strings)."""
        return {
            "day_off": self.day_off.isoformat() if self.day_off else None,
            "worked_day": self.worked_day.isoformat() if self.worked_day else None,
            "name": self.name,
            "source": self.source,
        }


_ADJUSTMENT_FIELDS = ("day_off", "worked_day", "name", "source")


def load_adjustments(path: str | Path) -> list[Adjustment]:
    """Read adjustments from a YAML file with a top-level ``adjustments:`` list.

    Raises :class:`AdjustmentFileError` naming the file, the line and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AdjustmentFileError("không tìm thấy tệp.", path=str(path)) from None
    except UnicodeDecodeError:
        raise AdjustmentFileError("tệp phải mã hóa UTF-8.", path=str(path)) from None
    try:
        safe_yaml.check(text, max_bytes=1024 * 1024)
    except safe_yaml.UnsafeYaml as exc:
        raise AdjustmentFileError(str(exc), path=str(path), line=exc.line) from None
    return _parse_adjustments(text, source_name=str(path))


# The edge (congvan.runtime) names the office's adjustment file here, for every process it
# starts: flows and the web read the same swaps as the CLI that imported them.
CALENDAR_FILE_ENV = "CONGVAN_CALENDAR_FILE"


def office_adjustments() -> list[Adjustment]:
    """The swaps the office imported (the file ``CONGVAN_CALENDAR_FILE`` names); [] if none."""
    import os

    path = os.environ.get(CALENDAR_FILE_ENV)
    if not path or not Path(path).is_file():
        return []
    return load_adjustments(path)


def _key(adjustment: Adjustment) -> date:
    day = adjustment.day_off or adjustment.worked_day
    assert day is not None
    return day


def merge_adjustments(current: Iterable[Adjustment], new: Iterable[Adjustment]
                      ) -> tuple[list[Adjustment], int, int]:
    """``current`` with ``new`` added; a new row for the same day off (or the same bare
    worked day) replaces the old one. Returns the merged rows by date, added, replaced."""
    merged: dict[date, Adjustment] = {_key(a): a for a in current}
    worked_owner = {a.worked_day: _key(a) for a in merged.values() if a.worked_day}
    added = replaced = 0
    for adj in new:
        key = _key(adj)
        if adj.worked_day is not None and worked_owner.get(adj.worked_day, key) != key:
            raise AdjustmentFileError(
                f"ngày làm bù {adj.worked_day:%d/%m/%Y} đã được dùng cho ngày nghỉ "
                f"{worked_owner[adj.worked_day]:%d/%m/%Y}; một ngày chỉ làm bù cho một ngày nghỉ.",
                path="(nhập lịch)", field="worked_day")
        if key in merged:
            replaced += merged[key] != adj
        else:
            added += 1
        merged[key] = adj
        if adj.worked_day is not None:
            worked_owner[adj.worked_day] = key
    return [merged[k] for k in sorted(merged)], added, replaced


def write_adjustments(path: Path, adjustments: Iterable[Adjustment]) -> None:
    """Write the office's adjustment file (atomically: a reader never sees half a file)."""
    rows = [{k: v for k, v in a.to_dict().items() if v is not None} for a in adjustments]
    text = ("# Điều chỉnh ngày nghỉ, ngày làm bù của cơ quan — ghi bởi `congvan calendar "
            "import`.\n" + yaml.safe_dump({"adjustments": rows}, allow_unicode=True,
                                           sort_keys=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def shipped_adjustments() -> list[Adjustment]:
    """Return the adjustments shipped with congvan (registry/calendar_adjustments.yaml)."""
    resource = resources.files(__package__ or "registry").joinpath(SHIPPED_ADJUSTMENTS)
    return _parse_adjustments(resource.read_text(encoding="utf-8"), source_name=SHIPPED_ADJUSTMENTS)


def _parse_adjustments(text: str, *, source_name: str) -> list[Adjustment]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise AdjustmentFileError(
            f"YAML không hợp lệ ({exc.problem}).", path=source_name, line=line
        ) from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise AdjustmentFileError(
            "tệp phải là một ánh xạ có khóa 'adjustments'.", path=source_name, line=_line(root)
        )
    items: yaml.Node | None = None
    for key_node, value_node in root.value:
        if key_node.value != "adjustments":
            raise AdjustmentFileError(
                "khóa không được hỗ trợ; chỉ dùng 'adjustments'.",
                path=source_name,
                line=_line(key_node),
                field=str(key_node.value),
            )
        items = value_node
    if items is None or (isinstance(items, yaml.ScalarNode) and items.tag.endswith(":null")):
        return []
    if not isinstance(items, yaml.SequenceNode):
        raise AdjustmentFileError(
            "phải là một danh sách.", path=source_name, line=_line(items), field="adjustments"
        )
    return [_parse_adjustment(node, source_name=source_name) for node in items.value]


def _parse_adjustment(node: yaml.Node, *, source_name: str) -> Adjustment:
    if not isinstance(node, yaml.MappingNode):
        raise AdjustmentFileError(
            "mỗi mục phải là một ánh xạ (day_off, worked_day, name, source).",
            path=source_name,
            line=_line(node),
        )
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        field = str(key_node.value)
        if field not in _ADJUSTMENT_FIELDS:
            raise AdjustmentFileError(
                f"trường không được hỗ trợ; dùng {', '.join(_ADJUSTMENT_FIELDS)}.",
                path=source_name,
                line=_line(key_node),
                field=field,
            )
        values[field] = _scalar(value_node, field=field, source_name=source_name)

    def fail(message: str, field: str) -> AdjustmentFileError:
        return AdjustmentFileError(message, path=source_name, line=_line(node), field=field)

    name = values.get("name")
    if not name:
        raise fail('bắt buộc; ghi tên ngày nghỉ, ví dụ "Nghỉ bù Quốc khánh".', "name")
    day_off = _date_value(values.get("day_off"), fail=fail, field="day_off")
    worked_day = _date_value(values.get("worked_day"), fail=fail, field="worked_day")
    if day_off is None and worked_day is None:
        raise fail("cần ít nhất một trong hai trường 'day_off' hoặc 'worked_day'.", "day_off")
    if day_off is not None and day_off.weekday() >= 5:
        raise fail(
            f"{day_off.isoformat()} đã là ngày nghỉ cuối tuần; ghi một ngày từ thứ Hai "
            "đến thứ Sáu.",
            "day_off",
        )
    if worked_day is not None and worked_day.weekday() < 5:
        raise fail(
            f"{worked_day.isoformat()} đã là ngày làm việc; ghi thứ Bảy hoặc Chủ nhật được làm bù.",
            "worked_day",
        )
    source = values.get("source")
    return Adjustment(
        name=_nfc(str(name)),
        day_off=day_off,
        worked_day=worked_day,
        source=_nfc(str(source)) if source else None,
    )


def _scalar(node: yaml.Node, *, field: str, source_name: str) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        raise AdjustmentFileError(
            "phải là một giá trị đơn.", path=source_name, line=_line(node), field=field
        )
    if node.tag.endswith(":null") or (node.style is None and node.value in ("", "~", "null")):
        return None
    return str(node.value)


def _date_value(value: str | None, *, fail: Any, field: str) -> date | None:
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise fail(
            f"'{value}' không phải ngày hợp lệ; ghi theo dạng YYYY-MM-DD, ví dụ 2026-08-31.", field
        ) from None


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1



@lru_cache(maxsize=256)
def _package_holidays(year: int) -> tuple[tuple[date, str], ...]:
    # Shared by every WorkingCalendar: building the holiday table is the slow part.
    table = holidays.country_holidays("VN", years=year, language="vi")
    return tuple(sorted((d, _nfc(name)) for d, name in table.items()))


@lru_cache(maxsize=256)
def _package_worked_days(year: int) -> frozenset[date]:
    # A swap listed in one year may name a Saturday of the neighbouring year
    # (day off 31/12/2018 for Saturday 05/01/2019 worked).
    worked = set()
    for y in (year - 1, year, year + 1):
        for _, name in _package_holidays(y):
            for match in _SWAP_LABEL.finditer(name):
                day, month, yr = (int(g) for g in match.groups())
                worked.add(date(yr, month, day))
    return frozenset(d for d in worked if d.year == year)


@dataclass(frozen=True, slots=True)
class _Year:
    holidays: dict[date, str]
    worked: frozenset[date]


class WorkingCalendar:
    """The civil-service working-day calendar of Vietnam.

    ``adjustments=None`` uses the adjustments shipped with congvan, then the
    office's own (``congvan calendar import``, see :func:`office_adjustments`);
    pass ``[]`` for the bare ``holidays`` package. Results are cached per year.
    """

    def __init__(self, adjustments: Iterable[Adjustment] | None = None) -> None:
        self.adjustments: tuple[Adjustment, ...] = tuple(
            [*shipped_adjustments(), *office_adjustments()] if adjustments is None
            else adjustments
        )
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._build_year(year)
        return cached

    def _build_year(self, year: int) -> _Year:
        table = dict(_package_holidays(year))
        worked = set(_package_worked_days(year))
        for adj in self.adjustments:
            if adj.day_off is not None and adj.day_off.year == year:
                table[adj.day_off] = adj.name
                worked.discard(adj.day_off)
            if adj.worked_day is not None and adj.worked_day.year == year:
                worked.add(adj.worked_day)
                table.pop(adj.worked_day, None)
        return _Year(holidays=dict(sorted(table.items())), worked=frozenset(worked))

    def holidays_in(self, year: int) -> dict[date, str]:
        """Return ``year``'s public holidays and adjusted days off, by date, named in Vietnamese."""
        return dict(self._year(year).holidays)

    def worked_weekend_days_in(self, year: int) -> list[date]:
        """Return the Saturdays and Sundays of ``year`` that are worked instead of a day off."""
        return sorted(self._year(year).worked)

    def is_working_day(self, d: date) -> bool:
        """Return True when ``d`` is a civil-service working day."""
        info = self._year(d.year)
        if d in info.worked:
            return True
        return d.weekday() < 5 and d not in info.holidays

    def next_working_day(self, d: date) -> date:
        """Return the first working day strictly after ``d``."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day(self, d: date) -> date:
        """Return the last working day strictly before ``d``."""
        d -= timedelta(days=1)
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d

    def roll_forward(self, d: date) -> date:
        """Return ``d`` if it is a working day, else the next working day (Civil Code Art. 148)."""
        return d if self.is_working_day(d) else self.next_working_day(d)

    def add_working_days(self, d: date, n: int) -> date:
        """Return the date ``n`` working days after ``d``, ``d`` itself not counted (Art. 147).

        A negative ``n`` goes back; ``add_working_days(d, 0)`` is ``d``.
        """
        step = self.next_working_day if n >= 0 else self.previous_working_day
        for _ in range(abs(n)):
            d = step(d)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Count the working days in ``(a, b]``; negative when ``b`` is before ``a``.

        The inverse of :meth:`add_working_days`:
        ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a + timedelta(days=1)
        while d <= b:
            count += self.is_working_day(d)
            d += timedelta(days=1)
        return count


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: ``key`` like "2022-Q4", "2022-H1" or "2022", and its printed label."""

    key: str
    start: date
    end: date
    label: str

    @classmethod
    def from_key(cls, key: str) -> Period:
        """Rebuild a period from its key ("2022-Q4", "2022-H1", "2022")."""
        match = re.fullmatch(r"(\d{4})(?:-(Q[1-4]|H1))?", str(key))
        if not match:
            raise PolicyError(
                f"'{key}' không phải kỳ hợp lệ; dùng dạng 2022-Q4, 2022-H1 hoặc 2022.",
                field="period",
            )
        year, part = int(match.group(1)), match.group(2)
        if part is None:
            return _year_period(year)
        if part == "H1":
            return _half_period(year)
        return _quarter_period(year, int(part[1]))

    def to_dict(self) -> dict[str, str]:
        """Return the period as a plain dict (dates as ISO strings)."""
        return {
            "key": self.key,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
        }

    @property
    def year(self) -> int:
        """The calendar year the period belongs to."""
        return self.start.year

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence: "quý IV năm 2022", "6 tháng đầu năm 2022", "năm 2022".

        Only the first letter is lowered: the Roman numeral keeps its capitals.
        """
        return self.label[:1].lower() + self.label[1:]


def _quarter_period(year: int, quarter: int) -> Period:
    first_month = 3 * (quarter - 1) + 1
    last_month = first_month + 2
    return Period(
        key=f"{year}-Q{quarter}",
        start=date(year, first_month, 1),
        end=date(year, last_month, _days_in_month(year, last_month)),
        label=f"Quý {_ROMAN_QUARTERS[quarter - 1]} năm {year}",
    )


def _half_period(year: int) -> Period:
    return Period(
        key=f"{year}-H1",
        start=date(year, 1, 1),
        end=date(year, 6, 30),
        label=f"6 tháng đầu năm {year}",
    )


def _year_period(year: int) -> Period:
    return Period(
        key=str(year), start=date(year, 1, 1), end=date(year, 12, 31), label=f"Năm {year}"
    )


def _days_in_month(year: int, month: int) -> int:
    return _stdlib_calendar.monthrange(year, month)[1]


def _day_of_month(year: int, month: int, day: int) -> date:
    # Civil Code Art. 147: a month with no such day ends on its last day.
    return date(year, month, min(day, _days_in_month(year, month)))


@dataclass(frozen=True, slots=True)
class QuarterlyPolicy:
    """One report per quarter, due on ``day`` of the quarter's ``month_of_quarter``-th month."""

    day: int = 10
    month_of_quarter: int = 3
    kind: ClassVar[str] = "quarterly"

    def __post_init__(self) -> None:
        _check_ranges(day=self.day, month_of_quarter=self.month_of_quarter)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a JSON-ready dict."""
        return {"kind": self.kind, "day": self.day, "month_of_quarter": self.month_of_quarter}


@dataclass(frozen=True, slots=True)
class SixMonthPolicy:
    """One six-month report per year (period "YYYY-H1"), due on ``day``/``month``."""

    day: int = 10
    month: int = 5
    kind: ClassVar[str] = "six_month"

    def __post_init__(self) -> None:
        _check_ranges(day=self.day, month=self.month)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a JSON-ready dict."""
        return {"kind": self.kind, "day": self.day, "month": self.month}


@dataclass(frozen=True, slots=True)
class AnnualPolicy:
    """One annual report per year (period "YYYY"), due on ``day``/``month``."""

    day: int = 10
    month: int = 11
    kind: ClassVar[str] = "annual"

    def __post_init__(self) -> None:
        _check_ranges(day=self.day, month=self.month)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a JSON-ready dict."""
        return {"kind": self.kind, "day": self.day, "month": self.month}


@dataclass(frozen=True, slots=True)
class CustomPolicy:
    """One report per year, due on ``day``/``month``, or ``working_days_after_issue`` after issue.

    Exactly one of the two forms is set.
    """

    day: int | None = None
    month: int | None = None
    working_days_after_issue: int | None = None
    kind: ClassVar[str] = "custom"

    def __post_init__(self) -> None:
        _check_ranges(
            day=self.day, month=self.month, working_days_after_issue=self.working_days_after_issue
        )
        _check_custom(self.day, self.month, self.working_days_after_issue)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a JSON-ready dict (only the form in use)."""
        if self.working_days_after_issue is not None:
            return {"kind": self.kind, "working_days_after_issue": self.working_days_after_issue}
        return {"kind": self.kind, "day": self.day, "month": self.month}


DeadlinePolicy: TypeAlias = QuarterlyPolicy | SixMonthPolicy | AnnualPolicy | CustomPolicy

_POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    "quarterly": ("day", "month_of_quarter"),
    "six_month": ("day", "month"),
    "annual": ("day", "month"),
    "custom": ("day", "month", "working_days_after_issue"),
}
_RANGES = {
    "day": (1, 31),
    "month": (1, 12),
    "month_of_quarter": (1, 3),
    "working_days_after_issue": (1, 366),
}


def _check_custom(day: int | None, month: int | None, after: int | None) -> None:
    if after is not None and (day is not None or month is not None):
        raise PolicyError(
            "không dùng cùng với 'day'/'month'; chọn một trong hai cách tính hạn.",
            field="working_days_after_issue",
        )
    if after is None:
        for name, value in (("day", day), ("month", month)):
            if value is None:
                raise PolicyError("bắt buộc (hoặc dùng 'working_days_after_issue').", field=name)


def policy_from_dict(data: Mapping[str, Any]) -> DeadlinePolicy:
    """Build a deadline policy from its dict form; :class:`PolicyError` names the bad field."""
    if not isinstance(data, Mapping):
        raise PolicyError("chính sách hạn báo cáo phải là một ánh xạ.", field="policy")
    kind = data.get("kind")
    if kind not in _POLICY_FIELDS:
        raise PolicyError(
            f"'{kind}' không hợp lệ; dùng một trong: {', '.join(_POLICY_FIELDS)}.", field="kind"
        )
    allowed = _POLICY_FIELDS[kind]
    for name in data:
        if name != "kind" and name not in allowed:
            raise PolicyError(
                f"không dùng cho loại '{kind}'; các trường hợp lệ: {', '.join(allowed)}.",
                field=str(name),
            )
    values = {name: _int_field(data, name) for name in allowed if data.get(name) is not None}
    if kind == "quarterly":
        return QuarterlyPolicy(**values)
    if kind == "six_month":
        return SixMonthPolicy(**values)
    if kind == "annual":
        return AnnualPolicy(**values)
    return CustomPolicy(**values)


def _int_field(data: Mapping[str, Any], name: str) -> int:
    value = data[name]
    _check_ranges(**{name: value})
    return int(value)


def _check_ranges(**values: Any) -> None:
    for name, value in values.items():
        if value is None:
            continue
        low, high = _RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise PolicyError(
                f"phải là số nguyên từ {low} đến {high}, nhận được {value!r}.", field=name
            )


def periods_for(policy: DeadlinePolicy, year: int) -> list[Period]:
    """Return the reporting periods ``policy`` defines in ``year``, in order."""
    if isinstance(policy, QuarterlyPolicy):
        return [_quarter_period(year, q) for q in range(1, 5)]
    if isinstance(policy, SixMonthPolicy):
        return [_half_period(year)]
    return [_year_period(year)]


def due_date(
    policy: DeadlinePolicy,
    period: Period,
    *,
    calendar: WorkingCalendar,
    roll_forward: bool = True,
    issued_on: date | None = None,
) -> date:
    """Return the due date of ``period``'s report under ``policy``.

    With ``roll_forward`` (the default, Civil Code Art. 148) a deadline on a
    weekend or holiday moves to the next working day. ``issued_on`` is required
    for a custom policy counted in working days after issue.
    """
    if isinstance(policy, CustomPolicy) and policy.working_days_after_issue is not None:
        if issued_on is None:
            raise PolicyError(
                "bắt buộc khi hạn tính theo số ngày làm việc sau ngày ban hành.",
                field="issued_on",
            )
        return calendar.add_working_days(issued_on, policy.working_days_after_issue)
    raw = _nominal_due(policy, period)
    return calendar.roll_forward(raw) if roll_forward else raw


def _nominal_due(policy: DeadlinePolicy, period: Period) -> date:
    if isinstance(policy, QuarterlyPolicy):
        month = period.start.month + policy.month_of_quarter - 1
        return _day_of_month(period.year, month, policy.day)
    assert policy.day is not None and policy.month is not None  # checked in CustomPolicy
    return _day_of_month(period.year, policy.month, policy.day)
