"""Small statistics every part of motcua shares (reports, the simulator, the benchmarks)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import TypeVar

N = TypeVar("N", float, Fraction)


def percentile(values: Iterable[N], q: N) -> N:
    """The `q` quantile (0 <= q <= 1; 0.9 for the 90th percentile) of `values`, by linear interpolation between
    the closest ranks: Excel's PERCENTILE.INC, numpy's default. Exact when given Fractions.

    Raises ValueError for no values: there is no percentile of nothing, and a caller must say what it shows then.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"percentile: q must be between 0 and 1, not {q}")
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)
