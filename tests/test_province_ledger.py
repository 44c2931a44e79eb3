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


def test_a_gap_is_due_only_after_it_stayed_open_the_wait():
    ledger = Ledger()
    ledger.hall("phuong-a").add([1, 2, 5])
    assert ledger.overdue(100.0, 5.0) == {}  # just seen: maybe only out of order
    assert ledger.overdue(104.9, 5.0) == {}
    assert ledger.overdue(105.0, 5.0) == {"phuong-a": (3, 4)}
    assert ledger.overdue(200.0, 5.0) == {"phuong-a": (3, 4)}  # still open: still due (the collector paces asks)


def test_a_gap_filled_in_time_is_never_due():
    ledger = Ledger()
    ledger.hall("phuong-a").add([1, 3])  # 2 overtaken by 3 (a QoS 1 redelivery)
    assert ledger.overdue(0.0, 5.0) == {}
    ledger.hall("phuong-a").add([2])
    assert ledger.overdue(1.0, 5.0) == {} and ledger.overdue(60.0, 5.0) == {}
    assert ledger.opened == {}
    ledger.hall("phuong-a").add([5])  # a new gap later waits its own time
    assert ledger.overdue(61.0, 5.0) == {}
    assert ledger.overdue(66.0, 5.0) == {"phuong-a": (4, 4)}


def test_a_gap_partly_filled_waits_again_and_halls_wait_apart():
    ledger = Ledger()
    ledger.hall("phuong-a").add([1, 5])
    ledger.hall("xa-b").add([1])
    assert ledger.overdue(0.0, 5.0) == {}
    ledger.hall("phuong-a").add([2])  # progress: 3..4 may still be on their way
    ledger.hall("xa-b").add([4])
    assert ledger.overdue(3.0, 5.0) == {}
    assert ledger.overdue(5.0, 5.0) == {}
    assert ledger.overdue(8.0, 5.0) == {"phuong-a": (3, 4), "xa-b": (2, 3)}
    assert ledger.overdue(8.0, 0.0) == {"phuong-a": (3, 4), "xa-b": (2, 3)}  # no wait: as soon as seen
