"""`backroom seed-demo`, run as an operator runs it: a subprocess on the test database,
then the printed credentials used against the real app to read every tool."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backroom.core.config import Settings
from backroom.models import metadata
from tests.conftest import TEST_PEPPER, TEST_SECRET
from tests.test_startup import clean_env

CREDENTIAL = re.compile(r"^\s+(admin|staff)\s+(\S+)\s+PIN (\d{4})\s+(.+)$", re.MULTILINE)


def backroom(
    *args: str, database_url: str, data_dir: Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        ENVIRONMENT="test",
        SECRET_KEY=TEST_SECRET,
        PIN_PEPPER=TEST_PEPPER,
        ARGON2_MEMORY_KIB="1024",
        ARGON2_TIME_COST="1",
        ARGON2_PARALLELISM="1",
    )
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "backroom", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seed(settings: Settings, cwd: Path) -> subprocess.CompletedProcess[str]:
    return backroom(
        "seed-demo", database_url=settings.DATABASE_URL, data_dir=settings.DATA_DIR, cwd=cwd
    )


def test_a_database_not_yet_migrated_is_refused_then_seeded_once_upgraded(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return backroom(*args, database_url=url, data_dir=tmp_path / "data", cwd=tmp_path)

    refused = run("seed-demo")

    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "backroom: the database is at empty: run `backroom db upgrade` first"
    )
    assert run("db", "upgrade").returncode == 0
    seeded = run("seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    assert len(CREDENTIAL.findall(seeded.stdout)) == 3


async def row_counts(session: AsyncSession) -> dict[str, int]:
    counts = {}
    for table in metadata.sorted_tables:
        counts[table.name] = (
            await session.execute(select(func.count()).select_from(table))
        ).scalar_one()
    await session.rollback()
    return counts


async def sign_in(client: httpx.AsyncClient, number: str, pin: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"partner_number": number, "pin": pin})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_taken_demo_partner_number_stops_the_seed_and_adds_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    from backroom.accounts.models import Role
    from tests.factories import make_user

    await make_user(session, partner_number="DEMOSTAFF2", role=Role.STAFF)
    before = await row_counts(session)

    result = seed(settings, tmp_path)

    assert result.returncode == 1, result.stderr
    assert "partner number DEMOSTAFF2 is taken already; nothing added" in result.stderr
    assert "PIN" not in result.stdout
    assert await row_counts(session) == before


async def test_the_demo_fills_every_tool_and_a_second_run_adds_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    result = seed(settings, tmp_path)

    assert result.returncode == 0, result.stderr
    credentials = CREDENTIAL.findall(result.stdout)
    assert [(role, number) for role, number, _pin, _name in credentials] == [
        ("admin", "DEMOADMIN"),
        ("staff", "DEMOSTAFF1"),
        ("staff", "DEMOSTAFF2"),
    ]
    staff_names = {name for role, _number, _pin, name in credentials if role == "staff"}
    _, admin_number, admin_pin, _ = credentials[0]
    _, staff_number, staff_pin, _ = credentials[1]
    admin = await sign_in(client, admin_number, admin_pin)
    staff = await sign_in(client, staff_number, staff_pin)

    me = (await client.get("/api/auth/me", headers=staff)).json()["user"]
    assert me["role"] == "staff"
    users = (await client.get("/api/admin/users", headers=admin)).json()
    assert users["count"] == 3

    items = (
        await client.get("/api/tracking/items", params={"include_removed": "true"}, headers=staff)
    ).json()
    assert items["count"] == 12
    assert sum(item["is_removed"] for item in items["items"]) == 3
    active = (await client.get("/api/tracking/items", headers=staff)).json()
    assert active["count"] == 9

    history = (await client.get("/api/milk-count/history", headers=staff)).json()
    statuses = [row["status"] for row in history["sessions"]]
    assert history["total"] == 7
    assert statuses == ["night_boh"] + ["completed"] * 6
    dates = [dt.date.fromisoformat(row["date"]) for row in history["sessions"]]
    assert dates == [dates[0] - dt.timedelta(days=back) for back in range(7)]
    today = (await client.get("/api/milk-count/sessions/today", headers=staff)).json()
    assert today["session"]["status"] == "night_boh"
    assert today["session"]["date"] == dates[0].isoformat()

    last = (await client.get("/api/rtde/sessions/last-completed", headers=staff)).json()
    assert last["last_completed_at"] is not None
    assert last["user_name"] in staff_names
    rtde_items = (await client.get("/api/rtde/admin/items", headers=admin)).json()["items"]
    assert len(rtde_items) == 6

    tasks = await client.get("/api/tasks", headers=staff)
    assert tasks.status_code == 200
    assert tasks.headers["X-Total-Count"] == "5"
    assert sum(task["completed"] for task in tasks.json()) == 2

    feed = (await client.get("/api/activity/recent", params={"limit": 20}, headers=staff)).json()
    assert feed["count"] > 0
    assert {"milk-count", "rtde"} <= {row["tool"] for row in feed["activities"]}
    tracked = (await client.get("/api/tracking/history", headers=staff)).json()
    assert tracked["total"] == 12 + 3
    audit = (await client.get("/api/audit", params={"limit": 100}, headers=admin)).json()
    actions = {event["action"] for event in audit["events"]}
    assert {"accounts.user.created", "tracking.item.removed", "milk_count.session.completed",
            "rtde.session.completed"} <= actions  # fmt: skip

    before = await row_counts(session)
    again = seed(settings, tmp_path)

    assert again.returncode == 0, again.stderr
    assert again.stderr.strip() == (
        "backroom: the demo store exists already ('Demo Store'); nothing added"
    )
    assert again.stdout == ""
    assert await row_counts(session) == before
