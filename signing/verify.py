"""Verify the signatures in a PDF: who signed, when, intact, trusted, and what they cover."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from registry.clock import VIETNAM
from signing.errors import VerificationError
from signing.integrity import Finding

# pyHanko's names for what changed after a signed revision, in Vietnamese.
CHANGE_LABELS = {
    "NONE": "không có thay đổi",
    "LTA_UPDATES": "chỉ thêm dữ liệu xác thực dài hạn (DSS, dấu thời gian)",
    "FORM_FILLING": "chỉ thêm chữ ký số hoặc điền biểu mẫu",
    "ANNOTATIONS": "thêm chú thích (annotation)",
    "OTHER": "thay đổi nội dung khác (ví dụ nội dung trang)",
}
_ALLOWED_CHANGES = {"NONE", "LTA_UPDATES", "FORM_FILLING"}


@dataclass(frozen=True)
class SignatureReport:
    """What one signature in the file says and whether it holds."""

    field_name: str
    signer: str
    organization: str | None
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    certificate_valid_from: dt.datetime
    certificate_valid_to: dt.datetime
    intact: bool
    valid: bool
    trusted: bool
    coverage: str  # entire_file | entire_revision | unclear
    revision: int
    revisions: int
    later_changes: str | None  # a key of CHANGE_LABELS when coverage is entire_revision
    problems: list[str] = field(default_factory=list)
    certificate_sha256: str = ""

    @property
    def ok(self) -> bool:
        """True when nothing is wrong with this signature."""
        return not self.problems

    @property
    def coverage_text(self) -> str:
        """What the signature covers, in Vietnamese."""
        if self.coverage == "entire_file":
            return "toàn bộ tệp"
        if self.coverage == "entire_revision":
            change = CHANGE_LABELS.get(self.later_changes or "", self.later_changes or "?")
            return f"bản {self.revision}/{self.revisions}; sau đó: {change}"
        return "không rõ (chữ ký không phủ một bản trọn vẹn)"


@dataclass(frozen=True)
class VerificationReport:
    """Every signature of one PDF, in signing order, and the profile's findings."""

    signatures: list[SignatureReport]
    profile: str = "any"
    findings: list[Finding] = field(default_factory=list)
    registry: list[str] = field(default_factory=list)  # registry cross-check problems
    registry_notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every signature is intact, valid, trusted and covers what it should,
        the profile found nothing, and the registry (if consulted) agrees."""
        return (bool(self.signatures) and all(s.ok for s in self.signatures)
                and not self.findings and not self.registry)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 in Vietnam time)."""
        def conv(value: Any) -> Any:
            if isinstance(value, dt.datetime):
                return value.astimezone(VIETNAM).isoformat()
            if isinstance(value, dict):
                return {k: conv(v) for k, v in value.items()}
            if isinstance(value, list):
                return [conv(v) for v in value]
            return value

        return {
            "ok": self.ok,
            "profile": self.profile,
            "findings": [{"kind": f.kind, "label": f.label, "message": f.message}
                         for f in self.findings],
            "registry": {"problems": self.registry, "notes": self.registry_notes},
            "signatures": [
                conv(asdict(s)) | {"ok": s.ok, "coverage_text": s.coverage_text}
                for s in self.signatures
            ],
        }


_quiet_lock = threading.Lock()
_quiet: list[Any] = [0, []]  # how many threads are inside, the levels to restore


@contextlib.contextmanager
def quiet_validator() -> Iterator[None]:
    """Keep pyHanko's validator tracebacks out of the user's terminal: we report them.

    Thread-safe (web processes validate in several threads): the levels are lowered by the
    first thread in and restored by the last one out."""
    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    with _quiet_lock:
        if _quiet[0] == 0:
            _quiet[1] = [lg.level for lg in loggers]
            for lg in loggers:
                lg.setLevel(logging.CRITICAL + 1)
        _quiet[0] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet[0] -= 1
            if _quiet[0] == 0:
                for lg, level in zip(loggers, _quiet[1], strict=True):
                    lg.setLevel(level)


def load_trust_roots(paths: Sequence[Path | str]) -> list[bytes]:
    """Read PEM or DER certificate files to pass as ``trust_roots``."""
    roots = []
    for path in paths:
        try:
            roots.append(Path(path).read_bytes())
        except OSError as exc:
            raise VerificationError(
                f"Không đọc được chứng thư gốc {path}: {exc.strerror}") from exc
    return roots


def certificates(blobs: Sequence[bytes]) -> list[Any]:
    """asn1crypto certificates from PEM (one or several) or DER blobs: the trust anchors."""
    from asn1crypto import pem, x509

    out: list[Any] = []
    for blob in blobs:
        if pem.detect(blob):
            out.extend(x509.Certificate.load(der) for _, _, der in pem.unarmor(blob, multiple=True))
        else:
            out.append(x509.Certificate.load(blob))
    return out


PROFILES = ("nd30", "any")
MAX_PDF_BYTES = 256 * 2**20


