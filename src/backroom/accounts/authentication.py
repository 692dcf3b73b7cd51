"""Turning a bearer token into a `Principal`: our own tokens first, then Better Auth's.

The common case (a known user within the cache TTL) needs no database round trip.
Role, store and name come from the user's current auth state, not from the token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import jwt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backroom.accounts.auth_state import AuthStateCache
from backroom.accounts.better_auth import ASYMMETRIC_ALGORITHMS, BetterAuthVerifier
from backroom.accounts.models import Role
from backroom.accounts.service.external import ExternalIdentity, local_user_id
from backroom.core.audit import Actor
from backroom.core.config import Settings
from backroom.core.security import AccessClaims, InvalidToken, VerifiedTokens, decode_access_token

MAX_EXTERNAL_IDS = 50_000
# Own access tokens remembered as verified, per worker (a few hundred bytes each).
MAX_VERIFIED_TOKENS = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: uuid.UUID
    role: Role
    store_id: uuid.UUID | None
    # What the token named as its subject: our user id, or a Better Auth user's external id.
    subject: str
    name: str | None = None
    # The refresh family the access token was issued with (our own tokens only).
    session_id: uuid.UUID | None = None

    @property
    def actor(self) -> Actor:
        return Actor(id=self.user_id, name=self.name, store_id=self.store_id)

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank


class Authenticator:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache: AuthStateCache,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.cache = cache
        self.better_auth = BetterAuthVerifier(settings)
        # External ids never change owner, so their local ids are kept for the process.
        self._external_ids: dict[str, uuid.UUID] = {}
        # Each request used to parse and check its token's signature again (~150 us).
        self._verified = VerifiedTokens(MAX_VERIFIED_TOKENS)

    async def authenticate(self, token: str) -> Principal:
        """The caller of a valid, unrevoked token; raises InvalidToken otherwise."""
        claims = self._verified.get(token)
        if claims is not None:
            return await self._own_principal(claims)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("malformed") from None
        algorithm = header.get("alg")
        if algorithm == "HS256":
            try:
                return await self._own(token, header)
            except InvalidToken:
                if not self.better_auth.secret:
                    raise
            identity, issued_at = self.better_auth.verify_hs256(token)
            return await self._external(identity, issued_at)
        if algorithm in ASYMMETRIC_ALGORITHMS:
            identity, issued_at = await self.better_auth.verify_jwks(token, header)
            return await self._external(identity, issued_at)
        raise InvalidToken("algorithm not accepted")

    async def _own(self, token: str, header: dict[str, object]) -> Principal:
        claims = decode_access_token(self.settings, token, header=header)
        principal = await self._own_principal(claims)
        # Remembered only once it has passed every check, revocation included.
        self._verified.put(token, claims)
        return principal

    async def _own_principal(self, claims: AccessClaims) -> Principal:
        """Checked on every request, cached token or not: is the token's user still in?"""
        try:
            user_id = uuid.UUID(claims.sub)
            session_id = uuid.UUID(claims.sid) if claims.sid else None
        except ValueError:
            raise InvalidToken("malformed subject") from None
        state = await self.cache.get(user_id)
        if state is None or not state.accepts(claims.iat):
            raise InvalidToken("revoked")
        return Principal(
            user_id=user_id,
            role=state.role,
            store_id=state.store_id,
            subject=claims.sub,
            name=state.name,
            session_id=session_id,
        )

    async def _external(self, identity: ExternalIdentity, issued_at: float | None) -> Principal:
        user_id = self._external_ids.get(identity.subject)
        if user_id is None:
            user_id = await local_user_id(self.sessionmaker, identity)
            if len(self._external_ids) >= MAX_EXTERNAL_IDS:
                self._external_ids.clear()
            self._external_ids[identity.subject] = user_id
        state = await self.cache.get(user_id)
        if state is None or not state.accepts_external(issued_at):
            raise InvalidToken("revoked")
        return Principal(
            user_id=user_id,
            role=state.role,
            store_id=state.store_id,
            subject=identity.subject,
            name=state.name,
        )
