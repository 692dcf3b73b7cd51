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


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("jq") is None, reason="the walk uses jq")
def test_every_walk_of_the_readme_runs_in_order_across_the_three_tools(
    server: Server, tmp_path: Path
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    assert len(blocks) >= 5  # accounts and tasks, tracking, milk count, RTD&E, activity
    script = "\n".join(blocks).replace("http://127.0.0.1:8000", server.url)
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'walk.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path),
    }
    result = subprocess.run(  # noqa: S603 - the README's own walks
        ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607 - bash from PATH
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # The milk count's worked example: 10 + 20 + 10 delivered = 40 against a par of 50.
    assert '"total_inventory":40,"total_order":5' in out
    # RTD&E: the cold brew (par 6, counted 2) is the one item to pull.
    assert '"pull_list":[{"name":"Cold Brew","need_quantity":4,"is_pulled":false}]' in out
    # The dashboard feed carries every tool's activity, with the types the app has icons for.
    for kind in ("inventory_add", "inventory_remove", "milk_order_completed", "rtde_completed"):
        assert f'["{kind}",' in out
    admin_kinds = ("user_created", "user_deleted", "milk_par_updated")
    for kind in (*admin_kinds, "rtde_item_created", "rtde_item_updated", "rtde_item_deleted"):
        assert f'["{kind}",' in out
    assert '["tracking.item.added","Vanilla Syrup","Kim Shift"]' in out
    assert "id,at,actor_id,actor_name,action,target_type" in out
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith("tmp")] == []
