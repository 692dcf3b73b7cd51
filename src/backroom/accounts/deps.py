"""Who is calling (the bearer token turned into a `Principal`), the role gates, and the
per-app objects the accounts routes use (hasher, rate limiter, auth-state cache)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.security import OAuth2PasswordBearer

from backroom.accounts.auth_state import AuthStateCache, attach
from backroom.accounts.authentication import Authenticator, Principal
from backroom.accounts.errors import InsufficientRole, InvalidCredentialsToken, UserNotFound
from backroom.accounts.models import Role, User
from backroom.accounts.service import admin_users
from backroom.core.audit import Actor
from backroom.core.config import Settings
from backroom.core.db import Database, SessionDep
from backroom.core.http import current_context
from backroom.core.passwords import SecretHasher
from backroom.core.ratelimit import RateLimit, RateLimiter
from backroom.core.security import InvalidToken

__all__ = [
    "AdminUser",
    "CurrentUser",
    "Principal",
    "SettingsDep",
    "StaffUser",
    "StoreAdmin",
    "StoreCaller",
    "StoreStaff",
    "get_principal",
    "install",
]

# Only the Authorization header is read: a token in the query string is never accepted.
# auto_error=False: a missing token is rendered by our own 401 problem, not FastAPI's.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def install(app: FastAPI, settings: Settings, database: Database) -> None:
    """Create the accounts objects of one app instance (called by `create_app`)."""
    # The auth state is only read: no transaction, so on SQLite no write lock either.
    cache = AuthStateCache(database.read_sessionmaker, settings.AUTH_STATE_TTL)
    attach(database.sessionmaker, cache)
    app.state.auth_state_cache = cache
    app.state.authenticator = Authenticator(settings, database.sessionmaker, cache)
    app.state.secret_hasher = SecretHasher(settings)
    limiter = RateLimiter(settings)
    app.state.rate_limiter = limiter


async def shutdown(app: FastAPI) -> None:
    limiter: RateLimiter = app.state.rate_limiter
    await limiter.close()


# The per-app getters are `async` only so that FastAPI does not send them to a thread.
async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_hasher(request: Request) -> SecretHasher:
    hasher: SecretHasher = request.app.state.secret_hasher
    return hasher


async def get_user_agent(request: Request) -> str | None:
    """Stored with refresh tokens so a user can tell their sessions apart."""
    return request.headers.get("user-agent", "")[:255] or None


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
UserAgent = Annotated[str | None, Depends(get_user_agent)]
HasherDep = Annotated[SecretHasher, Depends(get_hasher)]
LimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


async def get_principal(
    request: Request, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal:
    if not token:
        raise InvalidCredentialsToken("Not authenticated")
    authenticator: Authenticator = request.app.state.authenticator
    try:
        principal = await authenticator.authenticate(token)
    except InvalidToken:
        raise InvalidCredentialsToken from None
    context = current_context()
    if context is not None:
        context.user_id = str(principal.user_id)
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]


def require_role(role: Role) -> object:
    async def gate(principal: CurrentUser) -> Principal:
        if not principal.has_role(role) or principal.store_id is None:
            raise InsufficientRole
        return principal

    return Depends(gate)


StaffUser = Annotated[Principal, require_role(Role.STAFF)]
AdminUser = Annotated[Principal, require_role(Role.ADMIN)]


@dataclass(frozen=True, slots=True)
class StoreCaller:
    """A staff member or admin acting in their own store: the gate of every store tool.

    `store_id` is never None here, so store repositories can filter by it without checks.
    """

    principal: Principal
    store_id: uuid.UUID

    @property
    def user_id(self) -> uuid.UUID:
        return self.principal.user_id

    @property
    def name(self) -> str:
        return self.principal.name or ""

    @property
    def actor(self) -> Actor:
        return self.principal.actor

    @property
    def is_admin(self) -> bool:
        return self.principal.has_role(Role.ADMIN)


def require_store_role(role: Role) -> object:
    """403 for a caller below `role` or without a store (a `user` account, e.g. Better Auth)."""

    async def gate(principal: CurrentUser) -> StoreCaller:
        if not principal.has_role(role) or principal.store_id is None:
            raise InsufficientRole
        return StoreCaller(principal=principal, store_id=principal.store_id)

    return Depends(gate)


StoreStaff = Annotated[StoreCaller, require_store_role(Role.STAFF)]
StoreAdmin = Annotated[StoreCaller, require_store_role(Role.ADMIN)]

login_limit = Depends(RateLimit("login", lambda s: s.RATE_LIMIT_LOGIN))
register_limit = Depends(RateLimit("register", lambda s: s.RATE_LIMIT_REGISTER))
refresh_limit = Depends(RateLimit("refresh", lambda s: s.RATE_LIMIT_REFRESH))


async def get_store_user(user_id: str, admin: AdminUser, session: SessionDep) -> User:
    """A live user of the admin's store; a malformed id reads like a missing one."""
    return await admin_users.store_user(session, _store(admin), _uuid(user_id))


async def get_store_user_any(user_id: str, admin: AdminUser, session: SessionDep) -> User:
    """As `StoreUser`, deleted users included (for delete and restore)."""
    return await admin_users.store_user(session, _store(admin), _uuid(user_id), deleted_ok=True)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise UserNotFound from None


def _store(admin: Principal) -> uuid.UUID:
    assert admin.store_id is not None  # the admin gate requires a store
    return admin.store_id


StoreUser = Annotated[User, Depends(get_store_user)]
StoreUserAny = Annotated[User, Depends(get_store_user_any)]
