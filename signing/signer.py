"""PAdES signatures on PDFs: the :class:`Signer` protocol and :class:`PadesSigner` (pyHanko).

Every signature is an incremental update, so the organisation's signature added
after the person's leaves the person's intact. The level is PAdES B-B, or B-T
when a timestamp authority URL is configured.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from registry.clock import TIMEZONE
from signing.appearance import Appearance, InfoLine, SealImage, SignatureImage
from signing.errors import (
    AppearanceError,
    BadPassword,
    CertificateNotUsable,
    KeyUnavailable,
    SigningError,
    TimestampUnavailable,
)
from signing.keys import read_pkcs12
from signing.placement import (
    Placement,
    locate_block,
    place_info_line,
    place_seal,
    place_signature,
)

PERSON_FIELD = "ChuKyNguoiKy"
ORGANIZATION_FIELD = "ChuKyCoQuan"
PLAIN_FIELD = "ChuKy"
VIETNAM = TIMEZONE  # the one zone literal lives in registry.clock


# Room for the CMS signature, in hex digits: pyHanko otherwise signs twice (once to
# measure), which costs a third of the signing time and a second trip to a token or TSA.
_RESERVED_HEX = 24 * 1024
_RESERVED_TIMESTAMP_HEX = 16 * 1024


class _ReservationTooSmall(Exception):
    pass


class Signer(Protocol):
    """Anything that returns a signed copy of a PDF."""

    def sign_pdf(self, pdf: bytes, *, appearance: Appearance | None, reason: str,
                 location: str | None = None, field_name: str | None = None) -> bytes:
        """Return ``pdf`` with one more signature appended as an incremental update."""
        ...


def _fixed_time_signer_class() -> type:
    from pyhanko.sign import signers

    class FixedTimePdfSigner(signers.PdfSigner):
        """A PdfSigner whose signing time is the one printed in the appearance."""

        def __init__(self, *args: Any, signing_time: dt.datetime, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._signing_time = signing_time

        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = self._signing_time
            return session

    return FixedTimePdfSigner


class PadesSigner:
    """Signs with a pyHanko signer: a PKCS#12 file or a PKCS#11 token.

    Use :meth:`from_pkcs12` or :meth:`from_pkcs11`; close it (or use ``with``)
    to end a token session.
    """

    def __init__(self, backend: Any, *, tsa_url: str | None = None, timezone: str = VIETNAM,
                 closer: Any = None) -> None:
        self._backend = backend
        self._tsa_url = tsa_url
        self._zone = ZoneInfo(timezone)
        self._closer = closer

    @property
    def level(self) -> str:
        """The PAdES baseline level produced: ``B-B`` or ``B-T``."""
        return "B-T" if self._tsa_url else "B-B"

    @classmethod
    def from_pkcs12(cls, path: Path | str, password: str, *, tsa_url: str | None = None,
                    timezone: str = VIETNAM) -> PadesSigner:
        """A signer for a password-protected PKCS#12 file (.p12/.pfx)."""
        from pyhanko.sign import signers

        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise KeyUnavailable(f"Không đọc được tệp khoá {path}: {exc.strerror}") from exc
        read_pkcs12(data, password)
        backend = signers.SimpleSigner.load_pkcs12_data(
            data, other_certs=(), passphrase=password.encode("utf-8"))
        return cls(backend, tsa_url=tsa_url, timezone=timezone)

    @classmethod
    def from_pkcs11(cls, *, module: str, token_label: str, pin: str, key_label: str,
                    cert_label: str | None = None, chain: Sequence[bytes] = (),
                    tsa_url: str | None = None, timezone: str = VIETNAM) -> PadesSigner:
        """A signer for a key on a PKCS#11 token (USB token, HSM, SoftHSM2).

        ``chain`` holds PEM or DER certificates to embed beside the signer's own.
        """
        from asn1crypto import pem, x509
        from pkcs11 import exceptions as p11
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.general import SigningError as PyHankoSigningError
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        try:
            session = open_pkcs11_session(
                module, token_criteria=TokenCriteria(label=token_label), user_pin=pin)
        except p11.PinIncorrect as exc:
            raise BadPassword(f"Mã PIN của token “{token_label}” không đúng.") from exc
        except (p11.PKCS11Error, PyHankoSigningError, OSError, RuntimeError) as exc:
            raise KeyUnavailable(
                f"Không mở được token “{token_label}” qua {module}: {exc!r}; hãy kiểm tra token "
                "đã cắm và nhãn token đúng.") from exc
        certs = [x509.Certificate.load(pem.unarmor(c)[2] if pem.detect(c) else c) for c in chain]
        backend = PKCS11Signer(session, cert_label=cert_label or key_label, key_label=key_label,
                               ca_chain=certs)
        return cls(backend, tsa_url=tsa_url, timezone=timezone, closer=session.close)

    def close(self) -> None:
        """End the token session, if any — once: a session the library already ended (its
        close fails) is forgotten too, so a later close (at exit) does not call it again."""
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()

    def __enter__(self) -> PadesSigner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def placement(self, pdf: bytes, appearance: Appearance | None) -> Placement | None:
        """Where ``appearance`` goes on ``pdf`` (to compute once, outside a critical section)."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        return self._place(pdf, writer, appearance, dt.datetime.now(self._zone))

    def sign_pdf(self, pdf: bytes, *, appearance: Appearance | None, reason: str,
                 location: str | None = None, field_name: str | None = None,
                 placement: Placement | None = None) -> bytes:
        """Append one PAdES signature to ``pdf`` with the ND30 ``appearance`` (or none).

        ``placement`` (from :meth:`placement`) skips finding the signature block again.
        """
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.misc import PdfReadError

        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        except (PdfReadError, ValueError) as exc:
            raise SigningError(f"Tệp cần ký không phải PDF hợp lệ: {exc}") from exc
        now = dt.datetime.now(self._zone).replace(microsecond=0)
        self._check_certificate(now)
        if placement is None:
            placement = self._place(pdf, writer, appearance, now)
        name = field_name or _free_field_name(writer, _default_field(appearance))
        reserved = _RESERVED_HEX + (_RESERVED_TIMESTAMP_HEX if self._tsa_url else 0)
        try:
            return self._sign(writer, placement, name=name, reason=reason, location=location,
                              now=now, reserved=reserved)
        except _ReservationTooSmall:
            # An unusually long chain: let pyHanko measure with a trial signature.
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            return self._sign(writer, placement, name=name, reason=reason, location=location,
                              now=now, reserved=None)

    def _check_certificate(self, now: dt.datetime) -> None:
        try:
            cert = self._backend.signing_cert
        except Exception as exc:  # the token raises its own error kinds
            raise KeyUnavailable(f"Không lấy được chứng thư số từ khoá: {exc!r}") from exc
        if cert is None:
            raise KeyUnavailable("Không tìm thấy chứng thư số của khoá ký.")
        validity = cert["tbs_certificate"]["validity"]
        start, end = validity["not_before"].native, validity["not_after"].native
        if not start <= now <= end:
            raise CertificateNotUsable(
                f"Chứng thư số của “{cert.subject.human_friendly}” chỉ có hiệu lực từ "
                f"{start.astimezone(self._zone):%d/%m/%Y} đến "
                f"{end.astimezone(self._zone):%d/%m/%Y}; "
                "hãy dùng chứng thư còn hiệu lực.")

    def _place(self, pdf: bytes, writer: Any, appearance: Appearance | None,
               now: dt.datetime) -> Placement | None:
        if appearance is None:
            return None
        if isinstance(appearance, InfoLine):
            width, height = _page_size(writer, 0)
            return place_info_line(appearance, page_width=width, page_height=height,
                                   signing_time=now)
        page_count = int(writer.root["/Pages"]["/Count"])
        block = locate_block(pdf, appearance, page_count)
        if isinstance(appearance, SignatureImage):
            return place_signature(appearance, block)
        if isinstance(appearance, SealImage):
            return place_seal(appearance, block, _person_field_box(writer, block))
        raise AppearanceError(f"Kiểu hiển thị chữ ký không hỗ trợ: {type(appearance).__name__}")

    @property
    def backend(self) -> Any:
        """The pyHanko signer underneath (the sign agent signs digests with it)."""
        return self._backend

    @property
    def certificate_der(self) -> bytes:
        """The signing certificate in DER (to check whose it is before signing)."""
        try:
            cert = self._backend.signing_cert
        except Exception as exc:  # the token raises its own error kinds
            raise KeyUnavailable(f"Không lấy được chứng thư số từ khoá: {exc!r}") from exc
        if cert is None:
            raise KeyUnavailable("Không tìm thấy chứng thư số của khoá ký.")
        return bytes(cert.dump())

    def prepare_external(self, pdf: bytes, *, appearance: Appearance | None, reason: str,
                         location: str | None = None, field_name: str | None = None,
                         ) -> tuple[bytes, Any]:
        """The PDF with the signature field and a hole for the CMS, and pyHanko's
        ``PreparedByteRangeDigest`` (the digest an external signer signs); the backend is a
        ``pyhanko.sign.signers.ExternalSigner`` carrying only the certificate."""
        import asyncio

        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.misc import PdfReadError

        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        except (PdfReadError, ValueError) as exc:
            raise SigningError(f"Tệp cần ký không phải PDF hợp lệ: {exc}") from exc
        now = dt.datetime.now(self._zone).replace(microsecond=0)
        self._check_certificate(now)
        placement = self._place(pdf, writer, appearance, now)
        name = field_name or _free_field_name(writer, _default_field(appearance))
        pdf_signer = self._pdf_signer(placement, name=name, reason=reason, location=location,
                                      now=now)
        prep, _tbs, output = asyncio.run(pdf_signer.async_digest_doc_for_signing(
            writer, bytes_reserved=_RESERVED_HEX))
        return bytes(output.getvalue()), prep

    def _pdf_signer(self, placement: Placement | None, *, name: str, reason: str,
                    location: str | None, now: dt.datetime) -> Any:
        from pyhanko.sign import fields, signers, timestamps

        meta = signers.PdfSignatureMetadata(
            field_name=name, reason=reason, location=location, md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
        )
        field_spec = None
        style = None
        if placement is not None:
            box: Any = tuple(round(v, 2) for v in placement.box)
            field_spec = fields.SigFieldSpec(sig_field_name=name, on_page=placement.page, box=box)
            style = _image_style(placement)
        timestamper = timestamps.HTTPTimeStamper(self._tsa_url) if self._tsa_url else None
        return _fixed_time_signer_class()(
            meta, signer=self._backend, timestamper=timestamper, stamp_style=style,
            new_field_spec=field_spec, signing_time=now,
        )

    def _sign(self, writer: Any, placement: Placement | None, *, name: str, reason: str,
              location: str | None, now: dt.datetime, reserved: int | None) -> bytes:
        from pyhanko.sign import timestamps
        from pyhanko.sign.general import SigningError as PyHankoSigningError

        pdf_signer = self._pdf_signer(placement, name=name, reason=reason, location=location,
                                      now=now)
        try:
            out = pdf_signer.sign_pdf(writer, bytes_reserved=reserved)
        except timestamps.TimestampRequestError as exc:
            raise TimestampUnavailable(
                f"Máy chủ cấp dấu thời gian {self._tsa_url} không trả lời: {exc}") from exc
        except PyHankoSigningError as exc:
            if reserved is not None and "larger than expected" in str(exc):
                raise _ReservationTooSmall from exc
            raise SigningError(f"pyHanko không ký được: {exc}") from exc
        except Exception as exc:
            if type(exc).__module__.startswith("pkcs11"):
                raise KeyUnavailable(f"Token không ký được: {exc!r}") from exc
            raise
        return bytes(out.getvalue())


def _default_field(appearance: Appearance | None) -> str:
    if isinstance(appearance, SignatureImage):
        return PERSON_FIELD
    if isinstance(appearance, SealImage | InfoLine):
        return ORGANIZATION_FIELD
    return PLAIN_FIELD


def _free_field_name(writer: Any, base: str) -> str:
    from pyhanko.sign.fields import enumerate_sig_fields

    taken = {name for name, _, _ in enumerate_sig_fields(writer.prev)}
    if base not in taken:
        return base
    return next(f"{base}_{n}" for n in range(2, len(taken) + 3) if f"{base}_{n}" not in taken)


def _page_size(writer: Any, page: int) -> tuple[float, float]:
    page_obj = writer.prev.find_page_for_modification(page)[0].get_object()
    box = page_obj.get("/MediaBox") or writer.root["/Pages"].get("/MediaBox")
    x0, y0, x1, y1 = (float(v) for v in box)
    return x1 - x0, y1 - y0


def _person_field_box(writer: Any, block: Any) -> tuple[float, float, float, float] | None:
    """The widget box of the person's signature already in the file, if it sits in ``block``."""
    from pyhanko.sign.fields import enumerate_sig_fields

    for _name, value, ref in enumerate_sig_fields(writer.prev, filled_status=True):
        field = ref.get_object()
        rect = field.get("/Rect")
        if value is None or rect is None:
            continue
        x0, y0, x1, y1 = (float(v) for v in rect)
        if x1 - x0 > 0 and block.name.y1 <= (y0 + y1) / 2 <= block.title.y0:
            return (x0, y0, x1, y1)
    return None


def _image_style(placement: Placement) -> Any:
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.stamp import StaticStampStyle

    return StaticStampStyle(
        background=PdfImage(_decoded(placement.image.png)),
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
            margins=cast(Any, layout.Margins).uniform(0),
            inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
        ),
    )


@lru_cache(maxsize=16)
def _decoded(png: bytes) -> Any:
    """The decoded image; the same signature or seal is drawn on every document."""
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(png))
        img.load()
    except OSError as exc:
        raise AppearanceError(f"Không đọc được hình ảnh chữ ký/con dấu: {exc}") from exc
    return img if img.mode in ("RGBA", "LA", "P", "PA") else img.convert("RGBA")
