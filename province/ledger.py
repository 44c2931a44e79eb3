"""Which of a hall's events the province holds, and which are missing (pure: no I/O; time is an argument).

A hall numbers its events 1, 2, 3, ... without gaps (`seq`, docs/protocol.md). The ledger keeps, per hall, the
highest `seq` up to which every event is held (`contiguous`) and the numbers held above it. A number above
``contiguous + 1`` arriving first shows a gap: `missing()` says what to ask the hall for again.

Events can arrive out of order without being lost (a QoS 1 redelivery, a bridge reconnecting), so a gap is worth
asking for only once it has stayed open a little while: `Ledger.overdue(now, wait_s)` gives the gaps open for at
least ``wait_s`` (a gap whose first missing number changes, because part of it arrived, starts its wait again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class HallLedger:
    """One hall's received sequence numbers."""

    contiguous: int = 0  # every seq in 1..contiguous is held
    above: set[int] = field(default_factory=set)  # held numbers > contiguous + 1 (waiting for the gap to fill)

    def holds(self, seq: int) -> bool:
        return seq <= self.contiguous or seq in self.above

    def add(self, seqs: Iterable[int]) -> list[int]:
        """Record `seqs`; returns those that were new (in the order given, each once)."""
        new = []
        for seq in seqs:
            if seq == self.contiguous + 1 and not self.above:  # the usual case: the next number, in order
                self.contiguous = seq
                new.append(seq)
                continue
            if seq < 1 or self.holds(seq):
                continue
            self.above.add(seq)
            new.append(seq)
        while self.contiguous + 1 in self.above:
            self.contiguous += 1
            self.above.discard(self.contiguous)
        return new

    def missing(self) -> tuple[int, int] | None:
        """The first gap: (first missing seq, last missing seq), or None if nothing is known to be missing."""
        if not self.above:
            return None
        return self.contiguous + 1, min(self.above) - 1

    @property
    def highest(self) -> int:
        return max(self.above, default=self.contiguous)


@dataclass
class Ledger:
    """Every hall's `HallLedger`, by site."""

    halls: dict[str, HallLedger] = field(default_factory=dict)
    #: site -> (first missing seq, when that gap was first seen by `overdue`)
    opened: dict[str, tuple[int, float]] = field(default_factory=dict)

    def hall(self, site: str) -> HallLedger:
        return self.halls.setdefault(site, HallLedger())

    def gaps(self) -> dict[str, tuple[int, int]]:
        return {site: gap for site, hall in self.halls.items() if (gap := hall.missing()) is not None}

    def overdue(self, now: float, wait_s: float) -> dict[str, tuple[int, int]]:
        """The gaps that have stayed open for at least `wait_s` (seconds of the same clock as `now`)."""
        gaps = self.gaps()
        for site in [s for s in self.opened if s not in gaps]:
            del self.opened[site]  # filled
        due = {}
        for site, gap in gaps.items():
            seen = self.opened.get(site)
            if seen is None or seen[0] != gap[0]:
                seen = self.opened[site] = (gap[0], now)
            if now - seen[1] >= wait_s:
                due[site] = gap
        return due
