"""One LibreOffice kept running, fed one document at a time over UNO (≈ 0.1 s per document).

:class:`WarmOffice` starts ``soffice`` listening on 127.0.0.1 (a free port) with its own
user profile, and ``uno_bridge.py`` under the system Python (which has python3-uno; the
virtual environment cannot import ``uno``). Requests go to the bridge as JSON lines on its
stdin. Both processes run in sessions of their own so stopping can signal whole process
groups: ``soffice`` is a shell script that becomes ``oosplash``, which starts ``soffice.bin``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from doc_templates.errors import ConversionError

BRIDGE = Path(__file__).with_name("uno_bridge.py")


class OfficeDied(ConversionError):
    """The warm LibreOffice (or its bridge) stopped while it was needed."""


def uno_available(python: str) -> bool:
    """Whether ``python`` can ``import uno`` (Debian's python3-uno)."""
    try:
        result = subprocess.run(
            [python, "-c", "import uno"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


class WarmOffice:
    """A running LibreOffice and its UNO bridge; not thread-safe (the caller serialises)."""

    def __init__(
        self,
        *,
        soffice: str,
        python: str,
        profile: Path,
        log: Path,
        start_timeout: float = 60.0,
        timeout: float = 600.0,
    ) -> None:
        self.soffice = soffice
        self.python = python
        self.profile = profile
        self.log = log
        self.start_timeout = start_timeout
        self.timeout = timeout
        self._office: subprocess.Popen[bytes] | None = None
        self._bridge: subprocess.Popen[str] | None = None
        self._office_pid: int | None = None
        self.port: int | None = None
        self.started = False

    @property
    def pid(self) -> int | None:
        """Pid of the LibreOffice process doing the work (``soffice.bin``), if running."""
        return self._office_pid

    def running(self) -> bool:
        """Whether LibreOffice and the bridge are both alive."""
        return (
            self._office_pid is not None
            and pid_alive(self._office_pid)
            and self._bridge is not None
            and self._bridge.poll() is None
        )

    def start(self) -> None:
        """Start LibreOffice and the bridge; return once the bridge has connected.

        ``started`` tells afterwards that it ran at least once (a later stop is a death).
        """
        self.stop()
        self.port = _free_port()
        self.profile.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp"}
        with self.log.open("ab") as log:
            self._office = subprocess.Popen(
                [
                    self.soffice,
                    f"-env:UserInstallation={self.profile.resolve().as_uri()}",
                    "--headless",
                    "--invisible",
                    "--norestore",
                    "--nologo",
                    "--nodefault",
                    "--nolockcheck",
                    f"--accept=socket,host=127.0.0.1,port={self.port},tcpNoDelay=1;"
                    "urp;StarOffice.ComponentContext",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
            )
            self._bridge = subprocess.Popen(
                [self.python, str(BRIDGE), str(self.port), str(self.start_timeout)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                encoding="utf-8",
                bufsize=1,
                start_new_session=True,
            )
        try:
            reply = self._read(self.start_timeout + 5, starting=True)
            if not reply.get("ready"):
                raise OfficeDied(f"Cầu nối UNO trả lời lạ khi khởi động: {reply!r}")
            self._office_pid = self._find_office_pid()
            self.started = True
        except BaseException:
            self.stop()
            raise

    def convert(self, source: Path, target: Path, *, pdf_version: int = 0) -> None:
        """Convert ``source`` (.docx) to ``target`` (PDF, PDF/A-2b when ``pdf_version`` is 2);
        :class:`OfficeDied` if it died."""
        if not self.running() or self._bridge is None or self._bridge.stdin is None:
            raise OfficeDied("LibreOffice (UNO) không chạy.")
        request = {
            "source": str(source.resolve()),
            "target": str(target.resolve()),
            "pdf": pdf_version,
        }
        try:
            self._bridge.stdin.write(json.dumps(request) + "\n")
            self._bridge.stdin.flush()
        except OSError as exc:
            raise OfficeDied("Cầu nối UNO đã dừng.") from exc
        reply = self._read(self.timeout)
        if reply.get("ok"):
            return
        if reply.get("dead") or not self.running():
            raise OfficeDied(f"LibreOffice dừng khi chuyển PDF: {reply.get('error')}")
        raise ConversionError(f"LibreOffice không chuyển được sang PDF: {reply.get('error')}")

    def stop(self, grace: float = 5.0) -> None:
        """Ask LibreOffice to quit, then SIGTERM and finally SIGKILL whatever is left."""
        bridge, office, office_pid = self._bridge, self._office, self._office_pid
        self._bridge = self._office = self._office_pid = None
        if bridge is not None:
            if bridge.stdin is not None:
                with contextlib.suppress(OSError):
                    bridge.stdin.close()  # end of input: the bridge terminates LibreOffice
            _reap(bridge, grace)
            if bridge.stdout is not None:
                bridge.stdout.close()
        if office is not None:
            _reap(office, grace, keep_group_pid=office_pid)

    def _office_gone(self) -> bool:
        if self._office is None or self._office.poll() is None:
            return False
        return self._office_pid is None or not pid_alive(self._office_pid)

    def _find_office_pid(self) -> int | None:
        if self._office is None:
            return None
        # soffice (oosplash) starts soffice.bin as its child; without oosplash it is the pid.
        children = _children(self._office.pid)
        return children[0] if children else self._office.pid

    def _read(self, timeout: float, *, starting: bool = False) -> dict[str, Any]:
        bridge = self._bridge
        if bridge is None or bridge.stdout is None:
            raise OfficeDied("Cầu nối UNO không chạy.")
        deadline = time.monotonic() + timeout
        # Wait in slices so a LibreOffice that exits (say its port was taken meanwhile) is
        # noticed at once instead of after the whole timeout.
        while not select.select([bridge.stdout], [], [], 0.5)[0]:
            if self._office_gone():
                raise OfficeDied(f"LibreOffice đã thoát (xem {self.log}).")
            if time.monotonic() > deadline:
                self.stop()
                message = f"LibreOffice (UNO) quá thời gian ({timeout:.0f} s)"
                # A start that never answers (port taken by someone else) is worth one
                # restart on a new port; a conversion that hangs is the document's fault.
                raise OfficeDied(message) if starting else ConversionError(message)
        line = bridge.stdout.readline()
        if not line:
            raise OfficeDied(f"Cầu nối UNO đã dừng (xem {self.log}).")
        return dict(json.loads(line))


def _reap(
    process: subprocess.Popen[str] | subprocess.Popen[bytes],
    grace: float,
    *,
    keep_group_pid: int | None = None,
) -> None:
    """Wait ``grace`` seconds, then SIGTERM the process group, then SIGKILL it."""
    group = process.pid  # start_new_session: the group id is the leader's pid
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not _group_alive(group, process, keep_group_pid):
            break
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(group, process, keep_group_pid):
            time.sleep(0.05)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace)


def _group_alive(
    group: int, process: subprocess.Popen[str] | subprocess.Popen[bytes], member: int | None
) -> bool:
    # The leader may be gone while a member (soffice.bin) still runs in its group; only signal
    # the group while one of ours is in it, so a recycled pid is never hit.
    if process.poll() is None:
        return True
    if member is None or not pid_alive(member):
        return False
    try:
        return os.getpgid(member) == group
    except ProcessLookupError:
        return False
