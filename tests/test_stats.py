"""motcua.stats.percentile: the one percentile of reports, simulator and benchmarks."""

from __future__ import annotations

from fractions import Fraction

import pytest

from motcua.stats import percentile


def test_percentile_is_excels_percentile_inc_exactly_with_fractions() -> None:
    values = [Fraction(v) for v in (10, 1, 4, 2, 3)]  # any order
    assert percentile(values, Fraction(9, 10)) == Fraction(76, 10)  # =PERCENTILE.INC({1,2,3,4,10}; 0,9)
    assert percentile(values, Fraction(1, 2)) == 3
    assert percentile(values, Fraction(0)) == 1 and percentile(values, Fraction(1)) == 10
    assert percentile([Fraction(5)], Fraction(9, 10)) == 5


def test_percentile_of_floats_interpolates_between_ranks() -> None:
    assert percentile([0.0, 10.0], 0.25) == pytest.approx(2.5)
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(v) for v in range(101)], 0.99) == pytest.approx(99.0)


def test_percentile_refuses_no_values_and_q_outside_0_to_1() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0, 2.0], 90.0)  # a percent where a fraction is meant (the old simulator's convention)
