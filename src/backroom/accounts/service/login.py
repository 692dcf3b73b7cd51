"""Sign-in with email + password or partner number + PIN, with per-account lockout.

A sign-in has three steps so that the slow hash never runs inside a transaction
(on SQLite a transaction holds the database's one write lock):

1. `begin`: find the account and count the attempt with one atomic UPDATE, before
   the secret is checked, so concurrent guesses each get their own number and none
   can slip past the threshold. The caller commits.
2. `check`: one Argon2 verify — against a dummy hash when there is nothing real to
   check (unknown, locked, over budget), so every failure costs the same.
3. `finish`: reset the counter on success; on failure audit it and lock the account
   at the threshold. A failure is returned, not raised: the caller commits it and
   then answers 401, one body for every reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.accounts.repository import UserRepository
from backroom.accounts.service.common import actor_of, is_allowed
from backroom.core import audit, metrics
from backroom.core.audit import AuditAction
from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher, Verified


@dataclass(frozen=True, slots=True)
class Credentials:
    kind: Literal["password", "pin"]
    identifier: str  # a normalised email or partner number
    secret: str


@dataclass(frozen=True, slots=True)
class Attempt:
    credentials: Credentials
    user: User | None
    # This attempt's number since the last success or lock; None while the account is locked.
    number: int | None
    threshold: int

    @property
    def checkable(self) -> bool:
        """Worth a real verify: a known account within its attempt budget."""
        return self.user is not None and self.number is not None and self.number <= self.threshold


async def begin(
    session: AsyncSession, settings: Settings, credentials: Credentials, now: dt.datetime
) -> Attempt:
    users = UserRepository(session)
    if credentials.kind == "password":
        user = await users.by_email(credentials.identifier)
    else:
        user = await users.by_partner_number(credentials.identifier)
    number = await users.claim_attempt(user.id, now) if user is not None else None
    return Attempt(credentials, user, number, settings.LOCKOUT_THRESHOLD)


async def check(hasher: SecretHasher, attempt: Attempt) -> Verified:
    stored = _stored(attempt.user, attempt.credentials) if attempt.checkable else None
    verified = await _verify(hasher, attempt.credentials, stored)
    return verified if attempt.checkable else Verified(ok=False)


async def finish(
    session: AsyncSession,
    settings: Settings,
    attempt: Attempt,
    verified: Verified,
    now: dt.datetime,
) -> User | None:
    """The signed-in user, or None for "Invalid credentials"."""
    user, credentials = attempt.user, attempt.credentials
    if user is None:
        await _failed(session, None, credentials, "unknown_account")
        return None
    if not attempt.checkable:
        await _failed(session, user, credentials, "locked")
        if attempt.number is not None:  # over budget: lock if no one has yet
            await _maybe_lock(session, settings, user, credentials.kind, now)
        return None
    if not verified.ok or not is_allowed(user):
        await _failed(session, user, credentials, "inactive" if verified.ok else "wrong_secret")
        await _maybe_lock(session, settings, user, credentials.kind, now)
        return None
    await UserRepository(session).reset_attempts(user.id)
    await _record_success(session, user, credentials, verified, now)
    return user


def _stored(user: User | None, credentials: Credentials) -> str | None:
    if user is None:
        return None
    return user.password_hash if credentials.kind == "password" else user.pin_hash


async def _verify(hasher: SecretHasher, credentials: Credentials, stored: str | None) -> Verified:
    if credentials.kind == "password":
        return await hasher.verify_password(credentials.secret, stored)
    return await hasher.verify_pin(credentials.secret, stored)


async def _maybe_lock(
    session: AsyncSession, settings: Settings, user: User, method: str, now: dt.datetime
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
    metrics.LOCKOUTS.labels(method).inc()
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
    metrics.LOGIN_FAILURES.labels(credentials.kind).inc()
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
