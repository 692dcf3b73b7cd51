"""The error family and the one renderer that turns every failure into a problem document.

Domain errors subclass one of the status classes below and set a stable `code`
slug, e.g. `class TaskNotFound(NotFound): code = "task_not_found"`. Routers list
the errors they can return with `responses=problem_responses(...)`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger("backroom.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://backroom.dev/problems/"


class AppError(Exception):
    status_code: ClassVar[int] = 500
    code: str = "internal_error"
    detail: str = "Something went wrong on our side"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if detail is not None:
            self.detail = detail
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(self.detail)


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"
    detail = "The request could not be read"


class Unauthorized(AppError):
    status_code = 401
    code = "not_authenticated"
    detail = "Not authenticated"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    detail = "You do not have permission to do this"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    detail = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    detail = "The request conflicts with the current state"


class Gone(AppError):
    status_code = 410
    code = "gone"
    detail = "This resource has been deleted"


class PreconditionFailed(AppError):
    status_code = 412
    code = "precondition_failed"
    detail = "The resource has changed since you read it (If-Match does not match)"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    detail = "The request body is too large"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"
    detail = "The request body must be JSON (Content-Type: application/json)"


class Unprocessable(AppError):
    status_code = 422
    code = "validation_error"
    detail = "The request is not valid"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(detail, **kwargs)
        self.errors = [dict(error) for error in errors]


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"
    detail = "Too many requests, try again later"

    def __init__(self, retry_after: int, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers["Retry-After"] = str(max(1, retry_after))


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    detail = "The service is temporarily unavailable, try again shortly"

    def __init__(self, detail: str | None = None, retry_after: int = 2, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("Retry-After", str(retry_after))


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"
    detail = "The database is unavailable, try again shortly"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The body of every 4xx/5xx response (RFC 9457 plus the keys existing clients read)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    error: str
    code: str
    errors: list[FieldError] | None = None


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: Sequence[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank" if code in _GENERIC_CODES else PROBLEM_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "error": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = list(errors)
    if extra:
        body.update({key: value for key, value in extra.items() if key not in body})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


_GENERIC_CODES = frozenset({"not_found", "method_not_allowed", "internal_error", "bad_request"})


def problem_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the errors a route can return."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = responses.setdefault(
            error.status_code,
            {"model": Problem, "description": "", "content": {PROBLEM_JSON: {}}},
        )
        sentence = f"{error.detail} (`{error.code}`)"
        entry["description"] = "; ".join(filter(None, [entry["description"], sentence]))
    return responses


def _field_name(loc: Sequence[int | str]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_errors(raw: Sequence[Any]) -> list[dict[str, str]]:
    """Field errors without the submitted values: a 422 never echoes a password or PIN."""
    errors = []
    for item in raw:
        message = str(item.get("msg", "Invalid value")).removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            message = "Unknown field"
        errors.append({"field": _field_name(item.get("loc", ())), "message": message})
    return errors


_JSON_TYPES = ("application/json",)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def _has_body(request: Request) -> bool:
    headers = request.headers
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    errors = exc.errors if isinstance(exc, Unprocessable) else None
    return problem_response(
        exc.status_code, exc.code, exc.detail, errors=errors, headers=exc.headers, extra=exc.extra
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(item.get("type") == "json_invalid" for item in raw):
        return problem_response(400, "malformed_json", "The request body is not valid JSON")
    body_error = any(tuple(item.get("loc", ()))[:1] == ("body",) for item in raw)
    if body_error and _has_body(request) and not _is_json(request.headers.get("content-type", "")):
        error = UnsupportedMediaType()
        return problem_response(error.status_code, error.code, error.detail)
    return problem_response(
        422, "validation_error", "The request is not valid", errors=validation_errors(raw)
    )


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _HTTP_CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_"))
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    headers = dict(exc.headers or {})
    if status == 404:
        detail = "Not found"
    elif status == 405:
        detail = "Method not allowed"
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(status, code, detail, headers=headers)


_PROBED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's).

    Each method is probed against the router, since included routers are nested.
    """
    methods = set()
    for method in _PROBED_METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            methods.add(method)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def internal_error_response(request_id: str | None) -> JSONResponse:
    """A 500 that says nothing about the cause, only the request id to quote to support."""
    error = AppError()
    detail = f"{error.detail} (request id {request_id})" if request_id else error.detail
    extra = {"request_id": request_id} if request_id else None
    return problem_response(500, error.code, detail, extra=extra)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    return internal_error_response(request_id)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
