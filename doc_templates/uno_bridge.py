"""Bridge to a warm LibreOffice over UNO, run with Debian's ``/usr/bin/python3`` (python3-uno).

    /usr/bin/python3 uno_bridge.py PORT [CONNECT_TIMEOUT]

Connects to a LibreOffice that listens on 127.0.0.1:PORT, prints ``{"ready": true}``, then
reads one JSON request per line on stdin, ``{"source": PATH, "target": PATH}``, and answers
one JSON line each: ``{"ok": true}`` or ``{"ok": false, "error": TEXT, "dead": BOOL}``
(``dead``: the connection to LibreOffice is gone). At end of input it asks LibreOffice to
terminate and exits.

This file is a script, not a module of the package: the project's virtual environment
cannot import ``uno``, so :mod:`doc_templates.uno_office` starts it with the system
interpreter. It imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

# com.sun.star.document.MacroExecMode.NEVER_EXECUTE / UpdateDocMode.NO_UPDATE: a document
# being converted runs no macro and fetches no linked content.
NEVER_EXECUTE = 0
NO_UPDATE = 0


def _props(**values: object) -> tuple[PropertyValue, ...]:
    return tuple(PropertyValue(Name=name, Value=value) for name, value in values.items())


def connect(port: int, timeout: float) -> Any:
    """The Desktop of the LibreOffice listening on 127.0.0.1:port, retrying until timeout."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:socket,host=127.0.0.1,port={port},tcpNoDelay=1;urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(url)
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def convert(desktop: Any, source: str, target: str, pdf_version: int = 0) -> None:
    """Load ``source`` hidden and read-only, export it as PDF to ``target``, close it.

    ``pdf_version`` 2 writes PDF/A-2b (LibreOffice's SelectPdfVersion), 0 plain PDF."""
    document = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(source),
        "_blank",
        0,
        _props(
            Hidden=True,
            ReadOnly=True,
            MacroExecutionMode=NEVER_EXECUTE,
            UpdateDocMode=NO_UPDATE,
        ),
    )
    if document is None:
        raise ValueError("LibreOffice could not open the document")
    try:
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue",
            _props(SelectPdfVersion=pdf_version, UseTaggedPDF=True),
        )
        uno.invoke(
            document,
            "storeToURL",
            (
                uno.systemPathToFileUrl(target),
                _props(FilterName="writer_pdf_Export", FilterData=filter_data),
            ),
        )
    finally:
        document.close(True)


def _alive(desktop: Any) -> bool:
    try:
        desktop.getFrames()
    except Exception:  # any UNO failure here means the bridge is gone
        return False
    return True


def _answer(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    port = int(argv[1])
    timeout = float(argv[2]) if len(argv) > 2 else 60.0
    desktop = connect(port, timeout)
    _answer({"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            convert(desktop, request["source"], request["target"], int(request.get("pdf", 0)))
        except Exception as exc:  # report every failure to the caller, then judge the bridge
            dead = not _alive(desktop)
            _answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500], "dead": dead})
            if dead:
                return 3
        else:
            _answer({"ok": True})
    # LibreOffice closes the bridge while answering terminate(): an exception is expected.
    with contextlib.suppress(Exception):
        desktop.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
