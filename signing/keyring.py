"""Where the two issuing keys come from: a PKCS#12 file or a key on a PKCS#11 token.

Officials sign with USB tokens (or an HSM); the demo and tests use ``.p12`` files.
A :class:`KeySource` names one key and carries its secret (password or PIN) only
in memory. The person opens their own key at ``draft sign`` (:func:`opened_signer`);
the văn thư's process opens only the organisation's key and seal
(:func:`issuing_keys`, :func:`opened_keys`). Token sessions stay open until
:func:`close` (or the ``with`` block) ends them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signing.appearance import PngImage
from signing.errors import AppearanceError, BadPassword, KeyUnavailable
from signing.issuing import IssuingKeys
from signing.signer import PadesSigner


@dataclass(frozen=True)
class KeySource:
    """One signing key: a PKCS#12 file and its password, or a key on a PKCS#11 token and its PIN.

    Build it with :meth:`pkcs12` or :meth:`pkcs11`. On a token, ``key_label`` may be
    left out when the token holds a single signing key; the certificate is found by
    ``cert_label``, else by the key's CKA_ID, else by the key's label.
    """

    p12: Path | None = None
    password: str | None = field(default=None, repr=False)
    module: str | None = None
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None
    pin: str | None = field(default=None, repr=False)
    key_id: bytes | None = None  # CKA_ID shared by the key and its certificate (find_token)

    @classmethod
    def pkcs12(cls, path: Path | str, password: str) -> KeySource:
        """A password-protected PKCS#12 file (.p12/.pfx)."""
        return cls(p12=Path(path), password=password)

    @classmethod
    def pkcs11(cls, *, module: str | Path, token_label: str, pin: str,
               key_label: str | None = None, cert_label: str | None = None,
               key_id: bytes | None = None) -> KeySource:
        """A key on the token labelled ``token_label``, reached through the library ``module``
        (``key_id``: the key whose CKA_ID is this, as :func:`find_token` reports it)."""
        return cls(module=str(module), token_label=token_label, pin=pin, key_label=key_label,
                   cert_label=cert_label, key_id=key_id)

    @property
    def is_token(self) -> bool:
        """True for a PKCS#11 token, False for a PKCS#12 file."""
        return self.token_label is not None

    def describe(self) -> str:
        """The key in words, for messages (never the secret)."""
        if self.is_token:
            key = f"khoá “{self.key_label}”" if self.key_label else "khoá"
            return f"{key} trên token “{self.token_label}”"
        return f"tệp khoá {self.p12}"

    def open(self, *, tsa_url: str | None = None) -> PadesSigner:
        """A :class:`PadesSigner` for this key; raises :class:`KeyUnavailable` or
        :class:`BadPassword` with a message naming the file, token or key."""
        if self.is_token:
            return _open_token(self, tsa_url)
        if self.p12 is None:
            raise KeyUnavailable("Chưa chỉ khoá ký: cần một tệp .p12 hoặc một token PKCS#11.")
        if not self.p12.is_file():
            raise KeyUnavailable(
                f"Không có tệp khoá {self.p12}; chạy `congvan keys dev-ca` để tạo khoá thử "
                "nghiệm hoặc chỉ đường dẫn tệp .p12.")
        return PadesSigner.from_pkcs12(self.p12, self.password or "", tsa_url=tsa_url)


def issuing_keys(*, organization: KeySource, seal_png: Path,
                 tsa_url: str | None = None) -> IssuingKeys:
    """The organisation's signer and seal image: all the văn thư's process holds to issue.

    The image is checked first so a missing PNG costs no PIN attempt.
    """
    seal = _image(Path(seal_png), "con dấu")
    return IssuingKeys(organization=organization.open(tsa_url=tsa_url), seal=seal)


def close(keys: IssuingKeys) -> None:
    """End the token session of ``keys`` (no-op for a PKCS#12 key, or for a session the
    library already ended: :func:`refresh_tokens`)."""
    from pkcs11 import exceptions as p11

    closer = getattr(keys.organization, "close", None)
    if closer is not None:
        with suppress(p11.PKCS11Error):
            closer()


@contextmanager
def opened_keys(*, organization: KeySource, seal_png: Path,
                tsa_url: str | None = None) -> Iterator[IssuingKeys]:
    """:func:`issuing_keys` for the block, closing the token session at its end."""
    keys = issuing_keys(organization=organization, seal_png=seal_png, tsa_url=tsa_url)
    try:
        yield keys
    finally:
        close(keys)


@contextmanager
def opened_signer(source: KeySource, *, tsa_url: str | None = None) -> Iterator[PadesSigner]:
    """One key opened for the block (the person's at ``draft sign``, the organisation's for
    edXML envelopes), its token session closed at the end."""
    signer = source.open(tsa_url=tsa_url)
    try:
        yield signer
    finally:
        signer.close()


def signature_image(path: Path) -> PngImage:
    """The person's signature image (a transparent PNG), with a Vietnamese error if missing."""
    return _image(Path(path), "chữ ký")


