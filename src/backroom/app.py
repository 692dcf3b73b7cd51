"""The application factory: `create_app(settings)` builds one isolated Backroom app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from backroom import __version__
from backroom.accounts import deps as accounts_deps
from backroom.api import include_api
from backroom.core import health, metrics
from backroom.core.clock import SystemClock
from backroom.core.config import Settings, get_settings
from backroom.core.db import Database
from backroom.core.db_errors import install_database_error_handlers
from backroom.core.docs import install_docs
from backroom.core.errors import install_error_handlers
from backroom.core.http import (
    BackroomMiddleware,
    BodyLimitMiddleware,
    UnexpectedErrorMiddleware,
)
from backroom.core.logging import configure_logging

CORS_HEADERS = [
    "authorization",
    "content-type",
    "cache-control",
    "if-match",
    "idempotency-key",
    "x-request-id",
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    database = Database(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await accounts_deps.shutdown(_app)
            await database.dispose()
            if redis_probe is not None:
                redis_probe.close()
            metrics.process_stopped()

    app = FastAPI(
        title="Backroom",
        version=__version__,
        summary="Accounts, to-do tasks and store tools for the people who run a store.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.clock = SystemClock()
    redis_probe = health.RedisProbe(settings.REDIS_URL) if settings.REDIS_URL else None
    # Readiness pings Redis through `redis_ping` (None: Redis is not configured).
    app.state.redis_ping = redis_probe
    accounts_deps.install(app, settings, database)

    install_error_handlers(app)
    install_database_error_handlers(app)
    _install_middleware(app, settings)

    install_docs(app)
    app.include_router(health.router)
    if settings.METRICS_ENABLED:
        app.include_router(metrics.router)
    include_api(app)
    return app


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """The HTTP edge, innermost first: body limit, 500s, CORS, request id and logs, proxies."""
    # Inside CORS, so that a browser can read the 413 and 500 problems too.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.MAX_BODY_BYTES)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.CORS_ORIGINS,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=CORS_HEADERS,
        expose_headers=["ETag", "Location", "Link", "X-Total-Count", "X-Request-ID", "Retry-After"],
    )
    # Outside CORS, so that preflights (which CORS answers itself) get a request id.
    app.add_middleware(BackroomMiddleware)
    # Outermost, so the client address is right before anything reads it.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.FORWARDED_ALLOW_IPS)
