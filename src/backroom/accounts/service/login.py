"""Sign-in with email + password or partner number + PIN, with per-account lockout.

A sign-in has three steps so that the slow hash never runs inside a transaction
(on SQLite a transaction holds the database's one write lock):

1. `begin`: find the account and count the attempt with one atomic UPDATE, before
   the secret is checked, so concurrent guesses each get their own number and none
   can slip past the threshold. The caller commits.
2. `check`: one Argon2 verify — against a dummy hash when there is nothing real to
   check (unknown, locked, over budget), so every failure costs the same.
3. `finish`: on success, reset the counter with an UPDATE that holds only if the
   verified hash is still the account's and no revocation (PIN reset, password
   change, logout-all, deactivation) happened since the attempt began; tokens are
   dated when the attempt began. On failure audit it and lock the account at the
   threshold. A failure is returned, not raised: the caller commits it and then
   answers 401, one body for every reason.

A known and an unknown account run the same statements in both transactions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import User
from backroom.accounts.repository import SecretProof, UserRepository
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
    # When the attempt began: what it issues is dated then, so a revocation that lands
    # while the secret is being checked also covers it.
    began: dt.datetime

    @property
    def checkable(self) -> bool:
        """Worth a real verify: a known account within its attempt budget."""
        return self.user is not None and self.number is not None and self.number <= self.threshold

    def proof(self) -> SecretProof:
        """What a successful check of this attempt proves (only for a checkable one)."""
        assert self.user is not None
        stored = _stored(self.user, self.credentials)
        assert stored is not None
        column: Literal["password_hash", "pin_hash"] = (
            "password_hash" if self.credentials.kind == "password" else "pin_hash"
        )
        return SecretProof(self.user.id, column, stored, self.began)


async def begin(
    session: AsyncSession, settings: Settings, credentials: Credentials, now: dt.datetime
) -> Attempt:
    users = UserRepository(session)
    if credentials.kind == "password":
        user = await users.by_email(credentials.identifier)
    else:
        user = await users.by_partner_number(credentials.identifier)
    return await begin_for(session, settings, credentials, user, now)


async def begin_for(
    session: AsyncSession,
    settings: Settings,
    credentials: Credentials,
    user: User | None,
    now: dt.datetime,
) -> Attempt:
    """Count an attempt on `user` (also a change of password or PIN, which checks the current one).

    An unknown account runs the same UPDATE with an id that no row has, so both paths
    do the same database work and cannot be told apart by their timing.
    """
    number = await UserRepository(session).claim_attempt(_id_of(user), now)
    return Attempt(credentials, user, number, settings.LOCKOUT_THRESHOLD, now)


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
    if user is None or not attempt.checkable or not verified.ok or not is_allowed(user):
        await failed(session, settings, attempt, verified, now)
        return None
    users = UserRepository(session)
    if not await users.record_sign_in(attempt.proof(), now, verified.new_hash):
        # The secret changed, or the sessions were ended, while it was being checked.
        await _failed(session, user, credentials, "superseded")
        return None
    await _record_success(session, user, credentials)
    return user


async def failed(
    session: AsyncSession,
    settings: Settings,
    attempt: Attempt,
    verified: Verified,
    now: dt.datetime,
) -> bool:
    """Audit a failed attempt and lock the account at the threshold; True if it locked now.

    Every failure runs the same statements (an unknown account's with an id no row has).
    """
    user = attempt.user
    if user is None:
        reason = "unknown_account"
    elif not attempt.checkable:
        reason = "locked"
    else:
        reason = "inactive" if verified.ok else "wrong_secret"
    await _failed(session, user, attempt.credentials, reason)
    return await _maybe_lock(session, settings, user, attempt.credentials.kind, now)


def _id_of(user: User | None) -> uuid.UUID:
    return user.id if user is not None else uuid.uuid4()


def _stored(user: User | None, credentials: Credentials) -> str | None:
    if user is None:
        return None
    return user.password_hash if credentials.kind == "password" else user.pin_hash


async def _verify(hasher: SecretHasher, credentials: Credentials, stored: str | None) -> Verified:
    if credentials.kind == "password":
        return await hasher.verify_password(credentials.secret, stored)
    return await hasher.verify_pin(credentials.secret, stored)


async def _maybe_lock(
    session: AsyncSession, settings: Settings, user: User | None, method: str, now: dt.datetime
) -> bool:
    until = await UserRepository(session).lock(
        _id_of(user),
        settings.LOCKOUT_THRESHOLD,
        now,
        settings.LOCKOUT_BASE_SECONDS,
        settings.LOCKOUT_MAX_SECONDS,
    )
    if until is None or user is None:
        return False
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
    return True


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


async def _record_success(session: AsyncSession, user: User, credentials: Credentials) -> None:
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
