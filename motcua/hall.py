"""The hall's own description (hall.toml): services, counters, officers, policies and devices.

One file describes a hall; the coordinator runs from it, the broker's users and ACL are generated from it, and
Ansible writes it from the inventory. Every cross-reference (a counter's services, a pad's counter, a
procedure's service) is checked when the file is loaded.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Sequence
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from motcua.config import (
    CROSS_CHECK,
    ConfigPath,
    Problems,
    Section,
    TimeZoneName,
    load_config,
    load_toml,
    validate_config,
)
from motcua.contract import CounterNumber, PriorityCategory, Procedure, RatingKey, RatingLevel, RatingMeaning, Slug
from motcua.errors import ConfigError
from motcua.language import VIETNAMESE_WEEKDAYS
from motcua.text import nfc

TimeRange = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")]
T = TypeVar("T")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OpeningHours(Section):
    """Giờ làm việc: ranges per weekday; a day with no range is closed."""

    mon: list[TimeRange] = []
    tue: list[TimeRange] = []
    wed: list[TimeRange] = []
    thu: list[TimeRange] = []
    fri: list[TimeRange] = []
    sat: list[TimeRange] = []
    sun: list[TimeRange] = []

    @model_validator(mode="after")
    def _ranges_ordered(self) -> OpeningHours:
        problems = Problems("hours")
        for day in WEEKDAYS:
            previous_end = time(0, 0)
            for i, (start, end) in enumerate(self.ranges(WEEKDAYS.index(day))):
                span = f"{start:%H:%M}-{end:%H:%M}"
                if not start < end:
                    problems.add((day, i), f"range {span} ends before it starts")
                elif start < previous_end:
                    problems.add((day, i), f"range {span}: ranges overlap or are not in order")
                previous_end = max(previous_end, end)
        problems.raise_if_any()
        return self

    def ranges(self, weekday: int) -> list[tuple[time, time]]:
        result = []
        for text in getattr(self, WEEKDAYS[weekday]):
            start, end = text.split("-")
            result.append((time.fromisoformat(start), time.fromisoformat(end)))
        return result

    def describe(self) -> str:
        """'Thứ Hai–Thứ Sáu: 07:30–11:30, 13:30–17:00; Thứ Bảy: 07:30–11:30' (consecutive equal days merged)."""
        parts: list[str] = []
        day = 0
        while day < 7:
            spans = getattr(self, WEEKDAYS[day])
            last = day
            while last + 1 < 7 and getattr(self, WEEKDAYS[last + 1]) == spans:
                last += 1
            if spans:
                days = (
                    VIETNAMESE_WEEKDAYS[day]
                    if last == day
                    else f"{VIETNAMESE_WEEKDAYS[day]}–{VIETNAMESE_WEEKDAYS[last]}"
                )
                parts.append(f"{days}: " + ", ".join(span.replace("-", "–") for span in spans))
            day = last + 1
        return "; ".join(parts)


class HallSection(Section):
    site: Slug
    name: str
    name_en: str | None = None
    address: str | None = None
    hotline: str | None = None  # printed on tickets for feedback (đường dây nóng)
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"
    day_starts_at: time = time(0, 0)  # ticket numbers restart at this local time
    procedures: ConfigPath | None = None  # the catalogue file (procedures.toml)
    hours: OpeningHours | None = None  # None: always open
    issue_early_min: Annotated[int, Field(ge=0, le=240)] = 30  # kiosks issue tickets this long before opening

    @field_validator("name", "name_en", "address")
    @classmethod
    def _nfc(cls, value: str | None) -> str | None:
        return nfc(value) if value is not None else None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ServiceSection(Section):
    """Dịch vụ: a group of procedures with its own ticket series and counters."""

    id: Slug
    name: str
    name_en: str | None = None
    fields: list[str] = []  # lĩnh vực grouped in this service
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{0,2}$")] = ""
    first_number: Annotated[int, Field(ge=0, le=99999)] = 1
    last_number: Annotated[int, Field(ge=0, le=99999)] = 999
    target_wait_min: Annotated[int, Field(ge=1, le=480)] = 30
    mean_service_min: Annotated[float, Field(gt=0, le=240)] = 8.0  # first estimate, refined from real service times
    hours: OpeningHours | None = None  # overrides the hall's hours

    @field_validator("name", "name_en")
    @classmethod
    def _nfc(cls, value: str | None) -> str | None:
        return nfc(value) if value is not None else None

    @field_validator("fields")
    @classmethod
    def _nfc_fields(cls, value: list[str]) -> list[str]:
        return [nfc(item) for item in value]

    @model_validator(mode="after")
    def _series(self) -> ServiceSection:
        if self.last_number < self.first_number:
            problems = Problems("service")
            problems.add(("last_number",), f"{self.last_number} is below first_number {self.first_number}")
            problems.raise_if_any()
        return self


class CounterSection(Section):
    """Quầy: a desk that serves some services."""

    number: CounterNumber
    name: str | None = None  # default "Quầy số N"
    services: Annotated[list[Slug], Field(min_length=1)]
    officer: Slug | None = None  # signed in automatically when the counter is first used

    @property
    def display_name(self) -> str:
        return self.name or f"Quầy {self.number}"


class OfficerSection(Section):
    """Cán bộ, công chức tiếp nhận hồ sơ."""

    id: Slug
    name: str
    unit: Slug | None = None  # đơn vị: the service (unit) the officer belongs to in the satisfaction report
    title: str | None = None  # chức danh, shown on the counter screen: "Chuyên viên", "Công chức Tư pháp - Hộ tịch"

    @field_validator("name", "title")
    @classmethod
    def _nfc(cls, value: str | None) -> str | None:
        return nfc(value) if value is not None else None


class QueueSection(Section):
    priority_mode: Literal["strict", "interleaved"] = "interleaved"
    priority_ratio: Annotated[int, Field(ge=1, le=20)] = 2  # interleaved: after this many priority calls, one normal
    max_wait_min: Annotated[int, Field(ge=1, le=600)] = 60  # a ticket waiting longer is called first: nothing starves
    priority_categories: list[PriorityCategory] = list(PriorityCategory)
    recalls_before_no_show: Annotated[int, Field(ge=0, le=5)] = 0
    # Keypad commands and ticket requests older than this are refused: a press buffered during an outage must not
    # call someone, or print a ticket, minutes later. Devices' clocks must be synchronised (NTP, see docs/deploy.md).
    # 10 s: well past the devices' own 5 s reply timeout, so a command a keypad gave up on (its connection had
    # silently died; paho sends it again after reconnecting) is refused rather than carried out late.
    max_request_age_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    require_officer: bool = True  # a counter calls only with an officer signed in
    board_calls: Annotated[int, Field(ge=1, le=50)] = 8


Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class ScaleLevel(Section):
    """``[[rating.levels]]``: one level of the hall's rating scale (mức đánh giá), as a button or a face on the pad."""

    key: RatingKey  # what the pad sends and the database keeps, e.g. "very_satisfied"
    label: Annotated[str, StringConstraints(min_length=1, max_length=40)]  # Vietnamese, printed on the button
    label_en: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    colour: Colour  # the button's colour, also the level's colour in the report's charts
    button: Annotated[int, Field(ge=1, le=5)]  # position on the pad, 1 = the leftmost (pad.toml wires it to a GPIO)
    meaning: RatingMeaning  # what the level counts as: satisfied, neutral or unsatisfied

    @field_validator("label", "label_en")
    @classmethod
    def _nfc(cls, value: str) -> str:
        return nfc(value)


