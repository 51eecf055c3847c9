"""Keys for the web signing tests (no tests here): a demo CA for the scenario's body, the
leaders' certificates registered to them, the organisation's certificate, and SoftHSM2 tokens
on the server holding the leaders' keys (one token per leader, each with its own PIN).

SoftHSM2 reads its token directory when the PKCS#11 library is initialised, once per process:
:func:`tokens` reloads it after creating the tokens and :func:`restore` unloads it when done,
so test modules with tokens of their own in the same run do not hide each other's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Organization, Person
from signing import certificates
from signing.keys import DevCAFiles, create_dev_ca, read_pkcs12

SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so"
KEY_PASSWORD = "mật-khẩu-khoá-thử-nghiệm"


@dataclass(frozen=True)
class Token:
    label: str
    pin: str


def make_keys(keys_dir: Path, *, organization: str,
              people: Sequence[tuple[str, str]]) -> DevCAFiles:
    """The demo CA, the organisation's key and seal, and one key per (person key, name)."""
    return create_dev_ca(keys_dir, password=KEY_PASSWORD, organization=organization,
                         people=people)


def register(session: Session, ca: DevCAFiles, *, organization_key: str,
             people: Sequence[str]) -> None:
    """Register the organisation's certificate and each person's own (as the directory does)."""
    org = session.scalars(select(Organization).where(Organization.key == organization_key)).one()
    cert, _ = read_pkcs12(ca.organization_p12.read_bytes(), KEY_PASSWORD)
    from cryptography.hazmat.primitives.serialization import Encoding

    certificates.register(session=session, certificate=cert.public_bytes(Encoding.DER),
                          actor=None, organization=org)
    for key in people:
        who = session.scalars(select(Person).where(Person.key == key)).one()
        certificates.register(session=session, actor=None, person=who,
                              certificate=(ca.people[key].parent / "cert.pem").read_bytes())


def tokens(home: Path, ca: DevCAFiles, pins: dict[str, str]) -> dict[str, Token]:
    """One SoftHSM2 token per person key in ``pins``, holding that person's key and
    certificate; SOFTHSM2_CONF points at them and the library is re-initialised."""
    if shutil.which("softhsm2-util") is None or not Path(SOFTHSM_LIB).exists():
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    import pkcs11

    (home / "tokens").mkdir(parents=True)
    conf = home / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    made = {key: Token(label=f"token-{key}", pin=pin) for key, pin in pins.items()}
    for token in made.values():
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", token.label,
                        "--pin", token.pin, "--so-pin", "86420975"], check=True,
                       capture_output=True)
    pkcs11.unload(SOFTHSM_LIB)  # loaded earlier in this process: it would not see them
    for key, token in made.items():
        _fill(ca.people[key], key, token)
    return made


def token_from_another_process(p12: Path, key: str, pin: str) -> Token:
    """A token for person ``key`` (their key and certificate from ``p12``) made by another
    process in the token directory SOFTHSM2_CONF names — as an administrator would with
    softhsm2-util while the web server runs: this process's library is left as it was."""
    script = ("import sys; from pathlib import Path; from tests.web import signing_world as w; "
              "w.make_token(Path(sys.argv[1]), sys.argv[2], sys.argv[3])")
    subprocess.run([sys.executable, "-c", script, str(p12), key, pin], check=True,
                   capture_output=True, cwd=Path(__file__).resolve().parents[2])
    return Token(label=f"token-{key}", pin=pin)


def make_token(p12: Path, key: str, pin: str) -> None:
    """Initialise token-``key`` with ``pin`` and fill it from ``p12`` (in a fresh process)."""
    token = Token(label=f"token-{key}", pin=pin)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", token.label,
                    "--pin", token.pin, "--so-pin", "86420975"], check=True,
                   capture_output=True)
    _fill(p12, key, token)


def _fill(p12: Path, key: str, token: Token) -> None:
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pkcs11 import Attribute
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    lib = pkcs11.lib(SOFTHSM_LIB)
    private, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(),
                                                        KEY_PASSWORD.encode())
    assert private is not None and cert is not None
    der = private.private_bytes(serialization.Encoding.DER,  # type: ignore[union-attr]
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    with lib.get_token(token_label=token.label).open(rw=True, user_pin=token.pin) as s:
        attrs = decode_rsa_private_key(der)
        attrs.update({Attribute.LABEL: key, Attribute.ID: b"\x07", Attribute.TOKEN: True,
                      Attribute.SIGN: True, Attribute.PRIVATE: True,
                      Attribute.SENSITIVE: True})
        s.create_object(attrs)
        cert_attrs = decode_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
        cert_attrs.update({Attribute.LABEL: key, Attribute.ID: b"\x07",
                           Attribute.TOKEN: True})
        s.create_object(cert_attrs)


def restore(previous_conf: str | None) -> None:
    """Point SoftHSM2 back where it was and unload the library (the next user loads it with
    their own configuration)."""
    import pkcs11

    if previous_conf is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous_conf
    pkcs11.unload(SOFTHSM_LIB)
