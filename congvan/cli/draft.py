"""`congvan draft`: draft, submit, review, sign and issue documents without the web app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from congvan.cli import _recipients
from congvan.cli._common import ReaderOption, console, reader_door, user_errors
from congvan.cli._keysource import PASSWORD_FILE_HELP, PASSWORD_STDIN_HELP

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

@contextmanager
def _transaction() -> Iterator[Session]:
    """The registry opened and one transaction, inside the CLI's error boundary."""
    from congvan.runtime import open_registry
    from registry import db

    with user_errors():
        open_registry()
        with db.transaction() as session:
            yield session


def _person(session: Any, key: str) -> Any:
    from registry.lookup import get_by_key
    from registry.models import Person

    return get_by_key(session=session, model=Person, key=key)


def _keys_dir() -> Path:
    from congvan.settings import get_settings

    return get_settings().home / "keys"


def _status(doc: Any) -> str:
    from signing.approvals import STATUS_LABELS

    return STATUS_LABELS[doc.status]


def new(
    issuer: Annotated[str, typer.Option("--issuer", help="Khoá cơ quan ban hành trong danh bạ")],
    as_: Annotated[str, typer.Option("--as", help="Khoá cán bộ soạn")],
    doc_type: Annotated[str, typer.Option(
        "--type", help="Loại văn bản (cong_van, bao_cao…)")] = "cong_van",
    subject: Annotated[str | None, typer.Option("--subject", help="Trích yếu (V/v …)")] = None,
    body_file: Annotated[Path | None, typer.Option(
        "--body-file", exists=True, dir_okay=False, help="Tệp nội dung (UTF-8)")] = None,
    spec_file: Annotated[Path | None, typer.Option(
        "--spec", exists=True, dir_okay=False,
        help="Tệp SPEC.yaml: căn cứ, nơi nhận, kính gửi…")] = None,
    unit: Annotated[str | None, typer.Option(
        "--unit", help="Mã đơn vị soạn (công văn: BCĐ-NC)")] = None,
    to: _recipients.ToOption = None,
    cc: _recipients.CcOption = None,
) -> None:
    """Tạo dự thảo mới; Kính gửi (--to) và Nơi nhận (--cc) chọn từ danh bạ."""

    from doc_templates.spec import read_yaml
    from registry import documents
    from registry.errors import ValidationError
    from registry.lookup import get_by_key
    from registry.models import Organization

    with user_errors():
        spec: dict[str, Any] = {}
        if spec_file is not None:
            spec = read_yaml(spec_file.read_text(encoding="utf-8"), source=str(spec_file)) or {}
            if not isinstance(spec, dict):
                raise ValidationError("tệp spec phải là một mapping YAML", field="--spec")
        body = body_file.read_text(encoding="utf-8") if body_file else spec.pop("body", "")
        subject_text = subject or spec.pop("subject", "")
        spec_to, spec_cc = _recipients.spec_choices(spec)
        for owned in ("type", "issuer", "signature", "number", "date", "symbol"):
            spec.pop(owned, None)
        with _transaction() as session:
            org = get_by_key(session=session, model=Organization, key=issuer)
            drafter = _person(session, as_)
            doc = documents.create(
                session=session, doc_type=doc_type, issuer=org, subject=subject_text,
                body=body, spec=spec, drafting_unit=unit or spec.pop("drafting_unit", None),
                created_by=drafter)
            _recipients.apply(session, doc, drafter, [*(spec_to or []), *(to or [])],
                              [*(spec_cc or []), *(cc or [])])
            doc_id, symbol = doc.id, doc.symbol
            console.print(f"Đã tạo dự thảo [bold]#{doc_id}[/] (Số:      /{symbol}).")
            _recipients.print_lines(session, doc_id, when="Khi soạn")


def edit(
    document_id: Annotated[int, typer.Argument()],
    as_: Annotated[str, typer.Option("--as", help="Khoá người soạn")],
    subject: Annotated[str | None, typer.Option("--subject")] = None,
    body_file: Annotated[Path | None, typer.Option(
        "--body-file", exists=True, dir_okay=False)] = None,
    to: _recipients.ToOption = None,
    cc: _recipients.CcOption = None,
) -> None:
    """Sửa dự thảo (trước khi trình hoặc sau khi bị trả lại); --to/--cc thay các dòng nơi nhận."""
    from signing import approvals

    changes: dict[str, Any] = {}
    if subject is not None:
        changes["subject"] = subject
    if body_file is not None:
        changes["body"] = body_file.read_text(encoding="utf-8")
    if to is not None:
        changes["kính gửi"] = to
    if cc is not None:
        changes["nơi nhận"] = cc
    with _transaction() as session:
            actor = _person(session, as_)
            fields = {k: v for k, v in changes.items() if k in {"subject", "body"}}
            doc = approvals.edit(session=session, document_id=document_id, actor=actor,
                                 **fields)
            _recipients.apply(session, doc, actor, to, cc)
            what = ", ".join(sorted(changes)) or "không có thay đổi"
            console.print(f"Đã sửa #{document_id}: {what}.")
            _recipients.print_lines(session, document_id, when="Khi sửa")


