"""Password hashing (argon2id via argon2-cffi) and the rules a new password must meet."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from registry.errors import ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 accepts more; a bound keeps hashing time bounded
COMMON = {"1234567890", "12345678910", "0123456789", "matkhau123", "password123",
          "qwertyuiop", "abc1234567", "congvan123", "123456789a", "admin12345"}


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def normalise(password: str) -> str:
    """NFC, so the same Vietnamese password typed on two keyboards matches."""
    return unicodedata.normalize("NFC", password)


def check_new(password: str, *, login: str) -> str:
    """The password in NFC if it meets the rules; ValidationError naming the fix otherwise."""
    value = normalise(password)
    if len(value) < MIN_LENGTH:
        raise ValidationError(f"mật khẩu cần ít nhất {MIN_LENGTH} ký tự; hãy chọn mật khẩu dài "
                              "hơn (ví dụ một câu ngắn dễ nhớ)", field="mat_khau")
    if len(value) > MAX_LENGTH:
        raise ValidationError(f"mật khẩu dài quá {MAX_LENGTH} ký tự", field="mat_khau")
    if value.casefold() == login.casefold() or value.casefold() in COMMON:
        raise ValidationError("mật khẩu quá dễ đoán (trùng tên đăng nhập hoặc quá phổ biến); "
                              "hãy chọn mật khẩu khác", field="mat_khau")
    return value


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (NFC)."""
    return _hasher().hash(normalise(password))


def verify(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; never raises for a wrong password."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(stored_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the login is unknown, so both cases take the same time."""
    return _hasher().hash("khong-co-tai-khoan-nay")
