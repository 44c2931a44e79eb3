"""Where everything goes on the screen: a pure function of the view, the screen size and a text measurer.

Sizes are fractions of the screen's short side (``u`` = 1/100 of it), so a 1280x720 board is the 1920x1080 one
scaled, and a portrait screen uses the same physical letter sizes. What matters from across a hall is the cap
height (the height of a capital or a digit): a text stays legible to a viewer with 20/40 vision (common among
elderly citizens) up to about 300 times its cap height. At 1920x1080 on a 55" TV (0.63 mm per pixel):

=====================  ==========  ===============  ===========================
text                   cap height  on a 55" TV      legible (20/40) up to
=====================  ==========  ===============  ===========================
current number         200 px      127 mm           38 m
"→ Quầy 3"             96 px       61 mm            18 m
recent calls           46 px       29 mm            9 m
counters' numbers      45 px       29 mm            9 m (12 m without the
                                                    waiting counts beside them)
=====================  ==========  ===============  ===========================

docs/display.md explains the reasoning and what to do for a larger hall.

Every text is fitted into its box: shrunk down to a floor, then shortened with "…"; nothing is ever drawn outside
its box. Counters and services that do not fit at the floor size are shown in pages that turn every few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from motcua.text import Rect, ellipsize, largest_size, nfc
from queue_display.state import BoardView, CounterRow, ServiceRow

FontKey = Literal["regular", "bold", "condensed", "condensed-bold"]
Color = Literal[
    "bg",
    "header",
    "panel",
    "row_alt",
    "call",
    "highlight",
    "text",
    "muted",
    "number",
    "on_highlight",
    "on_highlight_muted",
    "warning",
    "ticker",
    "on_ticker",
]
Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Ink:
    """The drawn pixels of a text relative to its pen origin on the baseline: ``x`` to the right, ``top`` above."""

    x: int
    top: int
    w: int
    h: int


class Measure(Protocol):
    def __call__(self, text: str, font: FontKey, size: int) -> Ink: ...


@dataclass(frozen=True)
class Fill:
    box: Rect
    color: Color
    radius: int = 0


@dataclass(frozen=True)
class TextItem:
    text: str
    font: FontKey
    size: int
    color: Color
    origin: tuple[int, int]  # pen position on the baseline
    ink: Rect  # where the pixels land
    box: Rect  # the box the text must stay inside
    role: str


@dataclass(frozen=True)
class Ticker:
    """The notice line; the renderer scrolls it when it is wider than its box."""

    box: Rect
    text: str
    font: FontKey
    size: int
    color: Color
    baseline: int
    ink: Ink
    scroll: bool


@dataclass(frozen=True)
class PageInfo:
    panel: str
    page: int  # 0-based
    pages: int
    shown: int  # rows on this page
    total: int


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    fills: tuple[Fill, ...]
    texts: tuple[TextItem, ...]
    ticker: Ticker | None
    pages: tuple[PageInfo, ...]

    def by_role(self, role: str) -> list[TextItem]:
        return [t for t in self.texts if t.role == role]

    @property
    def paging(self) -> bool:
        return any(p.pages > 1 for p in self.pages)


# --- fitting text into boxes -------------------------------------------------------------------------------


def fit_text(
    text: str,
    font: FontKey,
    box: Rect,
    measure: Measure,
    *,
    size: float,
    min_size: float,
    color: Color,
    role: str,
    align: Align = "left",
    ellipsis: bool = True,
) -> TextItem | None:
    """The largest size up to `size` at which `text` fits `box`; under `min_size`, "…" shortens it instead.
    Returns None for an empty text or a box too small for anything."""
    text = nfc(text).strip()
    if not text or box.w <= 0 or box.h <= 0:
        return None
    top_size, floor = max(1, int(size)), max(1, min(int(size), int(min_size)))
    best = _largest_fitting(text, font, box, measure, floor, top_size)
    if best is None:
        # Too wide even at the floor: shorten (if allowed), else keep shrinking.
        if ellipsis and measure(text, font, floor).h <= box.h:
            text = _ellipsize(text, font, floor, box.w, measure)
            best = floor if _fits(text, font, floor, box, measure) else None
        if best is None:
            best = _largest_fitting(text, font, box, measure, 1, floor)
            if best is None:
                return None
    return _place(text, font, best, box, measure, color=color, role=role, align=align)


def _fits(text: str, font: FontKey, size: int, box: Rect, measure: Measure) -> bool:
    ink = measure(text, font, size)
    return ink.w <= box.w and ink.h <= box.h


def _largest_fitting(text: str, font: FontKey, box: Rect, measure: Measure, low: int, high: int) -> int | None:
    return largest_size(lambda size: _fits(text, font, size, box, measure), low, high)


@dataclass(frozen=True)
class _Widths:
    """`motcua.text.TextWidths` of one of the board's fonts: the width its ink covers."""

    measure: Measure
    font: FontKey

    def width(self, text: str, size: int) -> int:
        return self.measure(text, self.font, size).w