def submit(
    document_id: Annotated[int, typer.Argument(help="Số hiệu dự thảo (#)")],
    as_: Annotated[str, typer.Option("--as", help="Khoá người trình")],
    reviewer: Annotated[list[str] | None, typer.Option(
        "--reviewer", help="Người duyệt theo thứ tự (lặp lại)")] = None,
    signer: Annotated[str | None, typer.Option("--signer", help="Người ký dự kiến")] = None,
) -> None:
    """Trình (hoặc trình lại) dự thảo cho người duyệt theo thứ tự."""
    from congvan.runtime import files_dir
    from signing import approvals

    with _transaction() as session:
            version = approvals.submit(
                session=session, document_id=document_id, actor=_person(session, as_),
                files_root=files_dir(), reviewers=[_person(session, k) for k in reviewer or []],
                signer=_person(session, signer) if signer else None)
            state = approvals.review_state(session=session, document_id=document_id)
            nxt = state.current.reviewer.full_name if state and state.current else \
                "lãnh đạo có quyền ký"
            number = version.version
            console.print(
                f"Đã trình phiên bản {number} của #{document_id}; chờ [bold]{nxt}[/] duyệt.")
            _recipients.print_lines(session, document_id, when="Khi trình")


def return_(
    document_id: Annotated[int, typer.Argument()],
    as_: Annotated[str, typer.Option("--as", help="Khoá người trả lại")],
    comment: Annotated[str, typer.Option("--comment", help="Ý kiến: cần sửa gì")],
) -> None:
    """Trả lại dự thảo cho người soạn, kèm ý kiến."""
    from signing import approvals

    with _transaction() as session:
            approvals.return_(session=session, document_id=document_id,
                              actor=_person(session, as_), comment=comment)
    console.print(f"Đã trả lại #{document_id} cho người soạn.")


def approve(
    document_id: Annotated[int, typer.Argument()],
    as_: Annotated[str, typer.Option("--as", help="Khoá người duyệt")],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
) -> None:
    """Duyệt dự thảo (chuyển sang người duyệt tiếp theo hoặc chờ ký)."""
    from signing import approvals

    with _transaction() as session:
            doc = approvals.approve(session=session, document_id=document_id,
                                    actor=_person(session, as_), comment=comment)
            state = approvals.review_state(session=session, document_id=document_id)
            label = _status(doc)
            if state is not None and state.current is not None:
                label += f" — chờ {state.current.reviewer.full_name}"
    console.print(f"Đã duyệt #{document_id}: {label}.")


def _person_keys_dir(keys_dir: Path, person_key: str) -> Path:
    """``keys/people/<key>`` when the demo CA gave this person their own key, else ``keys``."""
    own = keys_dir / "people" / person_key
    return own if (own / "signer.p12").is_file() else keys_dir



# The options sign and issue share: where the token library is, and how the secret arrives.
Pkcs11ModuleOption = Annotated[Path | None, typer.Option(
    "--pkcs11-module", help="Thư viện PKCS#11 (mặc định: CONGVAN_PKCS11_MODULE)")]
PasswordFileOption = Annotated[Path | None, typer.Option(
    "--password-file", dir_okay=False, help=PASSWORD_FILE_HELP)]
PasswordStdinOption = Annotated[bool, typer.Option("--password-stdin", help=PASSWORD_STDIN_HELP)]