def _level(key: str, label: str, label_en: str, colour: str, meaning: RatingMeaning) -> dict[str, str]:
    return {"key": key, "label": label, "label_en": label_en, "colour": colour, "meaning": meaning.value}


_S, _N, _U = RatingMeaning.SATISFIED, RatingMeaning.NEUTRAL, RatingMeaning.UNSATISFIED
#: Printed in black and white the default scale's levels must still differ (issue 18.12): green, amber and red are
#: greys far apart (29 %, 83 %, 59 % luminance); the charts add a hatch by meaning.
GREEN, LIGHT_GREEN, AMBER, ORANGE, RED = "#1b5e20", "#7cb342", "#ffd54f", "#ef6c00", "#ef7f7f"

#: The common scales, by name (hall.toml ``[rating] preset = "..."``), buttons from left to right.
PRESETS: dict[str, list[dict[str, str]]] = {
    # Today's pad: Hài lòng / Bình thường / Không hài lòng.
    "three-levels": [
        _level("satisfied", "Hài lòng", "Satisfied", GREEN, _S),
        _level("neutral", "Bình thường", "Neutral", AMBER, _N),
        _level("unsatisfied", "Không hài lòng", "Unsatisfied", RED, _U),
    ],
    # Provinces that ask "Rất hài lòng / Hài lòng / Không hài lòng": satisfied means the top two.
    "three-levels-top-two": [
        _level("very_satisfied", "Rất hài lòng", "Very satisfied", GREEN, _S),
        _level("satisfied", "Hài lòng", "Satisfied", LIGHT_GREEN, _S),
        _level("unsatisfied", "Không hài lòng", "Unsatisfied", RED, _U),
    ],
    # Four faces.
    "four-faces": [
        _level("very_satisfied", "Rất hài lòng", "Very satisfied", GREEN, _S),
        _level("satisfied", "Hài lòng", "Satisfied", LIGHT_GREEN, _S),
        _level("neutral", "Bình thường", "Neutral", AMBER, _N),
        _level("unsatisfied", "Không hài lòng", "Unsatisfied", RED, _U),
    ],
    # Five levels, as the survey of the Ministry of Information and Communications' portal words them.
    "five-levels": [
        _level("very_satisfied", "Rất hài lòng", "Very satisfied", GREEN, _S),
        _level("satisfied", "Hài lòng", "Satisfied", LIGHT_GREEN, _S),
        _level("neutral", "Bình thường", "Neutral", AMBER, _N),
        _level("unsatisfied", "Không hài lòng", "Unsatisfied", ORANGE, _U),
        _level("very_unsatisfied", "Rất không hài lòng", "Very unsatisfied", RED, _U),
    ],
    # Five stars (VNPT iQMS): 4 and 5 stars satisfied, 3 neutral, 1 and 2 unsatisfied.
    "five-stars": [
        _level("star_5", "5 sao – Rất hài lòng", "5 stars – very satisfied", GREEN, _S),
        _level("star_4", "4 sao – Hài lòng", "4 stars – satisfied", LIGHT_GREEN, _S),
        _level("star_3", "3 sao – Bình thường", "3 stars – neutral", AMBER, _N),
        _level("star_2", "2 sao – Không hài lòng", "2 stars – unsatisfied", ORANGE, _U),
        _level("star_1", "1 sao – Rất không hài lòng", "1 star – very unsatisfied", RED, _U),
    ],
}
DEFAULT_PRESET = "three-levels"