def _ellipsize(text: str, font: FontKey, size: int, width: int, measure: Measure) -> str:
    return ellipsize(text, width, size, _Widths(measure, font))


def _place(
    text: str, font: FontKey, size: int, box: Rect, measure: Measure, *, color: Color, role: str, align: Align
) -> TextItem:
    ink = measure(text, font, size)
    if align == "left":
        left = box.x
    elif align == "right":
        left = box.right - ink.w
    else:
        left = box.x + (box.w - ink.w) // 2
    # Baseline so that the capital letters sit centred in the box (rows line up whatever their accents), then
    # moved just enough to keep stacked accents (Ấ) and descenders (g, y) inside.
    cap = measure("H", font, size).top
    baseline = box.y + (box.h + cap) // 2
    top = baseline - ink.top
    if top < box.y:
        baseline += box.y - top
    bottom = baseline - ink.top + ink.h
    if bottom > box.bottom:
        baseline -= bottom - box.bottom
    origin = (left - ink.x, baseline)
    return TextItem(text, font, size, color, origin, Rect(left, baseline - ink.top, ink.w, ink.h), box, role)


def common_size(
    texts: Sequence[str], font: FontKey, width: int, height: int, measure: Measure, *, size: float, min_size: float
) -> int:
    """One size for a column of texts (all service names alike): the largest at which every text fits, but not
    under `min_size` (the longest are then shortened with "…")."""
    box = Rect(0, 0, width, height)
    top, floor = max(1, int(size)), max(1, min(int(size), int(min_size)))
    sizes = [_largest_fitting(nfc(t).strip(), font, box, measure, floor, top) or floor for t in texts if t.strip()]
    return min(sizes, default=top)


# --- the board ---------------------------------------------------------------------------------------------


@dataclass
class _Canvas:
    measure: Measure
    u: float
    fills: list[Fill]
    texts: list[TextItem]
    pages: list[PageInfo]

    def text(
        self,
        text: str,
        font: FontKey,
        box: Rect,
        *,
        size: float,
        min_size: float,
        color: Color,
        role: str,
        align: Align = "left",
        ellipsis: bool = True,
    ) -> TextItem | None:
        item = fit_text(
            text,
            font,
            box,
            self.measure,
            size=size,
            min_size=min_size,
            color=color,
            role=role,
            align=align,
            ellipsis=ellipsis,
        )
        if item is not None:
            self.texts.append(item)
        return item

    def fill(self, box: Rect, color: Color, radius: float = 0) -> None:
        if box.w > 0 and box.h > 0:
            self.fills.append(Fill(box, color, round(radius)))


