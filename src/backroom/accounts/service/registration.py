"""Self-service accounts: email registration and (when allowed) staff self-signup."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import policy
from backroom.accounts.errors import (
    EmailTaken,
    PartnerNumberTaken,
    RegistrationClosed,
    StaffSignupClosed,
)
from backroom.accounts.models import Role, User
from backroom.accounts.repository import StoreRepository, UserRepository
from backroom.accounts.schemas import RegisterRequest, StaffSignupRequest
from backroom.accounts.service.common import actor_of
from backroom.core import audit
from backroom.core.audit import AuditAction
from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher


async def register(
    session: AsyncSession, hasher: SecretHasher, settings: Settings, body: RegisterRequest
) -> User:
    """A new `user` account signed in with email and password."""
    if not settings.ALLOW_REGISTRATION:
        raise RegistrationClosed
    # Hashed before the first query, so no transaction (on SQLite: the write lock) waits on it.
    password_hash = await hasher.hash_password(body.password)
    users = UserRepository(session)
    if await users.by_email(body.email) is not None:
        raise EmailTaken
    user = User(
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        password_hash=password_hash,
        role=Role.USER.value,
    )
    try:
        await users.add(user)
    except IntegrityError:  # registered concurrently with the same email
        raise EmailTaken from None
    await _registered(session, user, "email")
    return user


async def signup_staff(
    session: AsyncSession, hasher: SecretHasher, settings: Settings, body: StaffSignupRequest
) -> User:
    """A staff account created by its owner; only with ALLOW_STAFF_SIGNUP and one store."""
    if not settings.ALLOW_STAFF_SIGNUP:
        raise StaffSignupClosed
    pin_hash = await hasher.hash_pin(body.pin)
    stores = await StoreRepository(session).all_stores()
    if len(stores) != 1:
        # With several stores, a self-signup could not know which one it belongs to.
        raise StaffSignupClosed
    users = UserRepository(session)
    if await users.by_partner_number(body.partner_number) is not None:
        raise PartnerNumberTaken
    first, last = policy.split_name(body.name)
    user = User(
        partner_number=body.partner_number,
        first_name=first,
        last_name=last,
        display_name=body.name,
        pin_hash=pin_hash,
        role=Role.STAFF.value,
        store_id=stores[0].id,
    )
    try:
        await users.add(user)
    except IntegrityError:
        raise PartnerNumberTaken from None
    await _registered(session, user, "partner_number")
    return user


async def _registered(session: AsyncSession, user: User, method: str) -> None:
    await audit.record(
        session,
        AuditAction.ACCOUNTS_USER_REGISTERED,
        actor=actor_of(user),
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        details={"method": method, "role": user.role},
        store_id=user.store_id,
    )
