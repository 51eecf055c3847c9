"""The working-day calendar and deadline policies, pinned to real dates.

Every weekday named below was checked with Python's ``calendar`` module; the
holidays are those of the ``holidays`` package (0.109) for Vietnam.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from registry.calendar import (
    Adjustment,
    AdjustmentFileError,
    AnnualPolicy,
    CustomPolicy,
    Period,
    PolicyError,
    QuarterlyPolicy,
    SixMonthPolicy,
    WorkingCalendar,
    due_date,
    load_adjustments,
    periods_for,
    policy_from_dict,
    shipped_adjustments,
)

D = date


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture(scope="module")
def bare() -> WorkingCalendar:
    return WorkingCalendar([])


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "adjustments.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class TestHolidays:
    def test_tet_2026_is_16_to_20_february(self, bare: WorkingCalendar) -> None:
        """Tết Bính Ngọ 2026 is Monday 16 to Friday 20 February, all non-working."""
        tet = [d for d, name in bare.holidays_in(2026).items() if "Tết Nguyên Đán" in name]
        assert tet == [D(2026, 2, d) for d in range(16, 21)]
        assert not any(bare.is_working_day(D(2026, 2, d)) for d in range(14, 23))
        assert bare.is_working_day(D(2026, 2, 13)) and bare.is_working_day(D(2026, 2, 23))

    def test_tet_2027_is_4_to_10_february(self, bare: WorkingCalendar) -> None:
        """Tết 2027 is 6–10 February, plus 29 Tết and Giao thừa on 4 and 5 February."""
        holidays_2027 = bare.holidays_in(2027)
        assert holidays_2027[D(2027, 2, 4)] == "29 Tết"
        assert holidays_2027[D(2027, 2, 5)] == "Giao thừa Tết Nguyên Đán"
        assert holidays_2027[D(2027, 2, 6)] == "Tết Nguyên Đán"
        assert holidays_2027[D(2027, 2, 10)] == "Mùng năm Tết Nguyên Đán"
        assert not any(bare.is_working_day(D(2027, 2, d)) for d in range(4, 11))
        assert bare.is_working_day(D(2027, 2, 3)) and bare.is_working_day(D(2027, 2, 11))

    def test_hung_kings_2026_sunday_is_observed_monday(self, bare: WorkingCalendar) -> None:
        """Giỗ Tổ 2026 falls on Sunday 26 April and is observed on Monday 27 April."""
        holidays_2026 = bare.holidays_in(2026)
        assert holidays_2026[D(2026, 4, 26)] == "Ngày Giỗ Tổ Hùng Vương"
        assert holidays_2026[D(2026, 4, 27)] == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
        assert not bare.is_working_day(D(2026, 4, 27))

    def test_hung_kings_2027_is_friday_16_april(self, bare: WorkingCalendar) -> None:
        """Giỗ Tổ 2027 is Friday 16 April."""
        assert bare.holidays_in(2027)[D(2027, 4, 16)] == "Ngày Giỗ Tổ Hùng Vương"
        assert not bare.is_working_day(D(2027, 4, 16))

    def test_national_day_2027_is_2_and_3_september(self, bare: WorkingCalendar) -> None:
        """Quốc khánh 2027 is Thursday 2 and Friday 3 September."""
        holidays_2027 = bare.holidays_in(2027)
        assert holidays_2027[D(2027, 9, 2)] == holidays_2027[D(2027, 9, 3)] == "Quốc khánh"
        assert bare.is_working_day(D(2027, 9, 1)) and bare.is_working_day(D(2027, 9, 6))

    def test_national_day_2026_is_1_and_2_september_with_a_swap(
        self, bare: WorkingCalendar
    ) -> None:
        """Quốc khánh 2026 is 1–2 September; 31 August is off for Saturday 22 August worked."""
        holidays_2026 = bare.holidays_in(2026)
        assert holidays_2026[D(2026, 9, 1)] == holidays_2026[D(2026, 9, 2)] == "Quốc khánh"
        assert holidays_2026[D(2026, 8, 31)] == "Ngày nghỉ (thay cho ngày 22/08/2026)"
        assert bare.is_working_day(D(2026, 9, 3))
        assert bare.is_working_day(D(2026, 8, 22))
        assert bare.worked_weekend_days_in(2026) == [D(2026, 8, 22)]

    def test_culture_day_from_2026(self, bare: WorkingCalendar) -> None:
        """24 November is Ngày Văn hóa Việt Nam from 2026 and a working day before."""
        assert bare.holidays_in(2026)[D(2026, 11, 24)] == "Ngày Văn hóa Việt Nam"
        assert not bare.is_working_day(D(2026, 11, 24))
        assert bare.is_working_day(D(2025, 11, 24))

    def test_swap_across_new_year_makes_the_saturday_worked(self, bare: WorkingCalendar) -> None:
        """The 2018 swap (31/12/2018 off) makes Saturday 5 January 2019 a working day."""
        assert not bare.is_working_day(D(2018, 12, 31))
        assert bare.is_working_day(D(2019, 1, 5))

    def test_names_are_vietnamese_whatever_lang_says(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Holiday names stay Vietnamese when LANG asks for English."""
        monkeypatch.setenv("LANG", "en_US.UTF-8")
        assert WorkingCalendar([]).holidays_in(2030)[D(2030, 9, 2)] == "Quốc khánh"

    def test_weekends_are_off(self, bare: WorkingCalendar) -> None:
        """Saturday and Sunday are not working days; an ordinary Monday is."""
        assert not bare.is_working_day(D(2026, 3, 7))
        assert not bare.is_working_day(D(2026, 3, 8))
        assert bare.is_working_day(D(2026, 3, 9))