def layout(view: BoardView, width: int, height: int, measure: Measure, *, page_tick: int = 0) -> Frame:
    """Everything to draw for `view` on a `width` x `height` screen. `page_tick` turns the pages."""
    u = min(width, height) / 100
    portrait = height > width
    canvas = _Canvas(measure, u, [], [], [])
    pad = round(1.6 * u)
    canvas.fill(Rect(0, 0, width, height), "bg")

    header = _header(canvas, view, width, portrait, pad)
    footer_h = round(8 * u) if view.notice else 0
    body = Rect(pad, header.bottom + pad, width - 2 * pad, height - header.bottom - footer_h - 2 * pad)
    ticker = _ticker(canvas, view.notice, Rect(0, height - footer_h, width, footer_h)) if footer_h else None

    if not view.has_board:
        canvas.text(
            view.message,
            "bold",
            body.inset(pad),
            size=6 * u,
            min_size=3 * u,
            color="muted",
            role="message",
            align="center",
        )
    elif portrait:
        call = Rect(body.x, body.y, body.w, round(body.h * 0.27))
        recent = Rect(body.x, call.bottom + pad, body.w, round(body.h * 0.17))
        _current(canvas, view, call, pad)
        _recent(canvas, view, recent, columns=2)
        _panels(canvas, view, Rect(body.x, recent.bottom + pad, body.w, body.bottom - recent.bottom - pad), page_tick)
    else:
        left = Rect(body.x, body.y, round(body.w * 0.60), body.h)
        right = Rect(left.right + pad, body.y, body.right - left.right - pad, body.h)
        call = Rect(left.x, left.y, left.w, round(left.h * 0.58))
        _current(canvas, view, call, pad)
        _recent(canvas, view, Rect(left.x, call.bottom + pad, left.w, left.bottom - call.bottom - pad), columns=2)
        _panels(canvas, view, right, page_tick)
    return Frame(width, height, tuple(canvas.fills), tuple(canvas.texts), ticker, tuple(canvas.pages))


