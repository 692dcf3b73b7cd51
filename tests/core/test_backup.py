"""`backroom db backup` and `db restore` as an operator runs them, next to a live server.

A client keeps creating tasks over HTTP, one at a time, while the backup runs. Each
create commits before it is answered and the next is only sent after the answer, so a
consistent copy holds exactly the first k tasks in creation order: every task answered
before the backup started, none that was never sent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import POSTGRES_BASE_URL, create_postgres_database, drop_postgres_database
from tests.test_startup import Server, run


def count_tasks(database_url: str) -> list[str]:
    """The ids of the tasks in the database, oldest first."""

    async def read() -> list[str]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(text("SELECT id FROM task"))
                return [str(row[0]) for row in rows]
        finally:
            await engine.dispose()

    return asyncio.run(read())


class Writer(threading.Thread):
    """Creates tasks one after another until stopped; keeps every answer in order."""

    def __init__(self, base: str, token: str) -> None:
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.created: list[str] = []
        self.statuses: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=10) as client:
            while not self.stop.is_set():
                response = client.post("/api/tasks", json={"title": f"t{len(self.created)}"})
                self.statuses.append(response.status_code)
                if response.status_code == 201:
                    self.created.append(str(response.json()["id"]))

    def wait_for(self, count: int, seconds: float = 15) -> None:
        for _ in range(int(seconds / 0.05)):
            if len(self.created) >= count:
                return
            self.stop.wait(0.05)
        pytest.fail(f"only {len(self.created)} tasks created: {self.statuses[-3:]}")


def register(base: str) -> str:
    response = httpx.post(
        f"{base}/api/auth/register",
        json={
            "email": "backup@example.com",
            "password": "correct horse battery",
            "first_name": "Back",
            "last_name": "Up",
        },
        timeout=30,
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token


def back_up_under_writes(source: dict[str, str], tmp_path: Path) -> tuple[Path, list[str], Writer]:
    """Serve SOURCE, write tasks, back up mid-stream; the tasks answered before the backup."""
    server = Server(source, tmp_path)
    try:
        server.wait()
        writer = Writer(server.url, register(server.url))
        writer.start()
        writer.wait_for(10)
        before = list(writer.created)
        archive = tmp_path / "backroom.backup"
        result = run(["db", "backup", str(archive)], source, tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"backed up to {archive}"
        writer.wait_for(len(writer.created) + 5)  # the server kept serving
        writer.stop.set()
        writer.join(timeout=15)
    finally:
        server.stop()
    assert set(writer.statuses) == {201}
    return archive, before, writer


def assert_restored(
    target: dict[str, str], tmp_path: Path, before: list[str], writer: Writer
) -> None:
    result = run(["db", "restore", str(tmp_path / "backroom.backup")], target, tmp_path)
    assert result.returncode == 0, result.stderr
    restored = count_tasks(target["DATABASE_URL"])
    assert len(restored) >= len(before)
    assert sorted(restored) == sorted(writer.created[: len(restored)])  # a prefix: consistent
    assert len(restored) < len(writer.created)  # writes went on after the copy
    check = run(["db", "check"], target, tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("ok: the database is at head")

    again = run(["db", "restore", str(tmp_path / "backroom.backup")], target, tmp_path)
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1, again.stderr
    assert again.stderr.startswith("backroom: refusing to restore into ")
    assert "already holds tables" in again.stderr
    assert count_tasks(target["DATABASE_URL"]) == restored


def sqlite_env(tmp_path: Path, name: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / name}",
        "DATA_DIR": str(tmp_path / "data"),
    }


def test_a_live_sqlite_backup_restores_exactly_what_it_captured(tmp_path: Path) -> None:
    archive, before, writer = back_up_under_writes(sqlite_env(tmp_path, "live.db"), tmp_path)
    assert not archive.with_name(archive.name + ".partial").exists()
    assert_restored(sqlite_env(tmp_path, "restored.db"), tmp_path, before, writer)


@pytest.fixture
def postgres_pair() -> Iterator[tuple[str, str]]:
    assert POSTGRES_BASE_URL is not None
    urls = [asyncio.run(create_postgres_database(POSTGRES_BASE_URL)) for _ in range(2)]
    try:
        yield urls[0], urls[1]
    finally:
        for url in urls:
            asyncio.run(drop_postgres_database(POSTGRES_BASE_URL, url))


@pytest.mark.postgres_only
def test_a_live_postgres_backup_restores_exactly_what_it_captured(
    tmp_path: Path, postgres_pair: tuple[str, str]
) -> None:
    source, target = (
        {"DATABASE_URL": url, "DATA_DIR": str(tmp_path / "data")} for url in postgres_pair
    )
    _archive, before, writer = back_up_under_writes(source, tmp_path)
    assert_restored(target, tmp_path, before, writer)


def test_restore_refuses_a_migrated_sqlite_database(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path, "target.db")
    assert run(["db", "upgrade"], env, tmp_path).returncode == 0
    archive = tmp_path / "target.backup"
    assert run(["db", "backup", str(archive)], env, tmp_path).returncode == 0

    result = run(["db", "restore", str(archive)], env, tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(
        f"backroom: refusing to restore into the SQLite file {tmp_path / 'target.db'}: "
        "it already holds tables ("
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["backup", "{tmp}/missing/x.backup"], "backroom: the folder {tmp}/missing does not exist"),
        (["restore", "{tmp}/nothing.backup"], "backroom: no backup at {tmp}/nothing.backup"),
        (
            ["restore", "{tmp}/garbage.backup"],
            "backroom: {tmp}/garbage.backup is not a SQLite backup",
        ),
    ],
)
def test_a_bad_path_is_one_line_naming_it(tmp_path: Path, args: list[str], expected: str) -> None:
    (tmp_path / "garbage.backup").write_bytes(b"not a database at all" * 10)
    env = sqlite_env(tmp_path, "fresh.db")
    result = run(["db", args[0], args[1].format(tmp=tmp_path)], env, tmp_path)
    assert result.returncode == 1
    assert result.stderr == expected.format(tmp=tmp_path) + "\n"
    assert not (tmp_path / "fresh.db").exists()


def test_backup_of_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    result = run(
        ["db", "backup", str(tmp_path / "x.backup")], sqlite_env(tmp_path, "no.db"), tmp_path
    )
    assert result.returncode == 1
    assert result.stderr == f"backroom: no SQLite database at {tmp_path / 'no.db'}\n"
    assert not (tmp_path / "no.db").exists()
    assert not (tmp_path / "x.backup").exists()


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_a_missing_postgres_tool_is_one_line(tmp_path: Path, command: str) -> None:
    archive = tmp_path / "db.backup"
    archive.write_bytes(b"PGDMP")
    env = {
        "DATABASE_URL": "postgresql+asyncpg://backroom@127.0.0.1:1/backroom",
        "DATA_DIR": str(tmp_path / "data"),
        "PATH": str(tmp_path),  # no pg_dump, no pg_restore
    }
    result = run(["db", command, str(archive)], env, tmp_path)
    tool = "pg_dump" if command == "backup" else "pg_restore"
    assert result.returncode == 1
    assert result.stderr.startswith(f"backroom: {tool} not found on PATH; install ")
    assert len(result.stderr.splitlines()) == 1