def preset_levels(name: str) -> list[ScaleLevel]:
    """The levels of a named preset, buttons numbered from the left."""
    return [ScaleLevel.model_validate(level | {"button": i}) for i, level in enumerate(PRESETS[name], start=1)]


class RatingAlertSection(Section):
    """``[rating.alert]``: raise an alert when a counter's counted votes of the last `window_min` minutes are more
    than `unsatisfied_pct` % unsatisfied, with at least `min_votes` of them (HappyOrNot-style)."""

    unsatisfied_pct: Annotated[int, Field(ge=1, le=99)] = 30
    window_min: Annotated[int, Field(ge=5, le=480)] = 60
    min_votes: Annotated[int, Field(ge=1, le=1000)] = 5


class RatingSection(Section):
    """``[rating]``: the satisfaction scale and the rating rules. Without ``levels`` or ``preset``: today's three
    buttons (Hài lòng / Bình thường / Không hài lòng), so a hall.toml written before scales works unchanged."""

    window_min: Annotated[float, Field(gt=0, le=120)] = 10.0  # a rating binds to a ticket finished this recently
    preset: Literal["three-levels", "three-levels-top-two", "four-faces", "five-levels", "five-stars"] | None = None
    levels: list[ScaleLevel] = []  # a scale of the hall's own: 2 to 5 levels (instead of a preset)
    # The default scale's labels, as hall.toml set them before scales existed (still honoured; `levels` is better).
    labels: dict[RatingLevel, str] = {}
    labels_en: dict[RatingLevel, str] = {}
    alert: RatingAlertSection | None = None  # off unless hall.toml has [rating.alert]

    @model_validator(mode="after")
    def _scale(self) -> RatingSection:
        problems = Problems("rating")
        if self.levels and self.preset is not None:
            problems.add(("preset",), "give either 'preset' or 'levels', not both")
        if (self.labels or self.labels_en) and (self.levels or self.preset not in (None, DEFAULT_PRESET)):
            problems.add(
                ("labels",), "'labels' and 'labels_en' name the default scale's buttons: put labels in 'levels'"
            )
        if self.levels:
            if not 2 <= len(self.levels) <= 5:
                problems.add(("levels",), f"a rating scale has 2 to 5 levels, not {len(self.levels)}")
            for i, key in _repeats([level.key for level in self.levels]):
                problems.add(("levels", i, "key"), f"rating levels: {key!r} appears twice")
            buttons = sorted(level.button for level in self.levels)
            if buttons != list(range(1, len(self.levels) + 1)):
                problems.add(
                    ("levels",), f"rating levels: buttons must be 1 to {len(self.levels)}, each once (got {buttons})"
                )
            meanings = {level.meaning for level in self.levels}
            if RatingMeaning.SATISFIED not in meanings or RatingMeaning.UNSATISFIED not in meanings:
                problems.add(("levels",), "a rating scale needs at least one 'satisfied' and one 'unsatisfied' level")
        problems.raise_if_any()
        return self

    @property
    def scale(self) -> list[ScaleLevel]:
        """The hall's levels in button order (left to right)."""
        if self.levels:
            return sorted(self.levels, key=lambda level: level.button)
        levels = preset_levels(self.preset or DEFAULT_PRESET)
        if self.labels or self.labels_en:
            levels = [
                level.model_copy(
                    update={
                        "label": nfc(self.labels.get(RatingLevel(level.key), level.label)),
                        "label_en": self.labels_en.get(RatingLevel(level.key), level.label_en),
                    }
                )
                for level in levels
            ]
        return levels

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(level.key for level in self.scale)

    def level(self, key: str) -> ScaleLevel | None:
        """The level `key` names, or None: a key this hall's scale does not have."""
        return next((level for level in self.scale if level.key == key), None)

    def label(self, key: str, lang: str = "vi") -> str:
        level = self.level(key)
        if level is None:
            return key
        return level.label if lang == "vi" else level.label_en


