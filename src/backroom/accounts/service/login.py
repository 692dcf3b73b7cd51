"""Sign-in with email + password or partner number + PIN, with per-account lockout.

Every path does one Argon2 verify (against a dummy hash when there is nothing real
to check), so an unknown, locked or deactivated account looks and costs the same as
a wrong secret. A failure is returned, not raised: its counter and audit event must
be committed even though the client gets a 401.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.accounts.repository import UserRepository
from backroom.accounts.service.common import actor_of, is_allowed
from backroom.core import audit
from backroom.core.audit import AuditAction
from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher, Verified


@dataclass(frozen=True, slots=True)
class Credentials:
    kind: Literal["password", "pin"]
    identifier: str  # a normalised email or partner number
    secret: str


async def sign_in(
    session: AsyncSession,
    hasher: SecretHasher,
    settings: Settings,
    credentials: Credentials,
    now: dt.datetime,
) -> User | None:
    """The signed-in user, or None for "Invalid credentials"."""
    users = UserRepository(session)
    if credentials.kind == "password":
        user = await users.by_email(credentials.identifier)
    else:
        user = await users.by_partner_number(credentials.identifier)
    if user is None:
        await _verify(hasher, credentials, None)
        await _failed(session, None, credentials, "unknown_account")
        return None
    if await users.claim_attempt(user.id, now) is None:
        await _verify(hasher, credentials, None)
        await _failed(session, user, credentials, "locked")
        return None
    verified = await _verify(hasher, credentials, _stored(user, credentials))
    if not verified.ok or not is_allowed(user):
        await _failed(session, user, credentials, "inactive" if verified.ok else "wrong_secret")
        await _maybe_lock(session, settings, user, now)
        return None
    await users.reset_attempts(user.id)
    await _record_success(session, user, credentials, verified, now)
    return user


def _stored(user: User, credentials: Credentials) -> str | None:
    return user.password_hash if credentials.kind == "password" else user.pin_hash


async def _verify(hasher: SecretHasher, credentials: Credentials, stored: str | None) -> Verified:
    if credentials.kind == "password":
        return await hasher.verify_password(credentials.secret, stored)
    return await hasher.verify_pin(credentials.secret, stored)


async def _maybe_lock(
    session: AsyncSession, settings: Settings, user: User, now: dt.datetime
) -> None:
    until = await UserRepository(session).lock(
        user.id,
        settings.LOCKOUT_THRESHOLD,
        now,
        settings.LOCKOUT_BASE_SECONDS,
        settings.LOCKOUT_MAX_SECONDS,
    )
    if until is None:
        return
    await audit.record(
        session,
        AuditAction.AUTH_ACCOUNT_LOCKED,
        actor=None,
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        details={"locked_until": until.isoformat()},
        store_id=user.store_id,
    )


async def _failed(
    session: AsyncSession, user: User | None, credentials: Credentials, reason: str
) -> None:
    await audit.record(
        session,
        AuditAction.AUTH_LOGIN_FAILED,
        actor=None,
        target_type="user",
        target_id=user.id if user else None,
        target_label=user.name if user else credentials.identifier,
        details={"method": credentials.kind, "reason": reason},
        store_id=user.store_id if user else None,
    )


async def _record_success(
    session: AsyncSession,
    user: User,
    credentials: Credentials,
    verified: Verified,
    now: dt.datetime,
) -> None:
    new_hashes: dict[str, str] = {}
    if verified.new_hash is not None:  # the parameters changed since this hash was made
        column = "password_hash" if credentials.kind == "password" else "pin_hash"
        new_hashes[column] = verified.new_hash
    await UserRepository(session).record_sign_in(user.id, now, new_hashes)
    await audit.record(
        session,
        AuditAction.AUTH_LOGIN_SUCCEEDED,
        actor=actor_of(user),
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        details={"method": credentials.kind},
        store_id=user.store_id,
    )
