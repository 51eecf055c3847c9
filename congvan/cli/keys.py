"""`congvan keys`: the demo CA and trying a key on a PDF."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from congvan.cli._common import console, err_console


@contextmanager
def signing_errors() -> Iterator[None]:
    """Turn signing errors into a red message and exit code 1 (no traceback)."""
    from signing.errors import SigningError

    try:
        yield
    except SigningError as exc:
        err_console.print(f"[bold red]Lỗi:[/] {exc}")
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    keys_app = typer.Typer(help="Khoá và chứng thư số (ký số PAdES).", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @keys_app.command("dev-ca")
    def dev_ca(
        out: Path = typer.Option(..., "--out", help="Thư mục ghi các tệp"),
        password: str = typer.Option(..., prompt="Mật khẩu cho các tệp .p12", hide_input=True,
                                     confirmation_prompt=True, help="Mật khẩu tệp PKCS#12"),
        organization: str = typer.Option("BAN CHỈ ĐẠO THỬ NGHIỆM", help="Tên cơ quan"),
        signer: str = typer.Option("Nguyễn Văn Thử", help="Họ tên người ký"),
        valid_days: int = typer.Option(365, min=1, help="Số ngày hiệu lực của chứng thư"),
    ) -> None:
        """Tạo CA thử nghiệm, chứng thư người ký và cơ quan (.p12), ảnh chữ ký và con dấu mẫu.

        CHỈ ĐỂ THỬ NGHIỆM — mọi tên trong chứng thư đều ghi "DEMO — KHÔNG DÙNG THẬT".
        """
        import unicodedata

        from signing.keys import DEMO_MARK, create_dev_ca

        with signing_errors():
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
        pdf: Path = typer.Argument(..., exists=True, dir_okay=False, help="Tệp PDF cần ký"),
        out: Path = typer.Option(..., "-o", "--out", help="Tệp PDF đã ký"),
        p12: Path = typer.Option(..., "--p12", exists=True, dir_okay=False, help="Tệp khoá .p12"),
        password: str = typer.Option(..., prompt="Mật khẩu tệp .p12", hide_input=True),
        reason: str = typer.Option("Ký số văn bản", help="Lý do ký"),
        signature_image: Path = typer.Option(None, "--signature-image", exists=True,
                                             help="Ảnh chữ ký người ký (PNG xanh)"),
        seal_image: Path = typer.Option(None, "--seal-image", exists=True,
                                        help="Ảnh con dấu cơ quan (PNG đỏ, kích thước thật)"),
        title: str = typer.Option(None, help="Dòng chức vụ ngay trên chữ ký (ô 7a)"),
        name: str = typer.Option(None, help="Họ tên người ký (ô 7b)"),
        attachment_of: str = typer.Option(None, "--attachment-of",
                                          help="Số, ký hiệu văn bản chính (ký phụ lục tệp riêng)"),
    ) -> None:
        """Ký một tệp PDF (PAdES) bằng khoá PKCS#12, với hình thức theo Nghị định 30."""
        from congvan.settings import get_settings
        from signing.appearance import (
            Appearance,
            InfoLine,
            PngImage,
            SealImage,
            SignatureImage,
        )
        from signing.signer import PadesSigner

        with signing_errors():
            appearance: Appearance | None = None
            if attachment_of:
                appearance = InfoLine(attachment_of)
            elif signature_image or seal_image:
                if not (title and name):
                    raise typer.BadParameter("cần --title và --name để đặt ảnh vào khối chữ ký")
                if signature_image:
                    appearance = SignatureImage(PngImage.from_file(signature_image), title, name)
                else:
                    appearance = SealImage(PngImage.from_file(seal_image), title, name)
            signer = PadesSigner.from_pkcs12(p12, password, tsa_url=get_settings().tsa_url)
            out.write_bytes(signer.sign_pdf(pdf.read_bytes(), appearance=appearance,
                                            reason=reason))
        console.print(f"Đã ký ({signer.level}): {out}")
