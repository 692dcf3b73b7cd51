"""Access tokens (JWT, HS256) of Backroom's own, and opaque refresh tokens.

The algorithm and the key are fixed on decode: a token's header never chooses them
(`alg`, `kid`, `jku`, `jwk`, `x5u` are not honoured), so `alg: none`, a public key
passed off as an HMAC secret, or a key fetched from a URL in the token cannot work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from backroom.core.config import Settings
from backroom.core.db import utcnow

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
# Header parameters that name a key or where to fetch one. Our tokens never carry them.
KEY_SELECTING_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "kid"})
REFRESH_TOKEN_BYTES = 32  # 256 bits of randomness
# How far another issuer's clock (Better Auth's) may be from ours for `exp`, `nbf`, `iat`.
CLOCK_LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    """The token is malformed, wrongly signed, expired or of the wrong type."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    sub: str
    role: str
    store: str | None
    # Seconds since the epoch with microseconds, so "issued before" comparisons are exact.
    iat: float
    exp: int
    jti: str
    sid: str | None = None


def create_access_token(
    settings: Settings,
    *,
    subject: uuid.UUID,
    role: str,
    store_id: uuid.UUID | None,
    now: dt.datetime | None = None,
    session_id: uuid.UUID | None = None,
) -> str:
    issued = (now or utcnow()).timestamp()
    claims: dict[str, object] = {
        "sub": str(subject),
        "role": role,
        "store": str(store_id) if store_id else None,
        "iat": round(issued, 6),
        "exp": int(issued) + settings.ACCESS_TOKEN_TTL,
        "jti": uuid.uuid4().hex,
        "typ": ACCESS_TYPE,
        "iss": settings.JWT_ISSUER,
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_access_token(
    settings: Settings, token: str, *, header: Mapping[str, Any] | None = None
) -> AccessClaims:
    """Verify every part of `token` (signature, algorithm, issuer, exp, typ).

    `header` is the token's own unverified header when the caller has already parsed it.
    """
    try:
        if header is None:
            header = jwt.get_unverified_header(token)
        if KEY_SELECTING_HEADERS & header.keys():
            raise InvalidToken("key-selecting header")
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            issuer=settings.JWT_ISSUER,
            options={"require": ["sub", "exp", "iat", "typ", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from None
    if claims.get("typ") != ACCESS_TYPE or not isinstance(claims.get("sub"), str):
        raise InvalidToken("wrong token type")
    store = claims.get("store")
    sid = claims.get("sid")
    return AccessClaims(
        sub=claims["sub"],
        role=str(claims.get("role", "")),
        store=store if isinstance(store, str) else None,
        iat=float(claims["iat"]),
        exp=int(claims["exp"]),
        jti=str(claims.get("jti", "")),
        sid=sid if isinstance(sid, str) else None,
    )


class VerifiedTokens:
    """A bounded, least-recently-used memory of access tokens that passed
    `decode_access_token`, keyed by the whole token string.

    A token string that verified once under the same key verifies again, except for its
    expiry, which is checked on every hit; so a hit skips the JWT parsing and the HMAC
    but never outlives `exp`. What a token cannot know (revocation, role) is not kept here.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._claims: OrderedDict[str, AccessClaims] = OrderedDict()

    def __len__(self) -> int:
        return len(self._claims)

    def get(self, token: str) -> AccessClaims | None:
        claims = self._claims.get(token)
        if claims is None:
            return None
        # PyJWT refuses a token once `exp <= now`; so does a hit.
        if claims.exp <= time.time():
            del self._claims[token]
            return None
        self._claims.move_to_end(token)
        return claims

    def put(self, token: str, claims: AccessClaims) -> None:
        self._claims[token] = claims
        self._claims.move_to_end(token)
        while len(self._claims) > self._size:
            self._claims.popitem(last=False)


def new_refresh_token() -> str:
    """An opaque refresh token; only its hash is stored."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    # A plain digest is enough: the token has 256 bits of entropy, nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
