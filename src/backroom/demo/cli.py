"""`backroom seed-demo`: fill a new "Demo Store" with data in every tool.

A second run changes nothing: it says the demo store exists and exits 0, so scripts
that run it before `backroom serve` can run it every time. A partner number of the
demo taken by someone else, or any other refusal, exits 1 and adds nothing either.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from typing import TypeVar

import typer

from backroom.core.config import Settings, SettingsError, load_settings

T = TypeVar("T")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"backroom: {message}", err=True)
    return typer.Exit(code)


def seed_demo() -> None:
    """Create "Demo Store" with an admin, two staff members and data in every tool.

    Prints the sign-in credentials. Run it again and it adds nothing.
    """
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise _fail(f"bad setting: {exc}", 2) from None
    from backroom.core.migrations import (
        DatabaseUnreachable,
        check_database,
        database_revision,
        head_revision,
    )

    try:
        check_database(settings.DATABASE_URL)
    except DatabaseUnreachable as exc:
        raise _fail(str(exc)) from None
    current = database_revision(settings.DATABASE_URL)
    if current != head_revision():
        raise _fail(f"the database is at {current or 'empty'}: run `backroom db upgrade` first")
    from backroom.core.errors import AppError
    from backroom.demo.people import DemoExists, DemoPartnerTaken

    try:
        lines = asyncio.run(_seed(settings))
    except DemoExists as exc:
        raise _fail(str(exc), 0) from None
    except DemoPartnerTaken as exc:
        raise _fail(str(exc)) from None
    except AppError as exc:
        raise _fail(f"{exc.detail}; nothing added") from None
    typer.echo("\n".join(lines))


async def _seed(settings: Settings) -> list[str]:
    """Every step in one transaction: all of the demo, or none of it."""
    import backroom.models  # noqa: F401  (every tool's store set-up runs for the store)
    from backroom.core.db import Database, utcnow
    from backroom.demo.counts import seed_milk, seed_rtde
    from backroom.demo.people import create_people
    from backroom.demo.store_tools import REMOVED_EVERY, seed_tasks, seed_tracking

    database = Database(settings)
    now = utcnow()
    lifetime = dt.timedelta(minutes=settings.RTDE_SESSION_MINUTES)
    try:
        async with database.sessionmaker() as session:
            people = await _step("People", create_people(session, settings))
            items = await _step("Tracking", seed_tracking(session, people))
            counts = await _step("Milk count", seed_milk(session, people, now))
            rtde = await _step("RTD&E", seed_rtde(session, people, now, lifetime))
            tasks = await _step("Tasks", seed_tasks(session, people, now))
            await session.commit()
    finally:
        await database.dispose()
    store = people.store
    return [
        f"Created {store.name!r} ({store.id}, {store.timezone}).",
        "Sign in with partner number + PIN:",
        *(
            f"  {member.user.role:<6} {member.user.partner_number:<11} PIN {member.pin}  "
            f"{member.user.name}"
            for member in (people.admin, *people.staff)
        ),
        f"Added {items} tracking items ({items // REMOVED_EVERY} removed), "
        f"{counts} milk counts (today's at night BOH), {rtde[0]} RTD&E items with "
        f"{rtde[1]} completed pulls, and {tasks} tasks.",
    ]


async def _step(label: str, work: Awaitable[T]) -> T:
    """Run one step under a spinner on stderr (the PIN hashing alone takes a second)."""
    from rich.console import Console

    with Console(stderr=True).status(f"Seeding the demo: {label}..."):
        return await work
