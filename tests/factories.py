"""Plain async factories: they write real rows through the ORM and commit."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts.models import Role, Store, User
from backroom.core.config import Settings
from backroom.core.passwords import SecretHasher
from backroom.core.security import create_access_token

_sequence = itertools.count(1)


async def make_store(session: AsyncSession, *, name: str | None = None) -> Store:
    store = Store(name=name or f"Store {next(_sequence)}", timezone="America/Los_Angeles")
    session.add(store)
    await session.commit()
    return store


async def make_user(
    session: AsyncSession,
    *,
    role: Role = Role.USER,
    store: Store | None = None,
    email: str | None = None,
    partner_number: str | None = None,
    first_name: str = "Test",
    last_name: str | None = None,
    password: str | None = None,
    pin: str | None = None,
    settings: Settings | None = None,
) -> User:
    """A user; with `password` or `pin` (and `settings`, for the parameters) it can sign in."""
    number = next(_sequence)
    if role != Role.USER and store is None:
        store = await make_store(session)
    user = User(
        email=email if email is not None else f"user{number}@example.com",
        partner_number=partner_number,
        first_name=first_name,
        last_name=last_name or f"User{number}",
        role=role.value,
        store_id=store.id if store else None,
    )
    if password is not None or pin is not None:
        assert settings is not None, "hashing needs the test settings"
        hasher = SecretHasher(settings)
        if password is not None:
            user.password_hash = await hasher.hash_password(password)
        if pin is not None:
            user.pin_hash = await hasher.hash_pin(pin)
    session.add(user)
    await session.commit()
    return user


def auth_headers(settings: Settings, user: User) -> dict[str, str]:
    token = create_access_token(settings, subject=user.id, role=user.role, store_id=user.store_id)
    return {"Authorization": f"Bearer {token}"}


def random_uuid() -> str:
    return str(uuid.uuid4())


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif value is not None:
        yield str(value)


def _is_id_or_instant(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        pass
    else:
        return True
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def assert_not_echoed(response: httpx.Response, secret: str) -> None:
    """No key or value of the JSON body holds `secret`.

    Ids and timestamps are left out: a random UUID or a microsecond may hold a PIN's
    four digits by chance, and echoing a secret would never take that shape.
    """
    for text in _texts(response.json()):
        if not _is_id_or_instant(text):
            assert secret not in text, f"{secret!r} echoed in {text!r}"