def sign(
    document_id: Annotated[int, typer.Argument()],
    as_: Annotated[str, typer.Option("--as", help="Khoá người ký (chính người ký)")],
    p12: Annotated[Path | None, typer.Option(
        "--p12", help="Tệp khoá .p12 của người ký (mặc định: var/keys/people/<khoá>/signer.p12)",
    )] = None,
    token: Annotated[str | None, typer.Option(
        "--token", help="Nhãn token PKCS#11 của người ký (mặc định: CONGVAN_PERSON_TOKEN)",
    )] = None,
    key_label: Annotated[str | None, typer.Option(
        "--key-label", help="Nhãn khoá trên token (mặc định: CONGVAN_PERSON_KEY_LABEL)",
    )] = None,
    pkcs11_module: Pkcs11ModuleOption = None,
    password_file: PasswordFileOption = None,
    password_stdin: PasswordStdinOption = False,
    signature_png: Annotated[Path | None, typer.Option(
        "--signature-png",
        help="Ảnh chữ ký của người ký (mặc định var/keys/people/<khoá>/signature.png)")] = None,
    agent: Annotated[str | None, typer.Option(
        "--agent", help="Ký qua tác tử ký trên máy người ký (congvan sign-agent), ví dụ "
        "http://127.0.0.1:8765")] = None,
) -> None:
    """Ký duyệt: người ký ký số bản cuối (số và ngày để trống cho văn thư) bằng khoá của chính
    mình — tệp .p12 hoặc token PKCS#11; mật khẩu/PIN do người ký nhập (hỏi, --password-stdin
    hoặc --password-file), không bao giờ là tham số dòng lệnh."""
    from congvan.cli._keysource import SecretInput, key_source, settings
    from congvan.runtime import files_dir
    from doc_templates.pdf import PdfConverter
    from signing import authority, keyring, person, pkcs12

    cfg = settings()
    keys_dir = _keys_dir()
    if agent:
        _sign_via_agent(document_id, as_, agent, signature_png or pkcs12.person_signature_png(
            keys_dir, as_))
        return
    with user_errors():
        source = key_source("person", p12=p12, token=token, key_label=key_label,
                            module=pkcs11_module,
                            secret=SecretInput(password_file, password_stdin),
                            default_dir=_person_keys_dir(keys_dir, as_),
                            option_names={"p12": "--p12", "token": "--token"})
        image = keyring.signature_image(
            signature_png or pkcs12.person_signature_png(keys_dir, as_))
        with keyring.opened_signer(source, tsa_url=cfg.tsa_url) as signer, \
                PdfConverter(cfg.soffice) as converter, _transaction() as session:
            doc = person.sign_with_key(session=session, document_id=document_id,
                                       actor=_person(session, as_), signer=signer,
                                       signature=image, converter=converter,
                                       files_root=files_dir())
            lines = authority.SignatureBlock(**(doc.signature_block or {})).lines()
    console.print(f"Đã ký số #{document_id}: [bold]{' / '.join(lines)}[/]. "
                  "Văn thư chạy `congvan draft issue` để cấp số, ngày và đóng dấu.")


def _sign_via_agent(document_id: int, as_: str, url: str, signature_png: Path) -> None:
    """Prepare on this side, have the leader's agent sign the digest, embed the CMS."""
    from congvan.cli._keysource import settings
    from congvan.runtime import files_dir
    from doc_templates.pdf import PdfConverter
    from signing import agent, authority, keyring, person

    cfg = settings()
    with user_errors():
        image = keyring.signature_image(signature_png)
        certificate = agent.agent_certificate(url)
        with PdfConverter(cfg.soffice) as converter, _transaction() as session:
            actor = _person(session, as_)
            pending = person.begin_external(session=session, document_id=document_id,
                                            actor=actor, certificate=certificate,
                                            signature=image, converter=converter)
            console.print(f"Chờ người ký xác nhận trên tác tử ký ({url}); mã băm "
                          f"{pending.digest_hex}", highlight=False)
            cms = agent.agent_sign(url, document=pending.document_label,
                                   subject=pending.subject, digest_hex=pending.digest_hex)
            doc = person.complete_external(session=session, pending_id=pending.id,
                                           actor=actor, cms=cms, files_root=files_dir())
            lines = authority.SignatureBlock(**(doc.signature_block or {})).lines()
    console.print(f"Đã ký số #{document_id} qua tác tử ký: [bold]{' / '.join(lines)}[/].")


