"""CPU time of a process tree, read from /proc (Linux only, no dependency).

The harness samples the server's whole tree (uvicorn's supervisor and its workers)
before and after each load run; the difference divided by the requests served is the
server's CPU time per request, which is far steadier than requests/s on a shared box.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return raw[raw.rindex(")") + 2 :].split()


def tree(root: int) -> list[int]:
    """The root and all its living descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """User + system CPU seconds of each living process (fields 14 and 15 of stat)."""
    times: dict[int, float] = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # Counting from the state (field 3) as index 0, utime and stime are 11 and 12.
            times[pid] = (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND
    return times


def delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two samples; a process born in between counts whole."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())
