"""The demo layout of the issuing keys: one folder of PKCS#12 files and images.

``congvan keys dev-ca`` writes the demo set into one folder (signing.keys):
one ``people/<person key>/signer.p12`` (and ``signature.png``) per person who
may sign, ``organization.p12`` and ``seal.png`` for the organisation. :func:`pair`
is a thin wrapper over :func:`signing.keyring.issuing_keys` (the organisation's
key only), which also takes PKCS#11 tokens.
"""

from __future__ import annotations

from pathlib import Path

from signing.issuing import IssuingKeys
from signing.keyring import KeySource, issuing_keys

SIGNER_P12 = "signer.p12"
ORGANIZATION_P12 = "organization.p12"
SIGNATURE_PNG = "signature.png"
SEAL_PNG = "seal.png"


def pair(keys_dir: Path, password: str, *, organization_p12: Path | None = None,
         seal_png: Path | None = None, tsa_url: str | None = None) -> IssuingKeys:
    """The organisation's PadesSigner and seal image, from ``keys_dir`` unless given
    explicitly. Raises :class:`signing.errors.SigningError` naming the file."""
    keys_dir = Path(keys_dir)
    return issuing_keys(
        organization=KeySource.pkcs12(organization_p12 or keys_dir / ORGANIZATION_P12, password),
        seal_png=seal_png or keys_dir / SEAL_PNG, tsa_url=tsa_url)


def person_p12(keys_dir: Path, person_key: str) -> Path:
    """Where the demo CA keeps a person's own key: ``people/<key>/signer.p12``."""
    return Path(keys_dir) / "people" / person_key / SIGNER_P12


def person_signature_png(keys_dir: Path, person_key: str) -> Path:
    """A person's signature image: ``people/<key>/signature.png``, else the shared demo one."""
    own = Path(keys_dir) / "people" / person_key / SIGNATURE_PNG
    return own if own.is_file() else Path(keys_dir) / SIGNATURE_PNG
