"""What a new user does first: `make help`, then the README's curl walk, verbatim."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_startup import Server, clean_env

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_help_prints_the_real_address_and_how_to_move_it() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "help", "PORT=8123"],  # noqa: S607 - make from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "http://127.0.0.1:8123" in result.stdout
    assert "make run PORT=" in result.stdout
    assert "$(" not in result.stdout


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'walk.db'}",
        "DATA_DIR": str(tmp_path / "data"),
    }
    started = Server(env, tmp_path)
    try:
        started.wait("/health/ready")
        yield started
    finally:
        started.stop()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("jq") is None, reason="the walk uses jq")
def test_the_readme_walk_works_verbatim_and_leaves_the_checkout_alone(
    server: Server, tmp_path: Path
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    walk = re.search(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert walk is not None
    script = walk.group(1).replace("http://127.0.0.1:8000", server.url)
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'walk.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path),
    }
    before = sorted(path.name for path in ROOT.iterdir())
    result = subprocess.run(  # noqa: S603 - the README's own walk
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607 - bash from PATH
        cwd=ROOT,  # where a reader runs it
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert '"staff"' in lines
    assert lines[-3:] == ["204", "204", "401"]  # task deleted, logged out, refresh refused
    assert sorted(path.name for path in ROOT.iterdir()) == before
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("tmp")] == []
