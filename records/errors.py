"""records' own errors. Service errors are registry's (NotFound, InvalidTransition,
PermissionDenied, ValidationError) so every door maps them the same way; the package reader has
its own, because it reads a file from outside the registry.

    PackageError          — a handover package refused by `congvan files verify`
"""

from __future__ import annotations


class PackageError(Exception):
    """A package is malformed, unsafe or altered; the message names the member and the fix."""
