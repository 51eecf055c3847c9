"""The Kon Tum 2022 scenario (4267/BCĐ-NC under 22/HD-BCA-V05) as flow inputs.

Used by ``congvan demo``, the tests and the bench. The instruction's text is
the reference's, shortened; the units' figures are made up (deterministic).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from reporting.guidance import DutyIn, GuidanceIn
from reporting.instructions import InstructionIn

ROOT = Path(__file__).resolve().parent.parent
FORM_FILE = ROOT / "examples" / "forms" / "mo-hinh.yaml"
DIRECTORY_FILE = ROOT / "examples" / "kontum-2022.yaml"

MEMBERS = ["stp-kontum", "sgddt-kontum", "sldtbxh-kontum", "svhttdl-kontum", "stttt-kontum",
           "bchqs-kontum", "bdbp-kontum", "mttq-kontum", "tinhdoan-kontum", "hlhpn-kontum"]
DISTRICTS = ["bcd-kontum.tp-kontum", "bcd-kontum.dakglei", "bcd-kontum.ngochoi",
             "bcd-kontum.dakto", "bcd-kontum.konplong", "bcd-kontum.konray", "bcd-kontum.dakha",
             "bcd-kontum.sathay", "bcd-kontum.tumorong", "bcd-kontum.iahdrai"]
GUIDANCE_REF = "Hướng dẫn số 22/HD-BCA-V05 ngày 18 tháng 11 năm 2022 của Bộ Công an"


def form_dict() -> dict[str, Any]:
    """The mô hình form as a dict."""
    data: dict[str, Any] = yaml.safe_load(FORM_FILE.read_text(encoding="utf-8"))
    return data


def guidance(*, collector_key: str = "bcd-kontum", receiver_key: str = "bcd-kontum",
             sender_key: str = "bca") -> GuidanceIn:
    """22/HD-BCA-V05 with its duties: quarterly, six-month (10 May), annual (10 November)."""
    form = form_dict()
    return GuidanceIn(
        receiver_key=receiver_key, sender_key=sender_key, original_number="22/HD-BCA-V05",
        original_date=date(2022, 11, 18), arrived_on=date(2022, 11, 25),
        subject="Xây dựng, nhân rộng mô hình, điển hình tiên tiến trong phong trào toàn dân "
                "bảo vệ an ninh Tổ quốc",
        duties=[
            DutyIn(form=form, policy={"kind": "quarterly", "day": 10, "month_of_quarter": 3},
                   collector_key=collector_key,
                   description="Báo cáo mô hình trước ngày 10 của tháng cuối quý"),
            DutyIn(form=form, policy={"kind": "six_month", "day": 10, "month": 5},
                   collector_key=collector_key, description="Báo cáo 6 tháng trước ngày 10/5"),
            DutyIn(form=form, policy={"kind": "annual", "day": 10, "month": 11},
                   collector_key=collector_key, description="Báo cáo năm trước ngày 10/11"),
        ])


INSTRUCTION_BODY = f"""Theo {GUIDANCE_REF} về việc xây dựng, nhân rộng mô hình, điển hình tiên tiến trong phong trào toàn dân bảo vệ an ninh Tổ quốc (*có Hướng dẫn kèm theo*); Trưởng ban Ban Chỉ đạo Phòng, chống tội phạm, tệ nạn xã hội và xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc tỉnh có ý kiến như sau:

1. Các thành viên Ban Chỉ đạo Phòng, chống tội phạm tỉnh và Ban Chỉ đạo Phòng, chống tội phạm các huyện, thành phố:

a. Tổ chức tuyên truyền, phổ biến các nội dung của Hướng dẫn số 22/HD-BCA-V05 đến cán bộ, công chức, người lao động tại cơ quan, đơn vị, địa phương mình.

b. Kiểm tra, rà soát những mô hình hoạt động "Tốt" đã được nhân rộng trên địa bàn và có văn bản báo cáo theo mục V Hướng dẫn số 22/HD-BCA-V05 (*kèm hồ sơ mô hình*), gửi về Công an tỉnh trước ngày 10 của tháng cuối quý để tổng hợp.

c. Định kỳ 6 tháng (*trước ngày 10 tháng 5*) và 01 năm (*trước ngày 10 tháng 11*) báo cáo kết quả công tác xây dựng, nhân rộng mô hình, điển hình tiên tiến gửi kèm mẫu thống kê để tổng hợp, báo cáo (*có mẫu thống kê kèm theo*).

2. Công an tỉnh (cơ quan thường trực Ban Chỉ đạo Phòng, chống tội phạm tỉnh) định kỳ tổng hợp, báo cáo kết quả thực hiện Hướng dẫn số 22/HD-BCA-V05 gửi Bộ Công an, Ủy ban nhân dân tỉnh theo quy định."""  # noqa: E501 - the reference's paragraphs


def instruction(guidance_id: int, *, unit_keys: list[str] | None = None,
                issuer_key: str = "bcd-kontum", signer_key: str = "le-ngoc-tuan",
                clerk_key: str | None = "van-thu-bcd",
                reporting_unit_keys: list[str] | None = None) -> InstructionIn:
    """4267/BCĐ-NC's draft for ``unit_keys`` (default: the 10 members and 10 districts)."""
    return InstructionIn(
        guidance_id=guidance_id, issuer_key=issuer_key, drafting_unit="NC",
        clerk_key=clerk_key, signer_key=signer_key,
        subject="V/v xây dựng, nhân rộng mô hình, điển hình tiên tiến trong phong trào toàn dân "
                "bảo vệ an ninh Tổ quốc",
        body=INSTRUCTION_BODY,
        recipient_lines=[
            "Các thành viên Ban Chỉ đạo Phòng, chống tội phạm, tệ nạn xã hội và xây dựng phong "
            "trào toàn dân bảo vệ an ninh Tổ quốc tỉnh",
            "Ban Chỉ đạo Phòng, chống tội phạm, tệ nạn xã hội và xây dựng phong trào toàn dân "
            "bảo vệ an ninh Tổ quốc các huyện, thành phố"],
        unit_keys=unit_keys if unit_keys is not None else MEMBERS + DISTRICTS,
        reporting_unit_keys=reporting_unit_keys,
        distribution=["Như trên (t/h)", "Bộ Công an (b/c)", "Thường trực Tỉnh ủy (b/c)",
                       "Ủy ban nhân dân tỉnh (biết)", "Cơ quan TT Ban Chỉ đạo PCTP tỉnh"],
        archive="VT, BCD, NCLTD")


def sample_values(n: int) -> dict[str, Any]:
    """Plausible, valid figures for the n-th unit (deterministic)."""
    residential, agency, school = 3 + n % 5, 1 + n % 3, n % 2
    total = residential + agency + school
    rated = total - n % 2
    return {
        "models_total": total, "models_residential": residential, "models_agency": agency,
        "models_school": school, "models_new": 1 + n % 2, "models_replicated": n % 3,
        "replication_sites": (n % 3) * 4, "participants": 40 * total + n,
        "largest_model": 60 + 3 * n, "models_rated": rated,
        "models_effective": max(0, rated - n % 3), "models_recognized": n % 2,
        "models_stopped": 0, "units_with_new": 1, "support_budget": 12.5 + n,
        "notes": None,
    }
