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

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backroom.core import metrics
from backroom.core.errors import PayloadTooLarge, internal_error_response, problem_response

access_logger = logging.getLogger("backroom.access")
error_logger = logging.getLogger("backroom.errors")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

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


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _route_template(scope: Scope, status: int) -> str:
    """The route template, never the raw path: ids stay out of logs and metric labels.

    FastAPI records the route only for its API routes; the few plain routes (the docs
    pages, /openapi.json) are fixed paths, so a success without a route is one of them.
    Anything else unmatched shares one label.
    """
    template = getattr(scope.get("route"), "path", None)
    if template:
        return str(template)
    return str(scope["path"]) if 200 <= status < 300 else "<unmatched>"


class BackroomMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Rendered here rather than by Starlette's outermost handler, so that a 500
            # still carries the request id and security headers.
            if response_started:
                raise
            error_logger.exception("unhandled error", extra={"request_id": request_id})
            await internal_error_response(request_id)(scope, receive, send_wrapper)
        finally:
            _context.reset(token)
            self._finish(scope, status, time.perf_counter() - started, context)

    def _finish(self, scope: Scope, status: int, seconds: float, context: RequestContext) -> None:
        template = _route_template(scope, status)
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
