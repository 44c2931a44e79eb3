"""Waiting on a condition in tests (other processes and threads act asynchronously): poll, never sleep blindly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(
    condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition", interval: float = 0.01
) -> Any:
    """Return the first truthy value of `condition()`, or fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:g} s")
        time.sleep(interval)
