"""`congvan sign-agent`: the leader's local signing agent next to their USB token."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from congvan.cli._common import console, user_errors
from congvan.cli._keysource import PASSWORD_FILE_HELP, PASSWORD_STDIN_HELP


def _ask_leader(request: object) -> bool:
    """Show what is to be signed on the leader's terminal and wait for "ky"."""
    from signing.agent import SignRequest

    assert isinstance(request, SignRequest)
    console.print("\n[bold]Yêu cầu ký số[/]")
    console.print(f"  Văn bản:  {request.document}", highlight=False)
    console.print(f"  Trích yếu: {request.subject}", highlight=False)
    console.print(f"  Mã băm SHA-256 cần ký: {request.digest}", highlight=False)
    try:
        with open("/dev/tty", encoding="utf-8") as tty:
            console.print("Gõ [bold]ky[/] rồi Enter để ký, Enter để từ chối: ", end="")
            answer = tty.readline().strip().lower()
    except OSError:
        console.print("[bold red]Không có terminal để hỏi người ký: từ chối.[/]")
        return False
    signed = answer in {"ky", "ký"}
    console.print("[green]Đã ký.[/]" if signed else "[yellow]Đã từ chối.[/]")
    return signed


def sign_agent(
    token: Annotated[str | None, typer.Option(
        "--token", help="Nhãn token PKCS#11 của người ký (mặc định: CONGVAN_PERSON_TOKEN)")] = None,
    key_label: Annotated[str | None, typer.Option(
        "--key-label", help="Nhãn khoá trên token (bỏ trống nếu token chỉ có một khoá)")] = None,
    pkcs11_module: Annotated[Path | None, typer.Option(
        "--pkcs11-module", help="Thư viện PKCS#11 (mặc định: CONGVAN_PKCS11_MODULE)")] = None,
    p12: Annotated[Path | None, typer.Option(
        "--p12", help="Hoặc tệp khoá .p12 của người ký (thử nghiệm)")] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="Cổng trên 127.0.0.1 (0: tự chọn)")] = 8765,
    password_file: Annotated[Path | None, typer.Option(
        "--password-file", dir_okay=False, help=PASSWORD_FILE_HELP)] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help=PASSWORD_STDIN_HELP)] = False,
) -> None:
    """Tác tử ký trên máy người ký: giữ token, chỉ nghe trên 127.0.0.1, hiện văn bản, trích
    yếu và mã băm cần ký, và chỉ ký khi người ký gõ "ky" để xác nhận.

    Máy chủ dùng: congvan draft sign SỐ --as KHOÁ --agent http://127.0.0.1:8765
    """
    from congvan.cli._keysource import SecretInput, key_source
    from signing.agent import SignAgent

    with user_errors():
        source = key_source("person", p12=p12, token=token, key_label=key_label,
                            module=pkcs11_module,
                            secret=SecretInput(password_file, password_stdin),
                            option_names={"p12": "--p12", "token": "--token"})
        signer = source.open()
        try:
            agent = SignAgent(signer.backend, confirm=_ask_leader, port=port)
            console.print(f"Tác tử ký đang nghe tại [bold]{agent.url}[/] với "
                          f"{source.describe()} — Ctrl+C để dừng.")
            try:
                agent.serve_forever()
            except KeyboardInterrupt:
                agent.shutdown()
        finally:
            signer.close()


def sign_request(
    request_file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, help="Tệp yêu cầu ký tải từ trang web (yeu-cau-ky-N.json)")],
    agent_url: Annotated[str, typer.Option(
        "--agent", help="Địa chỉ tác tử ký trên máy này")] = "http://127.0.0.1:8765",
    out: Annotated[Path | None, typer.Option(
        "-o", "--out", dir_okay=False, help="Ghi chữ ký (base64) vào tệp này; mặc định in ra")
    ] = None,
) -> None:
    """Gửi yêu cầu ký tải từ trang web đến tác tử ký trên máy này; tác tử hỏi người ký, ký
    bằng token và trả chữ ký để dán (hoặc chọn tệp) trên trang "Ký qua tác tử ký"."""
    import base64
    import json

    from registry.errors import ValidationError
    from signing.agent import agent_sign

    with user_errors():
        try:
            data = json.loads(request_file.read_text(encoding="utf-8")[:64 * 1024])
            document, subject = str(data["document"]), str(data["subject"])
            digest = str(data["digest"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError(f"tệp {request_file.name} không phải yêu cầu ký tải từ trang "
                                  f"web ({exc}); hãy tải lại tệp yêu cầu ký",
                                  field="REQUEST_FILE") from None
        cms = agent_sign(agent_url, document=document, subject=subject, digest_hex=digest)
        text = base64.b64encode(cms).decode("ascii")
        if out is None:
            print(text)
            return
        out.write_text(text + "\n", encoding="ascii")
    console.print(f"Đã ghi chữ ký vào {out}: chọn tệp này trên trang \"Ký qua tác tử ký\" "
                  "rồi bấm Hoàn tất ký.")


def register(app: typer.Typer) -> None:
    app.command("sign-agent")(sign_agent)
    app.command("sign-request")(sign_request)
