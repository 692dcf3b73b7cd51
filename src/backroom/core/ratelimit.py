"""Per-client-IP rate limits on the `limits` async API.

In memory by default (per process); in Redis when `REDIS_URL` is set, so every
worker shares one count. A fixed window costs one counter increment per request.
Any domain can guard a route with `Depends(RateLimit("name", lambda s: s.RATE_LIMIT_X))`.
An IPv4 client is counted per address, an IPv6 client per /64 (one subscriber's
allocation: a client that owns a /64 would otherwise have 2**64 buckets).
"""

from __future__ import annotations

import ipaddress
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

    async def check(self, name: str, rate: str, key: str) -> None:
        """Raise `RateLimited` if `key` has used up its window, without counting a hit.

        With `count`, for limits on outcomes (failed sign-ins) rather than on requests.
        """
        if not self.enabled:
            return
        item = _limit(rate)
        try:
            if await self._strategy.test(item, name, key):
                return
            stats = await self._strategy.get_window_stats(item, name, key)
        except Exception:  # noqa: BLE001 - a limiter outage must not take sign-in down
            logger.warning("rate limiter storage unavailable; allowing the request")
            return
        metrics.RATE_LIMITED.labels(name).inc()
        raise RateLimited(retry_after=max(1, math.ceil(stats.reset_time - time.time())))

    async def count(self, name: str, rate: str, key: str) -> None:
        """Count one hit of `key` without refusing anything (see `check`)."""
        if not self.enabled:
            return
        try:
            await self._strategy.hit(_limit(rate), name, key)
        except Exception:  # noqa: BLE001 - a limiter outage must not take sign-in down
            logger.warning("rate limiter storage unavailable; not counting")

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
        key = client_key(client_ip)
        await limiter.hit(self.name, self.rate_of(request.app.state.settings), key)


def client_key(client_ip: str | None) -> str:
    """The bucket of a client address: the address for IPv4, its /64 for IPv6.

    An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) counts as that IPv4 address.
    Something that is not an address (a test client, a Unix socket) is its own bucket.
    """
    if not client_ip:
        return "-"
    try:
        address = ipaddress.ip_address(client_ip.strip().split("%", 1)[0])
    except ValueError:
        return client_ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
