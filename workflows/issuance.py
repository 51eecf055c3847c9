"""The tools issuing needs in a flow: a warm PDF converter, the organisation's key, and — for
demo and test runs whose leaders' decisions are recorded data — the leaders' own keys.

Issuing (:func:`signing.issuing.issue`) no longer holds the person's key: it
fills the number and date into the PDF the person signed and applies the
organisation's signature. In a flow, a leader's recorded decision
(``drafting.decide``) leaves the document "signed" without a PDF; before
issuing, :func:`sign_for_signer` has that leader sign the final PDF with their
own key from ``keys_dir/people/<person key>/signer.p12`` (the demo CA gives a
person who signs for the first time a certificate of their own, registered to
them). ``keys_dir`` holds ``organization.p12`` and ``seal.png`` (``congvan keys
dev-ca`` writes them); the password is read from ``CONGVAN_KEY_PASSWORD``, never
from a flow parameter (Prefect records parameters). A process whose
organisation key is on a PKCS#11 token passes a
:class:`signing.keyring.KeySource` to :func:`opened`. Tools are process-wide,
not per-thread, because Prefect runs tasks in worker threads.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import PermissionDenied, ValidationError
from registry.models import Delivery, Document, DocumentStatus, Person, SigningCertificate
from signing import certificates, issuing, keyring, keys, person, pkcs12
from signing.issuing import Issued, IssuingKeys
from signing.keyring import KeySource
from signing.person import PdfConverterLike
from signing.signer import PadesSigner

if TYPE_CHECKING:
    from registry.settings import Settings

PASSWORD_ENV = "CONGVAN_KEY_PASSWORD"


@dataclass
class PersonKeys:
    """The leaders' own demo keys under ``keys_dir/people/<key>/`` (opened on first use)."""

    keys_dir: Path
    password: str
    tsa_url: str | None = None
    _open: dict[str, PadesSigner] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def signer_for(self, session: Session, who: Person) -> PadesSigner:
        """``who``'s own signer; a demo certificate is issued and registered to them the first
        time (the demo CA only)."""
        with self._lock:
            if who.key not in self._open:
                p12 = pkcs12.person_p12(self.keys_dir, who.key)
                if not p12.is_file():
                    # Two worker processes issuing for the same leader at once: one creates
                    # the key, the other waits and opens that one (not a second key).
                    with _file_lock(self.keys_dir / "people" / f".{who.key}.lock"):
                        if not p12.is_file():
                            keys.issue_person(self.keys_dir, password=self.password,
                                              person_key=who.key, full_name=who.full_name)
                signer = KeySource.pkcs12(p12, self.password).open(tsa_url=self.tsa_url)
                self._open[who.key] = signer
            signer = self._open[who.key]
        has_own = session.scalar(select(SigningCertificate.id).where(
            SigningCertificate.person_id == who.id).limit(1))
        if has_own is None:
            certificates.register(session=session, certificate=signer.certificate_der,
                                  actor=None, person=who)
        return signer

    def close(self) -> None:
        """End every opened key."""
        for signer in self._open.values():
            signer.close()
        self._open.clear()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (flock; created if missing)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Tools:
    """A converter, the organisation's signer and seal, and the leaders' own demo keys."""

    converter: PdfConverterLike
    keys: IssuingKeys
    people: PersonKeys | None = None

    def sign_for_signer(self, *, session: Session, doc: Document, files_root: Path,
                        on: date | None = None) -> None:
        """See :func:`sign_for_signer`."""
        sign_for_signer(session=session, doc=doc, tools=self, files_root=files_root, on=on)


def sign_for_signer(*, session: Session, doc: Document, tools: Tools, files_root: Path,
                    on: date | None = None) -> None:
    """Have the leader who decided sign the final PDF with their own key, if not yet done."""
    if doc.status is not DocumentStatus.SIGNED or person.person_signature(
            session=session, document_id=doc.id) is not None:
        return
    if tools.people is None or doc.signer is None:
        raise ValidationError(
            f"văn bản #{doc.id} đã được quyết định ký nhưng chưa có chữ ký số của người ký; "
            "người ký chạy `congvan draft sign`", field="document_id")
    who = doc.signer
    signer = tools.people.signer_for(session, who)
    image = keyring.signature_image(pkcs12.person_signature_png(tools.people.keys_dir, who.key))
    person.sign_with_key(session=session, document_id=doc.id, actor=who, signer=signer,
                         signature=image, converter=tools.converter, files_root=files_root,
                         today=on)


