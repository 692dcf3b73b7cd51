"""Issuing token pairs, rotating refresh tokens, logging out."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import RefreshToken, User
from backroom.accounts.repository import RefreshTokenRepository, UserRepository
from backroom.accounts.service.common import actor_of, end_sessions, is_allowed
from backroom.core import audit
from backroom.core.audit import AuditAction
from backroom.core.config import Settings
from backroom.core.db import utcnow
from backroom.core.http import current_context
from backroom.core.security import create_access_token, hash_refresh_token, new_refresh_token


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user: User


async def issue_tokens(
    session: AsyncSession,
    settings: Settings,
    user: User,
    now: dt.datetime,
    *,
    family_id: uuid.UUID | None = None,
    user_agent: str | None = None,
) -> IssuedTokens:
    """A new access token and a new refresh token (a new family unless rotating one)."""
    family = family_id or uuid.uuid4()
    raw = new_refresh_token()
    context = current_context()
    await RefreshTokenRepository(session).add(
        RefreshToken(
            token_hash=hash_refresh_token(raw),
            family_id=family,
            user_id=user.id,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.REFRESH_TOKEN_TTL),
            ip=context.client_ip if context else None,
            user_agent=user_agent,
        )
    )
    access = create_access_token(
        settings,
        subject=user.id,
        role=user.role,
        store_id=user.store_id,
        now=now,
        session_id=family,
    )
    return IssuedTokens(
        access_token=access,
        expires_in=settings.ACCESS_TOKEN_TTL,
        refresh_token=raw,
        refresh_expires_in=settings.REFRESH_TOKEN_TTL,
        user=user,
    )


async def refresh(
    session: AsyncSession,
    settings: Settings,
    raw: str,
    now: dt.datetime,
    *,
    user_agent: str | None = None,
) -> IssuedTokens | None:
    """Rotate a refresh token. None means 401; the caller commits first (reuse revokes).

    `now` is when this request began. A token rotated after that was rotated by a
    request that overlapped this one (two tabs refreshing at once): this one lost the
    race and the family lives on. On PostgreSQL the loser usually reads the token before
    the winner commits and fails the conditional UPDATE; on SQLite, whose transactions
    queue, it reads the rotated token; both end here. A token rotated before this
    request began is a replay of a copy: the whole family is revoked.
    """
    tokens = RefreshTokenRepository(session)
    row = await tokens.by_hash(hash_refresh_token(raw))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.rotated_at is not None:
        if row.rotated_at <= now:
            await _revoke_reused_family(session, row, now)
        return None
    # The conditional UPDATE lets exactly one of two concurrent refreshes win.
    if not await tokens.rotate(row.id, utcnow()):
        return None
    user = await UserRepository(session).get(row.user_id)
    if user is None or not is_allowed(user) or _issued_before_revocation(row, user):
        await tokens.revoke_family(row.family_id, now)
        return None
    return await issue_tokens(
        session, settings, user, now, family_id=row.family_id, user_agent=user_agent
    )


def _issued_before_revocation(row: RefreshToken, user: User) -> bool:
    """A token dated before the user's last revocation (one a sign-in that overlapped
    the revocation wrote after it) is dead even if the revocation did not see it."""
    return user.tokens_valid_after is not None and row.created_at < user.tokens_valid_after


async def _revoke_reused_family(session: AsyncSession, row: RefreshToken, now: dt.datetime) -> None:
    """A rotated token came back: someone holds a copy. End the whole family."""
    await RefreshTokenRepository(session).revoke_family(row.family_id, now)
    user = await UserRepository(session).get(row.user_id)
    await audit.record(
        session,
        AuditAction.AUTH_REFRESH_REUSED,
        actor=actor_of(user) if user else None,
        target_type="user",
        target_id=row.user_id,
        target_label=user.name if user else None,
        details={"family_id": str(row.family_id)},
        store_id=user.store_id if user else None,
    )


async def logout(
    session: AsyncSession,
    user_id: uuid.UUID,
    refresh_token: str | None,
    session_id: uuid.UUID | None,
    now: dt.datetime,
) -> None:
    """Revoke the family of the given refresh token, else that of the access token."""
    tokens = RefreshTokenRepository(session)
    family = session_id
    if refresh_token is not None:
        row = await tokens.by_hash(hash_refresh_token(refresh_token))
        family = row.family_id if row is not None and row.user_id == user_id else None
    if family is not None:
        await tokens.revoke_family(family, now, user_id=user_id)
    user = await UserRepository(session).get(user_id)
    if user is not None:
        await audit.record(
            session,
            AuditAction.AUTH_LOGOUT,
            actor=actor_of(user),
            target_type="user",
            target_id=user.id,
            target_label=user.name,
            store_id=user.store_id,
        )


async def logout_all(session: AsyncSession, user_id: uuid.UUID, now: dt.datetime) -> None:
    user = await UserRepository(session).get(user_id)
    if user is None:
        return
    await end_sessions(session, user, now)
    await audit.record(
        session,
        AuditAction.AUTH_LOGOUT_ALL,
        actor=actor_of(user),
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        store_id=user.store_id,
    )
