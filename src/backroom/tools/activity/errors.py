"""What can go wrong when reading the audit trail, each with its status and a stable code."""

from __future__ import annotations

from backroom.core.errors import Unprocessable


class InvalidTimeRange(Unprocessable):
    code = "invalid_time_range"
    detail = "`since` is after `until`"

    def __init__(self) -> None:
        super().__init__(errors=[{"field": "since", "message": "Must not be after until"}])
