"""A PAdES signer over a PKCS#12 file (pyHanko), shared by the CLI and the workflows.

Each signature goes into a field of its own (``ChuKyNguoiKy`` for the person,
``ChuKyCoQuan`` for the organisation) as an incremental update, so the person's
signature stays intact when the organisation signs after it. It is invisible;
the visible appearance comes with :mod:`signing.signer` when that lands.
"""

from __future__ import annotations

import io
from pathlib import Path

from registry.errors import ValidationError

PERSON_FIELD = "ChuKyNguoiKy"
ORGANIZATION_FIELD = "ChuKyCoQuan"


class Pkcs12Signer:
    """Signs PDFs with the key and certificate chain of one PKCS#12 file.

    Satisfies :class:`signing.issuing.PdfSigner` (``sign_pdf(pdf) -> bytes``).
    """

    def __init__(self, p12: Path, password: str, field: str) -> None:
        from pyhanko.sign import signers

        if not Path(p12).is_file():
            raise ValidationError(f"không có tệp khoá {p12}; chạy `congvan keys dev-ca` để tạo "
                                  "khoá thử nghiệm hoặc chỉ đường dẫn tệp .p12", field="p12")
        try:
            signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=password.encode())
        except ValueError:
            signer = None
        if signer is None:
            raise ValidationError(f"không mở được tệp khoá {p12}: sai mật khẩu? Nhập lại mật khẩu "
                                  "của tệp .p12", field="password")
        self._signer = signer
        self.field = field

    def sign_pdf(self, pdf: bytes, /) -> bytes:
        """Return ``pdf`` with one more PAdES signature, in this signer's field."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        meta = signers.PdfSignatureMetadata(field_name=self.field,
                                            subfilter=fields.SigSeedSubFilter.PADES)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        return signers.sign_pdf(writer, meta, signer=self._signer).getvalue()


def pair(keys_dir: Path, password: str, *, person_p12: Path | None = None,
         organization_p12: Path | None = None) -> tuple[Pkcs12Signer, Pkcs12Signer]:
    """The person's and the organisation's signers, from ``keys_dir`` (``congvan keys dev-ca``
    writes ``signer.p12`` and ``organization.p12`` there) unless given explicitly."""
    return (Pkcs12Signer(person_p12 or keys_dir / "signer.p12", password, PERSON_FIELD),
            Pkcs12Signer(organization_p12 or keys_dir / "organization.p12", password,
                         ORGANIZATION_FIELD))
