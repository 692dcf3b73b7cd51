"""Argon2id hashing of passwords and PINs, off the event loop.

Every hash and verify runs in a worker thread, so a burst of sign-ins never stalls
other requests; at most `HASH_CONCURRENCY` of them run at once per worker (half the
cores by default), so a burst of sign-ins queues for a slot instead of taking every
core from the rest of the API. PINs have only 10,000 values, so before hashing they are keyed with a
server-side pepper (HMAC-SHA256): a stolen database alone is not enough to test PINs.
A sign-in for an unknown account is verified against a dummy hash, so it costs the
same as one for a real account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import anyio.to_thread
from pwdlib.hashers.argon2 import Argon2Hasher

from backroom.core.config import Settings


@dataclass(frozen=True, slots=True)
class Verified:
    ok: bool
    # A new hash when the stored one used older parameters (rehash on sign-in).
    new_hash: str | None = None


def argon2_hasher(settings: Settings) -> Argon2Hasher:
    return Argon2Hasher(
        time_cost=settings.ARGON2_TIME_COST,
        memory_cost=settings.ARGON2_MEMORY_KIB,
        parallelism=settings.ARGON2_PARALLELISM,
    )


class SecretHasher:
    """Hashes and verifies passwords and PINs with one Argon2id hasher."""

    def __init__(self, settings: Settings, hasher: Argon2Hasher | None = None) -> None:
        self._hasher = hasher or argon2_hasher(settings)
        self._pepper = settings.pin_pepper.encode("utf-8")
        # Made once up front, so every later sign-in does exactly one verify.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        # AnyIO's default limiter would let 40 hashes (19 MiB and ~40 ms of CPU each) run.
        self._slots = anyio.CapacityLimiter(settings.HASH_CONCURRENCY)

    def _peppered(self, pin: str) -> str:
        return hmac.new(self._pepper, pin.encode("utf-8"), hashlib.sha256).hexdigest()

    async def hash_password(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._slots)

    async def hash_pin(self, pin: str) -> str:
        return await self.hash_password(self._peppered(pin))

    async def verify_password(self, password: str, stored: str | None) -> Verified:
        """Check `password` against `stored`; with no stored hash, do the same work and fail."""
        return await anyio.to_thread.run_sync(self._verify, password, stored, limiter=self._slots)

    async def verify_pin(self, pin: str, stored: str | None) -> Verified:
        return await self.verify_password(self._peppered(pin), stored)

    def _verify(self, secret: str, stored: str | None) -> Verified:
        if stored is None or not self._hasher.identify(stored):
            self._hasher.verify(secret, self._dummy_hash)
            return Verified(ok=False)
        if not self._hasher.verify(secret, stored):
            return Verified(ok=False)
        if self._hasher.check_needs_rehash(stored):
            return Verified(ok=True, new_hash=self._hasher.hash(secret))
        return Verified(ok=True)
