"""A real PostgreSQL streaming replica of the test server, for tests/core/test_replica.py.

`pg_basebackup -R -X stream` copies the server the suite runs on into a folder owned by
`postgres`, through a physical replication slot made (with its WAL reserved) before the
copy starts: other tests drop databases meanwhile, each drop forces a checkpoint, and
without the slot the primary may recycle a segment the copy or the standby still needs.
A second postmaster serves that copy as a hot standby on a free loopback
port, logging every statement it runs (`log_statement = all`, each line prefixed with
the client's `application_name`) so a test can tell which server answered a request.

It needs root (to act as `postgres`), Debian's PostgreSQL binaries and a test server
that accepts replication connections from loopback (`.ci/run` sees to the last).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import URL, make_url

# The standby's limits must be at least the primary's, or it refuses to start.
_COPIED_LIMITS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


# Every slot a test replica holds starts so; an inactive one is left by a run that died.
_SLOT_PREFIX = "backroom_test_replica_"


class ReplicaUnavailable(RuntimeError):
    """This machine cannot make a streaming replica (the reason is the message)."""


def _as_postgres(*command: str, timeout: float = 120) -> str:
    result = subprocess.run(  # noqa: S603 - fixed PostgreSQL tools, arguments of ours
        ["runuser", "-u", "postgres", "--", *command],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ReplicaUnavailable(f"{command[0]} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


class StreamingReplica:
    def __init__(self, primary: URL, port: int) -> None:
        if os.geteuid() != 0 or shutil.which("runuser") is None:
            raise ReplicaUnavailable("making a replica needs root, to run PostgreSQL as postgres")
        self.primary = primary
        self.port = port
        self._psql = ["psql", "-h", primary.host or "127.0.0.1", "-p", str(primary.port or 5432)]
        self._psql += ["-U", primary.username or "postgres", "-d", "postgres", "-Atc"]
        major = int(self._primary_setting("server_version_num")) // 10000
        self.bindir = Path(f"/usr/lib/postgresql/{major}/bin")
        if not (self.bindir / "pg_ctl").exists():
            raise ReplicaUnavailable(f"no PostgreSQL {major} binaries in {self.bindir}")
        self.root = Path(tempfile.mkdtemp(prefix="backroom-replica-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.slot = f"{_SLOT_PREFIX}{os.getpid()}_{self.root.name.rsplit('-', 1)[-1]}"

    def _primary_setting(self, name: str) -> str:
        return self._primary_sql(f"SHOW {name}")

    def _primary_sql(self, statement: str) -> str:
        return _as_postgres(*self._psql, statement).strip()

    def create(self) -> None:
        """Copy the primary and start the copy as a standby that streams from it."""
        self._drop_slots_of_dead_runs()
        self._primary_sql(f"SELECT pg_create_physical_replication_slot('{self.slot}', true)")
        _as_postgres(
            "pg_basebackup",
            "-h",
            self.primary.host or "127.0.0.1",
            "-p",
            str(self.primary.port or 5432),
            "-U",
            self.primary.username or "postgres",
            "-D",
            str(self.data),
            "-X",
            "stream",
            "-S",
            self.slot,
            "-R",
            "-c",
            "fast",
        )
        limits = "".join(f"{name} = {self._primary_setting(name)}\n" for name in _COPIED_LIMITS)
        settings = {
            "postgresql.conf": (
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\nhot_standby = on\n"
                "hot_standby_feedback = on\nshared_buffers = '32MB'\nfsync = off\n"
                "log_statement = 'all'\nlog_line_prefix = '%a|'\n" + limits
            ),
            "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
            "pg_ident.conf": "",
        }
        for name, text in settings.items():
            path = self.data / name
            path.write_text(text)
            shutil.chown(path, "postgres", "postgres")
        self.start()

    def start(self) -> None:
        _as_postgres(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.wait_until("EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')")

    def stop(self) -> None:
        _as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(ReplicaUnavailable):
            self.stop()
        self._drop_slot()
        shutil.rmtree(self.root, ignore_errors=True)

    def _drop_slots_of_dead_runs(self) -> None:
        # The names are ours (a fixed prefix, a pid and a mkdtemp suffix), never a user's.
        names = self._primary_sql(
            f"SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '{_SLOT_PREFIX}%'"  # noqa: S608
        ).split()
        for name in names:
            pid = int(name.removeprefix(_SLOT_PREFIX).split("_", 1)[0])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                self._primary_sql(f"SELECT pg_drop_replication_slot('{name}')")

    def _drop_slot(self) -> None:
        """Drop the slot once its walsender has gone, so the primary stops keeping WAL for it."""
        deadline = time.monotonic() + 10
        while True:
            try:
                self._primary_sql(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"  # noqa: S608
                    f" WHERE slot_name = '{self.slot}'"
                )
            except ReplicaUnavailable:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.1)
            else:
                return

    def url(self, database_url: str) -> str:
        """`database_url` (a database of the primary) on this replica."""
        url = make_url(database_url).set(host="127.0.0.1", port=self.port)
        return url.render_as_string(hide_password=False)

    def log_position(self) -> int:
        return self.log.stat().st_size

    def statements_since(self, position: int) -> list[str]:
        """The statements Backroom's connections ran here since `position` of the log."""
        with self.log.open("rb") as log:
            log.seek(position)
            text = log.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if line.startswith("backroom|")]

    def wait_until(self, condition: str, seconds: float = 30) -> None:
        """Poll the replica with a SQL condition until it holds."""
        deadline = time.monotonic() + seconds
        query = ["psql", "-h", str(self.root), "-p", str(self.port), "-d", "postgres", "-Atc"]
        while True:
            try:
                if _as_postgres(*query, f"SELECT {condition}", timeout=10).strip() == "t":
                    return
            except ReplicaUnavailable:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica never reached: {condition}")
            time.sleep(0.1)

    def run(self, statement: str) -> None:
        query = ["psql", "-h", str(self.root), "-p", str(self.port), "-d", "postgres", "-Atc"]
        _as_postgres(*query, statement, timeout=10)

    def catch_up(self) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        lsn = _as_postgres(*self._psql, "SELECT pg_current_wal_lsn()").strip()
        self.wait_until(f"pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")