class ReportSection(Section):
    """``[report]``: the administrative form of the printed satisfaction report (báo cáo), as the hall's office
    writes its documents: the two-level issuing body, the number, the place, the addressees, who signs."""

    parent_body: str | None = None  # cơ quan chủ quản, e.g. "UBND QUẬN ĐỐNG ĐA"
    issuing_body: str | None = None  # cơ quan ban hành, e.g. "UBND PHƯỜNG TRUNG TỰ" (default: the hall's name)
    number_suffix: str = "BC"  # "Số: …/BC-UBND": the part after the number, which the office fills in
    place: str | None = None  # địa danh of the date line, e.g. "Trung Tự"
    recipients: list[str] = []  # Kính gửi
    prepared_by: str | None = None  # người lập
    signer: str | None = None  # lãnh đạo ký
    signer_title: str | None = None  # chức vụ, e.g. "PHÓ CHỦ TỊCH"
    signing_authority: str | None = None  # thẩm quyền ký, e.g. "TM. ỦY BAN NHÂN DÂN" or "KT. CHỦ TỊCH"
    copy_to: list[str] = ["Như trên", "Lưu: VT"]  # Nơi nhận

    @field_validator("parent_body", "issuing_body", "place", "prepared_by", "signer", "signer_title")
    @classmethod
    def _nfc(cls, value: str | None) -> str | None:
        return nfc(value) if value is not None else None


class BookingsSection(Section):
    """``[bookings]``: the check-in window of appointments (lịch hẹn) from the province's booking system
    (coordinator.bookings; docs/queue-rules.md, "Bookings"). The defaults are the rule's constants, so a hall.toml
    without the section keeps it unchanged."""

    # A booking may be checked in this long before its slot starts (the citizen then waits for the slot).
    early_min: Annotated[int, Field(ge=0, le=240)] = 60
    # Checked in up to this long after the slot's start: a booked ticket; later the same day: a walk-in.
    grace_min: Annotated[int, Field(ge=0, le=120)] = 15


class KioskDevice(Section):
    id: Slug


class CounterDevice(Section):
    id: Slug
    counter: CounterNumber


class DisplayDevice(Section):
    id: Slug


