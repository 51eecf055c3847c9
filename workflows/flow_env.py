"""What a flow run needs from congvan's settings, read by the flow itself.

A flow started by a Prefect worker or by ``congvan flows serve`` runs in a fresh process (a
worker's runs even in a temporary directory), with nothing but the environment. Every flow
calls :func:`ready` first: it reads the settings (``registry.settings``, the same the CLI and
the web app read), opens the registry they name, checks its schema, and returns the cycle
settings the steps take — absolute files root under CONGVAN_HOME, keys folder, channels,
LibreOffice — unless the caller passed its own. Wrong or missing settings end the run at its
first line with a Vietnamese message naming the setting (:class:`FlowSettingsError`), not with
a traceback deep in a task.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from registry.errors import ValidationError

if TYPE_CHECKING:
    from registry.settings import Settings
    from workflows.steps import CycleSettings

_lock = threading.Lock()
_opened_url: list[str] = []


class FlowSettingsError(ValidationError):
    """The settings a flow run reads are missing or wrong; the message names the setting."""


def settings() -> Settings:
    """congvan's settings, or FlowSettingsError naming the variable that is wrong."""
    from pydantic import ValidationError as PydanticError

    from registry.settings import get_settings

    try:
        return get_settings()
    except PydanticError as exc:
        lines = []
        for error in exc.errors():
            where = "_".join(str(p) for p in error.get("loc", ()) if p)
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            lines.append(f"CONGVAN_{where.upper()}: {message}" if where else message)
        raise FlowSettingsError("Cấu hình congvan không hợp lệ — " + "; ".join(lines)) from None


def _check_home() -> None:
    home = os.environ.get("CONGVAN_HOME")
    in_deployment = _deployment_run()
    if in_deployment and (not home or not Path(home).is_absolute()):
        raise FlowSettingsError(
            f"CONGVAN_HOME {'chưa được đặt' if not home else f'là đường dẫn tương đối ({home})'}"
            " trong môi trường của worker. Mỗi lượt chạy của worker nằm trong một thư mục tạm, "
            "nên cơ sở dữ liệu và thư mục tệp phải được chỉ bằng đường dẫn tuyệt đối: đặt "
            "CONGVAN_HOME=/đường/dẫn/tuyệt/đối (và CONGVAN_DATABASE_URL nếu dùng PostgreSQL) "
            "trước khi chạy worker, hoặc chạy `congvan flows worker`.", field="CONGVAN_HOME")


def _deployment_run() -> bool:
    try:
        from prefect.runtime import deployment
    except ImportError:  # pragma: no cover - prefect is a dependency
        return False
    return deployment.id is not None


def _masked(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def open_registry(cfg: Settings) -> None:
    """Configure the registry from ``cfg`` once per process (unless a caller already did) and
    check that its schema is current."""
    from sqlalchemy.exc import SQLAlchemyError

    from registry import db, schema
    from registry.errors import SchemaOutOfDate

    with _lock:
        if db.is_configured() and not _opened_url:
            return  # the caller (a test, the demo, the CLI) configured the registry itself
        if _opened_url and _opened_url[0] == cfg.database_url:
            return
        try:
            engine = db.configure(cfg.database_url)
            schema.ensure_current(engine)
        except SchemaOutOfDate as exc:
            raise FlowSettingsError(
                f"{exc} (CONGVAN_DATABASE_URL={_masked(cfg.database_url)}; kiểm tra biến này "
                "và CONGVAN_HOME trong môi trường của worker)",
                field="CONGVAN_DATABASE_URL") from None
        except (SQLAlchemyError, OSError, ValueError) as exc:
            raise FlowSettingsError(
                f"không mở được cơ sở dữ liệu {_masked(cfg.database_url)} "
                f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); kiểm tra "
                "CONGVAN_DATABASE_URL (hoặc CONGVAN_HOME) trong môi trường của worker",
                field="CONGVAN_DATABASE_URL") from None
        _opened_url[:] = [cfg.database_url]


