"""Which of a hall's events the province holds, and which are missing (pure: no I/O, no clock).

A hall numbers its events 1, 2, 3, ... without gaps (`seq`, docs/protocol.md). The ledger keeps, per hall, the
highest `seq` up to which every event is held (`contiguous`) and the numbers held above it. A number above
``contiguous + 1`` arriving first shows a gap: `missing()` says what to ask the hall for again.
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

    def hall(self, site: str) -> HallLedger:
        return self.halls.setdefault(site, HallLedger())

    def gaps(self) -> dict[str, tuple[int, int]]:
        return {site: gap for site, hall in self.halls.items() if (gap := hall.missing()) is not None}