class DevicesSection(Section):
    kiosks: list[KioskDevice] = []
    pads: list[CounterDevice] = []
    keypads: list[CounterDevice] = []
    counter_screens: list[CounterDevice] = []  # the screen above a counter (and its touch rating tablet, if any)
    displays: list[DisplayDevice] = []
    admins: list[Slug] = ["admin"]  # broker users of the hall's tools (officer sign-in, monitoring)
    consoles: list[Slug] = ["console"]  # broker users of the web console (`motcua console`)
    coordinator: Slug = "coordinator"


class BrokerSection(Section):
    """Limits of the hall's Mosquitto (docs/security.md): a flood or a stolen credential cannot exhaust the Pi."""

    # The biggest message is the kiosks' catalogue: 1,125 procedures (a province's list) measure 1.5 MB.
    max_packet_kib: Annotated[int, Field(ge=256, le=65536)] = 3072
    # Queued for one absent client (QoS 1), in bytes: a flood for an absent coordinator stops here.
    max_queued_kib: Annotated[int, Field(ge=1024, le=262144)] = 8192
    # The whole broker's heap: a Pi 3/4 with 1 GB keeps room for the coordinator and the OS.
    memory_limit_mib: Annotated[int, Field(ge=16, le=4096)] = 128
    # Connections on the devices' listener; None: twice the hall's broker users plus 16 (tools, reconnects).
    max_connections: Annotated[int, Field(ge=4, le=100000)] | None = None


class LimitsSection(Section):
    """What one device may send (docs/security.md): a stolen credential cannot use up a series or fill the disk.
    Rates are per minute of the hall's clock; a burst is how many may come at once before the rate applies."""

    # A thermal printer prints a few tickets a minute; a family asks for 3-4 at once.
    kiosk_per_min: Annotated[float, Field(gt=0, le=6000)] = 20
    kiosk_burst: Annotated[int, Field(ge=1, le=1000)] = 5
    # A pad's own lockout is seconds: a few presses a minute is a busy counter.
    pad_per_min: Annotated[float, Field(gt=0, le=6000)] = 10
    pad_burst: Annotated[int, Field(ge=1, le=1000)] = 5
    # An officer presses a key a second at most.
    keypad_per_min: Annotated[float, Field(gt=0, le=6000)] = 60
    keypad_burst: Annotated[int, Field(ge=1, le=1000)] = 10
    # A vote's pressed_at: at most this far ahead of the coordinator's clock (clocks differ a little) ...
    vote_future_s: Annotated[float, Field(ge=0, le=3600)] = 5
    # ... and at most this far behind it (a pad's outbox delivers after a short outage; not hours later).
    vote_max_age_s: Annotated[float, Field(ge=1, le=86400)] = 300


