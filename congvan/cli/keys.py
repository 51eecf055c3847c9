"""`congvan keys`: the demo CA and trying a key on a PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from congvan.cli._common import console, user_errors


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="Khoá và chứng thư số (ký số PAdES).", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @keys_app.command("dev-ca")
    def dev_ca(
        out: Annotated[Path, typer.Option("--out", help="Thư mục ghi các tệp")],
        password: Annotated[str, typer.Option(
            prompt="Mật khẩu cho các tệp .p12", hide_input=True, confirmation_prompt=True,
            help="Mật khẩu tệp PKCS#12")],
        organization: Annotated[str, typer.Option(help="Tên cơ quan")] = "BAN CHỈ ĐẠO THỬ NGHIỆM",
        signer: Annotated[str, typer.Option(help="Họ tên người ký")] = "Nguyễn Văn Thử",
        valid_days: Annotated[int, typer.Option(
            min=1, help="Số ngày hiệu lực của chứng thư")] = 365,
    ) -> None:
        """Tạo CA thử nghiệm, chứng thư người ký và cơ quan (.p12), ảnh chữ ký và con dấu mẫu.

        CHỈ ĐỂ THỬ NGHIỆM — mọi tên trong chứng thư đều ghi "DEMO — KHÔNG DÙNG THẬT".
        """
        import unicodedata

        from signing.keys import DEMO_MARK, create_dev_ca

        with user_errors():
            files = create_dev_ca(
                out, password=password,
                organization=unicodedata.normalize("NFC", organization),
                signer_name=unicodedata.normalize("NFC", signer), valid_days=valid_days)
        console.print(f"[bold yellow]{DEMO_MARK}[/] — đã ghi vào {out}:")
        for label, path in (
            ("Chứng thư gốc (trust root)", files.ca_cert),
            ("Khoá người ký", files.signer_p12),
            ("Khoá cơ quan", files.organization_p12),
            ("Ảnh chữ ký (xanh)", files.signature_png),
            ("Ảnh con dấu (đỏ)", files.seal_png),
        ):
            console.print(f"  {label}: {path}")

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
        password: Annotated[str | None, typer.Option(
            "--password", envvar="CONGVAN_KEY_PASSWORD",
            help="Mật khẩu tệp .p12 (nếu thiếu sẽ hỏi)")] = None,
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
        Còn lại: khoá người ký (CONGVAN_PERSON_*, PIN CONGVAN_PERSON_PIN). Thiếu PIN thì hỏi.
        """
        from congvan.cli._keysource import key_source, settings
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
                                cert_label=cert_label, module=pkcs11_module, password=password,
                                option_names={"p12": "--p12", "token": "--token"})
            with source.open(tsa_url=settings().tsa_url) as signer:
                signed = signer.sign_pdf(pdf.read_bytes(), appearance=appearance, reason=reason)
            out.write_bytes(signed)
        console.print(f"Đã ký ({signer.level}) bằng {source.describe()}: {out}")
