"""Who is calling: the bearer token turned into a `Principal`, and the role gates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from backroom.accounts.errors import InsufficientRole, InvalidCredentialsToken
from backroom.accounts.models import Role
from backroom.core.audit import Actor
from backroom.core.config import Settings
from backroom.core.http import current_context
from backroom.core.security import InvalidToken, decode_access_token

# auto_error=False: a missing token is rendered by our own 401 problem, not FastAPI's.
bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, known from the token without a database round trip."""

    user_id: uuid.UUID
    role: Role
    store_id: uuid.UUID | None
    # What the token named as its subject: our user id, or a Better Auth user's external id.
    subject: str
    name: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(id=self.user_id, name=self.name, store_id=self.store_id)

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]


async def get_principal(
    settings: SettingsDep, token: Annotated[str | None, Depends(bearer_scheme)]
) -> Principal:
    if not token:
        raise InvalidCredentialsToken("Not authenticated")
    try:
        claims = decode_access_token(settings, token)
        principal = Principal(
            user_id=uuid.UUID(claims.sub),
            role=Role(claims.role),
            store_id=uuid.UUID(claims.store) if claims.store else None,
            subject=claims.sub,
        )
    except (InvalidToken, ValueError):
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