def _key_sources(cfg: Settings) -> None:
    """Hand issuing the organisation's key named in the settings (a .p12 or a token)."""
    from signing.keyring import KeySource
    from workflows import issuance

    source = None
    if cfg.org_token:
        if cfg.org_pin is None:
            raise FlowSettingsError(
                "CONGVAN_ORG_TOKEN được đặt nhưng thiếu mã PIN: đặt CONGVAN_ORG_PIN trong môi "
                "trường của worker", field="CONGVAN_ORG_PIN")
        assert cfg.pkcs11_module is not None  # the settings' validator requires it
        source = KeySource.pkcs11(
            module=cfg.pkcs11_module, token_label=cfg.org_token,
            pin=cfg.org_pin.get_secret_value(), key_label=cfg.org_key_label,
            cert_label=cfg.org_cert_label)
    elif cfg.org_p12 is not None:
        if cfg.key_password is None:
            raise FlowSettingsError(
                "CONGVAN_ORG_P12 được đặt nhưng thiếu mật khẩu: đặt CONGVAN_KEY_PASSWORD trong "
                "môi trường của worker", field="CONGVAN_KEY_PASSWORD")
        source = KeySource.pkcs12(cfg.org_p12, cfg.key_password.get_secret_value())
    issuance.configure(organization=source)


def cycle_settings(cfg: Settings) -> CycleSettings:
    """The cycle settings the steps take, from congvan's settings."""
    from workflows.steps import CycleSettings

    unknown = [c for c in cfg.channels if c not in {"email", "folder", "edxml"}]
    if unknown or not cfg.channels:
        raise FlowSettingsError(
            f"CONGVAN_CHANNELS có kênh không biết {unknown}: dùng danh sách JSON gồm email, "
            'folder, edxml, ví dụ CONGVAN_CHANNELS=\'["email"]\'', field="CONGVAN_CHANNELS")
    return CycleSettings(files_dir=str(cfg.files_dir), channels=list(cfg.channels),
                         roll_forward=cfg.roll_forward, keys_dir=str(cfg.keys_dir),
                         soffice=cfg.soffice)


RUN_TOKEN = "CONGVAN_RUN_TOKEN"
# Started by guard_run: waits for EOF on stdin (this process died or exited), then kills every
# process still carrying this run's token in its environment (LibreOffice and its helpers) and
# removes the run's temporary directory.
_WATCHDOG = """
import os, shutil, signal, sys
token, tmp = sys.argv[1], sys.argv[2]
sys.stdin.buffer.read()
needle = f"CONGVAN_RUN_TOKEN={token}".encode()
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            if needle in f.read().split(b"\\0"):
                os.kill(int(pid), signal.SIGKILL)
    except OSError:
        pass
shutil.rmtree(tmp, ignore_errors=True)
"""
_guard: list[object] = []


def guard_run() -> Path:
    """Once per process: a temporary directory for this run (TMPDIR) and a watchdog that, when
    this process ends — normally or by kill -9 — kills the processes it started (a warm
    LibreOffice) and removes that directory. Returns the directory."""
    import subprocess
    import sys
    import tempfile
    import uuid

    with _lock:
        if _guard:
            return Path(str(_guard[1]))
        token = uuid.uuid4().hex
        tmp = Path(tempfile.mkdtemp(prefix="congvan-run-"))
        env = {k: v for k, v in os.environ.items() if k != RUN_TOKEN}
        watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, token, str(tmp)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True)
        os.environ[RUN_TOKEN] = token
        os.environ["TMPDIR"] = str(tmp)
        tempfile.tempdir = str(tmp)
        _guard[:] = [watchdog, tmp]
        return tmp


def ready(given: CycleSettings | None = None) -> CycleSettings:
    """Read the settings, open the registry and return the cycle settings (``given`` wins).

    In a run started by a worker or ``serve`` (a deployment run) it also guards the run's
    helper processes and temporary files (:func:`guard_run`)."""
    _check_home()
    if _deployment_run():
        guard_run()
    cfg = settings()
    open_registry(cfg)
    _key_sources(cfg)
    return given if given is not None else cycle_settings(cfg)


def log_skipped(flow_name: str) -> None:
    """Say in the run's log that it ended at once because another run of ``flow_name`` is at
    work (registry.single_flight)."""
    from prefect import get_run_logger

    get_run_logger().info("Một lượt %s khác đang chạy: lượt này kết thúc ngay, không làm gì.",
                          flow_name)
