"""Per-client-IP rate limits on the `limits` async API.

In memory by default (per process); in Redis when `REDIS_URL` is set, so every
worker shares one count. A fixed window costs one counter increment per request.
Any domain can guard a route with `Depends(RateLimit("name", lambda s: s.RATE_LIMIT_X))`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from functools import lru_cache

import coredis
from fastapi import Request
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from backroom.core import metrics
from backroom.core.config import Settings
from backroom.core.errors import TooManyRequests
from backroom.core.http import current_context

logger = logging.getLogger("backroom.ratelimit")


class RateLimited(TooManyRequests):
    code = "rate_limited"
    detail = "Too many requests, try again later"


@lru_cache(maxsize=64)
def _limit(rate: str) -> RateLimitItem:
    return parse(rate)


class RateLimiter:
    """Counts hits per (name, key) in fixed windows; fails open if Redis is unreachable."""

    def __init__(self, settings: Settings, *, key_prefix: str = "backroom:rl") -> None:
        self.enabled = settings.RATE_LIMIT_ENABLED
        self.storage: Storage
        self._pool: coredis.ConnectionPool | None = None
        if settings.REDIS_URL:
            url = settings.REDIS_URL.removeprefix("async+")
            # Our own pool, so that shutdown can close its connections.
            self._pool = coredis.ConnectionPool.from_url(url)
            self.storage = RedisStorage(
                f"async+{url}",
                key_prefix=key_prefix,
                connection_pool=self._pool,  # type: ignore[arg-type]  # passed to the client
            )
        else:
            self.storage = MemoryStorage()
        self._strategy = FixedWindowRateLimiter(self.storage)

    @property
    def uses_redis(self) -> bool:
        return isinstance(self.storage, RedisStorage)

    async def hit(self, name: str, rate: str, key: str) -> None:
        """Count one hit; raise `RateLimited` with `Retry-After` when over the limit."""
        if not self.enabled:
            return
        item = _limit(rate)
        try:
            allowed = await self._strategy.hit(item, name, key)
            if allowed:
                return
            stats = await self._strategy.get_window_stats(item, name, key)
        except Exception:  # noqa: BLE001 - a limiter outage must not take sign-in down
            logger.warning("rate limiter storage unavailable; allowing the request")
            return
        metrics.RATE_LIMITED.labels(name).inc()
        raise RateLimited(retry_after=math.ceil(stats.reset_time - time.time()))

    async def ping(self) -> bool:
        return bool(await self.storage.check())

    async def reset(self) -> None:
        await self.storage.reset()

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.disconnect()


class RateLimit:
    """A dependency that limits a route per client IP, e.g. `RateLimit("login", rate_of)`."""

    def __init__(self, name: str, rate_of: Callable[[Settings], str]) -> None:
        self.name = name
        self.rate_of = rate_of

    async def __call__(self, request: Request) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        context = current_context()
        client_ip = context.client_ip if context else None
        await limiter.hit(self.name, self.rate_of(request.app.state.settings), client_ip or "-")
