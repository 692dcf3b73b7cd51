"""Access tokens (JWT, HS256) of Backroom's own. The algorithm is pinned on decode."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import jwt

from backroom.core.config import Settings
from backroom.core.db import utcnow

ALGORITHM = "HS256"
ACCESS_TYPE = "access"


class InvalidToken(Exception):
    """The token is malformed, wrongly signed, expired or of the wrong type."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    sub: str
    role: str
    store: str | None
    iat: int
    exp: int
    jti: str


def create_access_token(
    settings: Settings,
    *,
    subject: uuid.UUID,
    role: str,
    store_id: uuid.UUID | None,
    now: dt.datetime | None = None,
) -> str:
    issued = int((now or utcnow()).timestamp())
    claims = {
        "sub": str(subject),
        "role": role,
        "store": str(store_id) if store_id else None,
        "iat": issued,
        "exp": issued + settings.ACCESS_TOKEN_TTL,
        "jti": uuid.uuid4().hex,
        "typ": ACCESS_TYPE,
        "iss": settings.JWT_ISSUER,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
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
    return AccessClaims(
        sub=claims["sub"],
        role=str(claims.get("role", "")),
        store=store if isinstance(store, str) else None,
        iat=int(claims["iat"]),
        exp=int(claims["exp"]),
        jti=str(claims.get("jti", "")),
    )