class TestWorkingDayArithmetic:
    def test_next_working_day_skips_tet(self, bare: WorkingCalendar) -> None:
        """The working day after Friday 13 February 2026 is Monday 23 February."""
        assert bare.next_working_day(D(2026, 2, 13)) == D(2026, 2, 23)

    def test_next_working_day_is_strictly_after(self, bare: WorkingCalendar) -> None:
        """next_working_day of a working day is the following working day."""
        assert bare.next_working_day(D(2026, 3, 10)) == D(2026, 3, 11)

    def test_roll_forward_keeps_a_working_day(self, bare: WorkingCalendar) -> None:
        """roll_forward returns a working day unchanged and moves a Sunday to Monday."""
        assert bare.roll_forward(D(2026, 3, 10)) == D(2026, 3, 10)
        assert bare.roll_forward(D(2026, 5, 10)) == D(2026, 5, 11)

    def test_add_working_days_does_not_count_the_first_day(self, bare: WorkingCalendar) -> None:
        """Five working days after Thursday 12 February 2026 end on Thursday 26 February."""
        assert bare.add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)

    def test_add_zero_and_negative(self, bare: WorkingCalendar) -> None:
        """Adding zero returns the day itself; a negative count goes back over Tết."""
        assert bare.add_working_days(D(2026, 2, 23), 0) == D(2026, 2, 23)
        assert bare.add_working_days(D(2026, 2, 23), -1) == D(2026, 2, 13)

    def test_between_is_the_inverse_of_add(self, bare: WorkingCalendar) -> None:
        """working_days_between(d, add_working_days(d, n)) is n, forwards and backwards."""
        start = D(2027, 1, 28)
        for n in (0, 1, 5, 17, -3):
            assert bare.working_days_between(start, bare.add_working_days(start, n)) == n

    def test_between_counts_february_2026(self, bare: WorkingCalendar) -> None:
        """February 2026 has 15 working days: 20 weekdays less 5 days of Tết."""
        assert bare.working_days_between(D(2026, 1, 31), D(2026, 2, 28)) == 15


