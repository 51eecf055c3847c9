"""`congvan outbox`: run the relay, see the queue, re-queue dead letters, mark receipts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from congvan.cli._common import console, err_console, user_errors

if TYPE_CHECKING:
    from congvan.settings import Settings


@contextmanager
def outbox_errors() -> Iterator[None]:
    """``user_errors`` plus a bad channel name (ValueError): a red message and exit code 1."""
    with user_errors():
        try:
            yield
        except ValueError as exc:
            err_console.print(f"[bold red]Lỗi:[/] {exc}")
            raise typer.Exit(1) from None


def edxml_signer(settings: Settings, stack: ExitStack) -> Any:
    """The organisation's key for signing edXML (None when none is configured or signing is
    off); a token session stays open for the block."""
    if not settings.edxml_sign or not (settings.org_p12 or settings.org_token):
        return None
    from congvan.cli._keysource import key_source
    from signing.xmldsig import XmlDsigSigner

    signer = XmlDsigSigner.from_key_source(key_source(
        "org", option_names={"p12": "CONGVAN_ORG_P12", "token": "CONGVAN_ORG_TOKEN"}))
    stack.callback(signer.close)
    return signer


def edxml_trust(settings: Settings) -> Any:
    """The trust anchors incoming XML-DSig signers are checked against (CONGVAN_TRUST_ROOTS,
    the same as ``congvan verify``); None when none are configured."""
    from signing.xmldsig_trust import CertificateTrust

    return CertificateTrust.from_paths(settings.trust_roots)


def gateway_channel(settings: Settings, stack: ExitStack, signer: Any) -> Any:
    """The axis gateway channel from CONGVAN_GATEWAY_URL/_SYSTEM_ID/_SECRET."""
    from outbox.channels.gateway import GatewayChannel, GatewayClient, GatewayConfig

    if not settings.gateway_url:
        raise ValueError("kênh gateway cần CONGVAN_GATEWAY_URL, CONGVAN_GATEWAY_SYSTEM_ID và "
                         "CONGVAN_GATEWAY_SECRET (do đơn vị vận hành trục liên thông cấp)")
    secret = settings.gateway_secret.get_secret_value() if settings.gateway_secret else ""
    client = stack.enter_context(GatewayClient(GatewayConfig(
        settings.gateway_url, settings.gateway_system_id or "", secret,
        settings.gateway_timeout)))
    return GatewayChannel(client, signer=signer)


def refusal_line(refusal: Any) -> str:
    """What was done with a refused package, in one line."""
    kept = f"; bản gói lưu tại {refusal.kept}" if refusal.kept else ""
    if refusal.answer is not None:
        return (f"Đã xếp hàng trạng thái 02 (kèm lý do) gửi {refusal.answer.address}{kept} "
                "(gửi bằng: congvan outbox run).")
    if refusal.identity.answerable:
        return (f"Không xếp hàng trạng thái 02: đã báo cho gói này trước đây, hoặc cơ quan nhận "
                f"chưa có mã định danh edXML{kept}.")
    return (f"Không đọc được nơi gửi và số hiệu văn bản nên không báo lại được: đã cách ly"
            f"{kept or ' (gói quá lớn, chỉ ghi mã băm)'} và ghi nhật ký.")


def build_channels(settings: Settings, names: list[str], stack: ExitStack) -> dict[str, Any]:
    """The channels named, configured from settings (SMTP, ./var/outbox/folder, …/edxml, the
    axis gateway). "edxml" deliveries go through the gateway when CONGVAN_EDXML_TRANSPORT is
    gateway, else into the offline drop folder."""
    from outbox.channels.edxml import EdxmlChannel
    from outbox.channels.email import SmtpChannel
    from outbox.channels.folder import FolderChannel

    channels: dict[str, Any] = {}
    signer = edxml_signer(settings, stack) if {"edxml", "gateway"} & set(names) else None
    for name in names:
        if name == "email":
            channels[name] = stack.enter_context(SmtpChannel(
                host=settings.smtp_host, port=settings.smtp_port, from_addr=settings.smtp_from,
                security=settings.smtp_security,  # type: ignore[arg-type]
                username=settings.smtp_username, password=settings.smtp_password,
                allow_plaintext_auth=settings.smtp_allow_plaintext_auth,
            ))
        elif name == "folder":
            channels[name] = FolderChannel(settings.home / "outbox" / "folder")
        elif name == "gateway" or (name == "edxml" and settings.edxml_transport == "gateway"):
            channels[name] = gateway_channel(settings, stack, signer)
        elif name == "edxml":
            channels[name] = EdxmlChannel(settings.home / "outbox" / "edxml", signer=signer)
        else:
            raise ValueError(f"kênh '{name}' không có; dùng email, folder, edxml hoặc gateway")
    return channels


def register(app: typer.Typer) -> None:
    outbox_app = typer.Typer(help="Hộp thư đi: gửi văn bản, theo dõi, gửi lại.",
                             no_args_is_help=True)
    app.add_typer(outbox_app, name="outbox")

    @outbox_app.command("run")
    def run(
        loop: bool = typer.Option(False, "--loop", help="Chạy liên tục đến khi Ctrl+C."),
        interval: float = typer.Option(10.0, help="Số giây nghỉ khi hàng đợi trống (--loop)."),
        batch_size: int = typer.Option(50, help="Số lượt gửi nhận mỗi lần."),
        channel: Annotated[list[str] | None, typer.Option(
            "--channel", "-c", help="Kênh gửi, lặp lại để chọn nhiều (mặc định: cả ba).",
        )] = None,
    ) -> None:
        """Gửi các văn bản đến hạn (một lượt, hoặc liên tục với --loop)."""
        import time

        from sqlalchemy.exc import DBAPIError

        from congvan.runtime import files_dir, open_registry
        from congvan.settings import get_settings
        from outbox.receipts import AckLinks
        from outbox.relay import RelayReport, connection_lost, relay_until_idle
        from registry import db

        settings = get_settings()
        with outbox_errors(), ExitStack() as stack:
            settings.enforce_secrets()
            open_registry(settings)
            default = ["email", "folder", "edxml"] + (["gateway"] if settings.gateway_url else [])
            channels = build_channels(settings, channel or default, stack)
            kwargs: dict[str, Any] = {
                "session_factory": db.session_factory(), "channels": channels,
                "batch_size": batch_size, "files_root": files_dir(settings),
                "ack_links": AckLinks(settings.public_base_url, settings.secret_key),
            }
            total = RelayReport()
            try:
                while True:
                    try:
                        report = relay_until_idle(**kwargs)
                    except DBAPIError as exc:
                        if not (loop and connection_lost(exc)):
                            raise
                        # PostgreSQL restarting or failing over: wait, reconnect, go on.
                        err_console.print(
                            "[yellow]Mất kết nối cơ sở dữ liệu "
                            f"({str(exc.orig or exc).splitlines()[0][:160]}); thử lại sau "
                            f"{max(interval, 1.0):.0f} giây.[/]")
                        time.sleep(max(interval, 1.0))
                        continue
                    total.add(report)
                    if report.claimed:
                        console.print(f"Đã gửi {report.sent}, chờ gửi lại {report.retried}, "
                                      f"thất bại {report.dead}.")
                    if not loop:
                        break
                    time.sleep(interval)
            except KeyboardInterrupt:
                pass
        for delivery_id, error in total.failures:
            err_console.print(f"  #{delivery_id}: {error}")
        console.print(f"Tổng: nhận {total.claimed}, đã gửi {total.sent}, "
                      f"chờ gửi lại {total.retried}, thất bại {total.dead}.")

    @outbox_app.command("poll")
    def poll_gateway(
        org: Annotated[str, typer.Option("--org", help="Mã cơ quan nhận (khoá trong danh bạ).")],
    ) -> None:
        """Nhận từ trục liên thông: trạng thái của văn bản đã gửi, văn bản đến (vào sổ, trả lời
        trạng thái 01/03; thu hồi, cập nhật, thay thế theo BussinessDocType)."""
        from congvan.runtime import files_dir, open_registry
        from congvan.settings import get_settings
        from outbox.channels.gateway import GatewayClient, GatewayConfig
        from outbox.edxml.poll import poll
        from registry import db
        from registry.lookup import get_by_key
        from registry.models import Organization

        settings = get_settings()
        with outbox_errors():
            open_registry(settings)
            if not settings.gateway_url:
                raise ValueError("cần CONGVAN_GATEWAY_URL, CONGVAN_GATEWAY_SYSTEM_ID, "
                                 "CONGVAN_GATEWAY_SECRET để nhận từ trục liên thông")
            factory = db.session_factory()
            with factory() as session:
                organization_id = get_by_key(session=session, model=Organization, key=org).id
            secret = settings.gateway_secret.get_secret_value() if settings.gateway_secret \
                else ""
            with GatewayClient(GatewayConfig(settings.gateway_url,
                                             settings.gateway_system_id or "", secret,
                                             settings.gateway_timeout)) as client:
                report = poll(session_factory=factory, client=client,
                              organization_id=organization_id, files_root=files_dir(settings),
                              trust=edxml_trust(settings))
        for taken in report.taken:
            what = taken.document.original_number if taken.document is not None else ""
            console.print(f"Đã nhận ({taken.kind}) {what}")
        for (doc_id, reason), refusal in zip(report.refused, report.refusals, strict=True):
            err_console.print(f"  Từ chối gói {doc_id}: {reason}", highlight=False)
            err_console.print(f"    {refusal_line(refusal)}", highlight=False)
        for doc_id, reason in report.postponed:
            err_console.print(f"  Chưa lấy được gói {doc_id} (thử lại lần sau): {reason}",
                              highlight=False)
        console.print(f"Tổng: nhận {len(report.taken)}, từ chối {len(report.refused)}"
                      f"{f', chờ lần sau {len(report.postponed)}' if report.postponed else ''}.")

    @outbox_app.command("status")
    def status() -> None:
        """Số lượt gửi theo trạng thái, lượt chờ lâu nhất, các lượt thất bại."""
        from rich.table import Table

        from congvan.runtime import open_registry
        from outbox import deliveries
        from registry import db

        with outbox_errors():
            open_registry()
            with db.transaction() as session:
                result = deliveries.summary(session=session)
                dead = [(d.id, d.recipient_label, d.channel, d.attempts, d.last_error or "",
                         deliveries.carries(d)) for d in result.dead]
        from registry.labels import DELIVERY_STATE as labels

        table = Table(title="Hộp thư đi")
        table.add_column("Trạng thái")
        table.add_column("Số lượt", justify="right")
        for key, label in labels.items():
            table.add_row(label, str(result.counts.get(key, 0)))
        console.print(table)
        if result.oldest_pending is not None:
            from registry.clock import to_local

            oldest = to_local(result.oldest_pending)
            console.print(f"Lượt chờ lâu nhất tạo lúc {oldest:%H:%M} ngày {oldest:%d/%m/%Y} "
                          "(giờ Việt Nam).")
        if dead:
            table = Table(title="Thất bại — gửi lại bằng: congvan outbox retry ID --as KHOÁ")
            for column in ("ID", "Văn bản", "Nơi nhận", "Kênh", "Lần thử", "Lỗi cuối"):
                table.add_column(column)
            for row in dead:
                table.add_row(str(row[0]), row[5], row[1], row[2], str(row[3]), row[4])
            console.print(table)

    @outbox_app.command("retry")
    def retry(delivery_id: int = typer.Argument(..., help="ID lượt gửi (xem outbox status)."),
              as_: str = typer.Option(..., "--as", help="Khoá văn thư (hoặc quản trị) gửi lại"),
              ) -> None:
        """Đưa một lượt gửi thất bại trở lại hàng đợi (văn thư của cơ quan gửi, hoặc quản trị)."""
        from congvan.runtime import open_registry
        from outbox import deliveries
        from registry import db
        from registry.lookup import get_by_key
        from registry.models import Person

        with outbox_errors():
            open_registry()
            with db.transaction() as session:
                clerk = get_by_key(session=session, model=Person, key=as_)
                row = deliveries.retry(session=session, delivery_id=delivery_id, actor=clerk)
                label = row.recipient_label
        console.print(f"Đã đưa lượt gửi #{delivery_id} ({label}) trở lại hàng đợi.")

    @outbox_app.command("ack")
    def ack(delivery_id: int = typer.Argument(..., help="ID lượt gửi.")) -> None:
        """Văn thư ghi nhận nơi nhận đã nhận văn bản (xác nhận thủ công)."""
        from congvan.runtime import open_registry
        from outbox import receipts
        from registry import db

        with outbox_errors():
            open_registry()
            with db.transaction() as session:
                receipts.acknowledge_by_hand(session=session, delivery_id=delivery_id)
        console.print(f"Đã ghi nhận lượt gửi #{delivery_id} đã được nhận.")
