"""Settings: units, lists and URLs as operators write them; the documented table is the code's."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from backroom.cli import app
from backroom.core.config import Settings, SettingsError, load_settings
from backroom.core.settings_doc import BEGIN, END, settings_table
from backroom.core.units import parse_duration, parse_seconds, parse_size

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "OPERATIONS.md"


@pytest.mark.parametrize(
    ("written", "seconds"),
    [(900, 900), ("900", 900), ("2s", 2), ("15m", 900), ("48h", 172_800), ("30d", 2_592_000)],
)
def test_durations_in_units(written: object, seconds: int) -> None:
    assert parse_duration(written) == seconds


def test_timeouts_take_fractions_and_milliseconds() -> None:
    assert parse_seconds("1500ms") == 1.5
    assert parse_seconds("0.5") == 0.5
    assert parse_seconds(2) == 2.0


@pytest.mark.parametrize("written", ["", "15 minutes", "m", "-5s", "1.5s", "true", True])
def test_bad_durations_are_refused(written: object) -> None:
    with pytest.raises(ValueError, match="must be a duration"):
        parse_duration(written)


@pytest.mark.parametrize(
    ("name", "written", "value"),
    [
        ("DB_STATEMENT_TIMEOUT_MS", "15000", 15_000),
        ("DB_STATEMENT_TIMEOUT_MS", "15s", 15_000),
        ("SQLITE_BUSY_TIMEOUT_MS", "2s", 2_000),
        ("SQLITE_BUSY_TIMEOUT_MS", "750ms", 750),
        ("RTDE_SESSION_MINUTES", "45", 45),
        ("RTDE_SESSION_MINUTES", "1h", 60),
        ("AUDIT_RETENTION_DAYS", "90", 90),
        ("AUDIT_RETENTION_DAYS", "90d", 90),
        ("AUDIT_RETENTION_DAYS", "48h", 2),
    ],
)
def test_settings_named_in_a_unit_count_in_it_and_take_suffixes(
    monkeypatch: pytest.MonkeyPatch, name: str, written: str, value: int
) -> None:
    monkeypatch.setenv(name, written)
    assert getattr(load_settings(), name) == value


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("RTDE_SESSION_MINUTES", "90s"),
        ("AUDIT_RETENTION_DAYS", "36h"),
        ("SQLITE_BUSY_TIMEOUT_MS", "soon"),
        ("DB_STATEMENT_TIMEOUT_MS", "1.5"),
    ],
)
def test_a_unit_setting_that_is_not_a_whole_count_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, written: str
) -> None:
    monkeypatch.setenv(name, written)
    with pytest.raises(SettingsError, match=f"^{name}: must be a duration"):
        load_settings()


@pytest.mark.parametrize(
    ("written", "size"),
    [(2048, 2048), ("2048", 2048), ("512KiB", 524_288), ("2MiB", 2_097_152), ("1GiB", 1 << 30)],
)
def test_sizes_in_binary_units(written: object, size: int) -> None:
    assert parse_size(written) == size


@pytest.mark.parametrize("written", ["2MB", "2 megabytes", "1.5MiB", "KiB", False])
def test_bad_sizes_are_refused(written: object) -> None:
    with pytest.raises(ValueError, match="must be a size"):
        parse_size(written)


@pytest.mark.parametrize(
    ("pasted", "read"),
    [
        (
            "postgres://u:p%40ss@db.example.com:5433/shop",
            "postgresql+asyncpg://u:p%40ss@db.example.com:5433/shop",
        ),
        ("postgresql://u@db/shop", "postgresql+asyncpg://u@db/shop"),
        ("postgresql+asyncpg://u@db/shop", "postgresql+asyncpg://u@db/shop"),
        ("sqlite:///./backroom.db", "sqlite+aiosqlite:///./backroom.db"),
    ],
)
def test_database_urls_get_the_async_driver(tmp_path: Path, pasted: str, read: str) -> None:
    settings = load_settings(DATABASE_URL=pasted, DATA_DIR=tmp_path)
    assert read == settings.DATABASE_URL


def test_a_postgres_url_must_name_a_database(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^DATABASE_URL: names no database"):
        load_settings(DATABASE_URL="postgres://u@db.example.com", DATA_DIR=tmp_path)


def test_lists_from_a_comma_list_or_json(tmp_path: Path) -> None:
    comma = load_settings(CORS_ORIGINS=" https://a.example , https://b.example,", DATA_DIR=tmp_path)
    assert comma.CORS_ORIGINS == ["https://a.example", "https://b.example"]
    listed = load_settings(FORWARDED_ALLOW_IPS='["10.0.0.5", "10.0.0.6"]', DATA_DIR=tmp_path)
    assert listed.FORWARDED_ALLOW_IPS == ["10.0.0.5", "10.0.0.6"]


def test_every_setting_is_described() -> None:
    undescribed = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undescribed == []


def test_the_operations_guide_has_the_generated_settings_table() -> None:
    document = OPERATIONS.read_text(encoding="utf-8")
    documented = document.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    printed = CliRunner().invoke(app, ["config"]).output.strip()
    assert printed == settings_table()
    assert documented == printed, "run: backroom config --update docs/OPERATIONS.md"
    for name in Settings.model_fields:
        assert f"| `{name}` |" in documented


def test_config_update_rewrites_only_the_table(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(f"intro\n{BEGIN}\n| stale |\n{END}\noutro\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "--update", str(guide)])
    assert result.exit_code == 0, result.output
    assert (
        guide.read_text(encoding="utf-8") == f"intro\n{BEGIN}\n{settings_table()}\n{END}\noutro\n"
    )
    missing = tmp_path / "plain.md"
    missing.write_text("no table here\n", encoding="utf-8")
    refused = CliRunner().invoke(app, ["config", "--update", str(missing)])
    assert refused.exit_code == 1
