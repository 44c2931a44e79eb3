"""The per-device token buckets (pure: time is an argument)."""

from __future__ import annotations

from coordinator.limits import RateLimiter, Summary, TokenBucket


def test_a_bucket_lets_a_burst_through_then_the_rate():
    bucket = TokenBucket(per_min=20, burst=5)
    assert [bucket.take(100.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert not bucket.take(102.9)  # 20/min: one token every 3 s
    assert bucket.take(103.1)
    assert not bucket.take(103.2)
    assert [bucket.take(1000.0) for _ in range(6)] == [True] * 5 + [False]  # a long pause refills the burst only


def test_a_clock_stepped_back_refills_nothing():
    bucket = TokenBucket(per_min=60, burst=1)
    assert bucket.take(50.0)
    assert not bucket.take(10.0)
    assert not bucket.take(50.5)
    assert bucket.take(51.0)


def test_the_limiter_keeps_a_bucket_per_device_and_counts_what_it_refused():
    limiter = RateLimiter(per_min=10, burst=3)
    assert sum(limiter.allow("1", 0.0) for _ in range(100)) == 3
    assert sum(limiter.allow("2", 0.0) for _ in range(100)) == 3  # another device is not affected
    assert limiter.take_refused() == {"1": 97, "2": 97}
    assert limiter.take_refused() == {}


def test_the_summary_is_due_once_a_minute():
    summary = Summary()
    assert summary.due(0.0)
    assert not summary.due(59.0)
    assert summary.due(60.0)
