"""The session cookie, CSRF tokens and the trusted reverse-proxy header.

CSRF: a signed-in browser's token is its session's ``csrf_token`` (server-side,
new at every sign-in). Before sign-in (the sign-in form itself, acknowledgement
and reporter-link buttons) the token is an HMAC of a random pre-session cookie
under the secret key, so a login form cannot be posted from another site.
Every unsafe request must carry the token (form field ``csrf_token`` or header
``X-CSRF-Token``) and, when the browser names its origin, come from our own.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from congvan.settings import Settings
from registry.errors import PermissionDenied
from registry.models import UserAccount, WebSession

PRE_COOKIE = "congvan_truoc"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


class CsrfRefused(PermissionDenied):
    """An unsafe request without the page's token, with a wrong one, or from another origin."""


@dataclass(frozen=True)
class Badge:
    """What the page header shows of the signed-in person (a detached copy)."""

    key: str
    full_name: str
    title: str | None
    roles: tuple[str, ...]
    organization: str


def https(settings: Settings) -> bool:
    """True when the public address is https (cookies then get Secure and __Host-)."""
    return settings.public_base_url.startswith("https://")


def cookie_name(settings: Settings) -> str:
    """``__Host-`` binds the cookie to this host over https: a sibling subdomain cannot set it."""
    return "__Host-congvan_phien" if https(settings) else "congvan_phien"


def pre_cookie_name(settings: Settings) -> str:
    """The pre-session cookie's name."""
    return f"__Host-{PRE_COOKIE}" if https(settings) else PRE_COOKIE


def _pre_token(settings: Settings, nonce: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"csrf-pre:{nonce}".encode(),
                    hashlib.sha256).hexdigest()


def remember(request: Request, settings: Settings, row: WebSession | None) -> None:
    """Put the page header's badge and the CSRF token for the templates on ``request.state``."""
    request.state.web_session = row
    account = row.account if row is not None else None
    person = account.person if account is not None else None
    request.state.actor = (Badge(person.key, person.full_name, person.title,
                                 tuple(person.roles or []),
                                 " ".join(person.organization.name.split()))
                           if person is not None else None)
    request.state.link_request_id = row.link.request_id if row is not None and row.link else None
    if row is not None:
        request.state.csrf_token = row.csrf_token
        return
    nonce = request.cookies.get(pre_cookie_name(settings))
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(24)
        request.state.new_pre_nonce = nonce
    request.state.csrf_token = _pre_token(settings, nonce)


def csrf_token(request: Request) -> str:
    """The token the page's forms and HTMX requests must send back."""
    return str(getattr(request.state, "csrf_token", ""))


def finish(request: Request, response: Response) -> Response:
    """Set the cookies made while answering: the pre-session nonce, a trusted proxy's session."""
    nonce = getattr(request.state, "new_pre_nonce", None)
    settings: Settings = request.app.state.settings
    if nonce and cookie_name(settings) not in _set_cookies(response):
        response.set_cookie(pre_cookie_name(settings), nonce, httponly=True, samesite="lax",
                            secure=https(settings), path="/")
    token = getattr(request.state, "new_session_token", None)
    if token:
        set_session_cookie(response, settings, token)
    return response


def _set_cookies(response: Response) -> str:
    return " ".join(v.decode("latin-1") for k, v in response.raw_headers if k == b"set-cookie")


def _origins(request: Request, settings: Settings) -> set[str]:
    public = urlsplit(settings.public_base_url)
    own = {f"{public.scheme}://{public.netloc}".lower()}
    host = request.headers.get("host")
    if host:
        own.add(f"{request.url.scheme}://{host}".lower())
    return own


async def check_csrf(request: Request, settings: Settings, row: WebSession | None) -> None:
    """Raise CsrfRefused unless the request carries the right token from our own origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() not in _origins(request, settings):
        raise CsrfRefused("Yêu cầu đến từ một trang khác (" + origin[:80] + "), không phải "
                          "trang của hệ thống; thao tác bị từ chối.")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise CsrfRefused("Yêu cầu đến từ một trang web khác; thao tác bị từ chối.")
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    expected = csrf_token(request)
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused("Mã bảo vệ biểu mẫu (CSRF) thiếu hoặc không đúng — trang có thể đã "
                          "cũ hoặc phiên đã hết hạn. Hãy tải lại trang rồi thử lại.")


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over https; dies with the browser."""
    response.set_cookie(cookie_name(settings), token, httponly=True, samesite="lax",
                        secure=https(settings), path="/")
    response.delete_cookie(pre_cookie_name(settings), path="/", secure=https(settings),
                           httponly=True, samesite="lax")


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(cookie_name(settings), path="/", secure=https(settings),
                           httponly=True, samesite="lax")


def client_address(request: Request) -> str:
    """The client's address as the server sees it (the proxy's, behind one)."""
    return request.client.host if request.client else "?"


def _trusted(request: Request, settings: Settings) -> bool:
    if not settings.trusted_user_header or not settings.trusted_proxies:
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False)
               for net in settings.trusted_proxies)


def from_trusted_proxy(request: Request, session: Session, settings: Settings,
                       row: WebSession | None) -> WebSession | None:
    """With the single-sign-on header from a trusted proxy, the session of that login.

    Off by default (both CONGVAN_TRUSTED_USER_HEADER and CONGVAN_TRUSTED_PROXIES
    must be set). The header from any other address is ignored.
    """
    if not _trusted(request, settings):
        return row
    assert settings.trusted_user_header is not None
    login = request.headers.get(settings.trusted_user_header)
    if not login:
        return row
    from congvan.auth import accounts, sessions

    if row is not None and row.account is not None and row.account.login == \
            accounts.normalise_login(login):
        return row
    account = session.scalar(select(UserAccount).where(
        UserAccount.login == accounts.normalise_login(login)))
    if account is None or not account.active or not account.person.active:
        return None
    started = sessions.start(session=session, account=account, client=client_address(request))
    request.state.new_session_token = started.token
    return started.row
