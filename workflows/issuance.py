"""The tools issuing needs in a flow: a warm PDF converter and the issuing keys.

Issuing (:func:`signing.issuing.issue`) converts the numbered .docx to PDF and
signs it twice with visible ND30 appearances: the competent person's key and
signature image first, then the organisation's key and seal. A
process that runs flows either installs its tools for a block
(:func:`opened`, :func:`using` — the demo, the tests, the CLI) or lets the
first issue open them from the cycle settings: ``keys_dir`` holds
``signer.p12``, ``organization.p12``, ``signature.png`` and ``seal.png``
(``congvan keys dev-ca`` writes them)
and the password is read from ``CONGVAN_KEY_PASSWORD``, never from a flow
parameter (Prefect records parameters). Tools are process-wide, not
per-thread, because Prefect runs tasks in worker threads.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from registry.errors import ValidationError
from signing import pkcs12
from signing.issuing import IssuingKeys, PdfConverterLike

PASSWORD_ENV = "CONGVAN_KEY_PASSWORD"


@dataclass(frozen=True)
class Tools:
    """A converter and the person's and the organisation's signers with their images."""

    converter: PdfConverterLike
    keys: IssuingKeys


_lock = threading.Lock()
_installed: list[Tools] = []
_opened: dict[tuple[str, str], Tools] = {}


@contextmanager
def using(tools: Tools) -> Iterator[Tools]:
    """Make ``tools`` the ones every issue in this process uses, for the block."""
    with _lock:
        _installed.append(tools)
    try:
        yield tools
    finally:
        with _lock:
            _installed.remove(tools)


@contextmanager
def opened(*, keys_dir: Path, password: str, soffice: str = "soffice") -> Iterator[Tools]:
    """Start a warm LibreOffice and load the signers from ``keys_dir``, for the block."""
    from doc_templates.pdf import PdfConverter

    keys = pkcs12.pair(Path(keys_dir), password)
    with PdfConverter(soffice) as converter, using(Tools(converter, keys)) as t:
        yield t


def current(*, keys_dir: str | None, soffice: str = "soffice") -> Tools:
    """The installed tools, else tools opened once for this process from ``keys_dir``."""
    with _lock:
        if _installed:
            return _installed[-1]
        if keys_dir is None:
            raise ValidationError(
                "chưa cấu hình khoá ký số để ban hành: đặt keys_dir trong tham số chu kỳ "
                "(thư mục có signer.p12, organization.p12, signature.png và seal.png, tạo bằng "
                "`congvan keys dev-ca`)",
                field="keys_dir")
        key = (str(Path(keys_dir).resolve()), soffice)
        if key not in _opened:
            password = os.environ.get(PASSWORD_ENV)
            if not password:
                raise ValidationError(
                    f"chưa có mật khẩu tệp khoá: đặt biến môi trường {PASSWORD_ENV}",
                    field=PASSWORD_ENV)
            from doc_templates.pdf import PdfConverter

            keys = pkcs12.pair(Path(keys_dir), password)
            converter = PdfConverter(soffice).__enter__()
            atexit.register(converter.__exit__, None, None, None)
            _opened[key] = Tools(converter, keys)
        return _opened[key]
