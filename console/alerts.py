"""The manager's alerts (pure: no I/O, time is an argument).

Two rules, HappyOrNot-style: a service whose longest wait passes its target (`target_wait_min` in hall.toml), and
unsatisfied ratings piling up — their share of the counted ratings in the last `window_min` over `share`, once at
least `minimum` ratings were counted (three votes are no trend). An alert is raised once when its rule starts to
hold, stays listed while it holds, and is kept in the list (with when it ended) afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from motcua.contract import RatingLevel


@dataclass(frozen=True)
class AlertRules:
    unsatisfied_share: float = 0.3
    unsatisfied_window_min: float = 60.0
    unsatisfied_minimum: int = 5


@dataclass(frozen=True)
class Alert:
    key: str  # what it is about: "wait:ho-tich", "unsatisfied"
    text: str  # Vietnamese, for the manager
    raised_at: datetime
    ended_at: datetime | None = None


def wait_alerts(longest_min: Mapping[str, int], targets: Mapping[str, int], names: Mapping[str, str]) -> dict[str, str]:
    """Services whose longest current wait is past their target: key -> text."""
    return {
        f"wait:{service}": (
            f"{names.get(service, service)}: có người đã chờ {minutes} phút (mục tiêu {targets[service]} phút)"
        )
        for service, minutes in sorted(longest_min.items())
        if service in targets and minutes > targets[service]
    }


def unsatisfied_alert(levels: Iterable[RatingLevel], rules: AlertRules) -> dict[str, str]:
    """The unsatisfied-share rule over the counted ratings of the window: key -> text, or nothing."""
    votes = list(levels)
    if len(votes) < rules.unsatisfied_minimum:
        return {}
    unhappy = sum(1 for level in votes if level is RatingLevel.UNSATISFIED)
    if unhappy / len(votes) <= rules.unsatisfied_share:
        return {}
    window = round(rules.unsatisfied_window_min)
    return {"unsatisfied": f"{unhappy}/{len(votes)} đánh giá \u201cKhông hài lòng\u201d trong {window} phút qua"}


@dataclass
class AlertLog:
    """Alerts raised so far: the ones that hold now, and the list of every one (newest first, bounded)."""

    limit: int = 200
    active: dict[str, Alert] = field(default_factory=dict)
    history: list[Alert] = field(default_factory=list)

    def update(self, now: datetime, holding: Mapping[str, str]) -> list[Alert]:
        """Record which rules hold now; returns the alerts raised by this update."""
        raised = []
        for key, text in holding.items():
            if key not in self.active:
                alert = Alert(key, text, now)
                self.active[key] = alert
                self.history.insert(0, alert)
                raised.append(alert)
        for key in [k for k in self.active if k not in holding]:
            ended = replace(self.active.pop(key), ended_at=now)
            self.history = [ended if a.key == key and a.ended_at is None else a for a in self.history]
        del self.history[self.limit :]
        return raised
