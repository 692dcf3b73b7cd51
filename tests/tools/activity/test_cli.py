"""`backroom audit prune`: retention, run through the real command on the test database."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import httpx
import pytest
from click.testing import Result
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from backroom.cli import app as cli
from backroom.core.audit import AuditAction, AuditEvent
from backroom.core.config import Settings
from backroom.tools.activity import service
from tests.tools.activity.conftest import Crew, tracking_added, write_event

runner = CliRunner()
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads its settings from the environment, like in production."""
    for name, value in {
        "DATABASE_URL": settings.DATABASE_URL,
        "DATA_DIR": str(settings.DATA_DIR),
        "SECRET_KEY": settings.secret_key,
        "PIN_PEPPER": settings.pin_pepper,
        "ENVIRONMENT": "test",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AUDIT_RETENTION_DAYS", raising=False)


async def _prune(*args: str) -> Result:
    # The command runs its own event loop, so it gets a thread of its own.
    return await asyncio.to_thread(runner.invoke, cli, ["audit", "prune", *args])


async def _remaining(session: AsyncSession) -> set[uuid.UUID]:
    return set((await session.execute(select(AuditEvent.id))).scalars())


async def _prune_records(session: AsyncSession) -> list[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.action == AuditAction.AUDIT_EVENTS_PRUNED.value)
        .order_by(AuditEvent.at)
    )
    return list((await session.execute(statement)).scalars())


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to prune: pass --before or set AUDIT_RETENTION_DAYS"),
        (["--before", "last week"], "--before must be a date, YYYY-MM-DD"),
        (["--before", "2999-01-01"], "--before must not be in the future"),
    ],
)
async def test_refusals_delete_nothing(
    session: AsyncSession, crew_a: Crew, args: list[str], message: str
) -> None:
    old = await tracking_added(session, crew_a, "Old", "0001", at=NOW - dt.timedelta(days=900))
    result = await _prune(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert await _remaining(session) == {old.id}


@pytest.mark.usefixtures("cli_env")
async def test_prune_before_a_date_deletes_only_older_events_and_says_so(
    session: AsyncSession, crew_a: Crew, crew_b: Crew
) -> None:
    cutoff = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    older_a = await tracking_added(session, crew_a, "A", "0001", at=cutoff - dt.timedelta(days=5))
    last_a = await tracking_added(
        session, crew_a, "B", "0002", at=cutoff - dt.timedelta(microseconds=1)
    )
    older_b = await tracking_added(session, crew_b, "C", "0003", at=cutoff - dt.timedelta(days=1))
    private = await write_event(
        session,
        AuditAction.TASKS_TASK_CREATED,
        store=None,
        actor=crew_a.staff.actor,
        target_type="task",
        target_id=1,
        owner_id=crew_a.staff.user.id,
        at=cutoff - dt.timedelta(days=2),
    )
    earlier_prune = await write_event(
        session,
        AuditAction.AUDIT_EVENTS_PRUNED,
        store=None,
        actor=None,
        target_type="audit_event",
        details={"deleted": 3},
        at=cutoff - dt.timedelta(days=30),
    )
    at_cutoff = await tracking_added(session, crew_a, "D", "0004", at=cutoff)
    newer = await tracking_added(session, crew_b, "E", "0005", at=cutoff + dt.timedelta(days=3))

    result = await _prune("--before", "2026-01-15")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "pruned 4 audit events from before 2026-01-15T00:00:00+00:00"
    [kept_record, record] = await _prune_records(session)
    assert kept_record.id == earlier_prune.id  # a prune never erases the record of another
    assert await _remaining(session) == {earlier_prune.id, at_cutoff.id, newer.id, record.id}
    assert (record.actor_id, record.actor_name, record.store_id) == (None, None, None)
    assert record.target_type == "audit_event"
    assert record.details == {
        "before": "2026-01-15T00:00:00Z",
        "deleted": 4,
        "by_store": {str(crew_a.store.id): 2, str(crew_b.store.id): 1, "none": 1},
    }
    assert {older_a.id, last_a.id, older_b.id, private.id}.isdisjoint(await _remaining(session))


@pytest.mark.usefixtures("cli_env")
async def test_prune_without_a_date_keeps_the_retention_period(
    session: AsyncSession, crew_a: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")
    expired = await tracking_added(session, crew_a, "Old", "0001", at=NOW - dt.timedelta(days=31))
    kept = await tracking_added(session, crew_a, "Recent", "0002", at=NOW - dt.timedelta(days=29))

    result = await _prune()

    assert result.exit_code == 0, result.output
    assert result.output.startswith("pruned 1 audit events from before ")
    [record] = await _prune_records(session)
    assert await _remaining(session) == {kept.id, record.id}
    assert expired.id not in await _remaining(session)


@pytest.mark.usefixtures("cli_env")
async def test_a_prune_with_nothing_to_delete_is_still_recorded(
    session: AsyncSession, crew_a: Crew
) -> None:
    kept = await tracking_added(session, crew_a, "Recent", "0002", at=NOW)
    result = await _prune("--before", "2020-01-01")
    assert result.exit_code == 0
    [record] = await _prune_records(session)
    assert record.details["deleted"] == 0
    assert await _remaining(session) == {kept.id, record.id}


async def test_prune_works_in_batches_and_the_search_index_follows(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, crew_a: Crew
) -> None:
    cutoff = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    for n in range(7):
        await tracking_added(
            session, crew_a, f"Vanilla {n}", f"{n:04d}", at=cutoff - dt.timedelta(hours=n + 1)
        )
    kept = await tracking_added(session, crew_a, "Vanilla kept", "0100", at=cutoff)

    report = await service.prune(app.state.db, cutoff, batch=3)

    assert report.deleted == 7
    found = await client.get("/api/audit", params={"q": "vanilla"}, headers=crew_a.admin.headers)
    assert [event["id"] for event in found.json()["events"]] == [str(kept.id)]
    if session.get_bind().dialect.name == "sqlite":
        indexed = await session.execute(text("SELECT count(*) FROM audit_event_fts"))
        events = await session.execute(select(func.count()).select_from(AuditEvent))
        assert indexed.scalar_one() == events.scalar_one() == 2  # kept + the prune record