_lock = threading.Lock()
_installed: list[Tools] = []
_opened: dict[tuple[str, str], Tools] = {}
# The organisation's key named in the settings (.p12 or token), set by workflows.flow_env.
_configured: list[KeySource] = []


def configure(*, organization: KeySource | None) -> None:
    """Issue with this organisation key (from the settings) instead of keys_dir's .p12."""
    with _lock:
        _configured[:] = [organization] if organization is not None else []


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
def opened(*, keys_dir: Path, password: str | None = None,
           organization: KeySource | None = None, soffice: str = "soffice",
           tsa_url: str | None = None) -> Iterator[Tools]:
    """Start a warm LibreOffice and open the organisation's key, for the block.

    ``keys_dir`` holds seal.png and, unless ``organization`` is given, organization.p12
    opened with ``password``; with a password, the leaders' demo keys under
    ``keys_dir/people`` are available to :func:`sign_for_signer`.
    """
    from doc_templates.pdf import PdfConverter

    keys_dir = Path(keys_dir)
    people = PersonKeys(keys_dir, password, tsa_url) if password else None
    try:
        with keyring.opened_keys(
                organization=organization or _p12(keys_dir / pkcs12.ORGANIZATION_P12, password),
                seal_png=keys_dir / pkcs12.SEAL_PNG, tsa_url=tsa_url) as org_keys, \
                PdfConverter(soffice) as converter, \
                using(Tools(converter, org_keys, people)) as t:
            yield t
    finally:
        if people is not None:
            people.close()


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
                "chưa cấu hình khoá ký số để ban hành: đặt CONGVAN_KEYS_DIR (mặc định "
                "CONGVAN_HOME/keys: organization.p12 và seal.png, tạo bằng `congvan keys "
                "dev-ca`) hoặc CONGVAN_ORG_P12 / CONGVAN_ORG_TOKEN", field="CONGVAN_KEYS_DIR")
        key = (str(Path(keys_dir).resolve()), soffice)
        if key not in _opened:
            password = os.environ.get(PASSWORD_ENV)
            organization = _configured[0] if _configured else None
            if organization is None and not password:
                raise ValidationError(
                    f"chưa có mật khẩu tệp khoá: đặt biến môi trường {PASSWORD_ENV}",
                    field=PASSWORD_ENV)
            needed = (pkcs12.SEAL_PNG,) if organization else (pkcs12.ORGANIZATION_P12,
                                                               pkcs12.SEAL_PNG)
            for name in needed:
                if not (Path(keys_dir) / name).is_file():
                    raise ValidationError(
                        f"không có tệp {Path(keys_dir) / name}: đặt CONGVAN_KEYS_DIR (hoặc "
                        "CONGVAN_HOME) tới thư mục khoá, hoặc CONGVAN_ORG_P12 / CONGVAN_ORG_TOKEN",
                        field="CONGVAN_KEYS_DIR")
            from doc_templates.pdf import PdfConverter

            org_keys = keyring.issuing_keys(
                organization=organization or _p12(Path(keys_dir) / pkcs12.ORGANIZATION_P12,
                                                  password),
                seal_png=Path(keys_dir) / pkcs12.SEAL_PNG)
            atexit.register(keyring.close, org_keys)
            people = PersonKeys(Path(keys_dir), password) if password else None
            if people is not None:
                atexit.register(people.close)
            converter = PdfConverter(soffice).__enter__()
            atexit.register(converter.__exit__, None, None, None)
            _opened[key] = Tools(converter, org_keys, people)
        return _opened[key]


# The organisation's key of this process, opened once from the settings (web processes), with
# the token generation it was opened in (keyring.refresh_tokens ends the sessions of older ones).
_org_keys: dict[tuple[str, ...], tuple[int, IssuingKeys]] = {}


