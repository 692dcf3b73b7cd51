"""The order summary: what each milk type adds up to and what to order to get back to par.

Per milk type, missing counts count as 0:
    total = foh + boh + delivered
    order = max(0, par - total - on_order)
The par is the one captured when the session completed; an unfinished session uses the
live par, so the summary of a finished night never moves when a par changes later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backroom.tools.milk_count.models import MilkSession, Phase
from backroom.tools.milk_count.repository import Line


@dataclass(frozen=True, slots=True)
class SummaryRow:
    line: Line
    foh: int
    boh: int
    delivered: int
    on_order: int
    par: int

    @property
    def total(self) -> int:
        return self.foh + self.boh + self.delivered

    @property
    def order(self) -> int:
        return order_for(self.par, self.total, self.on_order)


@dataclass(frozen=True, slots=True)
class Summary:
    rows: list[SummaryRow]

    def _sum(self, field: str) -> int:
        return sum(getattr(row, field) for row in self.rows)

    @property
    def totals(self) -> dict[str, int]:
        return {
            "total_foh": self._sum("foh"),
            "total_boh": self._sum("boh"),
            "total_delivered": self._sum("delivered"),
            "total_on_order": self._sum("on_order"),
            "total_inventory": self._sum("total"),
            "total_order": self._sum("order"),
        }


def order_for(par: int, total: int, on_order: int) -> int:
    return max(0, par - total - on_order)


def par_in_force(line: Line, row: MilkSession) -> int:
    """The captured par of a completed session, else the live one."""
    captured = line.entry.par if line.entry is not None else None
    if row.status == Phase.COMPLETED.value and captured is not None:
        return captured
    return line.live_par


def summarise(row: MilkSession, lines: Sequence[Line]) -> Summary:
    rows = []
    for line in lines:
        entry = line.entry
        rows.append(
            SummaryRow(
                line=line,
                foh=(entry.foh_count if entry else None) or 0,
                boh=(entry.boh_count if entry else None) or 0,
                delivered=(entry.delivered if entry else None) or 0,
                on_order=(entry.on_order if entry else None) or 0,
                par=par_in_force(line, row),
            )
        )
    return Summary(rows)