def issue(
    document_id: Annotated[int, typer.Argument()],
    as_: Annotated[str, typer.Option("--as", help="Khoá văn thư")],
    org_p12: Annotated[Path | None, typer.Option(
        "--org-p12",
        help="Khoá cơ quan (mặc định: CONGVAN_ORG_P12, rồi var/keys/organization.p12)",
    )] = None,
    org_token: Annotated[str | None, typer.Option(
        "--org-token", help="Nhãn token của cơ quan (mặc định: CONGVAN_ORG_TOKEN)",
    )] = None,
    org_key_label: Annotated[str | None, typer.Option(
        "--org-key-label", help="Nhãn khoá cơ quan trên token (CONGVAN_ORG_KEY_LABEL)",
    )] = None,
    pkcs11_module: Pkcs11ModuleOption = None,
    password_file: PasswordFileOption = None,
    password_stdin: PasswordStdinOption = False,
    no_delivery: Annotated[bool, typer.Option(
        "--no-delivery", "--no-outbox",
        help="Ban hành mà không gửi qua hệ thống (chỉ gửi bản giấy)")] = False,
    skip_unreachable: Annotated[bool, typer.Option(
        "--skip-unreachable",
        help="Vẫn ban hành khi có nơi nhận chưa có địa chỉ gửi (gửi bản giấy cho nơi đó)")] = False,
    seal_png: Annotated[Path | None, typer.Option(
        "--seal-png", help="Ảnh con dấu cơ quan (mặc định var/keys/seal.png)")] = None,
) -> None:
    """Ban hành: cấp số và ngày, ghi vào bản PDF người ký đã ký (giữ nguyên chữ ký của người
    ký), ký số của cơ quan với hình con dấu, lưu tệp, vào sổ và xếp hàng gửi — trong một giao
    dịch. Chỉ cần khoá của cơ quan (tệp .p12 hoặc token; PIN từ CONGVAN_ORG_PIN, tệp, đầu vào
    chuẩn hoặc hỏi)."""
    from congvan.cli._keysource import SecretInput, key_source, settings
    from congvan.runtime import files_dir
    from outbox import recipients as delivery
    from signing import issuing, keyring, pkcs12

    cfg = settings()
    queued: list[Any] = []
    keys_dir = _keys_dir()
    # Refuse before any key is opened or number taken; the hook checks again in the transaction.
    with _transaction() as session:
        planned = delivery.plan(session=session, document_id=document_id)
        _recipients.print_lines(session, document_id, when="Khi ban hành")
        delivery.check(planned, no_delivery=no_delivery, skip_unreachable=skip_unreachable)
    with user_errors():
        organization = key_source(
            "org", p12=org_p12, token=org_token, key_label=org_key_label,
            module=pkcs11_module, secret=SecretInput(password_file, password_stdin),
            default_dir=keys_dir, option_names={"p12": "--org-p12", "token": "--org-token"})
        with keyring.opened_keys(organization=organization,
                                 seal_png=seal_png or keys_dir / pkcs12.SEAL_PNG,
                                 tsa_url=cfg.tsa_url) as keys, _transaction() as session:
            actor = _person(session, as_)
            result = issuing.issue(
                session=session, document_id=document_id, actor=actor, keys=keys,
                files_root=files_dir(),
                on_issued=delivery.on_issued(no_delivery=no_delivery, actor=actor,
                                             skip_unreachable=skip_unreachable, queued=queued))
            label, pdf_path = result.document.number_symbol, result.pdf.path
            sha = result.pdf.sha256
            sent = [SimpleNamespace(recipient_label=d.recipient_label, channel=d.channel,
                                    address=d.address) for d in queued]
    console.print(f"Đã ban hành [bold]Số: {label}[/]; PDF đã ký: {files_dir() / pdf_path}\n"
                  f"SHA-256: {sha}")
    _recipients.print_queued(sent)


def correct(
    document_id: Annotated[int, typer.Argument()],
    as_: Annotated[str, typer.Option("--as")],
    kind: Annotated[str, typer.Option(
        "--kind", help="corrects (đính chính) | replaces")] = "corrects",
) -> None:
    """Tạo dự thảo đính chính hoặc thay thế văn bản đã ban hành."""
    from signing import issuing

    with _transaction() as session:
            new_doc = issuing.correct(session=session, document_id=document_id,
                                      actor=_person(session, as_), kind=kind)
            new_id = new_doc.id
    console.print(f"Đã tạo dự thảo #{new_id} liên kết với #{document_id} ({kind}).")


