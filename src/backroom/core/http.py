"""The HTTP edge: request ids, security headers and the access log.

`BackroomMiddleware` is plain ASGI (no `BaseHTTPMiddleware`), so it costs little
per request. The body-size limit is FastAPI's own (`max_body_size`), which counts
chunked bodies as they stream in.
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

from backroom.core.errors import internal_error_response

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
            self._log(scope, status, time.perf_counter() - started, context)

    def _log(self, scope: Scope, status: int, seconds: float, context: RequestContext) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "<unmatched>"
        scope.setdefault("state", {})["route_template"] = template
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
