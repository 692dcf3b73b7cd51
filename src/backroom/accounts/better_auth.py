"""Verifying tokens issued by Better Auth (the Next.js front ends sign in there).

Two kinds: HS256 tokens signed with `BETTER_AUTH_SECRET` (the cookie-cache token: no
`sub`, `typ`, `iss` or `aud`; the id at `user.id`), and the JWT plugin's tokens
(EdDSA by default, `iss`/`aud` = the Better Auth URL) checked against the key set
at `BETTER_AUTH_JWKS_URL`. Roles never come from these tokens. Another server's
clock may differ from ours: `exp`, `nbf` and `iat` are checked with 30 s of leeway.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

from backroom.accounts.service.external import ExternalIdentity
from backroom.core.config import Settings
from backroom.core.security import CLOCK_LEEWAY_SECONDS, InvalidToken

ASYMMETRIC_ALGORITHMS = frozenset({"EdDSA", "ES256", "RS256"})
JWKS_MIN_REFETCH_SECONDS = 30.0
JWKS_MAX_AGE_SECONDS = 3600.0
JWKS_TIMEOUT_SECONDS = 3.0


class JwksKeys:
    """The Better Auth key set, cached; refetched on an unknown `kid` at most every 30 s."""

    def __init__(self, url: str, *, min_refetch: float = JWKS_MIN_REFETCH_SECONDS) -> None:
        self.url = url
        self.min_refetch = min_refetch
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if self._fresh() and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if not (self._fresh() and kid in self._keys) and self._may_fetch():
                await self._fetch()
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("unknown key") from None

    def _fresh(self) -> bool:
        fetched = self._fetched_at
        return fetched is not None and time.monotonic() - fetched < JWKS_MAX_AGE_SECONDS

    def _may_fetch(self) -> bool:
        fetched = self._fetched_at
        return fetched is None or time.monotonic() - fetched >= self.min_refetch

    async def _fetch(self) -> None:
        self._fetched_at = time.monotonic()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=JWKS_TIMEOUT_SECONDS) as http:
                response = await http.get(self.url)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, ValueError):
            return  # keep the keys we had; the rate bound stops a fetch storm
        keys: dict[str | None, jwt.PyJWK] = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            try:
                key = jwt.PyJWK.from_dict(entry)
            except jwt.PyJWTError:
                continue
            if key.algorithm_name in ASYMMETRIC_ALGORITHMS:
                keys[entry.get("kid")] = key
        if len(keys) == 1:
            keys.setdefault(None, next(iter(keys.values())))  # a token without `kid`
        self._keys = keys


class BetterAuthVerifier:
    def __init__(self, settings: Settings) -> None:
        self.secret = settings.BETTER_AUTH_SECRET
        url = settings.BETTER_AUTH_JWKS_URL
        self.jwks = JwksKeys(url) if url else None
        self.issuer = settings.BETTER_AUTH_ISSUER or settings.BETTER_AUTH_URL
        self.audience = settings.BETTER_AUTH_AUDIENCE or settings.BETTER_AUTH_URL

    def verify_hs256(self, token: str) -> tuple[ExternalIdentity, float | None]:
        if not self.secret:
            raise InvalidToken("Better Auth secret not configured")
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        return _identity(claims), _issued_at(claims)

    async def verify_jwks(
        self, token: str, header: dict[str, Any]
    ) -> tuple[ExternalIdentity, float | None]:
        algorithm = header.get("alg")
        if self.jwks is None or algorithm not in ASYMMETRIC_ALGORITHMS:
            raise InvalidToken("algorithm not accepted")
        kid = header.get("kid")
        key = await self.jwks.key(kid if isinstance(kid, str) else None)
        if key.algorithm_name != algorithm:
            raise InvalidToken("algorithm does not match the key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from None
        return _identity(claims), _issued_at(claims)


def _identity(claims: dict[str, Any]) -> ExternalIdentity:
    user = claims.get("user")
    nested: dict[str, Any] = user if isinstance(user, dict) else {}
    subject = claims.get("sub") or nested.get("id") or claims.get("id")
    if not isinstance(subject, str) or not 1 <= len(subject) <= 255:
        raise InvalidToken("no subject")
    email = claims.get("email") or nested.get("email")
    name = claims.get("name") or nested.get("name")
    return ExternalIdentity(
        subject=subject,
        email=email if isinstance(email, str) else None,
        name=name if isinstance(name, str) else None,
    )


def _issued_at(claims: dict[str, Any]) -> float | None:
    issued = claims.get("iat")
    return (
        float(issued) if isinstance(issued, int | float) and not isinstance(issued, bool) else None
    )
