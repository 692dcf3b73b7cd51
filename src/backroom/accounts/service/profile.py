"""The caller's own account: read, rename, change password or PIN."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import policy
from backroom.accounts.auth_state import auth_changed
from backroom.accounts.errors import InvalidCredentialsToken, WrongCurrentSecret
from backroom.accounts.models import User
from backroom.accounts.repository import RefreshTokenRepository, UserRepository
from backroom.accounts.schemas import ChangePassword, ChangePin, ProfileUpdate
from backroom.accounts.service.common import actor_of, is_allowed
from backroom.core import audit
from backroom.core.audit import AuditAction
from backroom.core.errors import Unprocessable
from backroom.core.passwords import SecretHasher


async def get_me(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await UserRepository(session).get(user_id)
    if user is None or not is_allowed(user):
        raise InvalidCredentialsToken
    return user


async def update_me(session: AsyncSession, user_id: uuid.UUID, body: ProfileUpdate) -> User:
    user = await get_me(session, user_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "first_name" in changes:
        user.first_name = changes["first_name"]
    if "last_name" in changes:
        user.last_name = changes["last_name"]
    if "name" in changes:
        user.display_name = changes["name"]
    await session.flush()
    auth_changed(session, user.id)  # the name in the cached auth state
    await audit.record(
        session,
        AuditAction.AUTH_PROFILE_UPDATED,
        actor=actor_of(user),
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        details={"changes": changes},
        store_id=user.store_id,
    )
    return user


async def change_password(
    session: AsyncSession,
    hasher: SecretHasher,
    user_id: uuid.UUID,
    body: ChangePassword,
    *,
    keep_session: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    """Set a new password; every other session ends (the caller's refresh token lives on)."""
    user = await get_me(session, user_id)
    if not (await hasher.verify_password(body.current_password, user.password_hash)).ok:
        raise WrongCurrentSecret
    try:
        policy.check_password(body.new_password, email=user.email)
    except ValueError as exc:
        raise Unprocessable(errors=[{"field": "new_password", "message": str(exc)}]) from None
    user.password_hash = await hasher.hash_password(body.new_password)
    await _secret_changed(session, user, AuditAction.AUTH_PASSWORD_CHANGED, keep_session, now)


async def change_pin(
    session: AsyncSession,
    hasher: SecretHasher,
    user_id: uuid.UUID,
    body: ChangePin,
    *,
    keep_session: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    user = await get_me(session, user_id)
    if not (await hasher.verify_pin(body.current_pin, user.pin_hash)).ok:
        raise WrongCurrentSecret
    user.pin_hash = await hasher.hash_pin(body.new_pin)
    await _secret_changed(session, user, AuditAction.AUTH_PIN_CHANGED, keep_session, now)


async def _secret_changed(
    session: AsyncSession,
    user: User,
    action: AuditAction,
    keep_session: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    # Access tokens issued so far stop working; the caller renews through its refresh token.
    user.tokens_valid_after = now
    await RefreshTokenRepository(session).revoke_user(user.id, now, keep_family=keep_session)
    auth_changed(session, user.id)
    await audit.record(
        session,
        action,
        actor=actor_of(user),
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        store_id=user.store_id,
    )
