"""The province's ledger of each hall's sequence numbers: held, contiguous, missing (pure)."""

from __future__ import annotations

from province.ledger import HallLedger, Ledger


def test_numbers_in_order_advance_the_contiguous_mark():
    hall = HallLedger()
    assert hall.add([1, 2, 3]) == [1, 2, 3]
    assert hall.contiguous == 3 and not hall.above and hall.missing() is None


def test_a_gap_is_reported_until_it_is_filled():
    hall = HallLedger()
    hall.add([1, 2, 6, 7])
    assert hall.contiguous == 2
    assert hall.missing() == (3, 5)
    hall.add([4])
    assert hall.missing() == (3, 3)
    hall.add([3, 5])
    assert hall.contiguous == 7 and hall.missing() is None and hall.above == set()


def test_duplicates_and_nonsense_numbers_are_not_new():
    hall = HallLedger()
    hall.add([1, 2, 9])
    assert hall.add([2, 9, 9, 0, -3, 10, 10]) == [10]
    assert hall.holds(1) and hall.holds(9) and not hall.holds(3)
    assert hall.highest == 10


def test_the_ledger_keeps_halls_apart():
    ledger = Ledger()
    ledger.hall("phuong-a").add([1, 3])
    ledger.hall("xa-b").add([1, 2])
    assert ledger.gaps() == {"phuong-a": (2, 2)}