def revoke(
    document_id: Annotated[int, typer.Argument()],
    as_: Annotated[str, typer.Option("--as")],
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Thu hồi văn bản."""
    from outbox.edxml.exchange import enqueue_revocation
    from signing import approvals

    with _transaction() as session:
            actor = _person(session, as_)
            approvals.revoke(session=session, document_id=document_id, actor=actor,
                             reason=reason)
            # Every recipient that got it through edXML is told (BussinessDocType 1).
            told = enqueue_revocation(session=session, document_id=document_id, reason=reason,
                                      actor=actor)
    console.print(f"Đã thu hồi #{document_id}."
                  + (f" Báo thu hồi qua trục liên thông cho {len(told)} nơi nhận." if told
                     else ""))


def show(document_id: Annotated[int, typer.Argument()], as_: ReaderOption = None) -> None:
    """Trạng thái, lịch sử kèm ý kiến, các phiên bản và tệp của văn bản (ghi nhật ký truy cập)."""
    from babel.numbers import format_decimal
    from rich.table import Table
    from sqlalchemy import select

    from registry import access_log, audit, labels
    from registry.clock import to_local
    from registry.doctypes import get_type
    from registry.models import DocumentSignature
    from signing import approvals

    with _transaction() as session:
            doc = access_log.read(session=session, document_id=document_id, act="open",
                                  door=reader_door(session, as_))
            console.print(f"[bold]#{doc.id}[/] {get_type(doc.doc_type).name} — {doc.subject}")
            console.print(f"Trạng thái: [bold]{_status(doc)}[/]"
                          + (f" — Số: {doc.number_symbol}, ngày {doc.issue_date:%d/%m/%Y}"
                             if doc.number_symbol else ""))
            state = approvals.review_state(session=session, document_id=doc.id)
            if state is not None and state.steps:
                marks = {None: "…", "approved": "✓", "returned": "↩"}
                console.print(f"Người duyệt (lượt {state.round}): " + " → ".join(
                    f"{marks[s.decision]} {s.reviewer.full_name}" for s in state.steps))
            history = Table(title="Lịch sử")
            for col in ("Lúc", "Người", "Việc", "Ý kiến / chi tiết"):
                history.add_column(col)
            for ev in audit.history(session=session, object_type="document",
                                    object_id=doc.id):
                detail = ev.detail or {}
                note = detail.get("comment") or detail.get("reason") or ""
                if ev.action == "sign":
                    note = " / ".join(detail.get("signature", []))
                if ev.action in {"number", "issue"}:
                    note = str(detail.get("number") or detail.get("symbol") or "")
                history.add_row(f"{to_local(ev.at):%d/%m/%Y %H:%M}", ev.actor_label or "",
                                labels.label(labels.AUDIT_ACTION, ev.action), note)
            console.print(history)
            versions = Table(title="Phiên bản")
            for col in ("Bản", "Tệp .docx", "SHA-256", "Ý kiến"):
                versions.add_column(col)
            for v in doc.versions:
                versions.add_row(str(v.version), v.docx_path or "", (v.docx_sha256 or "")[:16],
                                 v.comment or "")
            console.print(versions)
            if doc.files:
                files = Table(title="Tệp")
                for col in ("Loại", "Đường dẫn", "SHA-256", "Cỡ"):
                    files.add_column(col)
                for f in doc.files:
                    files.add_row(labels.label(labels.FILE_KIND, f.kind), f.path, f.sha256,
                                  format_decimal(f.size, locale="vi"))
                console.print(files)
            signatures = session.scalars(select(DocumentSignature).where(
                DocumentSignature.document_id == doc.id).order_by(DocumentSignature.id)).all()
            if signatures:
                table = Table(title="Chữ ký số")
                for col in ("Chữ ký", "Chứng thư", "SHA-256 chứng thư", "Lúc"):
                    table.add_column(col)
                for sig in signatures:
                    who = "Người ký" if sig.role == "person" else "Cơ quan"
                    table.add_row(who, sig.certificate.subject, sig.certificate.fingerprint[:16],
                                  f"{to_local(sig.signed_at):%d/%m/%Y %H:%M}")
                console.print(table)


def diff(document_id: Annotated[int, typer.Argument()], v1: Annotated[int, typer.Argument()],
         v2: Annotated[int, typer.Argument()]) -> None:
    """Khác biệt nội dung giữa hai phiên bản dự thảo."""
    from signing.diff import diff_versions

    with _transaction() as session:
            lines = diff_versions(session=session, document_id=document_id, v1=v1, v2=v2)
    if not lines:
        console.print("Hai phiên bản giống nhau.")
    for line in lines:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else None
        console.print(line, style=style, markup=False, highlight=False)


COMMANDS = (("new", new), ("edit", edit), ("submit", submit), ("return", return_),
            ("approve", approve), ("sign", sign), ("issue", issue), ("correct", correct),
            ("revoke", revoke), ("show", show), ("diff", diff),
            ("recipients", _recipients.recipients))


def register(app: typer.Typer) -> None:
    draft_app = typer.Typer(help="Dự thảo, trình duyệt, ký và ban hành văn bản đi.",
                            no_args_is_help=True)
    for name, command in COMMANDS:
        draft_app.command(name)(command)
    app.add_typer(draft_app, name="draft")
