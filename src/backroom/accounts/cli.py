"""`backroom stores ...` and `backroom users ...`: the first admin, stores, unlocking.

Missing values are asked for only when a person is at the terminal; in scripts a
missing or bad value stops the command with a one-line message and a non-zero exit.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.accounts import policy
from backroom.accounts.errors import PartnerNumberTaken
from backroom.accounts.models import Role, Store, User
from backroom.accounts.repository import StoreRepository, UserRepository
from backroom.accounts.service import admin_users, stores
from backroom.core import audit
from backroom.core.audit import AuditAction
from backroom.core.config import Settings, SettingsError, load_settings
from backroom.core.db import Database
from backroom.core.errors import AppError
from backroom.core.migrations import DatabaseUnreachable, check_database
from backroom.core.passwords import SecretHasher

stores_app = typer.Typer(help="Stores.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)

DEFAULT_STORE_NAME = "Main Store"
T = TypeVar("T")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"backroom: {message}", err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise _fail(f"bad setting: {exc}", 2) from None


def _run(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run `work` in one transaction, committed if it returns."""
    settings = _settings()
    try:
        check_database(settings.DATABASE_URL)
    except DatabaseUnreachable as exc:
        raise _fail(str(exc)) from None

    async def main() -> T:
        database = Database(settings)
        try:
            async with database.sessionmaker() as session:
                result = await work(session, settings)
                await session.commit()
                return result
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        raise _fail(exc.detail) from None


def _value(
    given: str | None,
    label: str,
    check: Callable[[str], str],
    *,
    secret: bool = False,
    required: bool = True,
) -> str | None:
    """Validate a given value, or ask for it at a terminal; else stop with a message."""
    option = "--" + label.replace(" ", "-")
    if given is None and (not required or not sys.stdin.isatty()):
        if required:
            raise _fail(f"{option} is required")
        return None
    value = given if given is not None else typer.prompt(label, hide_input=secret)
    try:
        return check(value)
    except ValueError as exc:
        raise _fail(f"{option} {exc}", 2) from None


@stores_app.command("create")
def create_store(
    name: Annotated[str, typer.Argument(help="The store's name.")],
    timezone: Annotated[str | None, typer.Option(help="IANA time zone.")] = None,
) -> None:
    """Create a store."""

    async def work(session: AsyncSession, settings: Settings) -> Store:
        return await stores.create_store(session, name, timezone or settings.STORE_TIMEZONE)

    try:
        store = _run(work)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    typer.echo(f"Created store {store.name!r} ({store.id}, {store.timezone})")


@stores_app.command("list")
def list_stores() -> None:
    """List every store (id, name, time zone)."""

    async def work(session: AsyncSession, _settings: Settings) -> list[str]:
        return [
            f"{store.id}  {store.name}  {store.timezone}"
            for store in await StoreRepository(session).all_stores()
        ]

    lines = _run(work)
    typer.echo("\n".join(lines) if lines else "No stores yet.")


