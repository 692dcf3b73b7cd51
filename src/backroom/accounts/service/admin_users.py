"""An admin manages the users of its own store; other stores' users do not exist for it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import policy
from backroom.accounts.auth_state import auth_changed
from backroom.accounts.errors import (
    EmailTaken,
    NotOnYourself,
    PartnerNumberTaken,
    UserAlreadyDeleted,
    UserNotDeleted,
    UserNotFound,
)
from backroom.accounts.models import Role, User
from backroom.accounts.repository import UserFilter, UserRepository
from backroom.accounts.schemas import UserCreate, UserUpdate
from backroom.accounts.service.common import end_sessions
from backroom.core import audit
from backroom.core.audit import Actor, AuditAction
from backroom.core.passwords import SecretHasher


async def list_users(
    session: AsyncSession, store_id: uuid.UUID, filters: UserFilter, *, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    return await UserRepository(session).list_in_store(
        store_id, filters, limit=limit, offset=offset
    )


async def store_user(
    session: AsyncSession, store_id: uuid.UUID, user_id: uuid.UUID, *, deleted_ok: bool = False
) -> User:
    """A user of the admin's store, else 404 (the same for a missing id)."""
    user = await UserRepository(session).in_store(store_id, user_id)
    if user is None or (user.deleted_at is not None and not deleted_ok):
        raise UserNotFound
    return user


async def create_user(
    session: AsyncSession, admin: Actor, body: UserCreate, *, pin_hash: str
) -> User:
    """`pin_hash` is made by the caller before the first query, so no transaction waits on it."""
    assert admin.store_id is not None  # AdminUser guarantees a store
    users = UserRepository(session)
    if await users.by_partner_number(body.partner_number) is not None:
        raise PartnerNumberTaken
    if body.email is not None and await users.by_email(body.email) is not None:
        raise EmailTaken
    first, last = policy.split_name(body.name)
    user = User(
        partner_number=body.partner_number,
        email=body.email,
        first_name=first,
        last_name=last,
        display_name=body.name,
        pin_hash=pin_hash,
        role=body.role,
        store_id=admin.store_id,
    )
    try:
        await users.add(user)
    except IntegrityError:  # created concurrently
        raise PartnerNumberTaken from None
    await _record(session, AuditAction.ACCOUNTS_USER_CREATED, admin, user, {"role": user.role})
    return user


async def update_user(
    session: AsyncSession, admin: Actor, user: User, body: UserUpdate, now: dt.datetime
) -> User:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if user.id == admin.id and (
        changes.get("role", user.role) != Role.ADMIN.value or changes.get("is_active") is False
    ):
        raise NotOnYourself
    if "name" in changes:
        user.display_name = changes["name"]
    revoke = False
    if "role" in changes and changes["role"] != user.role:
        user.role = changes["role"]
        revoke = True
    if "is_active" in changes and changes["is_active"] != user.is_active:
        user.is_active = changes["is_active"]
        revoke = not user.is_active
    if revoke:
        await end_sessions(session, user, now)
    auth_changed(session, user.id)
    await session.flush()
    await _record(session, AuditAction.ACCOUNTS_USER_UPDATED, admin, user, {"changes": changes})
    return user


async def reset_pin(
    session: AsyncSession,
    hasher: SecretHasher,
    admin: Actor,
    *,
    user: User,
    pin: str,
    now: dt.datetime,
) -> None:
    user.pin_hash = await hasher.hash_pin(pin)
    await end_sessions(session, user, now)
    await UserRepository(session).reset_attempts(user.id)
    await _record(session, AuditAction.ACCOUNTS_PIN_RESET, admin, user)


async def unlock_user(session: AsyncSession, admin: Actor | None, user: User) -> None:
    await UserRepository(session).reset_attempts(user.id)
    await _record(session, AuditAction.ACCOUNTS_USER_UNLOCKED, admin, user)


async def delete_user(session: AsyncSession, admin: Actor, user: User, now: dt.datetime) -> User:
    """Soft delete: the row stays (its partner number is never reused), its tokens die."""
    if user.id == admin.id:
        raise NotOnYourself
    if user.deleted_at is not None:
        raise UserAlreadyDeleted
    user.deleted_at = now
    await end_sessions(session, user, now)
    await session.flush()
    await _record(session, AuditAction.ACCOUNTS_USER_DELETED, admin, user)
    return user


async def restore_user(session: AsyncSession, admin: Actor, user: User) -> User:
    if user.deleted_at is None:
        raise UserNotDeleted
    user.deleted_at = None
    auth_changed(session, user.id)
    await session.flush()
    await _record(session, AuditAction.ACCOUNTS_USER_RESTORED, admin, user)
    return user


async def _record(
    session: AsyncSession,
    action: AuditAction,
    admin: Actor | None,
    user: User,
    details: dict[str, object] | None = None,
) -> None:
    await audit.record(
        session,
        action,
        actor=admin,
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        details=details,
        store_id=user.store_id,
    )
