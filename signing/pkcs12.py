"""The demo layout of the issuing keys: one folder of PKCS#12 files and images.

``congvan keys dev-ca`` writes the demo set into one folder (signing.keys):
``signer.p12`` and ``signature.png`` for the competent person, ``organization.p12``
and ``seal.png`` for the organisation. :func:`pair` is a thin wrapper over
:func:`signing.keyring.issuing_keys`, which also takes PKCS#11 tokens.
"""

from __future__ import annotations

from pathlib import Path

from signing.issuing import IssuingKeys
from signing.keyring import KeySource, issuing_keys

SIGNER_P12 = "signer.p12"
ORGANIZATION_P12 = "organization.p12"
SIGNATURE_PNG = "signature.png"
SEAL_PNG = "seal.png"


def pair(keys_dir: Path, password: str, *, person_p12: Path | None = None,
         organization_p12: Path | None = None, signature_png: Path | None = None,
         seal_png: Path | None = None, tsa_url: str | None = None) -> IssuingKeys:
    """The person's and the organisation's PadesSigners and images, from ``keys_dir``
    unless given explicitly. Raises :class:`signing.errors.SigningError` naming the file."""
    keys_dir = Path(keys_dir)
    return issuing_keys(
        person=KeySource.pkcs12(person_p12 or keys_dir / SIGNER_P12, password),
        organization=KeySource.pkcs12(organization_p12 or keys_dir / ORGANIZATION_P12, password),
        signature_png=signature_png or keys_dir / SIGNATURE_PNG,
        seal_png=seal_png or keys_dir / SEAL_PNG, tsa_url=tsa_url)