class HallConfig(Section):
    hall: HallSection
    services: Annotated[list[ServiceSection], Field(min_length=1)]
    counters: Annotated[list[CounterSection], Field(min_length=1)]
    officers: list[OfficerSection] = []
    queue: QueueSection = QueueSection()
    rating: RatingSection = RatingSection()
    report: ReportSection = ReportSection()
    devices: DevicesSection = DevicesSection()
    broker: BrokerSection = BrokerSection()
    limits: LimitsSection = LimitsSection()
    bookings: BookingsSection = BookingsSection()

    @model_validator(mode="after")
    def _references(self) -> HallConfig:
        # Every problem is collected, one line each with its key path: a technician fixes the file in one go.
        problems = Problems("hall")
        for i, service_id in _repeats([s.id for s in self.services]):
            problems.add(("services", i, "id"), f"services: {service_id!r} appears twice")
        for i, number in _repeats([c.number for c in self.counters]):
            problems.add(("counters", i, "number"), f"counters: {number!r} appears twice")
        for i, officer_id in _repeats([o.id for o in self.officers]):
            problems.add(("officers", i, "id"), f"officers: {officer_id!r} appears twice")
        service_ids = {s.id for s in self.services}
        officer_ids = {o.id for o in self.officers}
        counter_numbers = {c.number for c in self.counters}
        for i, counter in enumerate(self.counters):
            for j, service_id in enumerate(counter.services):
                if service_id not in service_ids:
                    problems.add(
                        ("counters", i, "services", j),
                        f"counter {counter.number}: unknown service {service_id!r}{_guess(service_id, service_ids)}",
                    )
            if counter.officer is not None and counter.officer not in officer_ids:
                problems.add(
                    ("counters", i, "officer"),
                    f"counter {counter.number}: unknown officer {counter.officer!r}"
                    f"{_guess(counter.officer, officer_ids)}",
                )
        for i, officer in enumerate(self.officers):
            if officer.unit is not None and officer.unit not in service_ids:
                problems.add(
                    ("officers", i, "unit"),
                    f"officer {officer.id}: unknown unit {officer.unit!r}{_guess(officer.unit, service_ids)}",
                )
        served = {s for c in self.counters for s in c.services}
        for i, service in enumerate(self.services):
            if service.id not in served:
                problems.add(
                    ("services", i, "id"), f"service {service.id!r} has no counter: its tickets could never be called"
                )
        for i, service in enumerate(self.services):
            for other in self.services[i + 1 :]:
                if other.prefix != service.prefix:
                    continue
                if service.first_number <= other.last_number and other.first_number <= service.last_number:
                    problems.add(
                        ("services", i, "first_number"),
                        f"services {service.id!r} and {other.id!r} share ticket numbers "
                        f"({service.prefix}{service.first_number}-{service.last_number} and "
                        f"{other.prefix}{other.first_number}-{other.last_number}): a number must never be issued twice",
                    )
        devices = self.devices
        placed: list[tuple[tuple[int | str, ...], str]] = []
        for kind in ("kiosks", "pads", "keypads", "counter_screens", "displays"):
            placed += [(("devices", kind, i, "id"), d.id) for i, d in enumerate(getattr(devices, kind))]
        placed += [(("devices", "admins", i), d) for i, d in enumerate(devices.admins)]
        placed += [(("devices", "consoles", i), d) for i, d in enumerate(devices.consoles)]
        placed.append((("devices", "coordinator"), devices.coordinator))
        for i, device_id in _repeats([device_id for _, device_id in placed]):
            problems.add(placed[i][0], f"device ids: {device_id!r} appears twice")
        for kind in ("pads", "keypads", "counter_screens"):
            for i, device in enumerate(getattr(devices, kind)):
                if device.counter not in counter_numbers:
                    problems.add(
                        ("devices", kind, i, "counter"), f"device {device.id!r}: unknown counter {device.counter}"
                    )
        problems.raise_if_any()
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _references_despite_other_errors(cls, data: Any, handler: ModelWrapValidatorHandler[HallConfig]) -> HallConfig:
        # `_references` runs only once every section is valid: a bad opening hour would hide a service without a
        # counter until the next try. So when sections fail, the cross-references are checked on a copy without
        # the failed parts (when none of them is one a cross-reference reads) and both lists are reported together.
        try:
            return handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            cleaned = _without_failed_parts(data, errors)
            if cleaned is None:
                raise
            try:
                handler(cleaned)
            except ValidationError as again:
                found = again.errors()
                if not found or any(err["type"] != CROSS_CHECK for err in found):
                    raise exc from None
                errors += found
                raise ValidationError.from_exception_data(
                    exc.title,
                    [
                        InitErrorDetails(
                            type=PydanticCustomError(err["type"], "{message}", {"message": err["msg"]}),
                            loc=err["loc"],
                            input=err["input"],
                        )
                        for err in errors
                    ],
                ) from None
            raise

    def service(self, service_id: str) -> ServiceSection:
        for service in self.services:
            if service.id == service_id:
                return service
        raise KeyError(service_id)

    def counter(self, number: int) -> CounterSection:
        for counter in self.counters:
            if counter.number == number:
                return counter
        raise KeyError(number)

    def officer_title(self, officer_id: str | None) -> str | None:
        for officer in self.officers:
            if officer.id == officer_id:
                return officer.title
        return None

    def officer_name(self, officer_id: str | None) -> str | None:
        for officer in self.officers:
            if officer.id == officer_id:
                return officer.name
        return None

    def hours_for(self, service_id: str) -> OpeningHours | None:
        return self.service(service_id).hours or self.hall.hours