def _header(canvas: _Canvas, view: BoardView, width: int, portrait: bool, pad: int) -> Rect:
    u = canvas.u
    height = round((15 if portrait else 9) * u)
    header = Rect(0, 0, width, height)
    canvas.fill(header, "header")
    line = Rect(pad, 0, width - 2 * pad, round(9 * u) if not portrait else height // 2)
    clock_line = line if not portrait else Rect(pad, height // 2, width - 2 * pad, height // 2)
    clock = canvas.text(
        view.clock,
        "bold",
        Rect(clock_line.x + clock_line.w // 3, clock_line.y, clock_line.w * 2 // 3, clock_line.h),
        size=5 * u,
        min_size=3 * u,
        color="text",
        role="clock",
        align="right",
    )
    clock_left = clock.ink.x if clock is not None else clock_line.right
    warn_right = clock_left - pad
    if not view.connected:
        warn_box = Rect(clock_line.x, clock_line.y, max(0, warn_right - clock_line.x), clock_line.h)
        warning = canvas.text(
            view.labels.get("disconnected", ""),
            "bold",
            warn_box,
            size=3.2 * u,
            min_size=2.2 * u,
            color="warning",
            role="disconnected",
            align="right",
            ellipsis=False,
        )
        if warning is not None:
            warn_right = warning.ink.x - pad
    title_right = warn_right if not portrait else line.right
    canvas.text(
        view.title,
        "condensed-bold",
        Rect(line.x, line.y, max(0, title_right - line.x), line.h),
        size=4.2 * u,
        min_size=2.6 * u,
        color="muted",
        role="title",
    )
    return header


def _current(canvas: _Canvas, view: BoardView, box: Rect, pad: int) -> None:
    u = canvas.u
    on = view.highlight
    canvas.fill(box, "highlight" if on else "call", radius=1.2 * u)
    inner = box.inset(pad, round(pad * 0.6))
    title_h = round(6 * u)
    recall = view.current is not None and view.current.recall
    canvas.text(
        view.labels.get("recall_title" if recall else "call_title", ""),
        "bold",
        Rect(inner.x, inner.y, inner.w, title_h),
        size=3.8 * u,
        min_size=2.4 * u,
        color="on_highlight_muted" if on else "muted",
        role="call-title",
        align="center",
    )
    rest = Rect(inner.x, inner.y + title_h, inner.w, inner.h - title_h)
    current = view.current
    if current is None:
        canvas.text(
            view.labels.get("no_call", ""),
            "regular",
            rest,
            size=5 * u,
            min_size=3 * u,
            color="muted",
            role="no-call",
            align="center",
        )
        return
    number_h = round(rest.h * 0.52)
    service_h = round(rest.h * 0.14)
    counter_h = rest.h - number_h - service_h
    canvas.text(
        current.label,
        "bold",
        Rect(rest.x, rest.y, rest.w, number_h),
        size=number_h * 1.25,
        min_size=number_h * 0.5,
        color="on_highlight" if on else "number",
        role="current-number",
        align="center",
        ellipsis=False,
    )
    canvas.text(
        current.counter_text,
        "bold",
        Rect(rest.x, rest.y + number_h, rest.w, counter_h),
        size=counter_h,
        min_size=counter_h * 0.5,
        color="on_highlight" if on else "text",
        role="current-counter",
        align="center",
    )
    canvas.text(
        current.service,
        "condensed",
        Rect(rest.x, rest.y + number_h + counter_h, rest.w, service_h),
        size=min(service_h, 3.8 * u),
        min_size=2.4 * u,
        color="on_highlight_muted" if on else "muted",
        role="current-service",
        align="center",
    )


def _recent(canvas: _Canvas, view: BoardView, box: Rect, *, columns: int) -> None:
    u = canvas.u
    title_h = round(5.5 * u)
    canvas.text(
        view.labels.get("recent_title", ""),
        "bold",
        Rect(box.x, box.y, box.w, title_h),
        size=3.4 * u,
        min_size=2.2 * u,
        color="muted",
        role="recent-title",
    )
    if not view.recent:
        return
    rows = math.ceil(len(view.recent) / columns)
    grid = Rect(box.x, box.y + title_h, box.w, box.h - title_h)
    row_h = min(round(10 * u), grid.h // max(rows, 1))
    cell_w = grid.w // columns
    gap = round(1.2 * u)
    number_w = round(cell_w * 0.38)
    inner_h = row_h - 2 * round(row_h * 0.14)
    counter_w = cell_w - number_w - 3 * gap
    # One size for the whole grid, so that the numbers line up and none looks more important than another.
    size = min(
        common_size(
            [c.label for c in view.recent],
            "bold",
            number_w - gap,
            inner_h,
            canvas.measure,
            size=row_h * 0.66,
            min_size=row_h * 0.35,
        ),
        common_size(
            [c.counter_text for c in view.recent],
            "regular",
            counter_w,
            inner_h,
            canvas.measure,
            size=row_h * 0.66,
            min_size=row_h * 0.35,
        ),
    )
    for index, call in enumerate(view.recent):
        row, column = divmod(index, columns)
        cell = Rect(grid.x + column * cell_w, grid.y + row * row_h, cell_w - gap, row_h)
        if row % 2 == 0:
            canvas.fill(cell, "row_alt", radius=0.6 * u)
        fit = cell.inset(gap, round(row_h * 0.14))
        canvas.text(
            call.label,
            "bold",
            Rect(fit.x, fit.y, number_w - gap, fit.h),
            size=size,
            min_size=size,
            color="number",
            role="recent-number",
            align="right",
            ellipsis=False,
        )
        canvas.text(
            call.counter_text,
            "regular",
            Rect(fit.x + number_w + gap, fit.y, counter_w, fit.h),
            size=size,
            min_size=size,
            color="text",
            role="recent-counter",
        )


@dataclass(frozen=True)
class _PanelSpec:
    name: str
    title: str
    count: int
    row_h: float  # preferred
    min_row_h: float  # smaller than this, the panel pages instead
    names: tuple[str, ...]  # the first column, drawn at one size
    name_font: FontKey
    name_share: float  # of the row's width
    name_floor: float  # smallest name size, of the row's height: longer names are shortened with "…"
    draw: Callable[[_Canvas, int, Rect, int], None]  # draws row i in a box, names at the given size


def _panels(canvas: _Canvas, view: BoardView, area: Rect, page_tick: int) -> None:
    u = canvas.u
    counters = view.counters
    services = view.services
    estimates = any(s.estimate for s in services)
    specs = [
        _PanelSpec(
            "counters",
            view.labels.get("counters_title", ""),
            len(counters),
            9.5 * u,
            6.5 * u,
            tuple(c.name for c in counters),
            "regular",
            COUNTER_NAME_SHARE,
            0.5,
            lambda c, i, b, size: _counter_row(c, counters[i], b, size),
        ),
        _PanelSpec(
            "services",
            view.labels.get("services_title", ""),
            len(services),
            6.0 * u,
            4.4 * u,
            tuple(s.name for s in services),
            "condensed",
            _service_name_share(estimates),
            0.7,
            lambda c, i, b, size: _service_row(c, services[i], b, estimates, size),
        ),
    ]
    if not view.show_waiting:
        specs = specs[:1]
    title_h = round(5 * u)
    gap = round(1.2 * u)
    rows_space = area.h - len(specs) * (title_h + gap)
    row_hs = _row_heights(specs, rows_space)
    heights = [title_h + max(s.count, 1) * h for s, h in zip(specs, row_hs, strict=True)]
    if sum(heights) > area.h - len(specs) * gap:
        # Paging: each panel gets space in proportion to what it needs at its smallest rows.
        wanted = sum(max(s.count, 1) * h for s, h in zip(specs, row_hs, strict=True))
        heights = [
            title_h + math.floor(rows_space * max(s.count, 1) * h / wanted) for s, h in zip(specs, row_hs, strict=True)
        ]
    y = area.y
    for spec, height, row_h in zip(specs, heights, row_hs, strict=True):
        panel = Rect(area.x, y, area.w, height)
        y = panel.bottom + gap
        capacity = max(1, (panel.h - title_h) // row_h)
        pages = max(1, math.ceil(spec.count / capacity))
        page = page_tick % pages
        first = page * capacity
        shown = range(first, min(spec.count, first + capacity))
        canvas.pages.append(PageInfo(spec.name, page, pages, len(shown), spec.count))
        canvas.fill(panel, "panel", radius=0.8 * u)
        head = Rect(panel.x + gap, panel.y, panel.w - 2 * gap, title_h)
        page_text = f"{page + 1}/{pages}" if pages > 1 else ""
        page_item = canvas.text(
            page_text,
            "bold",
            head,
            size=3.2 * u,
            min_size=2.2 * u,
            color="text",
            role=f"{spec.name}-page",
            align="right",
        )
        title_right = (page_item.ink.x - gap) if page_item is not None else head.right
        canvas.text(
            spec.title,
            "bold",
            Rect(head.x, head.y, title_right - head.x, head.h),
            size=3.4 * u,
            min_size=2.2 * u,
            color="muted",
            role=f"{spec.name}-title",
        )
        if spec.count == 0 and spec.name == "counters":
            canvas.text(
                view.labels.get("no_counter_open", ""),
                "regular",
                Rect(head.x, head.bottom, head.w, min(row_h, panel.bottom - head.bottom)),
                size=row_h * 0.5,
                min_size=2.2 * u,
                color="muted",
                role="counters-none",
            )
        inner = Rect(0, 0, panel.w - 4 * gap, row_h - 2 * round(row_h * 0.1))
        name_size = common_size(
            spec.names,
            spec.name_font,
            round(inner.w * spec.name_share) - round(u),
            inner.h,
            canvas.measure,
            size=inner.h * 0.72,
            min_size=inner.h * spec.name_floor,
        )
        for slot, index in enumerate(shown):
            row = Rect(panel.x + gap, head.bottom + slot * row_h, panel.w - 2 * gap, row_h)
            if slot % 2 == 0:
                canvas.fill(row, "row_alt", radius=0.5 * u)
            spec.draw(canvas, index, row.inset(gap, round(row_h * 0.1)), name_size)


def _row_heights(specs: list[_PanelSpec], space: int) -> list[int]:
    """Row heights: preferred if everything fits; else the panels in order of importance (counters, read from across
    the hall, before the waiting counts, read from closer) keep as much of their preferred height as the others'
    smallest rows leave; else the smallest rows (and pages)."""
    rows = [max(s.count, 1) for s in specs]
    preferred = [s.row_h * n for s, n in zip(specs, rows, strict=True)]
    smallest = [s.min_row_h * n for s, n in zip(specs, rows, strict=True)]
    if sum(preferred) <= space:
        heights = [s.row_h for s in specs]
    elif sum(smallest) <= space:
        left = space - sum(smallest)
        heights = []
        for n, low, high in zip(rows, smallest, preferred, strict=True):
            extra = min(left, high - low)
            left -= extra
            heights.append((low + extra) / n)
    else:
        heights = [s.min_row_h for s in specs]
    return [max(1, math.floor(h)) for h in heights]


COUNTER_NAME_SHARE = 0.56
SERVICE_COUNT_SHARE = 0.14
SERVICE_ESTIMATE_SHARE = 0.21


def _service_name_share(estimates: bool) -> float:
    return 1 - SERVICE_COUNT_SHARE - (SERVICE_ESTIMATE_SHARE if estimates else 0)


def _counter_row(canvas: _Canvas, counter: CounterRow, box: Rect, name_size: int) -> None:
    name_w = round(box.w * COUNTER_NAME_SHARE)
    serving_box = Rect(box.x + name_w, box.y, box.w - name_w, box.h)
    canvas.text(
        counter.name,
        "regular",
        Rect(box.x, box.y, name_w - round(canvas.u), box.h),
        size=name_size,
        min_size=name_size,
        color="text",
        role="counter-name",
    )
    if counter.paused:
        canvas.text(
            counter.serving,
            "regular",
            serving_box,
            size=box.h * 0.6,
            min_size=box.h * 0.35,
            color="muted",
            role="counter-serving",
            align="right",
        )
    else:
        canvas.text(
            counter.serving,
            "bold",
            serving_box,
            size=box.h * 1.05,  # digits have no descender: the row's height is theirs
            min_size=box.h * 0.45,
            color="number" if counter.serving != "—" else "muted",
            role="counter-serving",
            align="right",
            ellipsis=False,
        )


def _service_row(canvas: _Canvas, service: ServiceRow, box: Rect, estimates: bool, name_size: int) -> None:
    u = canvas.u
    count_w = round(box.w * SERVICE_COUNT_SHARE)
    estimate_w = round(box.w * SERVICE_ESTIMATE_SHARE) if estimates else 0
    name_w = round(box.w * _service_name_share(estimates)) - round(u)
    canvas.text(
        service.name,
        "condensed",
        Rect(box.x, box.y, name_w, box.h),
        size=name_size,
        min_size=name_size,
        color="text",
        role="service-name",
    )
    canvas.text(
        str(service.waiting),
        "bold",
        Rect(box.right - count_w, box.y, count_w, box.h),
        size=box.h * 0.9,
        min_size=box.h * 0.4,
        color="number" if service.waiting else "muted",
        role="service-waiting",
        align="right",
        ellipsis=False,
    )
    if estimates and service.estimate:
        canvas.text(
            service.estimate,
            "regular",
            Rect(box.right - count_w - estimate_w, box.y, estimate_w, box.h),
            size=box.h * 0.5,
            min_size=box.h * 0.35,
            color="muted",
            role="service-estimate",
            align="right",
        )


def _ticker(canvas: _Canvas, notice: str, box: Rect) -> Ticker | None:
    u = canvas.u
    canvas.fill(box, "ticker")
    text = nfc(notice).strip()
    if not text:
        return None
    lane = box.inset(round(1.6 * u), round(box.h * 0.12))
    size = round(4.2 * u)
    measure = canvas.measure
    ink = measure(text, "regular", size)
    while ink.h > lane.h and size > 4:
        size -= 1
        ink = measure(text, "regular", size)
    item = _place(text, "regular", size, lane, measure, color="on_ticker", role="notice", align="left")
    return Ticker(lane, text, "regular", size, "on_ticker", item.origin[1], ink, scroll=ink.w > lane.w)
