"""Is the certificate that signed an incoming edXML envelope trusted? The same answer as for a
PAdES signature in ``congvan verify``.

The outbox verifies the XML-DSig math (:mod:`outbox.edxml.verify`) and asks this module about
the signer's certificate through its ``SignerTrust`` protocol. The checks are pyhanko-
certvalidator's — the validator ``congvan verify`` runs on PDFs — with the same trust anchors
(``CONGVAN_TRUST_ROOTS``, read by :func:`signing.verify.load_trust_roots`):

* a path from the certificate to a trust anchor, through the other certificates the message
  carries, each valid when the message reached us (there is no trusted timestamp in an
  edXML envelope, so — as for a PAdES signature without one — a certificate expired by then
  is refused);
* the signer's certificate valid at the signing time the message claims (its sender's
  TraceHeader, never later than the arrival);
* key usage allowing signatures (digitalSignature or nonRepudiation), as pyHanko asks of a
  PAdES signer;
* revocation as the PAdES path does it: nothing fetched from the network (no CRL/OCSP
  download), so only what the validator is given locally counts.

Why not signxml's own chain check: signxml 4+ builds the chain with cryptography's web-PKI
verifier (``PolicyBuilder``), at one moment only, with its own key-usage policy and CA
bundle default (certifi). Two validators would give two answers to "is this signer trusted";
one (pyhanko-certvalidator) gives one, for PDFs and envelopes alike.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from signing.verify import load_trust_roots

SIGNING_KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})


def _day(moment: dt.datetime) -> str:
    from registry.clock import to_local

    return f"{to_local(moment):%d/%m/%Y}"


class CertificateTrust:
    """Trust anchors and the checks of ``congvan verify``, for XML-DSig signers."""

    def __init__(self, roots: Sequence[bytes]) -> None:
        from signing.verify import certificates

        self._roots = certificates(roots)

    @classmethod
    def from_paths(cls, paths: Sequence[Path | str]) -> CertificateTrust | None:
        """The trust of the anchor files named (``CONGVAN_TRUST_ROOTS``); None when none are."""
        roots = load_trust_roots(paths)
        return cls(roots) if roots else None

    def check(self, *, certificate: bytes, others: Sequence[bytes], signed_at: dt.datetime,
              received_at: dt.datetime) -> str | None:
        """None when trusted; otherwise why not, in Vietnamese, naming the certificate."""
        from asn1crypto import x509

        try:
            cert = x509.Certificate.load(certificate)
            chain = [x509.Certificate.load(der) for der in others]
            name = cert.subject.human_friendly
            start, end = cert.not_valid_before, cert.not_valid_after
        except ValueError as error:
            return f"chứng thư số trong chữ ký không đọc được ({error})"
        if not start <= signed_at <= end:
            return (f"chứng thư số «{name}» không có hiệu lực lúc ký ({_day(signed_at)}); hiệu "
                    f"lực từ {_day(start)} đến {_day(end)}")
        return asyncio.run(self._path(cert, chain, name, received_at))

    async def _path(self, cert: Any, chain: list[Any], name: str,
                    moment: dt.datetime) -> str | None:
        from pyhanko.sign.validation.settings import KeyUsageConstraints
        from pyhanko_certvalidator import CertificateValidator, ValidationContext
        from pyhanko_certvalidator.errors import (
            ExpiredError,
            InvalidCertificateError,
            NotYetValidError,
            PathBuildingError,
            PathValidationError,
            RevokedError,
        )

        from signing.verify import quiet_validator

        context = ValidationContext(trust_roots=self._roots, other_certs=chain,
                                    allow_fetching=False, moment=moment)
        validator = CertificateValidator(cert, intermediate_certs=chain,
                                         validation_context=context)
        issuer = cert.issuer.human_friendly
        untrusted = f"chứng thư số «{name}» không dẫn tới chứng thư gốc tin cậy nào"
        try:
            with quiet_validator():
                path = await validator.async_validate_path()
        except PathBuildingError:
            return (f"{untrusted}: tổ chức chứng thực «{issuer}» chưa được tin cậy "
                    "(CONGVAN_TRUST_ROOTS)")
        except RevokedError as error:
            return f"chứng thư số «{name}» đã bị thu hồi ({error})"
        except (ExpiredError, NotYetValidError):
            return (f"chứng thư số «{name}» (hoặc chứng thư cấp trên) không còn hiệu lực lúc nhận "
                    f"gói ({_day(moment)}); hiệu lực từ {_day(cert.not_valid_before)} đến "
                    f"{_day(cert.not_valid_after)}")
        except InvalidCertificateError as error:
            if cert.self_signed in ("yes", "maybe"):
                return f"{untrusted}: chứng thư tự ký, không do tổ chức chứng thực nào cấp"
            return f"chứng thư số «{name}» không hợp lệ ({error})"
        except PathValidationError as error:
            if "signature" in str(error):
                return (f"{untrusted}: chứng thư ghi do «{issuer}» cấp nhưng chữ ký trên nó không "
                        "phải của chứng thư gốc tin cậy cùng tên (CA giả mạo hoặc chưa được tin "
                        "cậy)")
            return f"chuỗi chứng thư của «{name}» không hợp lệ ({error})"
        if path.pkix_len == 0:
            return None  # the signer's certificate is itself an anchor: trusted as configured
        try:
            KeyUsageConstraints(key_usage=SIGNING_KEY_USAGE).validate(cert)
        except InvalidCertificateError:
            return (f"chứng thư số «{name}» không được phép dùng để ký (KeyUsage thiếu "
                    "digitalSignature và nonRepudiation)")
        return None
