"""Every query of the accounts domain."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from backroom.accounts.models import RefreshToken, Store, User
from backroom.core.repository import Repository

# Sign-in bookkeeping is not an edit of the account: keep `updated_at` (an UPDATE would
# otherwise apply the column's onupdate default).
_KEEP_UPDATED_AT = {"updated_at": User.updated_at}


@dataclass(frozen=True, slots=True)
class UserFilter:
    role: str | None = None
    q: str | None = None
    include_deleted: bool = False


class StoreRepository(Repository[Store]):
    model = Store

    async def by_name(self, name: str) -> Store | None:
        return await self.one_or_none(select(Store).where(Store.name == name))

    async def all_stores(self) -> Sequence[Store]:
        return await self.all(select(Store).order_by(Store.created_at, Store.id).limit(1000))


class UserRepository(Repository[User]):
    model = User

    async def by_email(self, email: str) -> User | None:
        return await self.one_or_none(select(User).where(User.email == email))

    async def by_partner_number(self, number: str) -> User | None:
        return await self.one_or_none(select(User).where(User.partner_number == number))

    async def by_external_id(self, external_id: str) -> User | None:
        return await self.one_or_none(select(User).where(User.external_id == external_id))

    async def in_store(self, store_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
        """A user of this store (deleted ones included); another store's user reads as None."""
        statement = select(User).where(User.id == user_id, User.store_id == store_id)
        return await self.one_or_none(statement)

    async def list_in_store(
        self, store_id: uuid.UUID, filters: UserFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        statement = select(User).where(User.store_id == store_id)
        if not filters.include_deleted:
            statement = statement.where(User.deleted_at.is_(None))
        if filters.role:
            statement = statement.where(User.role == filters.role)
        if filters.q:
            pattern = (
                "%" + filters.q.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
            )
            statement = statement.where(
                or_(
                    func.lower(func.coalesce(User.display_name, "")).like(pattern),
                    func.lower(
                        func.coalesce(User.first_name, "") + " " + func.coalesce(User.last_name, "")
                    ).like(pattern),
                    func.lower(func.coalesce(User.partner_number, "")).like(pattern),
                    func.lower(func.coalesce(User.email, "")).like(pattern),
                )
            )
        statement = statement.order_by(User.created_at.desc(), User.id.desc())
        return await self.page(statement, limit=limit, offset=offset)

    async def all_users(self, limit: int = 1000) -> Sequence[User]:
        return await self.all(select(User).order_by(User.created_at, User.id).limit(limit))

    async def any_admin(self) -> bool:
        statement = select(User.id).where(User.role == "admin", User.deleted_at.is_(None))
        return (await self.session.execute(statement.limit(1))).first() is not None

    async def claim_attempt(self, user_id: uuid.UUID, now: dt.datetime) -> int | None:
        """Count a sign-in attempt before checking the secret; None while the account is locked.

        One atomic UPDATE, so concurrent guesses each get their own number and none can
        slip past the threshold; the row lock also orders them on PostgreSQL. An unknown
        account runs the same statement with an id no row has (the same database work).
        """
        statement = (
            update(User)
            .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
            .values(failed_login_count=User.failed_login_count + 1, **_KEEP_UPDATED_AT)
            .returning(User.failed_login_count)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def lock(
        self, user_id: uuid.UUID, threshold: int, now: dt.datetime, base: int, maximum: int
    ) -> dt.datetime | None:
        """Lock the account if it reached the threshold; each repeat lock lasts twice as long."""
        statement = (
            update(User)
            .where(User.id == user_id, User.failed_login_count >= threshold)
            .values(failed_login_count=0, lockout_count=User.lockout_count + 1, **_KEEP_UPDATED_AT)
            .returning(User.lockout_count)
            .execution_options(synchronize_session=False)
        )
        repeat = (await self.session.execute(statement)).scalar_one_or_none()
        if repeat is None:
            return None
        seconds = min(maximum, base * 2 ** min(repeat - 1, 32))
        until = now + dt.timedelta(seconds=seconds)
        await self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(locked_until=until, **_KEEP_UPDATED_AT)
            .execution_options(synchronize_session=False)
        )
        return until

    async def reset_attempts(self, user_id: uuid.UUID) -> None:
        await self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_login_count=0, lockout_count=0, locked_until=None, **_KEEP_UPDATED_AT)
            .execution_options(synchronize_session=False)
        )

    async def record_sign_in(
        self, proof: SecretProof, now: dt.datetime, new_hash: str | None
    ) -> bool:
        """Stamp a successful sign-in, only if nothing ended its sessions since it began.

        The secret must still be the one that was verified, and no logout-all, PIN
        reset or deactivation may have happened since `proof.began`; otherwise nothing
        is written and the sign-in fails. A Core UPDATE: `updated_at` does not move.
        """
        values: dict[str, object] = {
            "failed_login_count": 0,
            "lockout_count": 0,
            "locked_until": None,
            "last_login_at": now,
        }
        if new_hash is not None:  # the parameters changed since this hash was made
            values[proof.column] = new_hash
        statement = (
            update(User)
            .where(*proof.conditions())
            .values(**values, **_KEEP_UPDATED_AT)
            .returning(User.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def replace_secret(self, proof: SecretProof, new_hash: str) -> bool:
        """Set a new password or PIN hash, only if the verified one is still current."""
        statement = (
            update(User)
            .where(*proof.conditions())
            .values({proof.column: new_hash, "failed_login_count": 0, "lockout_count": 0})
            .returning(User.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None


@dataclass(frozen=True, slots=True)
class SecretProof:
    """What a successful check proved: this hash was the account's secret at `began`.

    Writes that act on the check are conditional on it, so a sign-in or a secret change
    that overlaps a PIN reset, password change, logout-all or deactivation loses.
    """

    user_id: uuid.UUID
    column: Literal["password_hash", "pin_hash"]
    verified_hash: str
    began: dt.datetime

    def conditions(self) -> tuple[ColumnElement[bool], ...]:
        return (
            User.id == self.user_id,
            getattr(User, self.column) == self.verified_hash,
            or_(User.tokens_valid_after.is_(None), User.tokens_valid_after <= self.began),
            User.is_active.is_(True),
            User.deleted_at.is_(None),
        )


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
        return await self.one_or_none(statement)

    async def rotate(self, token_id: uuid.UUID, now: dt.datetime) -> bool:
        """Mark the token used at `now` (the instant of the rotation, not of the request);
        False if another request used or revoked it first."""
        statement = (
            update(RefreshToken)
            .where(
                RefreshToken.id == token_id,
                RefreshToken.rotated_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(rotated_at=now)
            .returning(RefreshToken.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def revoke_family(
        self, family_id: uuid.UUID, now: dt.datetime, *, user_id: uuid.UUID | None = None
    ) -> None:
        condition = and_(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        if user_id is not None:
            condition = and_(condition, RefreshToken.user_id == user_id)
        await self.session.execute(
            update(RefreshToken)
            .where(condition)
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    async def revoke_user(
        self, user_id: uuid.UUID, now: dt.datetime, *, keep_family: uuid.UUID | None = None
    ) -> None:
        condition = and_(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        if keep_family is not None:
            condition = and_(condition, RefreshToken.family_id != keep_family)
        await self.session.execute(
            update(RefreshToken)
            .where(condition)
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )

    async def confirm_family(self, family_id: uuid.UUID, now: dt.datetime) -> None:
        """Date the family's live token `now`: its holder just proved the account's secret,
        so it outlives the `tokens_valid_after` that the same change sets."""
        await self.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.family_id == family_id,
                RefreshToken.rotated_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(created_at=now)
            .execution_options(synchronize_session=False)
        )
