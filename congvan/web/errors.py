"""The one place that turns our errors into HTTP answers.

NotFound → 404, InvalidTransition / ImmutableDocument / NumberConflict → 409,
PermissionDenied → 403, ValidationError → 422, SchemaOutOfDate → 503; a bad
acknowledgement token → 404; a page asked for without signing in → the
sign-in page. Browsers get a Vietnamese page (or, for an HTMX request, a
message fragment swapped into ``#thong-bao``); ``/api/`` gets JSON
``{"detail": …, "field": …}``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from congvan.web.deps import SignInRequired
from congvan.web.labels import N_
from congvan.web.render import page
from doc_templates.errors import DocTemplatesError
from doc_templates.formatting import format_number
from outbox.errors import IntakeError, ReceiptError
from registry import errors as reg
from signing.errors import KeyUnavailable, SigningError

STATUS: tuple[tuple[type[Exception], int], ...] = (
    (reg.NotFound, 404),
    (ReceiptError, 404),
    (reg.PermissionDenied, 403),
    (reg.InvalidTransition, 409),  # ImmutableDocument is a subclass
    (reg.NumberConflict, 409),
    (reg.ValidationError, 422),
    (reg.SchemaOutOfDate, 503),
    (DocTemplatesError, 503),  # LibreOffice missing or failing: the operator must act
    (IntakeError, 422),  # an incoming document that cannot be registered as typed
    (KeyUnavailable, 503),  # the organisation's key is not reachable: the operator must act
    (SigningError, 409),  # e.g. not signed by the person yet, or changed since
)

TITLES = {
    400: N_("Yêu cầu không hợp lệ"),
    403: N_("Không có quyền"),
    404: N_("Không tìm thấy"),
    405: N_("Không hỗ trợ thao tác này"),
    409: N_("Không thực hiện được ở trạng thái hiện tại"),
    422: N_("Dữ liệu chưa đúng"),
    500: N_("Lỗi hệ thống"),
    503: N_("Hệ thống chưa sẵn sàng"),
}

HTTP_MESSAGES = {
    404: "Không có trang này. Kiểm tra lại đường dẫn hoặc quay về danh sách văn bản.",
    405: "Trang này không nhận thao tác đó.",
}


def status_of(exc: Exception) -> int:
    """The HTTP status for one of our errors."""
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 400


def answer(request: Request, code: int, message: str, *, field: str | None = None,
           errors: list[dict[str, Any]] | None = None) -> Response:
    """JSON under /api/, a fragment for HTMX, a full page otherwise."""
    if request.url.path.startswith("/api/"):
        body: dict[str, Any] = {"detail": message, "field": field}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, status_code=code)
    context = {"code": code, "title": TITLES.get(code, TITLES[400]), "message": message,
               "field": field, "errors": errors or []}
    if request.headers.get("HX-Request"):
        response = page(request, "_message.html", context, status_code=code)
        response.headers["HX-Retarget"] = "#thong-bao"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return page(request, "error.html", context, status_code=code)


async def _ours(request: Request, exc: Exception) -> Response:
    return answer(request, status_of(exc), str(exc), field=getattr(exc, "field", None))


async def _database_away(request: Request, exc: Exception) -> Response:
    # A PostgreSQL restart or fail-over: the next request reconnects (pool_pre_ping). The
    # driver's text names hosts and statements: it goes to the log, not to the user.
    import logging

    logging.getLogger("congvan.web").warning("database unavailable: %s",
                                             str(exc).splitlines()[0][:300])
    response = answer(request, 503, "Cơ sở dữ liệu tạm thời không trả lời (đang khởi động lại "
                      "hoặc chuyển máy); hãy thử lại sau ít giây.")
    response.headers["Retry-After"] = "5"
    return response


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if request.url.path.startswith("/api/"):
        return answer(request, 403, str(exc))
    target = f"/dang-nhap?{urlencode({'next': exc.target})}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = HTTP_MESSAGES.get(exc.status_code) or str(exc.detail)
    response = answer(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                 "message": _vi(e)} for e in exc.errors()]
    first = problems[0] if problems else {"field": None, "message": "dữ liệu không hợp lệ"}
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return answer(request, 422, message or "Dữ liệu không hợp lệ", field=first["field"],
                  errors=problems)


def _vi(error: Any) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "thiếu trường này; hãy điền vào"
    if kind.startswith("int"):
        return "phải là một số nguyên"
    if kind.startswith("float"):
        return "phải là một số"
    if kind in {"dict_type", "model_type"}:
        return "phải là một đối tượng JSON {…}"
    if kind == "json_invalid":
        return "không phải JSON hợp lệ"
    bound = _BOUNDS.get(kind)
    context = error.get("ctx") or {}
    if bound is not None and bound[0] in context:
        limit = context[bound[0]]
        shown = format_number(limit) if isinstance(limit, int | float) else str(limit)
        return bound[1].format(shown)
    if kind.startswith("bool"):
        return "phải là có hoặc không (true/false)"
    if kind.startswith("date"):
        return "phải là một ngày dạng năm-tháng-ngày (2026-11-30)"
    return f"giá trị không hợp lệ ({error.get('msg', kind)})"


# Pydantic's bounds, in the words of the form: the limit from the error's context.
_BOUNDS = {
    "less_than_equal": ("le", "phải nhỏ hơn hoặc bằng {}"),
    "less_than": ("lt", "phải nhỏ hơn {}"),
    "greater_than_equal": ("ge", "phải lớn hơn hoặc bằng {}"),
    "greater_than": ("gt", "phải lớn hơn {}"),
    "string_too_long": ("max_length", "dài quá {} ký tự; hãy rút gọn"),
    "string_too_short": ("min_length", "phải có ít nhất {} ký tự"),
    "too_long": ("max_length", "có quá {} mục"),
    "too_short": ("min_length", "phải có ít nhất {} mục"),
}


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(reg.RegistryError, _ours)
    app.add_exception_handler(ReceiptError, _ours)
    app.add_exception_handler(DocTemplatesError, _ours)
    app.add_exception_handler(IntakeError, _ours)
    app.add_exception_handler(SigningError, _ours)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(OperationalError, _database_away)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid_request)
