"""`congvan keys`: the demo CA and trying a key on a PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from congvan.cli._common import console, user_errors
from congvan.cli._keysource import PASSWORD_FILE_HELP, PASSWORD_STDIN_HELP


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="Khoá và chứng thư số (ký số PAdES).", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @keys_app.command("dev-ca")
    def dev_ca(
        out: Annotated[Path, typer.Option("--out", help="Thư mục ghi các tệp")],
        organization: Annotated[str, typer.Option(help="Tên cơ quan")] = "BAN CHỈ ĐẠO THỬ NGHIỆM",
        signer: Annotated[str, typer.Option(help="Họ tên người ký")] = "Nguyễn Văn Thử",
        person: Annotated[list[str] | None, typer.Option(
            "--person", help="KHOÁ=Họ tên: một khoá và chứng thư riêng cho người ký này "
            "(lặp lại)")] = None,
        valid_days: Annotated[int, typer.Option(
            min=1, help="Số ngày hiệu lực của chứng thư")] = 365,
        password_file: Annotated[Path | None, typer.Option(
            "--password-file", dir_okay=False, help=PASSWORD_FILE_HELP)] = None,
        password_stdin: Annotated[bool, typer.Option(
            "--password-stdin", help=PASSWORD_STDIN_HELP)] = False,
        force: Annotated[bool, typer.Option(
            "--force", help="Ghi đè CA và khoá đã có (khoá cũ sẽ mất)")] = False,
    ) -> None:
        """Tạo CA thử nghiệm, chứng thư người ký và cơ quan (.p12), ảnh chữ ký và con dấu mẫu.

        CHỈ ĐỂ THỬ NGHIỆM — mọi tên trong chứng thư đều ghi "DEMO — KHÔNG DÙNG THẬT". Mật khẩu
        các tệp .p12 được hỏi (hai lần), hoặc đọc từ --password-file / --password-stdin.
        """
        import unicodedata

        from congvan.cli._keysource import SecretInput
        from signing.keys import DEMO_MARK, create_dev_ca

        with user_errors():
            password = SecretInput(password_file, password_stdin).read()
            if password is None:
                password = str(typer.prompt("Mật khẩu cho các tệp .p12", hide_input=True,
                                            confirmation_prompt=True))
            people = []
            for entry in person or []:
                key, sep, name = entry.partition("=")
                if not sep or not key.strip() or not name.strip():
                    raise typer.BadParameter("dạng KHOÁ=Họ tên, ví dụ chu-tich=Lê Ngọc Tuấn",
                                             param_hint="--person")
                people.append((key.strip(), unicodedata.normalize("NFC", name.strip())))
            files = create_dev_ca(
                out, password=password,
                organization=unicodedata.normalize("NFC", organization),
                signer_name=unicodedata.normalize("NFC", signer), people=people,
                valid_days=valid_days, force=force)
        console.print(f"[bold yellow]{DEMO_MARK}[/] — đã ghi vào {out}:")
        for label, path in (
            ("Chứng thư gốc (trust root)", files.ca_cert),
            ("Khoá người ký", files.signer_p12),
            ("Khoá cơ quan", files.organization_p12),
            ("Ảnh chữ ký (xanh)", files.signature_png),
            ("Ảnh con dấu (đỏ)", files.seal_png),
            *((f"Khoá riêng của {key}", p12) for key, p12 in files.people.items()),
        ):
            console.print(f"  {label}: {path}")

    @keys_app.command("register")
    def register_(
        certificate: Annotated[Path, typer.Argument(
            exists=True, dir_okay=False, help="Chứng thư số (.pem, .cer/.der)")],
        person: Annotated[str | None, typer.Option(
            "--person", help="Khoá cán bộ là chủ chứng thư")] = None,
        organization: Annotated[str | None, typer.Option(
            "--organization", help="Khoá cơ quan là chủ chứng thư")] = None,
        as_: Annotated[str | None, typer.Option(
            "--as", help="Khoá người đăng ký: chính người ký hoặc quản trị (admin)")] = None,
    ) -> None:
        """Đăng ký chứng thư ký số của một cán bộ (hoặc của cơ quan): chỉ chữ ký bằng chứng
        thư đã đăng ký mới được nhận là của người đó."""
        from sqlalchemy import select

        from congvan.runtime import open_registry
        from registry import db
        from registry.errors import NotFound
        from registry.models import Organization, Person
        from signing import certificates

        if (person is None) == (organization is None):
            raise typer.BadParameter("chọn một trong --person hoặc --organization")
        with user_errors():
            open_registry()
            with db.transaction() as session:
                def who(key: str) -> Person:
                    found = session.scalar(select(Person).where(Person.key == key))
                    if found is None:
                        raise NotFound(f"không có cán bộ có khoá '{key}' trong danh bạ")
                    return found

                org = None
                if organization is not None:
                    org = session.scalar(select(Organization).where(
                        Organization.key == organization))
                    if org is None:
                        raise NotFound(f"không có cơ quan có khoá '{organization}'")
                actor = who(as_) if as_ else (who(person) if person else None)
                if actor is None:
                    raise typer.BadParameter("đăng ký chứng thư cơ quan cần --as (quản trị)")
                row = certificates.register(
                    session=session, certificate=certificate.read_bytes(), actor=actor,
                    person=who(person) if person else None, organization=org)
                line = (f"{row.subject} — SHA-256 {row.fingerprint} — hiệu lực "
                        f"{row.valid_from:%d/%m/%Y} đến {row.valid_until:%d/%m/%Y}")
        console.print(f"Đã đăng ký chứng thư: {line}")

    @keys_app.command("sign")
    def sign(
        pdf: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tệp PDF cần ký")],
        out: Annotated[Path, typer.Option("-o", "--out", help="Tệp PDF đã ký")],
        p12: Annotated[Path | None, typer.Option(
            "--p12", exists=True, dir_okay=False,
            help="Tệp khoá .p12 (mặc định: CONGVAN_PERSON_P12 hoặc CONGVAN_ORG_P12)")] = None,
        token: Annotated[str | None, typer.Option(
            "--token", help="Nhãn token PKCS#11 (mặc định: CONGVAN_PERSON_TOKEN, hoặc "
            "CONGVAN_ORG_TOKEN khi đóng dấu cơ quan)")] = None,
        key_label: Annotated[str | None, typer.Option(
            "--key-label", help="Nhãn khoá trên token (bỏ trống nếu token chỉ có một khoá)",
        )] = None,
        cert_label: Annotated[str | None, typer.Option(
            "--cert-label", help="Nhãn chứng thư trên token, nếu khác nhãn khoá")] = None,
        pkcs11_module: Annotated[Path | None, typer.Option(
            "--pkcs11-module", help="Thư viện PKCS#11 (mặc định: CONGVAN_PKCS11_MODULE)",
        )] = None,
        password_file: Annotated[Path | None, typer.Option(
            "--password-file", dir_okay=False, help=PASSWORD_FILE_HELP)] = None,
        password_stdin: Annotated[bool, typer.Option(
            "--password-stdin", help=PASSWORD_STDIN_HELP)] = False,
        reason: Annotated[str, typer.Option(help="Lý do ký")] = "Ký số văn bản",
        signature_image: Annotated[Path | None, typer.Option(
            "--signature-image", exists=True, help="Ảnh chữ ký người ký (PNG xanh)")] = None,
        seal_image: Annotated[Path | None, typer.Option(
            "--seal-image", exists=True,
            help="Ảnh con dấu cơ quan (PNG đỏ, kích thước thật)")] = None,
        title: Annotated[str | None, typer.Option(
            help="Dòng chức vụ ngay trên chữ ký (ô 7a)")] = None,
        name: Annotated[str | None, typer.Option(help="Họ tên người ký (ô 7b)")] = None,
        attachment_of: Annotated[str | None, typer.Option(
            "--attachment-of", help="Số, ký hiệu văn bản chính (ký phụ lục tệp riêng)")] = None,
    ) -> None:
        """Ký một tệp PDF (PAdES) bằng tệp .p12 hoặc token PKCS#11, hình thức theo Nghị định 30.

        Có --seal-image hoặc --attachment-of: khoá cơ quan (CONGVAN_ORG_*, PIN CONGVAN_ORG_PIN).
        Còn lại: khoá người ký (CONGVAN_PERSON_*); PIN/mật khẩu của người ký do người ký nhập
        (hỏi, --password-stdin hoặc --password-file), không bao giờ trên dòng lệnh.
        """
        from congvan.cli._keysource import SecretInput, key_source, settings
        from congvan.settings import KeyRole
        from signing.appearance import (
            Appearance,
            InfoLine,
            PngImage,
            SealImage,
            SignatureImage,
        )

        role: KeyRole = "org" if seal_image or attachment_of else "person"
        with user_errors():
            appearance: Appearance | None = None
            if attachment_of:
                appearance = InfoLine(attachment_of)
            elif signature_image or seal_image:
                if not (title and name):
                    raise typer.BadParameter("cần --title và --name để đặt ảnh vào khối chữ ký")
                if signature_image:
                    appearance = SignatureImage(PngImage.from_file(signature_image), title, name)
                elif seal_image:
                    appearance = SealImage(PngImage.from_file(seal_image), title, name)
            source = key_source(role, p12=p12, token=token, key_label=key_label,
                                cert_label=cert_label, module=pkcs11_module,
                                secret=SecretInput(password_file, password_stdin),
                                option_names={"p12": "--p12", "token": "--token"})
            with source.open(tsa_url=settings().tsa_url) as signer:
                signed = signer.sign_pdf(pdf.read_bytes(), appearance=appearance, reason=reason)
            out.write_bytes(signed)
        console.print(f"Đã ký ({signer.level}) bằng {source.describe()}: {out}")