def _image(path: Path, what: str) -> PngImage:
    if not path.is_file():
        raise AppearanceError(
            f"Không có tệp hình ảnh {what} {path}; chạy `congvan keys dev-ca` để tạo ảnh thử "
            "nghiệm hoặc chỉ đường dẫn tệp PNG nền trong suốt.")
    return PngImage.from_file(path)


def _open_token(source: KeySource, tsa_url: str | None) -> PadesSigner:
    session = _token_session(source)
    try:
        backend = _token_backend(session, source)
    except BaseException:
        with suppress(Exception):
            session.close()
        raise
    return PadesSigner(backend, tsa_url=tsa_url, closer=session.close)


def fingerprint(source: KeySource) -> str:
    """SHA-256 (hex) of the key's certificate in DER; proves the key opens (password/PIN)."""
    import hashlib

    if not source.is_token:
        from cryptography.hazmat.primitives.serialization import Encoding

        from signing.keys import read_pkcs12

        if source.p12 is None or not source.p12.is_file():
            raise KeyUnavailable(
                f"Không có tệp khoá {source.p12}; chạy `congvan keys dev-ca` để tạo khoá thử "
                "nghiệm hoặc chỉ đường dẫn tệp .p12.")
        cert, _ = read_pkcs12(source.p12.read_bytes(), source.password or "")
        return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    session = _token_session(source)
    try:
        return hashlib.sha256(_token_backend(session, source).signing_cert.dump()).hexdigest()
    finally:
        with suppress(Exception):
            session.close()


def _token_session(source: KeySource) -> Any:
    import pkcs11
    from pkcs11 import exceptions as p11

    module, label = source.module or "", source.token_label or ""
    if not module:
        raise KeyUnavailable(f"Chưa chỉ thư viện PKCS#11 cho token “{label}”: cần đường dẫn tệp "
                             ".so/.dll do nhà cung cấp token cài đặt.")
    if not Path(module).is_file():
        raise KeyUnavailable(f"Không có thư viện PKCS#11 {module}; cài phần mềm của token và chỉ "
                             "đúng đường dẫn tệp .so/.dll.")
    try:
        lib = pkcs11.lib(module)
    except (p11.PKCS11Error, OSError, RuntimeError) as exc:
        raise KeyUnavailable(f"Không nạp được thư viện PKCS#11 {module}: {exc!r}") from exc
    try:
        try:
            token = lib.get_token(token_label=label)
        except p11.NoSuchToken:
            if not refresh_tokens(module):
                raise
            token = lib.get_token(token_label=label)  # plugged in (or made) after start
    except p11.NoSuchToken:
        present = _token_labels(lib)
        seen = ", ".join(f"“{t}”" for t in present) if present else "không có token nào"
        raise KeyUnavailable(f"Không thấy token “{label}” (đang cắm: {seen}); hãy cắm token "
                             "và kiểm tra nhãn token.") from None
    except p11.PKCS11Error as exc:
        raise KeyUnavailable(f"Không đọc được token “{label}”: {exc!r}") from exc
    if not source.pin:
        raise BadPassword(f"Chưa có mã PIN của token “{label}”.")
    try:
        return token.open(user_pin=source.pin)
    except p11.PinIncorrect:
        raise BadPassword(f"Mã PIN của token “{label}” không đúng.") from None
    except p11.PinLocked:
        raise BadPassword(f"Token “{label}” đã bị khoá do nhập sai PIN nhiều lần; liên hệ "
                          "đơn vị cấp chứng thư để mở khoá.") from None
    except (p11.PinLenRange, p11.PinInvalid):
        raise BadPassword(f"Mã PIN của token “{label}” không đúng độ dài hoặc định "
                          "dạng.") from None
    except p11.PKCS11Error as exc:
        raise KeyUnavailable(f"Không mở được token “{label}”: {exc!r}") from exc


def _token_labels(lib: Any) -> list[str]:
    try:
        return [slot.get_token().label for slot in lib.get_slots(token_present=True)]
    except Exception:  # only for the message
        return []


