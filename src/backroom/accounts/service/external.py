"""Local accounts for Better Auth users, created the first time their id is seen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backroom.accounts import policy
from backroom.accounts.models import Role, User
from backroom.accounts.repository import UserRepository
from backroom.core import audit
from backroom.core.audit import AuditAction


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    subject: str
    email: str | None = None
    name: str | None = None


async def local_user_id(
    sessionmaker: async_sessionmaker[AsyncSession], identity: ExternalIdentity
) -> uuid.UUID:
    """The local user of an external subject, created (role `user`) on first sight.

    Runs in sessions of its own. Two first sights at once both try to insert; the
    unique `external_id` lets one win and the other reads the winner's row. The
    token's email is kept in `external_email`, outside the uniqueness of local
    accounts: it never blocks a registration or an admin-created account.
    """
    async with sessionmaker() as session:
        found = await UserRepository(session).by_external_id(identity.subject)
        if found is not None:
            return found.id
    async with sessionmaker() as session:
        try:
            user = await _create(session, identity)
            await session.commit()
        except IntegrityError:
            await session.rollback()
        else:
            return user.id
        found = await UserRepository(session).by_external_id(identity.subject)
        if found is not None:
            return found.id
    raise RuntimeError("could not create a local user for an external subject")


async def _create(session: AsyncSession, identity: ExternalIdentity) -> User:
    user = User(
        external_id=identity.subject,
        external_email=_clean_email(identity.email),
        display_name=(identity.name or "").strip()[:100] or None,
        role=Role.USER.value,
    )
    await UserRepository(session).add(user)
    await audit.record(
        session,
        AuditAction.ACCOUNTS_USER_REGISTERED,
        actor=None,
        target_type="user",
        target_id=user.id,
        target_label=user.name,
        details={"method": "better_auth"},
    )
    return user


def _clean_email(email: str | None) -> str | None:
    if not email:
        return None
    try:
        return policy.normalize_email(email)
    except ValueError:
        return None
