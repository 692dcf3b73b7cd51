"""Profiles of the slowest scenarios (py-spy) and plans of the list queries (EXPLAIN ANALYZE)."""

from __future__ import annotations

from typing import Any


def run(bench: Any) -> None:
    bench.log("profiling: nothing to profile yet")
