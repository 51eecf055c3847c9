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
parameter (Prefect records parameters). A process whose keys are on PKCS#11
tokens passes :class:`signing.keyring.KeySource` objects to :func:`opened`;
the token sessions close with the block. Tools are process-wide, not
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
from signing import keyring, pkcs12
from signing.issuing import IssuingKeys, PdfConverterLike
from signing.keyring import KeySource

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
def opened(*, keys_dir: Path, password: str | None = None, person: KeySource | None = None,
           organization: KeySource | None = None, soffice: str = "soffice",
           tsa_url: str | None = None) -> Iterator[Tools]:
    """Start a warm LibreOffice and open both keys, for the block.

    ``keys_dir`` holds the images (signature.png, seal.png) and, for a key not
    given as ``person``/``organization``, its .p12 file opened with ``password``.
    """
    from doc_templates.pdf import PdfConverter

    keys_dir = Path(keys_dir)
    with keyring.opened_keys(
            person=person or _p12(keys_dir / pkcs12.SIGNER_P12, password),
            organization=organization or _p12(keys_dir / pkcs12.ORGANIZATION_P12, password),
            signature_png=keys_dir / pkcs12.SIGNATURE_PNG, seal_png=keys_dir / pkcs12.SEAL_PNG,
            tsa_url=tsa_url) as keys, \
            PdfConverter(soffice) as converter, using(Tools(converter, keys)) as t:
        yield t


def _p12(path: Path, password: str | None) -> KeySource:
    if password is None:
        raise ValidationError(f"chưa có mật khẩu tệp khoá {path}: đặt biến môi trường "
                              f"{PASSWORD_ENV}", field=PASSWORD_ENV)
    return KeySource.pkcs12(path, password)


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

            keys = keyring.issuing_keys(
                person=_p12(Path(keys_dir) / pkcs12.SIGNER_P12, password),
                organization=_p12(Path(keys_dir) / pkcs12.ORGANIZATION_P12, password),
                signature_png=Path(keys_dir) / pkcs12.SIGNATURE_PNG,
                seal_png=Path(keys_dir) / pkcs12.SEAL_PNG)
            atexit.register(keyring.close, keys)
            converter = PdfConverter(soffice).__enter__()
            atexit.register(converter.__exit__, None, None, None)
            _opened[key] = Tools(converter, keys)
        return _opened[key]