#: What `HallConfig._references` reads of each list's items; a failure elsewhere does not hide its findings.
_REFERENCED = {
    "services": {"id", "prefix", "first_number", "last_number"},
    "counters": {"number", "services", "officer"},
    "officers": {"id", "unit"},
}
_ITEM_MODELS: dict[str, type[Section]] = {
    "services": ServiceSection,
    "counters": CounterSection,
    "officers": OfficerSection,
}
#: Sections `_references` does not read: a failed one is left out (its defaults stand in) for the second look.
_UNREFERENCED_SECTIONS = ("queue", "rating", "report", "broker", "limits", "bookings")


def _without_failed_parts(data: Any, errors: Sequence[Any]) -> dict[str, Any] | None:
    """A copy of a hall's raw data with what failed replaced by placeholders, or None when a failure touches what
    the cross-references read (the second look would then report false problems)."""
    if not isinstance(data, dict):
        return None
    cleaned = copy.deepcopy(data)
    for err in errors:
        loc = err["loc"]
        top = loc[0] if loc else None
        if top in _UNREFERENCED_SECTIONS:
            cleaned.pop(top, None)
        elif top == "hall":
            cleaned["hall"] = {"site": "placeholder", "name": "placeholder"}
        elif (
            top in _REFERENCED
            and len(loc) >= 3
            and isinstance(loc[1], int)
            and isinstance(cleaned.get(top), list)
            and loc[1] < len(cleaned[top])
            and isinstance(cleaned[top][loc[1]], dict)
            and loc[2] not in _REFERENCED[top]
        ):
            item = cleaned[top][loc[1]]
            field = _ITEM_MODELS[top].model_fields.get(str(loc[2]))
            if field is not None and field.is_required():
                item[loc[2]] = "placeholder"
            else:
                item.pop(loc[2], None)
        else:
            return None
    return cleaned


class CatalogueFile(Section):
    procedures: list[Procedure]


def _unique(what: str, values: Sequence[object]) -> None:
    for _, value in _repeats(values):
        raise ValueError(f"{what}: {value!r} appears twice")


def _repeats(values: Sequence[T]) -> list[tuple[int, T]]:
    """Each value seen before, with its index: [(2, 'ho-tich')] when the third item repeats the first."""
    seen: set[T] = set()
    repeats = []
    for i, value in enumerate(values):
        if value in seen:
            repeats.append((i, value))
        seen.add(value)
    return repeats


def _guess(value: str, known: set[str]) -> str:
    match = difflib.get_close_matches(value, sorted(known), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def load_hall(path: Path | str) -> HallConfig:
    """Load and check hall.toml."""
    return load_config(path, HallConfig)


def load_procedures(hall: HallConfig) -> list[Procedure]:
    """Load the hall's catalogue and check every procedure against the hall's services."""
    path = hall.hall.procedures
    if path is None:
        return []
    data = load_toml(path)
    catalogue = validate_config(data, CatalogueFile, source=str(path), base_dir=Path(path).parent)
    procedures = [_normalised(p) for p in catalogue.procedures]
    service_ids = {s.id for s in hall.services}
    codes: set[str] = set()
    problems = []
    for procedure in procedures:
        if procedure.code in codes:
            problems.append(f"  {procedure.code}: appears twice")
        codes.add(procedure.code)
        if procedure.service not in service_ids:
            problems.append(
                f"  {procedure.code}: unknown service {procedure.service!r}{_guess(procedure.service, service_ids)}"
            )
            continue
        fields = hall.service(procedure.service).fields
        if fields and procedure.field not in fields:
            problems.append(
                f"  {procedure.code}: field {procedure.field!r} is not among the fields of service "
                f"{procedure.service!r}: {fields}"
            )
    if problems:
        raise ConfigError(f"{path}: invalid catalogue\n" + "\n".join(problems))
    return procedures


def _normalised(procedure: Procedure) -> Procedure:
    def text(value: str | None) -> str | None:
        return nfc(value) if value is not None else None

    return procedure.model_copy(
        update={
            "name": nfc(procedure.name),
            "name_en": text(procedure.name_en),
            "field": nfc(procedure.field),
            "documents": [nfc(d) for d in procedure.documents],
            "forms": [nfc(f) for f in procedure.forms],
            "time_limit": nfc(procedure.time_limit),
            "fee": nfc(procedure.fee),
            "agency": nfc(procedure.agency),
            "result": text(procedure.result),
            "keywords": [nfc(k) for k in procedure.keywords],
        }
    )
