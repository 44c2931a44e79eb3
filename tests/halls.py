"""Small halls built in code for unit tests (the sample hall in examples/ is used for integration tests)."""

from __future__ import annotations

from typing import Any

from motcua.config import validate_config
from motcua.hall import HallConfig


def small_hall(
    *, queue: dict[str, Any] | None = None, hall: dict[str, Any] | None = None, rating: dict[str, Any] | None = None
) -> HallConfig:
    """Two services (A: 1001-1999, B: 2001-2003), three counters: 1 serves A, 2 serves A and B, 3 serves B."""
    data: dict[str, Any] = {
        "hall": {"site": "test-hall", "name": "Phòng thử nghiệm", "day_starts_at": "00:00", **(hall or {})},
        "services": [
            {"id": "a", "name": "Dịch vụ A", "first_number": 1001, "last_number": 1999, "mean_service_min": 10},
            {"id": "b", "name": "Dịch vụ B", "first_number": 2001, "last_number": 2003, "mean_service_min": 5},
        ],
        "counters": [
            {"number": 1, "services": ["a"], "officer": "lan"},
            {"number": 2, "services": ["a", "b"], "officer": "minh"},
            {"number": 3, "services": ["b"]},
        ],
        "officers": [
            {"id": "lan", "name": "Nguyễn Thị Lan"},
            {"id": "minh", "name": "Trần Văn Minh"},
            {"id": "hoa", "name": "Lê Thị Hoa"},
        ],
        "queue": {"max_wait_min": 60, **(queue or {})},
        "rating": rating or {},
    }
    return validate_config(data, HallConfig, source="small_hall")
