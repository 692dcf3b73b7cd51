"""The caller's own account: read, rename, change password or PIN.

A change of password or PIN checks the current one in the three steps of a sign-in
(`login`): counted first, hashed outside any transaction, then finished.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import policy
from backroom.accounts.auth_state import auth_changed
from backroom.accounts.errors import InvalidCredentialsToken
from backroom.accounts.models import User
from backroom.accounts.repository import RefreshTokenRepository, UserRepository
from backroom.accounts.schemas import ChangePassword, ChangePin, ProfileUpdate
from backroom.accounts.service import login
from backroom.accounts.service.common import actor_of, end_sessions, is_allowed
from backroom.core import audit
from backroom.core.audit import AuditAction
from backroom.core.config import Settings
from backroom.core.errors import Unprocessable
from backroom.core.passwords import Verified


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


async def begin_password_change(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    body: ChangePassword,
    now: dt.datetime,
) -> login.Attempt:
    """Count the check of the current password like a sign-in (the caller commits)."""
    user = await get_me(session, user_id)
    try:
        policy.check_password(body.new_password, email=user.email)
    except ValueError as exc:
        raise Unprocessable(errors=[{"field": "new_password", "message": str(exc)}]) from None
    credentials = login.Credentials("password", _label(user), body.current_password)
    return await login.begin_for(session, settings, credentials, user, now)


async def begin_pin_change(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    body: ChangePin,
    now: dt.datetime,
) -> login.Attempt:
    """Count the check of the current PIN like a sign-in (the caller commits)."""
    user = await get_me(session, user_id)
    credentials = login.Credentials("pin", _label(user), body.current_pin)
    return await login.begin_for(session, settings, credentials, user, now)


async def finish_change(
    session: AsyncSession,
    settings: Settings,
    attempt: login.Attempt,
    verified: Verified,
    new_hash: str | None,
    *,
    keep_session: uuid.UUID | None,
    now: dt.datetime,
) -> bool:
    """Set the new secret; False means "wrong current secret" (the caller commits, then 401).

    A wrong current secret is a failed sign-in of the account: it counts towards the
    lockout, and the failure that locks the account also ends every session of it, the
    caller's included (whoever holds that token is guessing). The new hash is written
    only if the verified one is still current, so a concurrent reset wins.
    """
    user = attempt.user
    assert user is not None  # `get_me` found it
    if new_hash is None or not attempt.checkable or not verified.ok:
        if await login.failed(session, settings, attempt, verified, now):
            await end_sessions(session, user, now)
        return False
    if not await UserRepository(session).replace_secret(attempt.proof(), new_hash):
        return False
    action = (
        AuditAction.AUTH_PASSWORD_CHANGED
        if attempt.credentials.kind == "password"
        else AuditAction.AUTH_PIN_CHANGED
    )
    await _secret_changed(session, user, action, keep_session, now)
    return True


def _label(user: User) -> str:
    return user.partner_number or user.email or str(user.id)


async def _secret_changed(
    session: AsyncSession,
    user: User,
    action: AuditAction,
    keep_session: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    # Access tokens issued so far stop working; the caller renews through its refresh
    # token, which is dated now so that it outlives the new `tokens_valid_after`.
    user.tokens_valid_after = now
    tokens = RefreshTokenRepository(session)
    await tokens.revoke_user(user.id, now, keep_family=keep_session)
    if keep_session is not None:
        await tokens.confirm_family(keep_session, now)
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
