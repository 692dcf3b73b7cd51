"""`backroom stores` and `backroom users` against a migrated temporary SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from backroom.accounts.cli import first_admin_hint
from backroom.accounts.models import Store, User
from backroom.cli import app
from backroom.core.config import load_settings
from backroom.core.migrations import upgrade
from tests.conftest import TEST_PEPPER, TEST_SECRET

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    for name, value in {
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": TEST_SECRET,
        "PIN_PEPPER": TEST_PEPPER,
        "ENVIRONMENT": "test",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_TIME_COST": "1",
    }.items():
        monkeypatch.setenv(name, value)
    return url


def _rows(url: str, model: type[User] | type[Store]) -> list[dict[str, Any]]:
    async def fetch() -> list[dict[str, Any]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(select(model.__table__))
                return [dict(row) for row in result.mappings()]
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def test_create_admin_without_values_off_a_terminal_fails_clearly(cli_env: str) -> None:
    result = runner.invoke(app, ["users", "create-admin", "--name", "Ann"])
    assert result.exit_code != 0
    assert "--partner-number is required" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--partner-number", "A1", "--name", "Ann", "--pin", "1234"], "--partner-number"),
        (["--partner-number", "ADMIN1", "--name", "Ann", "--pin", "12345"], "--pin"),
        # API.md §3: names are 1-100 characters, also for an admin made on the command line.
        (["--partner-number", "ADMIN1", "--name", "N" * 101, "--pin", "1234"], "--name"),
        (
            ["--partner-number", "ADMIN1", "--name", "Ann", "--pin", "1234", "--email", "nope"],
            "--email",
        ),
        (
            [
                "--partner-number",
                "ADMIN1",
                "--name",
                "Ann",
                "--pin",
                "1234",
                "--email",
                "a@example.com",
                "--password",
                "password1",
            ],
            "--password",
        ),
    ],
)
def test_create_admin_with_bad_input_exits_non_zero(
    cli_env: str, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["users", "create-admin", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "password1" not in result.output
    assert _rows(cli_env, User) == []


def test_first_admin_creates_the_store_and_can_sign_in(cli_env: str) -> None:
    assert asyncio.run(first_admin_hint(load_settings())) is not None
    result = runner.invoke(
        app,
        [
            "users",
            "create-admin",
            "--partner-number",
            "admin1",
            "--name",
            "Ann Admin",
            "--pin",
            "1234",
            "--email",
            "Ann@Example.com",
            "--password",
            "a solid passphrase",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Created admin ADMIN1" in result.output
    users = _rows(cli_env, User)
    stores = _rows(cli_env, Store)
    assert len(users) == 1
    assert len(stores) == 1
    admin = users[0]
    assert admin["role"] == "admin"
    assert admin["email"] == "ann@example.com"
    assert admin["store_id"] == stores[0]["id"]
    assert str(admin["pin_hash"]).startswith("$argon2id$")
    assert asyncio.run(first_admin_hint(load_settings())) is None
    again = runner.invoke(
        app, ["users", "create-admin", "--partner-number", "ADMIN1", "--name", "B", "--pin", "1111"]
    )
    assert again.exit_code != 0
    assert "partner number" in again.output.lower()


def test_stores_create_and_admin_in_a_named_store(cli_env: str) -> None:
    bad = runner.invoke(app, ["stores", "create", "Downtown", "--timezone", "Mars/Olympus"])
    assert bad.exit_code != 0
    assert "time zone" in bad.output
    assert runner.invoke(app, ["stores", "create", "Downtown"]).exit_code == 0
    assert runner.invoke(app, ["stores", "create", "Uptown", "--timezone", "UTC"]).exit_code == 0
    duplicate = runner.invoke(app, ["stores", "create", "Uptown"])
    assert duplicate.exit_code != 0
    ambiguous = runner.invoke(
        app, ["users", "create-admin", "--partner-number", "AD01", "--name", "A", "--pin", "1234"]
    )
    assert ambiguous.exit_code != 0
    assert "--store" in ambiguous.output
    named = runner.invoke(
        app,
        [
            "users",
            "create-admin",
            "--partner-number",
            "AD01",
            "--name",
            "A",
            "--pin",
            "1234",
            "--store",
            "Uptown",
        ],
    )
    assert named.exit_code == 0, named.output
    assert "'Uptown'" in named.output


def test_users_list_and_unlock(cli_env: str) -> None:
    assert runner.invoke(app, ["users", "list"]).output.strip() == "No users yet."
    runner.invoke(
        app, ["users", "create-admin", "--partner-number", "AD02", "--name", "Al", "--pin", "1234"]
    )
    listing = runner.invoke(app, ["users", "list"])
    assert listing.exit_code == 0
    assert "AD02" in listing.output
    user_id = listing.output.split()[0]
    assert runner.invoke(app, ["users", "unlock", user_id]).exit_code == 0
    assert runner.invoke(app, ["users", "unlock", "not-an-id"]).exit_code != 0
    missing = runner.invoke(app, ["users", "unlock", "00000000-0000-0000-0000-000000000000"])
    assert missing.exit_code != 0
    assert "no user" in missing.output


def _admin(*extra: str, number: str = "AD10") -> list[str]:
    return [
        "users",
        "create-admin",
        "--partner-number",
        number,
        "--name",
        "A",
        "--pin",
        "1234",
        *extra,
    ]


def test_a_misspelled_store_is_not_created_without_create_store(cli_env: str) -> None:
    assert runner.invoke(app, ["stores", "create", "Typo Store"]).exit_code == 0
    typo = runner.invoke(app, _admin("--store", "Typo Stor"))
    assert typo.exit_code == 1
    assert typo.stderr.strip() == (
        "backroom: --store: no store named 'Typo Stor' (stores: 'Typo Store'); add --create-store"
    )
    assert [store["name"] for store in _rows(cli_env, Store)] == ["Typo Store"]
    assert _rows(cli_env, User) == []
    created = runner.invoke(app, _admin("--store", "Second Store", "--create-store"))
    assert created.exit_code == 0, created.output
    assert "in store 'Second Store'" in created.output
    stores = {store["name"]: store["id"] for store in _rows(cli_env, Store)}
    assert set(stores) == {"Typo Store", "Second Store"}
    assert [user["store_id"] for user in _rows(cli_env, User)] == [stores["Second Store"]]


def test_a_taken_partner_number_is_named_even_with_several_stores(cli_env: str) -> None:
    assert runner.invoke(app, _admin()).exit_code == 0  # creates "Main Store"
    assert runner.invoke(app, ["stores", "create", "Uptown"]).exit_code == 0
    taken = runner.invoke(app, _admin())
    assert taken.exit_code == 1
    assert taken.stderr.strip() == (
        "backroom: --partner-number AD10: this partner number exists or was used before"
    )
    several = runner.invoke(app, _admin(number="AD11"))
    assert several.exit_code == 1
    assert "--store is required: there are several stores ('Main Store', 'Uptown')" in (
        several.stderr
    )


def test_stores_list(cli_env: str) -> None:
    assert runner.invoke(app, ["stores", "list"]).output.strip() == "No stores yet."
    assert runner.invoke(app, ["stores", "create", "Uptown", "--timezone", "UTC"]).exit_code == 0
    assert runner.invoke(app, ["stores", "create", "Downtown"]).exit_code == 0
    listing = runner.invoke(app, ["stores", "list"])
    assert listing.exit_code == 0
    stores = {store["name"]: store for store in _rows(cli_env, Store)}
    lines = listing.output.strip().splitlines()
    expected = {
        f"{stores['Uptown']['id']}  Uptown  UTC",
        f"{stores['Downtown']['id']}  Downtown  America/Los_Angeles",
    }
    assert set(lines) == expected
    assert len(lines) == 2
