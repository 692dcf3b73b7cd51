"""Small rules shared by the account use cases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.auth_state import auth_changed
from backroom.accounts.models import User
from backroom.accounts.repository import RefreshTokenRepository
from backroom.core.audit import Actor


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, name=user.name, store_id=user.store_id)


async def end_sessions(session: AsyncSession, user: User, now: dt.datetime) -> None:
    """Refuse every access token issued so far and revoke every refresh family."""
    user.tokens_valid_after = now
    await RefreshTokenRepository(session).revoke_user(user.id, now)
    auth_changed(session, user.id)


def is_allowed(user: User) -> bool:
    return user.is_active and user.deleted_at is None
