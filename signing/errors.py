"""Errors raised by the signing package.

One tree; callers catch the branch they can act on::

    SigningError                     anything that went wrong while signing or verifying
    ├── KeyUnavailable               the key or certificate cannot be used (file, token, label)
    │   └── BadPassword              the PKCS#12 password or the token PIN was refused
    ├── CertificateNotUsable         the certificate is expired, not yet valid or lacks key usage
    ├── SignatureBlockNotFound       the title (7a) and name (7b) are not on any page of the PDF
    ├── AppearanceError              an image or font for the visible signature is unusable
    ├── TimestampUnavailable         the timestamp authority did not answer (PAdES B-T)
    └── VerificationError            the file cannot be verified at all (not a PDF, no signature)

This module imports nothing, so any layer may import it.
"""

from __future__ import annotations


class SigningError(Exception):
    """Base of every error raised by :mod:`signing`."""


class KeyUnavailable(SigningError):
    """The signing key or its certificate cannot be loaded or found."""


class BadPassword(KeyUnavailable):
    """The PKCS#12 password or the PKCS#11 PIN was refused."""


class CertificateNotUsable(SigningError):
    """The signer's certificate is outside its validity period or lacks a key usage."""


class SignatureBlockNotFound(SigningError):
    """The signature block (title and signer's name) was not found in the PDF."""


class AppearanceError(SigningError):
    """An image or font needed for the visible signature cannot be used."""


class TimestampUnavailable(SigningError):
    """The configured timestamp authority could not be reached or refused the request."""


class VerificationError(SigningError):
    """The file cannot be verified (not a PDF, or no signature in it)."""
