"""The keys the web server may use, and for whom.

- A leader's own token, for their own signature only: the server holds tokens (SoftHSM2 or an
  HSM behind ``CONGVAN_PKCS11_MODULE``) and picks the one carrying a certificate registered to
  the signed-in leader (:func:`signing.keyring.find_token`); the PIN the leader typed on the
  page opens it for this one request. The PIN is never stored, logged or echoed back, and the
  signing service checks again that the certificate is the leader's own.
- The organisation's key, for issuing only, is not here: the issue page and the JSON API both
  call ``workflows.issuance.issue_by_clerk``, which opens it from the settings once per
  process (``organization_keys``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from congvan.settings import Settings
from registry import audit
from registry.clock import to_local
from registry.db import transaction
from registry.models import AuditEvent, Person
from signing import certificates, keyring, pkcs12
from signing.errors import BadPassword, KeyUnavailable
from signing.keyring import KeySource

PIN_MAX = 64  # PKCS#11 PINs are short; a longer field is refused before the token is asked
# A server-held token that never locks (SoftHSM2 does not) must not be open to guessing from a
# stolen session: after PIN_TRIES wrong PINs within PIN_WINDOW the page stops asking the token.
PIN_TRIES = 5
PIN_WINDOW = timedelta(minutes=15)
PIN_REFUSED = "pin_refused"


def person_token(*, session: Session, settings: Settings, actor: Person, pin: str) -> KeySource:
    """The token holding ``actor``'s registered certificate, to be opened with ``pin``."""
    if not pin:
        raise BadPassword("Chưa nhập mã PIN token: gõ mã PIN của token rồi bấm Ký số.")
    if settings.pkcs11_module is None:
        raise KeyUnavailable(
            "Máy chủ chưa giữ token nào (chưa đặt CONGVAN_PKCS11_MODULE): hãy ký qua tác tử ký "
            "(congvan sign-agent) trên máy của mình, hoặc nhờ quản trị cấu hình token.")
    rows = certificates.usable_of(session=session, person=actor)
    if not rows:
        raise KeyUnavailable(
            f"{actor.full_name} chưa có chứng thư số còn hiệu lực đăng ký trong hệ thống; nhờ "
            "quản trị đăng ký chứng thư (congvan keys register) rồi ký lại.")
    match = keyring.find_token(settings.pkcs11_module, [r.fingerprint for r in rows])
    if match is None:
        raise KeyUnavailable(
            f"Máy chủ không giữ token nào mang chứng thư số của {actor.full_name}; hãy ký qua "
            "tác tử ký (congvan sign-agent) trên máy có token của mình.")
    if match.key_id is not None:
        return KeySource.pkcs11(module=settings.pkcs11_module, token_label=match.token_label,
                                pin=pin, key_id=match.key_id)
    return KeySource.pkcs11(module=settings.pkcs11_module, token_label=match.token_label,
                            pin=pin, key_label=match.cert_label, cert_label=match.cert_label)


def require_pin_tries_left(*, session: Session, actor: Person,
                           now: datetime | None = None) -> None:
    """BadPassword when ``actor`` typed a wrong PIN PIN_TRIES times within PIN_WINDOW."""
    moment = to_local(now or datetime.now(UTC))
    recent = session.scalars(select(AuditEvent.at).where(
        AuditEvent.actor_id == actor.id, AuditEvent.action == PIN_REFUSED)
        .order_by(AuditEvent.id.desc()).limit(PIN_TRIES)).all()
    inside = [at for at in recent if moment - to_local(at) < PIN_WINDOW]
    if len(inside) >= PIN_TRIES:
        wait = PIN_WINDOW - (moment - to_local(min(inside)))
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        raise BadPassword(
            f"Đã nhập sai mã PIN {PIN_TRIES} lần trong {PIN_WINDOW.seconds // 60} phút: tạm "
            f"ngừng ký bằng mã PIN của {actor.full_name} thêm {minutes} phút để bảo vệ token. "
            "Có thể ký qua tác tử ký (congvan sign-agent) trên máy của mình.")


def record_pin_refused(*, document_id: int, actor_id: int) -> None:
    """Keep a wrong PIN on the audit trail, in its own transaction (the signing one rolled
    back): it counts towards :func:`require_pin_tries_left`. The PIN itself is not kept."""
    with transaction() as session:
        who = session.get(Person, actor_id)
        audit.record(session=session, action=PIN_REFUSED, object_type="document",
                     object_id=document_id, actor=who)


def signature_png(settings: Settings, actor: Person) -> Path:
    """The person's signature image: ``people/<key>/signature.png``, else the shared one."""
    assert settings.keys_dir is not None
    return pkcs12.person_signature_png(settings.keys_dir, actor.key)
