"""What a token cannot know: is its user still allowed in, with which role and store.

Each worker keeps every user's auth state for `AUTH_STATE_TTL` seconds (≤ 60), loaded
on a miss in a short session of its own. A deactivation, deletion, role change,
password or PIN change or logout-all bumps `tokens_valid_after` (or flips `is_active`)
in the database, so every worker refuses the old tokens once its entry expires; the
worker that made the change drops its entry at once.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from backroom.accounts.models import Role, User

MAX_ENTRIES = 50_000


@dataclass(frozen=True, slots=True)
class AuthState:
    user_id: uuid.UUID
    is_active: bool
    deleted: bool
    role: Role
    store_id: uuid.UUID | None
    tokens_valid_after: float | None
    name: str

    @property
    def allowed(self) -> bool:
        return self.is_active and not self.deleted

    def accepts(self, issued_at: float) -> bool:
        if not self.allowed:
            return False
        return self.tokens_valid_after is None or issued_at >= self.tokens_valid_after

    def accepts_external(self, issued_at: float | None) -> bool:
        """The same for a Better Auth token, whose `iat` (if any) is in whole seconds.

        Once the user has revoked their sessions, a token that does not say when it was
        issued is refused, and one issued in the revocation's second is accepted (it may
        have been minted just after it: the second is all the token can tell).
        """
        if not self.allowed:
            return False
        if self.tokens_valid_after is None:
            return True
        return issued_at is not None and math.floor(issued_at) >= math.floor(
            self.tokens_valid_after
        )

    @classmethod
    def of(cls, user: User) -> AuthState:
        return cls(
            user_id=user.id,
            is_active=user.is_active,
            deleted=user.deleted_at is not None,
            role=Role(user.role),
            store_id=user.store_id,
            tokens_valid_after=user.tokens_valid_after.timestamp()
            if user.tokens_valid_after
            else None,
            name=user.name,
        )


async def load_auth_state(session: AsyncSession, user_id: uuid.UUID) -> AuthState | None:
    user = await session.get(User, user_id)
    return AuthState.of(user) if user is not None else None


class AuthStateCache:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl: int) -> None:
        self._sessionmaker = sessionmaker
        self._ttl = ttl
        self._entries: dict[uuid.UUID, tuple[float, AuthState | None]] = {}
        # One load per user at a time: a burst of requests after expiry shares it.
        self._loading: dict[uuid.UUID, asyncio.Task[AuthState | None]] = {}
        self.loads = 0  # how many times the database was asked (tests and metrics read it)
        self._generation = 0  # bumped by forget(), so a load that raced a change is not kept

    async def get(self, user_id: uuid.UUID) -> AuthState | None:
        entry = self._entries.get(user_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        task = self._loading.get(user_id)
        if task is None:
            task = asyncio.create_task(self._load(user_id))
            self._loading[user_id] = task
            task.add_done_callback(lambda _done: self._loading.pop(user_id, None))
        return await asyncio.shield(task)

    async def _load(self, user_id: uuid.UUID) -> AuthState | None:
        self.loads += 1
        started, generation = time.monotonic(), self._generation
        async with self._sessionmaker() as session:
            state = await load_auth_state(session, user_id)
        if generation == self._generation:
            self._remember(user_id, state, started)
        return state

    def _remember(self, user_id: uuid.UUID, state: AuthState | None, now: float) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            while len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
        self._entries[user_id] = (now + self._ttl, state)

    def forget(self, user_id: uuid.UUID) -> None:
        self._generation += 1
        self._entries.pop(user_id, None)


_CACHE_KEY = "backroom.auth_state_cache"
_CHANGED_KEY = "backroom.auth_state_changed"


def attach(sessionmaker: async_sessionmaker[AsyncSession], cache: AuthStateCache) -> None:
    """Let every session of this app drop changed users from `cache` when it commits."""
    sessionmaker.configure(info={_CACHE_KEY: cache})


def auth_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Note that this user's auth state changes with the session's transaction."""
    session.info.setdefault(_CHANGED_KEY, set()).add(user_id)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    changed: set[uuid.UUID] | None = session.info.pop(_CHANGED_KEY, None)
    cache = session.info.get(_CACHE_KEY)
    if changed and isinstance(cache, AuthStateCache):
        for user_id in changed:
            cache.forget(user_id)


@event.listens_for(Session, "after_rollback")
def _drop_uncommitted(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)