def _token_backend(session: Any, source: KeySource) -> Any:
    """pyHanko's PKCS11Signer with its key and certificate found now, not at the first signature."""
    from pkcs11 import Attribute, ObjectClass
    from pkcs11 import exceptions as p11
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.pkcs11 import PKCS11Signer

    where = f"token “{source.token_label}”"
    try:
        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
        labelled = [(_attr(k, Attribute.LABEL), _attr(k, Attribute.ID)) for k in keys]
    except p11.PKCS11Error as exc:
        raise KeyUnavailable(f"Không liệt kê được khoá trên {where}: {exc!r}") from exc
    names = ", ".join(sorted(f"“{n}”" for n, _ in labelled if n)) or "không có nhãn"
    if source.key_id is not None and not source.key_label:
        found = [(n, i) for n, i in labelled if i == source.key_id]
        if not found:
            raise KeyUnavailable(f"Trên {where} không có khoá đi cùng chứng thư số đã chọn "
                                 f"(các khoá có: {names}).")
    elif source.key_label:
        found = [(n, i) for n, i in labelled if n == source.key_label]
        if not found:
            raise KeyUnavailable(f"Không có khoá “{source.key_label}” trên {where} (các khoá "
                                 f"có: {names}); hãy chỉ đúng nhãn khoá.")
    else:
        found = labelled
        if len(found) != 1:
            detail = "không có khoá nào" if not found else f"có {len(found)} khoá: {names}"
            raise KeyUnavailable(f"Trên {where} {detail}; hãy chỉ rõ nhãn khoá cần dùng.")
    if len(found) > 1:
        raise KeyUnavailable(f"Trên {where} có {len(found)} khoá cùng nhãn “{source.key_label}”.")
    key_label, key_id = found[0]
    by_id = key_id if key_id and not source.cert_label else None
    backend = PKCS11Signer(
        session, key_label=key_label if source.key_label and source.key_id is None else None,
        key_id=None if source.key_label else key_id or None,
        cert_label=source.cert_label or (None if by_id else key_label), cert_id=by_id)
    try:
        backend.signing_cert  # noqa: B018 — loads the key handle and certificate now
    except (p11.PKCS11Error, PyHankoSigningError) as exc:
        which = f"“{source.cert_label}”" if source.cert_label else "của khoá"
        raise KeyUnavailable(f"Không tìm thấy chứng thư số {which} trên {where}: {exc}; hãy "
                             "chỉ nhãn chứng thư (cert label).") from exc
    return backend


def _attr(obj: Any, attribute: Any) -> Any:
    try:
        return obj[attribute]
    except Exception:  # an attribute the token does not expose
        return None


@dataclass(frozen=True)
class TokenMatch:
    """Where a given certificate sits: the token's label, the certificate's label and CKA_ID."""

    token_label: str
    cert_label: str | None
    key_id: bytes | None


def find_token(module: str | Path, fingerprints: Collection[str]) -> TokenMatch | None:
    """The token reached through ``module`` that holds a certificate whose SHA-256 (DER, hex)
    is one of ``fingerprints``; None when no present token holds one.

    Certificates are public objects: they are read without logging in, so finding the
    person's token costs no PIN attempt. The web server holds several people's tokens and
    must open only the signer's own: the one carrying a certificate registered to them.
    """
    wanted = {f.lower() for f in fingerprints}
    if not wanted:
        return None
    if not Path(module).is_file():
        raise KeyUnavailable(f"Không có thư viện PKCS#11 {module}; cài phần mềm của token và chỉ "
                             "đúng đường dẫn tệp .so/.dll (CONGVAN_PKCS11_MODULE).")
    found = _find_certificate(str(module), wanted)
    if found is None and refresh_tokens(module):
        found = _find_certificate(str(module), wanted)  # a token made after the first look
    return found


def _find_certificate(module: str, wanted: set[str]) -> TokenMatch | None:
    import hashlib

    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pkcs11 import exceptions as p11

    try:
        lib = pkcs11.lib(module)
        slots = list(lib.get_slots(token_present=True))
    except (p11.PKCS11Error, OSError, RuntimeError) as exc:
        raise KeyUnavailable(f"Không nạp được thư viện PKCS#11 {module}: {exc!r}") from exc
    for slot in slots:
        try:
            token = slot.get_token()
            with token.open() as public:
                for cert in public.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                    der = bytes(_attr(cert, Attribute.VALUE) or b"")
                    if der and hashlib.sha256(der).hexdigest() in wanted:
                        key_id = _attr(cert, Attribute.ID)
                        return TokenMatch(token_label=token.label,
                                          cert_label=_attr(cert, Attribute.LABEL),
                                          key_id=bytes(key_id) if key_id else None)
        except p11.PKCS11Error:
            continue  # a token that cannot be read is not this person's
    return None


# Several PKCS#11 libraries — SoftHSM2 among them — list their tokens once, at C_Initialize: a
# token initialised (or plugged in) after this process loaded the library stays invisible
# until the library is initialised again. On a miss the lookups above call refresh_tokens,
# which does that at most once per REFRESH_AFTER seconds per library.
REFRESH_AFTER = 2.0
_refresh_lock = threading.Lock()
_refreshed_at: dict[str, float] = {}
_generations: dict[str, int] = {}


def refresh_tokens(module: str | Path) -> bool:
    """Initialise the PKCS#11 library ``module`` again so it lists the tokens present now.
    False (nothing done) when it was refreshed less than REFRESH_AFTER seconds ago or could
    not be. Re-initialising ends every session this process had open on that library:
    whoever keeps one open compares :func:`token_generation` and opens it again."""
    import pkcs11
    from pkcs11 import exceptions as p11

    key = str(module)
    with _refresh_lock:
        now = time.monotonic()
        if now - _refreshed_at.get(key, -REFRESH_AFTER) < REFRESH_AFTER:
            return False
        _refreshed_at[key] = now
        try:
            pkcs11.lib(key).reinitialize()
        except (p11.PKCS11Error, OSError, RuntimeError):
            return False
        _generations[key] = _generations.get(key, 0) + 1
        return True


def token_generation(module: str | Path | None) -> int:
    """How many times :func:`refresh_tokens` re-initialised ``module`` in this process."""
    return _generations.get(str(module), 0) if module is not None else 0
