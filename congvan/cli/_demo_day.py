"""The demo's ordinary day after the cycle: the văn thư's incoming documents, end to end.

A công văn of Công an tỉnh Kon Tum reaches the provincial committee on paper: it is
scanned, read by Tesseract (the fields it proposes are shown; what it misread the
văn thư corrects, as she would), registered, and made searchable. The same công văn
then arrives by e-mail as a PDF: recognised, no second incoming number. The văn thư
presents it; the Trưởng ban assigns it (bút phê) to the Phó Trưởng ban with a due
date, Công an tỉnh's PV05 to coordinate; he records progress; the answering công văn
is drafted citing it, signed and issued, and recorded as the answer. A second
document, on paper with typed fields, is left overdue and reminded through the outbox.
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

SCAN_SPEC: dict[str, Any] = {
    "type": "cong_van",
    "issuer": {"parent": "BỘ CÔNG AN", "name": "CÔNG AN TỈNH KON TUM", "code": "CAT"},
    "drafting_unit": "PV05",
    "number": 812,
    "place": "Kon Tum",
    "date": "2023-12-25",
    "subject": "đề nghị cung cấp số liệu mô hình\nđiển hình tiên tiến quý IV năm 2023",
    "recipients": ["Ban Chỉ đạo Phòng, chống tội phạm tỉnh."],
    "body": "Để tổng hợp báo cáo Bộ Công an (Cục V05) kết quả xây dựng, nhân rộng mô hình, "
            "điển hình tiên tiến trong phong trào toàn dân bảo vệ an ninh Tổ quốc quý IV năm "
            "2023, Công an tỉnh đề nghị Ban Chỉ đạo Phòng, chống tội phạm tỉnh cung cấp số "
            "liệu tổng hợp của các huyện, thành phố (số mô hình, số mô hình hoạt động hiệu "
            "quả, số mô hình mới) trước ngày 29/12/2023.\n\nTrân trọng./.",
    "signature": {"authority": "KT.", "for_title": "GIÁM ĐỐC", "title": "PHÓ GIÁM ĐỐC",
                  "name": "Nguyễn Văn H"},
    "distribution": ["Như trên"],
    "archive": "VT, PV05",
}
TRUTH = {"number": "812", "symbol": "CAT-PV05", "date_": "25/12/2023",
         "subject": "V/v đề nghị cung cấp số liệu mô hình điển hình tiên tiến quý IV năm 2023"}
ORG, CLERK, LEADER, HANDLER = "bcd-kontum", "van-thu-bcd", "le-ngoc-tuan", "pho-truong-ban"
ARRIVED = datetime(2023, 12, 26, 1, 10, tzinfo=UTC)  # 08:10 in Kon Tum


def make_scan(folder: Path, converter: Any) -> tuple[Path, bytes]:
    """The công văn rendered, printed to 300 dpi greyscale with speckle and a slight skew (the
    scan), and its text PDF (the e-mail copy)."""
    from PIL import Image, ImageChops

    from doc_templates.render import render_docx
    from doc_templates.spec import parse_spec

    pdf = converter.convert_bytes(render_docx(parse_spec(SCAN_SPEC)))
    with tempfile.TemporaryDirectory(prefix="congvan-demo-scan-") as tmp:
        (Path(tmp) / "in.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "300", "-f", "1", "-l", "1", "-gray", "-png",
                        str(Path(tmp) / "in.pdf"), str(Path(tmp) / "page")], check=True)
        page = Image.open(next(Path(tmp).glob("page*.png"))).convert("L")
    noise = Image.effect_noise(page.size, 40).point(lambda v: 0 if v < 8 else 255)
    scan = ImageChops.darker(page.rotate(0.6, fillcolor=255), noise)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cong-van-den-812-CAT-PV05.png"
    scan.save(path, dpi=(300, 300))
    return path, pdf


def ordinary_day(settings: Any, files: Path, cycle: Any) -> list[str]:
    """Run the day; returns the summary lines (with follow-up commands)."""
    from outbox import intake
    from workflows import issuance

    tools = issuance.current(keys_dir=cycle.keys_dir, soffice=cycle.soffice)
    inbox = settings.home / "inbox"
    scan_path, email_pdf = make_scan(inbox, tools.converter)
    (inbox / "812-CAT-PV05-qua-email.pdf").write_bytes(email_pdf)
    lines = ["", "[bold]Một ngày của văn thư (sau kỳ báo cáo)[/]", f"- Bản quét: {scan_path}"]
    scanned = intake.read_file(scan_path)
    proposed = {"number": scanned.number_symbol.partition("/")[0],
                "symbol": scanned.number_symbol.partition("/")[2],
                "date_": f"{scanned.original_date:%d/%m/%Y}" if scanned.original_date else "",
                "subject": scanned.subject}
    lines.append(f"- OCR đọc được: số {scanned.number_symbol or '—'}, ngày "
                 f"{proposed['date_'] or '—'}, cơ quan «{scanned.sender_name or '—'}», "
                 f"trích yếu «{scanned.subject or '—'}»")
    fixes = {k: v for k, v in TRUTH.items() if proposed[k].lstrip("0") != v.lstrip("0")}
    lines.append("- Văn thư sửa: " + (", ".join(f"--{k.rstrip('_')} «{v}»"
                                                 for k, v in fixes.items()) or "không cần sửa"))
    scanned = intake.corrected(scanned, **fixes)
    return lines + _register_and_handle(settings, files, cycle, scanned, inbox)


def _register_and_handle(settings: Any, files: Path, cycle: Any, scanned: Any,
                         inbox: Path) -> list[str]:
    from outbox import intake, ocr
    from registry import db
    from registry.lookup import get_by_key
    from registry.models import Organization, Person

    with db.transaction() as s:
        org = get_by_key(session=s, model=Organization, key=ORG)
        clerk = get_by_key(session=s, model=Person, key=CLERK)
        first = intake.register_incoming(session=s, organization_id=org.id, incoming=scanned,
                                         arrived_at=ARRIVED, files_root=files, actor=clerk)
        doc_id, number = first.document.id, first.document.number
        assert number is not None
    layer = ocr.text_layer(scanned.scan_pages)
    with db.transaction() as s:
        ocr_pdf = intake.attach_text_layer(session=s, document_id=doc_id, layer=layer,
                                           files_root=files).path
    emailed = intake.read_file(inbox / "812-CAT-PV05-qua-email.pdf")
    with db.transaction() as s:
        org = get_by_key(session=s, model=Organization, key=ORG)
        again = intake.register_incoming(
            session=s, organization_id=org.id, incoming=emailed, channel="email",
            arrived_at=ARRIVED.replace(hour=3), files_root=files,
            actor=get_by_key(session=s, model=Person, key=CLERK))
        assert again.duplicate and again.document.id == doc_id
    lines = [f"- Vào sổ văn bản đến: số đến {number:02d}/2023; lớp chữ tra cứu được: "
             f"{files / ocr_pdf}",
             f"- Cùng văn bản đến lần hai qua thư điện tử (PDF): nhận ra, ghi vào số đến "
             f"{number:02d}, không cấp số mới"]
    lines += _assign_and_answer(files, cycle, doc_id, number)
    lines += _overdue_paper(files)
    home = f"CONGVAN_HOME={settings.home} .venv/bin/congvan"
    lines += [f"- Sổ văn bản đến (cột «Đơn vị hoặc người nhận», «Ký nhận»): "
              f"{settings.home}/registers/so-van-ban-den-bcd-kontum-2023.xlsx",
              "", "Xem tiếp (từ thư mục gốc của kho mã):",
              f"  {home} incoming list --org bcd-kontum --year 2023",
              f"  {home} incoming show {number} --org bcd-kontum --year 2023",
              f"  {home} incoming list --org bcd-kontum --year 2023 --search 'Cục V05'",
              f"  pdftotext {files / ocr_pdf} - | head"]
    return lines


def _at(day: int, hour: int) -> datetime:
    return datetime(2023, 12, day, hour - 7, 0, tzinfo=UTC)


def _assign_and_answer(files: Path, cycle: Any, doc_id: int, number: int) -> list[str]:
    from outbox import handling
    from outbox.handling import Assignee
    from registry import db, documents
    from registry.lookup import get_by_key
    from registry.models import Organization, Person
    from reporting import drafting
    from workflows import steps

    with db.transaction() as s:
        person = {k: get_by_key(session=s, model=Person, key=k)
                  for k in (CLERK, LEADER, HANDLER)}
        handling.present(session=s, document_id=doc_id, clerk=person[CLERK],
                         leader=person[LEADER], now=_at(26, 9))
        handling.assign(
            session=s, document_id=doc_id, leader=person[LEADER],
            main=Assignee(person=person[HANDLER]), due=date(2023, 12, 29),
            opinion="Giao đồng chí Phó Trưởng ban chủ trì, phối hợp Phòng PV05 Công an tỉnh "
                    "tổng hợp số liệu, trả lời trước ngày 29/12/2023.",
            coordinate=[Assignee(organization=get_by_key(session=s, model=Organization,
                                                          key="cat-kontum.pv05"))],
            now=_at(26, 10))
        handling.progress(session=s, document_id=doc_id, actor=person[HANDLER],
                          note="Đã tổng hợp số liệu 10 huyện, thành phố; dự thảo công văn trả "
                               "lời.", now=_at(27, 15))
        incoming = documents.get(session=s, document_id=doc_id)
        issuer = get_by_key(session=s, model=Organization, key=ORG)
        spec = drafting.base_spec(
            session=s, doc_type="cong_van", issuer=issuer, signer=person[LEADER],
            subject=f"V/v trả lời Công văn số {incoming.original_number}",
            body=f"Trả lời Công văn số {incoming.original_number} ngày "
                 f"{incoming.original_date:%d/%m/%Y} của Công an tỉnh Kon Tum về việc cung "
                 "cấp số liệu mô hình, điển hình tiên tiến quý IV năm 2023, Ban Chỉ đạo "
                 "Phòng, chống tội phạm tỉnh gửi kèm theo số liệu tổng hợp của 10 huyện, "
                 "thành phố (theo Báo cáo quý IV năm 2023 đã ban hành).\n\nTrân trọng./.",
            recipients=["Công an tỉnh Kon Tum."], distribution=["Như trên"],
            drafting_unit="NC")
        answer = drafting.create_draft(
            session=s, spec=spec, issuer=issuer, signer=person[LEADER],
            units=[get_by_key(session=s, model=Organization, key="cat-kontum")],
            created_by=person[HANDLER])
        documents.link(session=s, source=answer, target=incoming, kind="answers")
        drafting.submit(session=s, document_id=answer.id, files_root=files,
                        reviewers=[person[LEADER]], signer=person[LEADER],
                        actor=person[HANDLER])
        drafting.decide(session=s, document_id=answer.id, approver=person[LEADER])
        answer_id = answer.id
    symbol = steps.issue(answer_id, date(2023, 12, 28), cycle)
    with db.transaction() as s:
        handler = get_by_key(session=s, model=Person, key=HANDLER)
        handling.done(session=s, document_id=doc_id, actor=handler,
                      answer_document_id=answer_id, now=_at(28, 9))
    return [f"- Trình Trưởng ban; bút phê: Phó Trưởng ban chủ trì, Phòng PV05 phối hợp, hạn "
            f"29/12/2023; tiến độ 27/12; trả lời bằng công văn {symbol} (28/12/2023), "
            "ghi hoàn thành"]


def _overdue_paper(files: Path) -> list[str]:
    from outbox import handling, intake
    from outbox.handling import Assignee
    from registry import db
    from registry.lookup import get_by_key
    from registry.models import Organization, Person

    paper = intake.corrected(intake.paper(), number="45", symbol="UBND-NC",
                             date_="26/12/2023", issuer="ỦY BAN NHÂN DÂN HUYỆN ĐĂK HÀ",
                             subject="V/v đề nghị hướng dẫn xây dựng mô hình tự quản năm 2024")
    with db.transaction() as s:
        org = get_by_key(session=s, model=Organization, key=ORG)
        leader = get_by_key(session=s, model=Person, key=LEADER)
        done = intake.register_incoming(session=s, organization_id=org.id, incoming=paper,
                                        arrived_at=_at(27, 8), files_root=files,
                                        actor=get_by_key(session=s, model=Person, key=CLERK))
        handling.assign(session=s, document_id=done.document.id, leader=leader,
                        main=Assignee(organization=get_by_key(
                            session=s, model=Organization, key="cat-kontum.pv05")),
                        due=date(2023, 12, 29), opinion="Giao Phòng PV05 hướng dẫn.",
                        now=_at(27, 10))
        reminded = handling.remind_overdue(session=s, today=date(2024, 1, 2),
                                           channels=["folder"])
        number = done.document.number
    return [f"- Văn bản giấy số đến {number:02d} (45/UBND-NC, nhập tay): giao Phòng PV05, "
            f"hạn 29/12/2023; ngày 02/01/2024 quá hạn → {len(reminded)} thư nhắc qua hộp thư "
            "đi"]
