"""The issuing keys from PKCS#12 files: both :class:`PadesSigner` and their images.

``congvan keys dev-ca`` writes the demo set into one folder (signing.keys):
``signer.p12`` and ``signature.png`` for the competent person, ``organization.p12``
and ``seal.png`` for the organisation. Real deployments point at their own files.
"""

from __future__ import annotations

from pathlib import Path

from signing.appearance import PngImage
from signing.errors import AppearanceError, KeyUnavailable
from signing.issuing import IssuingKeys
from signing.signer import PadesSigner

SIGNER_P12 = "signer.p12"
ORGANIZATION_P12 = "organization.p12"
SIGNATURE_PNG = "signature.png"
SEAL_PNG = "seal.png"


def _image(path: Path, what: str) -> PngImage:
    if not path.is_file():
        raise AppearanceError(
            f"Không có tệp hình ảnh {what} {path}; chạy `congvan keys dev-ca` để tạo ảnh thử "
            "nghiệm hoặc chỉ đường dẫn tệp PNG nền trong suốt.")
    return PngImage.from_file(path)


def _signer(path: Path, password: str, tsa_url: str | None) -> PadesSigner:
    if not path.is_file():
        raise KeyUnavailable(
            f"Không có tệp khoá {path}; chạy `congvan keys dev-ca` để tạo khoá thử nghiệm "
            "hoặc chỉ đường dẫn tệp .p12.")
    return PadesSigner.from_pkcs12(path, password, tsa_url=tsa_url)


def pair(keys_dir: Path, password: str, *, person_p12: Path | None = None,
         organization_p12: Path | None = None, signature_png: Path | None = None,
         seal_png: Path | None = None, tsa_url: str | None = None) -> IssuingKeys:
    """The person's and the organisation's PadesSigners and images, from ``keys_dir``
    unless given explicitly. Raises :class:`signing.errors.SigningError` naming the file."""
    keys_dir = Path(keys_dir)
    return IssuingKeys(
        person=_signer(person_p12 or keys_dir / SIGNER_P12, password, tsa_url),
        organization=_signer(organization_p12 or keys_dir / ORGANIZATION_P12, password, tsa_url),
        signature=_image(signature_png or keys_dir / SIGNATURE_PNG, "chữ ký"),
        seal=_image(seal_png or keys_dir / SEAL_PNG, "con dấu"),
    )