def verify_pdf(pdf: bytes, *, trust_roots: Sequence[bytes] = (),
               now: dt.datetime | None = None, profile: str = "any") -> VerificationReport:
    """Validate every signature in ``pdf`` against ``trust_roots`` (PEM or DER certificates).

    ``profile="nd30"`` also requires exactly the issued-document revisions
    (:mod:`signing.integrity`); ``"any"`` is the generic PAdES check. Raises
    :class:`VerificationError` when the file is not a PDF, is too deeply nested to read,
    or has no signature.
    """
    import sys

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko_certvalidator import ValidationContext

    from signing import integrity

    if profile not in PROFILES:
        raise VerificationError(f"Hồ sơ kiểm tra '{profile}' không có; dùng nd30 hoặc any.")
    if len(pdf) > MAX_PDF_BYTES:
        raise VerificationError(f"Tệp quá lớn để kiểm tra ({len(pdf) // 2**20} MB; tối đa "
                                f"{MAX_PDF_BYTES // 2**20} MB).")
    if pdf[:1024].find(b"%PDF-") < 0:
        raise VerificationError("Tệp không phải PDF (không bắt đầu bằng %PDF-).")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, 2000))
    try:
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            embedded = list(reader.embedded_signatures)
        except RecursionError as exc:
            raise VerificationError("Tệp PDF lồng đối tượng quá sâu, không đọc được (có thể là "
                                    "tệp cố ý làm hỏng).") from exc
        except Exception as exc:  # any parse failure of a hostile file is a finding
            raise VerificationError(f"Tệp không phải PDF đọc được: {exc}") from exc
        if not embedded:
            raise VerificationError("Tệp PDF không có chữ ký số nào.")
        roots = certificates(trust_roots)
        revisions = reader.xrefs.total_revisions
        reports = []
        with quiet_validator():
            for sig in embedded:
                context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                            moment=now)
                reports.append(_report(sig, context, revisions, bool(roots), now))
        findings: list[Finding] = []
        if profile == "nd30":
            try:
                findings = integrity.check(pdf, reader)
            except RecursionError as exc:
                raise VerificationError("Tệp PDF lồng đối tượng quá sâu, không kiểm tra "
                                        "được.") from exc
            except VerificationError:
                raise
            except Exception as exc:  # a hostile structure we cannot compare is refused
                findings = [integrity.Finding("content_change",
                                              f"Không phân tích được các bản cập nhật: {exc}")]
    finally:
        sys.setrecursionlimit(limit)
    return VerificationReport(signatures=reports, profile=profile, findings=findings)


def _report(sig: Any, context: Any, revisions: int, have_roots: bool,
            now: dt.datetime | None) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        status = validate_pdf_signature(sig, signer_validation_context=context)
    except Exception as exc:  # a damaged signature is a finding, not a crash
        return _broken(sig, revisions, exc)
    cert = status.signing_cert
    subject = cert.subject.native
    validity = cert["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    ts = status.timestamp_validity.timestamp if status.timestamp_validity else None
    coverage = status.coverage.name.lower() if status.coverage else "unclear"
    later = status.modification_level.name if status.modification_level else None
    report = SignatureReport(
        field_name=sig.field_name,
        signer=subject.get("common_name", cert.subject.human_friendly),
        organization=subject.get("organization_name"),
        signing_time=_vn(status.signer_reported_dt),
        timestamp_time=_vn(ts),
        certificate_valid_from=start.astimezone(VIETNAM),
        certificate_valid_to=end.astimezone(VIETNAM),
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        coverage=coverage,
        revision=sig.signed_revision + 1,
        revisions=revisions,
        later_changes=later if coverage == "entire_revision" else None,
        certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
    )
    report.problems.extend(_problems(report, status, have_roots, now))
    return report


def _problems(r: SignatureReport, status: Any, have_roots: bool,
              now: dt.datetime | None) -> Iterator[str]:
    if not r.intact:
        yield "Nội dung đã bị thay đổi sau khi ký (chữ ký không còn khớp với tệp)."
    elif not r.valid:
        yield "Chữ ký số không hợp lệ về mặt mật mã."
    moment = r.timestamp_time or r.signing_time or now or dt.datetime.now(dt.UTC)
    if not r.certificate_valid_from <= moment <= r.certificate_valid_to:
        yield ("Chứng thư số không còn hiệu lực lúc ký (hiệu lực "
               f"{r.certificate_valid_from:%d/%m/%Y} – {r.certificate_valid_to:%d/%m/%Y}).")
    elif r.certificate_valid_to < (now or dt.datetime.now(dt.UTC)) and r.timestamp_time is None:
        yield (f"Chứng thư số đã hết hạn ngày {r.certificate_valid_to:%d/%m/%Y} và chữ ký không có "
               "dấu thời gian để chứng minh đã ký khi còn hạn.")
    if not have_roots:
        yield "Chưa cấu hình chứng thư gốc tin cậy (--trust-root): chưa kiểm tra chuỗi chứng thư."
    elif not r.trusted:
        reason = status.trust_problem_indic.name if status.trust_problem_indic else "không rõ"
        yield f"Chuỗi chứng thư không dẫn tới chứng thư gốc tin cậy nào ({reason})."
    if r.coverage == "unclear":
        yield "Chữ ký không phủ trọn một bản của tệp."
    elif r.coverage == "entire_revision" and r.later_changes not in _ALLOWED_CHANGES:
        change = CHANGE_LABELS.get(r.later_changes or "", r.later_changes)
        yield f"Tệp đã bị sửa sau khi ký: {change}."


def _broken(sig: Any, revisions: int, exc: Exception) -> SignatureReport:
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return SignatureReport(
        field_name=sig.field_name, signer="?", organization=None, signing_time=None,
        timestamp_time=None, certificate_valid_from=epoch, certificate_valid_to=epoch,
        intact=False, valid=False, trusted=False, coverage="unclear",
        revision=sig.signed_revision + 1, revisions=revisions, later_changes=None,
        problems=[f"Không kiểm tra được chữ ký: {exc}"],
    )


def _vn(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(VIETNAM) if value is not None else None


_quiet_validator = quiet_validator  # the name bench/signing.py used
_certs = certificates  # the name bench/signing.py used