def organization_source(cfg: Settings) -> KeySource:
    """The organisation's key the settings name: CONGVAN_ORG_TOKEN (+ CONGVAN_ORG_PIN), else
    CONGVAN_ORG_P12, else KEYS_DIR/organization.p12 (both + CONGVAN_KEY_PASSWORD)."""
    if cfg.org_token:
        if cfg.org_pin is None or cfg.pkcs11_module is None:
            missing = "CONGVAN_ORG_PIN" if cfg.org_pin is None else "CONGVAN_PKCS11_MODULE"
            raise ValidationError(f"CONGVAN_ORG_TOKEN được đặt nhưng thiếu {missing} trong môi "
                                  "trường của tiến trình ban hành", field=missing)
        return KeySource.pkcs11(module=cfg.pkcs11_module, token_label=cfg.org_token,
                                pin=cfg.org_pin.get_secret_value(),
                                key_label=cfg.org_key_label, cert_label=cfg.org_cert_label)
    assert cfg.keys_dir is not None
    path = cfg.org_p12 or cfg.keys_dir / pkcs12.ORGANIZATION_P12
    if cfg.key_password is None:
        raise ValidationError(f"chưa có mật khẩu tệp khoá cơ quan {path}: đặt "
                              "CONGVAN_KEY_PASSWORD (hoặc CONGVAN_ORG_TOKEN và CONGVAN_ORG_PIN) "
                              "trong môi trường của tiến trình ban hành",
                              field="CONGVAN_KEY_PASSWORD")
    return KeySource.pkcs12(path, cfg.key_password.get_secret_value())


def organization_keys(cfg: Settings) -> IssuingKeys:
    """The organisation's key and seal for this process, opened on first use and kept (closed
    at exit). Issuing needs no LibreOffice: the person's PDF was rendered at signing."""
    source = organization_source(cfg)
    assert cfg.keys_dir is not None
    key = (source.describe(), str(cfg.keys_dir), cfg.tsa_url or "")
    generation = keyring.token_generation(source.module)
    with _lock:
        kept = _org_keys.get(key)
        if kept is None or kept[0] != generation:
            if kept is not None:  # its token session ended when the library was refreshed
                keyring.close(kept[1])
            opened = keyring.issuing_keys(organization=source,
                                          seal_png=cfg.keys_dir / pkcs12.SEAL_PNG,
                                          tsa_url=cfg.tsa_url)
            atexit.register(keyring.close, opened)
            _org_keys[key] = (generation, opened)
        return _org_keys[key][1]


def issue_by_clerk(*, session: Session, document_id: int, actor: Person, cfg: Settings,
                   no_delivery: bool = False, skip_unreachable: bool = False,
                   keys: IssuingKeys | None = None) -> tuple[Issued, list[Delivery]]:
    """The văn thư issues a signed document of their own organisation: number, date, the
    organisation's signature, files, register, and the deliveries — in ``session``'s
    transaction (nothing is consumed if it rolls back). What the web page and the JSON API
    call; returns the issued document and the deliveries queued."""
    from outbox import recipients as delivery
    from registry import documents
    from signing.approvals import require_status

    doc = documents.get(session=session, document_id=document_id)
    if not actor.has_role("clerk") or actor.organization_id != doc.issuer_id:
        raise PermissionDenied(f"{actor.full_name} không phải văn thư của cơ quan ban hành văn "
                               f"bản #{doc.id}; chỉ văn thư của cơ quan đó cấp số và ban hành")
    require_status(doc, {DocumentStatus.SIGNED}, "ban hành")
    # Refuse what would reach nobody before a key is used or a number taken.
    delivery.check(delivery.plan(session=session, document_id=document_id),
                   no_delivery=no_delivery, skip_unreachable=skip_unreachable)
    queued: list[Delivery] = []
    assert cfg.files_dir is not None
    issued = issuing.issue(
        session=session, document_id=document_id, actor=actor,
        keys=keys or organization_keys(cfg), files_root=cfg.files_dir,
        on_issued=delivery.on_issued(no_delivery=no_delivery, actor=actor,
                                     skip_unreachable=skip_unreachable, queued=queued))
    return issued, queued
