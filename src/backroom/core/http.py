"""The HTTP edge: request ids, security headers, the access log, metrics, the body limit.

Both middlewares are plain ASGI (no `BaseHTTPMiddleware`), so they cost little per
request. `BodyLimitMiddleware` counts the body as it streams in, so a chunked body
without `Content-Length` is stopped as surely as one that declares its size.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from fastapi import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backroom.core import metrics
from backroom.core.errors import PayloadTooLarge, internal_error_response, problem_response
from backroom.core.route_templates import RouteTemplates

access_logger = logging.getLogger("backroom.access")
error_logger = logging.getLogger("backroom.errors")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

JSON_UTF8 = "application/json; charset=utf-8"

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


@dataclass
class RequestContext:
    """What a request knows about itself, shared by the layers below the middleware.

    Services read it (through `current_context()`) to stamp audit events with the
    request id and client address without ever touching `Request`.
    """

    request_id: str
    client_ip: str | None
    user_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_context: ContextVar[RequestContext | None] = ContextVar("backroom_request", default=None)


def current_context() -> RequestContext | None:
    return _context.get()


async def no_store(response: Response) -> None:
    """Route dependency: the answer carries a secret (a token), so no cache may keep it.

    The middleware already marks requests that sent `Authorization`; sign-in and sign-up
    send none, yet their answers hold the tokens.
    """
    response.headers["Cache-Control"] = "no-store"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


UNMATCHED = "<unmatched>"


def _app_path(scope: Scope) -> str:
    """The path below the root the app is served under (as its routes see it)."""
    path = str(scope["path"])
    root = str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


class BackroomMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: RouteTemplates | None = None

    def _route_template(self, scope: Scope, path: str) -> str:
        """The full route template, never the raw path: ids stay out of logs and labels.

        The index is built on first use and again when routes were added since.
        """
        routes = getattr(scope.get("app"), "routes", None)
        if routes is None:
            return UNMATCHED
        templates = self._templates
        route = scope.get("route")
        if (
            templates is None
            or templates.count != len(routes)
            or (route is not None and not templates.knows(route))
        ):
            templates = self._templates = RouteTemplates(routes)
        return templates.template(scope, path) or UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        client = scope.get("client")
        context = RequestContext(request_id=request_id, client_ip=client[0] if client else None)
        token = _context.set(context)
        scope.setdefault("state", {})["request_id"] = request_id
        path = _app_path(scope)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                for key, value in SECURITY_HEADERS:
                    headers.setdefault(key.decode(), value.decode())
                if _header(scope, b"authorization") is not None:
                    headers.setdefault("cache-control", "no-store")
                if headers.get("content-type") == "application/json":
                    # API.md promises the charset; FastAPI and Starlette leave it out.
                    headers["content-type"] = JSON_UTF8
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # A last resort: `UnexpectedErrorMiddleware`, further in, renders the 500s of
            # the app. This one still gives the request id and security headers to an
            # error of the middleware in between.
            if response_started:
                raise
            error_logger.exception("unhandled error", extra={"request_id": request_id})
            await internal_error_response(request_id)(scope, receive, send_wrapper)
        finally:
            _context.reset(token)
            self._finish(scope, path, status, time.perf_counter() - started, context)

    def _finish(
        self, scope: Scope, path: str, status: int, seconds: float, context: RequestContext
    ) -> None:
        template = self._route_template(scope, path)
        metrics.observe_request(scope["method"], template, status, seconds)
        if not access_logger.isEnabledFor(logging.INFO):
            return  # LOG_LEVEL above INFO: skip building the record's fields
        access_logger.info(
            "%s %s %s %.1fms",
            scope["method"],
            template,
            status,
            seconds * 1000,
            extra={
                "request_id": context.request_id,
                "method": scope["method"],
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "user_id": context.user_id,
                "client_ip": context.client_ip,
            },
        )


class UnexpectedErrorMiddleware:
    """A generic 500 problem for an exception no handler took, logged once with its traceback.

    It sits inside CORS, so that the 500 carries the CORS headers and a browser can read
    it (and its request id); `BackroomMiddleware` sits outside CORS, so that preflights,
    which CORS answers itself, still get a request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception:
            if started:
                raise  # too late for a problem document: the server drops the connection
            request_id = scope.get("state", {}).get("request_id")
            error_logger.exception("unhandled error", extra={"request_id": request_id})
            await internal_error_response(request_id)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _too_large() -> ASGIApp:
    error = PayloadTooLarge()
    return problem_response(error.status_code, error.code, error.detail)


class BodyLimitMiddleware:
    """413 for a body over `max_bytes`: at once when declared, else as soon as it is exceeded."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _too_large()(scope, receive, send)
            return
        received = 0
        exceeded = replaced = started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise PayloadTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the app made of the interrupted read (FastAPI answers 400), say 413.
            nonlocal replaced, started
            if exceeded and not started and message["type"] == "http.response.start":
                replaced = True
                await _too_large()(scope, receive, send)
            if replaced:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or started or replaced:
                raise
            await _too_large()(scope, receive, send)
