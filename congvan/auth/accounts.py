"""User accounts: a login and a password for a person of the directory.

Who may do what: anybody may change their own password (knowing the current
one); only a person with the ``admin`` role resets another's password or
disables an account (the CLI acts as the server's operator, ``actor=None``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from congvan.auth import passwords
from registry import audit
from registry.errors import NotFound, PermissionDenied, ValidationError
from registry.models import Person, UserAccount, WebSession

LOGIN_MAX = 120


def normalise_login(login: str) -> str:
    """Logins compare in NFC, trimmed and case-folded (``Tran-Thi-B`` is ``tran-thi-b``)."""
    return unicodedata.normalize("NFC", login).strip().casefold()


def _now() -> datetime:
    return datetime.now(UTC)


def _require_admin(actor: Person | None, what: str) -> None:
    if actor is not None and not actor.has_role("admin"):
        raise PermissionDenied(f"{actor.full_name} không có vai trò quản trị nên không {what} "
                               "được; hãy nhờ người quản trị")


def get(*, session: Session, login: str, actor: Person | None = None) -> UserAccount:
    """The account with ``login``; NotFound naming it otherwise.

    With an ``actor``, only accounts of the actor's own organisation exist.
    """
    account = session.scalar(select(UserAccount).where(
        UserAccount.login == normalise_login(login)).options(joinedload(UserAccount.person)))
    if account is None or (actor is not None
                           and account.person.organization_id != actor.organization_id):
        raise NotFound(f"không có tài khoản “{login}”; xem `congvan users list`")
    return account


def add(*, session: Session, person_key: str, password: str, login: str | None = None,
        actor: Person | None = None) -> UserAccount:
    """Give the person with ``person_key`` an account (login defaults to the person key)."""
    _require_admin(actor, "tạo tài khoản")
    person = session.scalar(select(Person).where(Person.key == person_key.strip()))
    if person is None:
        raise NotFound(f"không có người dùng mã “{person_key}” trong danh bạ; nhập danh bạ "
                       "trước (congvan directory import)")
    name = normalise_login(login or person.key)
    if not name or len(name) > LOGIN_MAX or any(c.isspace() for c in name):
        raise ValidationError(f"tên đăng nhập phải có 1–{LOGIN_MAX} ký tự, không có khoảng "
                              "trắng", field="ten_dang_nhap")
    if session.scalar(select(UserAccount.id).where(UserAccount.person_id == person.id)):
        raise ValidationError(f"{person.full_name} đã có tài khoản; dùng `congvan users passwd`"
                              " để đổi mật khẩu", field="nguoi_dung")
    if session.scalar(select(UserAccount.id).where(UserAccount.login == name)):
        raise ValidationError(f"tên đăng nhập “{name}” đã có người dùng; chọn tên khác",
                              field="ten_dang_nhap")
    value = passwords.check_new(password, login=name)
    account = UserAccount(person=person, login=name, password_hash=passwords.hash_password(value),
                          active=True, must_change_password=False, password_changed_at=_now())
    session.add(account)
    session.flush()
    audit.record(session=session, action="account_add", object_type="account",
                 object_id=account.id, actor=actor, detail={"login": name})
    return account


def change_password(*, session: Session, account: UserAccount, current: str,
                    new: str) -> UserAccount:
    """The account holder changes their own password; the current one must match."""
    if not passwords.verify(account.password_hash, current):
        raise ValidationError("mật khẩu hiện tại chưa đúng", field="mat_khau_hien_tai")
    return _set(session, account, new, actor=account.person, must_change=False,
                action="password_change")


def reset_password(*, session: Session, login: str, new: str, actor: Person | None = None,
                   must_change: bool = True) -> UserAccount:
    """An admin sets a new password; the person must change it at the next sign-in."""
    _require_admin(actor, "đặt lại mật khẩu")
    account = get(session=session, login=login, actor=actor)
    return _set(session, account, new, actor=actor, must_change=must_change,
                action="password_reset")


def _set(session: Session, account: UserAccount, new: str, *, actor: Person | None,
         must_change: bool, action: str) -> UserAccount:
    value = passwords.check_new(new, login=account.login)
    account.password_hash = passwords.hash_password(value)
    account.must_change_password = must_change
    account.password_changed_at = _now()
    _end_sessions(session, account)  # a new password signs every browser out
    audit.record(session=session, action=action, object_type="account", object_id=account.id,
                 actor=actor, detail={"login": account.login})
    session.flush()
    return account


def set_active(*, session: Session, login: str, active: bool,
               actor: Person | None = None) -> UserAccount:
    """Disable (or enable again) an account; disabling ends its sessions at once."""
    _require_admin(actor, "khoá tài khoản")
    account = get(session=session, login=login, actor=actor)
    account.active = active
    if not active:
        _end_sessions(session, account)
    audit.record(session=session, action="account_enable" if active else "account_disable",
                 object_type="account", object_id=account.id, actor=actor,
                 detail={"login": account.login})
    session.flush()
    return account


def _end_sessions(session: Session, account: UserAccount) -> None:
    for row in session.scalars(select(WebSession).where(WebSession.account_id == account.id,
                                                        WebSession.ended_at.is_(None))):
        row.ended_at = _now()


def list_(*, session: Session, actor: Person | None = None) -> Sequence[UserAccount]:
    """Every account with its person, by login (an admin sees their organisation's)."""
    _require_admin(actor, "xem danh sách tài khoản")
    query = select(UserAccount).join(UserAccount.person).options(
        joinedload(UserAccount.person)).order_by(UserAccount.login)
    if actor is not None:
        query = query.where(Person.organization_id == actor.organization_id)
    return session.scalars(query).all()


def authenticate(*, session: Session, login: str, password: str) -> UserAccount | None:
    """The active account whose password matches, or None (same work for unknown logins)."""
    account = session.scalar(select(UserAccount).where(
        UserAccount.login == normalise_login(login)[:LOGIN_MAX]))
    if account is None:
        passwords.verify(passwords.dummy_hash(), password)
        return None
    if not passwords.verify(account.password_hash, password):
        return None
    if not account.active or not account.person.active:
        return None
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    return account


def count(*, session: Session) -> int:
    """How many accounts exist."""
    return int(session.scalar(select(func.count(UserAccount.id))) or 0)