class TestAdjustments:
    def test_shipped_file_loads(self) -> None:
        """The shipped adjustments load and each one names its source."""
        shipped = shipped_adjustments()
        assert all(adj.source for adj in shipped)

    def test_shipped_new_year_2026_swap(self, cal: WorkingCalendar) -> None:
        """With the shipped file, Friday 2 January 2026 is off and Saturday 10 January worked."""
        assert not cal.is_working_day(D(2026, 1, 2))
        assert cal.is_working_day(D(2026, 1, 10))

    def test_file_swaps_a_day(self, tmp_path: Path) -> None:
        """A file swapping Monday 29 April 2030 for Saturday 11 May 2030 changes both days."""
        path = _write(
            tmp_path,
            "adjustments:\n"
            "  - day_off: 2030-04-29\n"
            "    worked_day: 2030-05-11\n"
            "    name: Nghỉ hoán đổi\n"
            "    source: Thông báo thử\n",
        )
        adjustments = load_adjustments(path)
        assert adjustments == [
            Adjustment(
                name="Nghỉ hoán đổi",
                day_off=D(2030, 4, 29),
                worked_day=D(2030, 5, 11),
                source="Thông báo thử",
            )
        ]
        calendar = WorkingCalendar(adjustments)
        assert not calendar.is_working_day(D(2030, 4, 29))
        assert calendar.is_working_day(D(2030, 5, 11))
        assert calendar.holidays_in(2030)[D(2030, 4, 29)] == "Nghỉ hoán đổi"
        assert WorkingCalendar([]).is_working_day(D(2030, 4, 29))

    def test_names_are_nfc(self, tmp_path: Path) -> None:
        """A decomposed name is stored in NFC."""
        decomposed = "Nghi\u0309 bu\u0300"
        path = _write(
            tmp_path, f'adjustments:\n  - day_off: 2030-04-29\n    name: "{decomposed}"\n'
        )
        assert load_adjustments(path)[0].name == "Nghỉ bù"

    def test_empty_file_means_no_adjustments(self, tmp_path: Path) -> None:
        """An empty list, or an empty file, loads as no adjustments."""
        assert load_adjustments(_write(tmp_path, "adjustments: []\n")) == []
        assert load_adjustments(_write(tmp_path, "# nothing yet\n")) == []

    def test_bad_date_names_line_and_field(self, tmp_path: Path) -> None:
        """An impossible date is reported with the file, its line and the field, in Vietnamese."""
        path = _write(
            tmp_path,
            "adjustments:\n"
            "  - day_off: 2030-04-29\n"
            "    name: Một\n"
            "  - day_off: 2030-02-30\n"
            "    name: Hai\n",
        )
        with pytest.raises(AdjustmentFileError) as info:
            load_adjustments(path)
        assert info.value.line == 4
        assert info.value.field == "day_off"
        assert "dòng 4" in str(info.value) and "YYYY-MM-DD" in str(info.value)

    def test_unknown_field_is_named(self, tmp_path: Path) -> None:
        """A misspelt field is reported on its own line."""
        path = _write(tmp_path, "adjustments:\n  - dayoff: 2030-04-29\n    name: Một\n")
        with pytest.raises(AdjustmentFileError) as info:
            load_adjustments(path)
        assert (info.value.line, info.value.field) == (2, "dayoff")

    def test_missing_name_is_named(self, tmp_path: Path) -> None:
        """A row without a name is refused, naming the 'name' field."""
        path = _write(tmp_path, "adjustments:\n  - day_off: 2030-04-29\n")
        with pytest.raises(AdjustmentFileError) as info:
            load_adjustments(path)
        assert (info.value.line, info.value.field) == (2, "name")

    def test_worked_day_must_be_a_weekend(self, tmp_path: Path) -> None:
        """A 'worked_day' that is already a weekday is refused as a likely typo."""
        path = _write(tmp_path, "adjustments:\n  - worked_day: 2030-05-10\n    name: Làm bù\n")
        with pytest.raises(AdjustmentFileError) as info:
            load_adjustments(path)
        assert info.value.field == "worked_day"
        assert "thứ Bảy" in str(info.value)

    def test_broken_yaml_names_the_line(self, tmp_path: Path) -> None:
        """Unparseable YAML is reported with its line number."""
        path = _write(tmp_path, "adjustments:\n  - day_off: [2030-04-29\n    name: x\n")
        with pytest.raises(AdjustmentFileError) as info:
            load_adjustments(path)
        assert info.value.line is not None
        assert "YAML" in str(info.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is reported by its path."""
        with pytest.raises(AdjustmentFileError, match="không tìm thấy"):
            load_adjustments(tmp_path / "none.yaml")


class TestPeriods:
    def test_quarters_of_2022(self) -> None:
        """A quarterly policy gives four quarters with Roman-numeral labels."""
        periods = periods_for(QuarterlyPolicy(), 2022)
        assert [p.key for p in periods] == ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"]
        assert periods[3] == Period("2022-Q4", D(2022, 10, 1), D(2022, 12, 31), "Quý IV năm 2022")

    def test_six_month_and_annual(self) -> None:
        """Six-month and annual policies give one period each per year."""
        assert [p.label for p in periods_for(SixMonthPolicy(), 2026)] == ["6 tháng đầu năm 2026"]
        assert [p.label for p in periods_for(AnnualPolicy(), 2026)] == ["Năm 2026"]

    def test_from_key_round_trips(self) -> None:
        """Every period key rebuilds the same period."""
        for policy in (QuarterlyPolicy(), SixMonthPolicy(), AnnualPolicy()):
            for period in periods_for(policy, 2027):
                assert Period.from_key(period.key) == period

    def test_bad_key(self) -> None:
        """An unknown period key is refused naming the 'period' field."""
        with pytest.raises(PolicyError) as info:
            Period.from_key("2022-Q5")
        assert info.value.field == "period"


QUARTERLY_2026 = [D(2026, 3, 10), D(2026, 6, 10), D(2026, 9, 10), D(2026, 12, 10)]
QUARTERLY_2027 = [D(2027, 3, 10), D(2027, 6, 10), D(2027, 9, 10), D(2027, 12, 10)]


class TestDueDates:
    @pytest.mark.parametrize(
        ("policy", "year", "expected"),
        [
            (QuarterlyPolicy(), 2026, QUARTERLY_2026),  # Tue, Wed, Thu, Thu
            (SixMonthPolicy(), 2026, [D(2026, 5, 11)]),  # 10 May is a Sunday
            (AnnualPolicy(), 2026, [D(2026, 11, 10)]),  # Tue
            (QuarterlyPolicy(), 2027, QUARTERLY_2027),  # Wed, Thu, Fri, Fri
            (SixMonthPolicy(), 2027, [D(2027, 5, 10)]),  # Mon
            (AnnualPolicy(), 2027, [D(2027, 11, 10)]),  # Wed
        ],
    )
    def test_table_with_roll_forward(
        self, cal: WorkingCalendar, policy: object, year: int, expected: list[date]
    ) -> None:
        """The 2026 and 2027 due dates, rolled forward to a working day."""
        assert isinstance(policy, QuarterlyPolicy | SixMonthPolicy | AnnualPolicy)
        got = [due_date(policy, p, calendar=cal) for p in periods_for(policy, year)]
        assert got == expected
        assert all(cal.is_working_day(d) for d in got)

    @pytest.mark.parametrize(
        ("policy", "year", "expected"),
        [
            (QuarterlyPolicy(), 2026, QUARTERLY_2026),
            (SixMonthPolicy(), 2026, [D(2026, 5, 10)]),
            (AnnualPolicy(), 2026, [D(2026, 11, 10)]),
            (QuarterlyPolicy(), 2027, QUARTERLY_2027),
            (SixMonthPolicy(), 2027, [D(2027, 5, 10)]),
            (AnnualPolicy(), 2027, [D(2027, 11, 10)]),
        ],
    )
    def test_table_without_roll_forward(
        self, cal: WorkingCalendar, policy: object, year: int, expected: list[date]
    ) -> None:
        """Without roll-forward the due date is the nominal day, even a Sunday."""
        assert isinstance(policy, QuarterlyPolicy | SixMonthPolicy | AnnualPolicy)
        periods = periods_for(policy, year)
        assert [due_date(policy, p, calendar=cal, roll_forward=False) for p in periods] == expected

    def test_kon_tum_2022_fourth_quarter(self, cal: WorkingCalendar) -> None:
        """Under 4267/BCĐ-NC the Q4 2022 report due Saturday 10 December moves to Monday 12."""
        q4 = Period.from_key("2022-Q4")
        assert due_date(QuarterlyPolicy(), q4, calendar=cal, roll_forward=False) == D(2022, 12, 10)
        assert due_date(QuarterlyPolicy(), q4, calendar=cal) == D(2022, 12, 12)

    def test_custom_day_of_month_clamps_to_month_end(self, cal: WorkingCalendar) -> None:
        """A custom day 31 of June ends on 30 June (Civil Code Art. 147), a Tuesday in 2026."""
        policy = CustomPolicy(day=31, month=6)
        assert due_date(policy, periods_for(policy, 2026)[0], calendar=cal) == D(2026, 6, 30)

    def test_custom_day_rolls_over_a_holiday(self, cal: WorkingCalendar) -> None:
        """A custom deadline on 2 September 2027 moves past Quốc khánh to Monday 6 September."""
        policy = CustomPolicy(day=2, month=9)
        assert due_date(policy, Period.from_key("2027"), calendar=cal) == D(2027, 9, 6)

    def test_custom_working_days_after_issue(self, cal: WorkingCalendar) -> None:
        """Five working days after Tuesday 2 February 2027 skip Tết and end on 16 February."""
        policy = CustomPolicy(working_days_after_issue=5)
        got = due_date(policy, Period.from_key("2027"), calendar=cal, issued_on=D(2027, 2, 2))
        assert got == D(2027, 2, 16)

    def test_working_days_after_issue_needs_issue_date(self, cal: WorkingCalendar) -> None:
        """A working-days policy without issued_on is refused naming 'issued_on'."""
        policy = CustomPolicy(working_days_after_issue=5)
        with pytest.raises(PolicyError) as info:
            due_date(policy, Period.from_key("2027"), calendar=cal)
        assert info.value.field == "issued_on"


class TestPolicySerialisation:
    @pytest.mark.parametrize(
        "policy",
        [
            QuarterlyPolicy(),
            SixMonthPolicy(),
            AnnualPolicy(),
            QuarterlyPolicy(day=15, month_of_quarter=2),
            CustomPolicy(day=20, month=1),
            CustomPolicy(working_days_after_issue=10),
        ],
    )
    def test_round_trip(self, policy: object) -> None:
        """to_dict then policy_from_dict gives back an equal policy."""
        assert isinstance(policy, QuarterlyPolicy | SixMonthPolicy | AnnualPolicy | CustomPolicy)
        assert policy_from_dict(policy.to_dict()) == policy

    def test_dict_forms(self) -> None:
        """The stored forms are small JSON-ready dicts."""
        assert QuarterlyPolicy().to_dict() == {
            "kind": "quarterly",
            "day": 10,
            "month_of_quarter": 3,
        }
        assert SixMonthPolicy().to_dict() == {"kind": "six_month", "day": 10, "month": 5}
        assert AnnualPolicy().to_dict() == {"kind": "annual", "day": 10, "month": 11}
        assert CustomPolicy(working_days_after_issue=3).to_dict() == {
            "kind": "custom",
            "working_days_after_issue": 3,
        }

    def test_defaults_fill_missing_fields(self) -> None:
        """A dict with only the kind gives the policy of 4267/BCĐ-NC."""
        assert policy_from_dict({"kind": "quarterly"}) == QuarterlyPolicy(
            day=10, month_of_quarter=3
        )

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"kind": "monthly"}, "kind"),
            ({}, "kind"),
            ({"kind": "quarterly", "day": 32}, "day"),
            ({"kind": "quarterly", "day": "10"}, "day"),
            ({"kind": "quarterly", "day": True}, "day"),
            ({"kind": "annual", "month": 13}, "month"),
            ({"kind": "annual", "month_of_quarter": 1}, "month_of_quarter"),
            ({"kind": "custom", "day": 5}, "month"),
            (
                {"kind": "custom", "day": 5, "month": 1, "working_days_after_issue": 3},
                "working_days_after_issue",
            ),
            ({"kind": "custom", "working_days_after_issue": 0}, "working_days_after_issue"),
        ],
    )
    def test_errors_name_the_field(self, data: dict[str, object], field: str) -> None:
        """An invalid dict is refused with a Vietnamese message naming the field."""
        with pytest.raises(PolicyError) as info:
            policy_from_dict(data)
        assert info.value.field == field
        assert f"Trường '{field}'" in str(info.value)


class TestPeriodInSentence:
    def test_roman_numeral_keeps_its_capitals(self) -> None:
        """Inside a sentence a quarter reads "quý IV năm 2023", never "quý iv năm 2023"."""
        from registry.calendar import Period

        assert Period.from_key("2023-Q4").in_sentence == "quý IV năm 2023"
        assert Period.from_key("2023").in_sentence == "năm 2023"