@users_app.command("create-admin")
def create_admin(
    *,
    partner_number: Annotated[str | None, typer.Option(help="4-20 letters or digits.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    pin: Annotated[str | None, typer.Option(help="4 digits.")] = None,
    email: Annotated[str | None, typer.Option(help="Optional email for password sign-in.")] = None,
    password: Annotated[str | None, typer.Option(help="Password (with --email).")] = None,
    store: Annotated[str | None, typer.Option(help="Name of an existing store.")] = None,
    create_store: Annotated[
        bool, typer.Option("--create-store", help="Create the --store named if it does not exist.")
    ] = False,
) -> None:
    """Create an admin who signs in with partner number + PIN (and optionally email + password)."""
    number = _value(partner_number, "partner number", policy.normalize_partner_number)
    display = _value(name, "name", lambda v: policy.check_name(v, max_length=100))
    secret_pin = _value(pin, "pin", policy.check_pin, secret=True)
    address = _value(email, "email", policy.normalize_email, required=False)
    secret = None
    if password is not None or address is not None:
        secret = _value(
            password, "password", lambda v: policy.check_password(v, email=address), secret=True
        )
    assert number
    assert display
    assert secret_pin

    async def work(session: AsyncSession, settings: Settings) -> tuple[User, Store]:
        users = UserRepository(session)
        if await users.by_partner_number(number) is not None:
            raise _fail(f"--partner-number {number}: {PartnerNumberTaken.detail.lower()}")
        target = await _admin_store(session, settings, store, create=create_store)
        hasher = SecretHasher(settings)
        first, last = policy.split_name(display)
        user = User(
            partner_number=number,
            email=address,
            first_name=first,
            last_name=last,
            display_name=display,
            pin_hash=await hasher.hash_pin(secret_pin),
            password_hash=await hasher.hash_password(secret) if secret else None,
            role=Role.ADMIN.value,
            store_id=target.id,
        )
        await users.add(user)
        await audit.record(
            session,
            AuditAction.ACCOUNTS_USER_CREATED,
            actor=None,
            target_type="user",
            target_id=user.id,
            target_label=user.name,
            details={"role": user.role, "via": "cli"},
            store_id=target.id,
        )
        return user, target

    try:
        user, target = _run(work)
    except ValueError as exc:  # a store name that is not a name
        raise _fail(f"--store {exc}", 2) from None
    typer.echo(f"Created admin {user.partner_number} ({user.id}) in store {target.name!r}")


async def _admin_store(
    session: AsyncSession, settings: Settings, name: str | None, *, create: bool
) -> Store:
    """The named store; without a name the only store, or "Main Store" on a new database.

    A name that matches no store creates one only with `--create-store`, so a typo does
    not quietly open a second store.
    """
    repository = StoreRepository(session)
    existing = await repository.all_stores()
    names = ", ".join(repr(store.name) for store in existing) or "none yet"
    if name is not None:
        found = await repository.by_name(policy.check_name(name))
        if found is not None:
            return found
        if not create:
            raise _fail(f"--store: no store named {name!r} (stores: {names}); add --create-store")
        return await stores.create_store(session, name, settings.STORE_TIMEZONE)
    if len(existing) > 1:
        raise _fail(f"--store is required: there are several stores ({names})")
    if existing:
        return existing[0]
    return await stores.create_store(session, DEFAULT_STORE_NAME, settings.STORE_TIMEZONE)


@users_app.command("list")
def list_users() -> None:
    """List every account (id, sign-in name, name, role, store, state)."""

    async def work(session: AsyncSession, _settings: Settings) -> list[str]:
        names = {s.id: s.name for s in await StoreRepository(session).all_stores()}
        lines = []
        for user in await UserRepository(session).all_users():
            login = user.partner_number or user.email or user.external_id or "-"
            state = "deleted" if user.deleted_at else "active" if user.is_active else "inactive"
            if user.locked_until is not None:
                state += f", locked until {user.locked_until:%Y-%m-%d %H:%M}Z"
            store = names.get(user.store_id, "-") if user.store_id else "-"
            lines.append(f"{user.id}  {login}  {user.name}  {user.role}  {store}  {state}")
        return lines

    lines = _run(work)
    typer.echo("\n".join(lines) if lines else "No users yet.")


@users_app.command("unlock")
def unlock_user(user_id: Annotated[str, typer.Argument(help="The user's id.")]) -> None:
    """Lift a sign-in lock and clear the failure counter."""
    try:
        ident = uuid.UUID(user_id)
    except ValueError:
        raise _fail(f"{user_id!r} is not a user id", 2) from None

    async def work(session: AsyncSession, _settings: Settings) -> User:
        user = await UserRepository(session).get(ident)
        if user is None:
            raise _fail(f"no user with id {user_id}")
        await admin_users.unlock_user(session, None, user)
        return user

    user = _run(work)
    typer.echo(f"Unlocked {user.name} ({user.id})")


async def first_admin_hint(settings: Settings) -> str | None:
    """The command to run when the database has no admin yet (printed by `backroom serve`)."""
    database = Database(settings)
    try:
        async with database.sessionmaker() as session:
            if await UserRepository(session).any_admin():
                return None
    finally:
        await database.dispose()
    return (
        "No admin yet. Create one with:\n"
        "  backroom users create-admin --partner-number ADMIN1 --name 'Store Admin' --pin 1234"
    )
