"""What each screen shows. Layouts are computed from the screen size (designed at 1024x600, scaled for 800x480
and 1920x1080); all text is fitted into its box by the painter; every button records its action.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from functools import lru_cache

from kiosk.catalogue import CatalogueView
from kiosk.i18n import Lang, printer_problem, priority_label, text
from kiosk.layout import Block, paginate
from kiosk.model import PrinterStatus
from kiosk.text import (
    format_clock,
    format_counters,
    format_counters_en,
    format_reopening,
    format_wait,
    next_opening,
)
from kiosk.ui.controller import Action, Screen, UiState
from kiosk.ui.painter import (
    BACKGROUND,
    BORDER,
    CARD,
    CLOSED,
    ERROR,
    HEADER,
    HEADER_INK,
    INK,
    MUTED,
    PRIMARY,
    PRIORITY,
    PRIORITY_INK,
    SECONDARY,
    TAKE,
    WARNING,
    WHITE,
    Painter,
)
from motcua.contract import Procedure, ServiceInfo
from motcua.text import Lexicon, Rect

KEYBOARDS = {
    "qwerty": ("1234567890.", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"),
    "abc": ("1234567890.", "ABCDEFGHIJ", "KLMNOPQRS", "TUVWXYZ"),
}


class ScreenContext:
    """Everything a screen needs besides the state: the painter, the time, the keyboard layout."""

    def __init__(self, painter: Painter, state: UiState, *, now: datetime, zone: tzinfo, keyboard: str) -> None:
        self.p = painter
        self.state = state
        self.now = now
        self.zone = zone
        self.keyboard = KEYBOARDS.get(keyboard, KEYBOARDS["qwerty"])
        self.lang = state.lang
        self.pages = 1  # set by paginated screens, drawn by the nav bar

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    @property
    def catalogue(self) -> CatalogueView | None:
        return self.state.catalogue

    def service_name(self, service: ServiceInfo) -> str:
        return (service.name_en or service.name) if self.lang is Lang.EN else service.name

    def procedure_name(self, procedure: Procedure) -> str:
        return (procedure.name_en or procedure.name) if self.lang is Lang.EN else procedure.name


def draw_screen(ctx: ScreenContext) -> None:
    """Draw the current screen of `ctx.state` on `ctx.p`."""
    p = ctx.p
    if ctx.catalogue is not None:
        p.lexicon = hall_lexicon(hall_names(ctx.catalogue))
    p.surface.fill(p.color(BACKGROUND))
    if ctx.state.screen is Screen.SEARCH and ctx.catalogue is not None and compact_search(p):
        draw_search_keys(ctx, p.screen)  # the whole panel for the keys: no header, no banner
        return
    body = header(ctx)
    body = banner(ctx, body)
    DRAWERS[ctx.state.screen](ctx, body)


def hall_names(view: CatalogueView) -> tuple[str, ...]:
    """The hall's own names (services, fields, procedures): their parts are words lines must not split."""
    catalogue = view.catalogue
    names = [catalogue.hall.name]
    for service in catalogue.services:
        names += [service.name, *service.fields]
    names += [procedure.name for procedure in catalogue.procedures]
    return tuple(names)


@lru_cache(maxsize=4)
def hall_lexicon(names: tuple[str, ...]) -> Lexicon:
    return Lexicon.common().with_names(names)


# --- shared parts ----------------------------------------------------------------------------------------


def fit_widths(total: int, wanted: list[int], gap: int, least: int) -> list[int]:
    """Widths for buttons side by side in `total` pixels: as designed, or narrowed alike (never under `least`)."""
    room = total - gap * (len(wanted) - 1)
    if sum(wanted) <= room:
        return wanted
    factor = room / max(1, sum(wanted))
    return [max(least, int(w * factor)) for w in wanted]


def header_toggle(ctx: ScreenContext, area: Rect, action: str, on: bool, icon: str | None = None) -> None:
    """A header switch the citizen turns on for themselves (voice guidance, large text): green while on, its label
    the text ``ACTION`` or ``ACTION_on``."""
    ctx.p.button(
        area,
        ctx.t(f"{action}_on" if on else action),
        Action(action),
        color=TAKE if on else HEADER_INK,
        ink=WHITE if on else HEADER,
        size=17,
        min_size=11,
        max_lines=2,
        icon=icon,
    )


def header(ctx: ScreenContext) -> Rect:
    p = ctx.p
    band, rest = p.screen.take_top(max(p.px(70), p.target(60) + 2 * p.px(5)))
    p.fill(band, HEADER)
    inner = band.inset(p.px(14), p.px(5))
    right = inner
    if ctx.state.screen is not Screen.WORKING:
        gap = p.gap(12)
        lang_w, voice_w, large_w = fit_widths(
            inner.w - p.px(200), [p.px(150), p.px(200), p.px(150)], gap, p.target(0)
        )
        lang_button, right = inner.take_right(lang_w, gap)
        p.button(lang_button, ctx.t("language"), Action("lang"), color=HEADER_INK, ink=HEADER, size=20, min_size=12)
        large_button, right = right.take_right(large_w, gap)
        header_toggle(ctx, large_button, "large_text", ctx.state.large_text, icon="AA")
        voice_button, right = right.take_right(voice_w, gap)
        header_toggle(ctx, voice_button, "voice", ctx.state.voice)
    clock, title = right.take_right(min(p.px(90), right.w // 2), p.px(12))
    p.text(
        clock,
        format_clock(ctx.now, ctx.zone),
        size=28,
        min_size=18,
        bold=True,
        color=HEADER_INK,
        align="right",
        valign="middle",
    )
    catalogue = ctx.catalogue
    if catalogue is not None:
        hall = catalogue.catalogue.hall
        name = (hall.name_en or hall.name) if ctx.lang is Lang.EN else hall.name
    else:
        name = ctx.t("app_title")
    p.text(title, name, size=22, min_size=13, bold=True, color=WHITE, valign="middle", max_lines=2, may_truncate=True)
    return rest


def banner(ctx: ScreenContext, body: Rect) -> Rect:
    """One line on top of the screen for the most serious problem: offline, printer, camera."""
    s = ctx.state
    if s.screen in (Screen.LOADING, Screen.WORKING):
        return body
    message, color, ink = None, WARNING, INK
    if s.screen is Screen.HOME and s.blocked is not None:
        pass  # the home screen says it in its own words (home_notice)
    elif not s.connected:
        message, color, ink = ctx.t("offline_banner"), ERROR, WHITE
    elif s.coordinator_online is False:
        message, color, ink = ctx.t("notice_blocked_title"), ERROR, WHITE
    elif s.printer.problem is not None:
        message, color, ink = (
            ctx.t("printer_banner", problem=printer_problem(s.printer.problem, ctx.lang)),
            ERROR,
            WHITE,
        )
    elif s.camera_fitted and s.camera_ok is False and s.screen is Screen.HOME:
        message = ctx.t("camera_banner")
    if message is None:
        return body
    p = ctx.p
    band, rest = body.take_top(p.px(42))
    p.fill(band, color)
    p.text(
        band.inset(p.px(14), p.px(3)),
        message,
        size=19,
        min_size=12,
        bold=True,
        color=ink,
        valign="middle",
        max_lines=2,
        may_truncate=True,
    )
    return rest


def nav_bar(ctx: ScreenContext, body: Rect) -> tuple[Rect, Rect]:
    """Reserve the bottom band for navigation; returns (band, area above it). Draw it with `draw_nav` once the
    screen knows how many pages it has."""
    p = ctx.p
    band, rest = body.take_bottom(max(p.px(72), p.target(60) + 2 * p.px(6)), p.gap(6))
    return band, rest


def draw_nav(ctx: ScreenContext, band: Rect, *, back: bool = True, home: bool = True) -> None:
    """Back / home on the left, the pager on the right."""
    p = ctx.p
    band = band.inset(p.px(12), p.px(6))
    left = band
    gap = p.gap(12)
    paged = ctx.pages > 1
    wanted = [p.px(190)] * (int(back) + int(home)) + ([p.px(150), p.px(130), p.px(150)] if paged else [])
    widths = fit_widths(band.w, wanted, gap, p.target(0))
    if back:
        button, left = left.take_left(widths.pop(0), gap)
        p.button(button, "◀ " + ctx.t("back"), Action("back"), color=SECONDARY, ink=INK, size=22, min_size=12)
    if home:
        button, left = left.take_left(widths.pop(0), gap)
        p.button(button, ctx.t("home"), Action("home"), color=SECONDARY, ink=INK, size=22, min_size=12)
    if paged:
        page = min(ctx.state.page, ctx.pages - 1)
        nxt, left = left.take_right(widths[2], gap)
        label, left = left.take_right(widths[1], gap)
        prev, left = left.take_right(widths[0], gap)
        p.button(prev, ctx.t("previous"), Action("page", "-1") if page > 0 else None, size=20, min_size=12)
        if label.w >= p.px(60):
            p.text(
                label,
                ctx.t("page", page=page + 1, pages=ctx.pages),
                size=20,
                min_size=11,
                align="center",
                valign="middle",
                bold=True,
                max_lines=2,
            )
        p.button(nxt, ctx.t("next"), Action("page", "+1") if page + 1 < ctx.pages else None, size=20, min_size=12)


def title_band(
    ctx: ScreenContext, body: Rect, title: str, *, height: float = 60, size: float = 30, max_lines: int = 2
) -> Rect:
    p = ctx.p
    band, rest = body.take_top(p.px(height))
    p.text(
        band.inset(p.px(16), p.px(4)), title, size=size, min_size=15, bold=True, valign="middle", max_lines=max_lines
    )
    return rest


def current_page(ctx: ScreenContext, pages: int) -> int:
    ctx.pages = max(1, pages)
    return min(ctx.state.page, ctx.pages - 1)


# --- screens ---------------------------------------------------------------------------------------------


def draw_loading(ctx: ScreenContext, body: Rect) -> None:
    p = ctx.p
    area = body.inset(p.px(60), p.px(60))
    top, bottom = area.take_top(area.h // 3)
    p.text(top, ctx.t("loading_title"), size=40, min_size=20, bold=True, align="center", valign="bottom")
    p.text(
        bottom.inset(0, p.px(20)),
        ctx.t("loading_body") if ctx.state.connected else ctx.t("loading_offline"),
        size=26,
        min_size=14,
        align="center",
    )


def home_notice(ctx: ScreenContext) -> tuple[str, str] | None:
    """(title, body) when no number can be issued from the home screen: no connection, the coordinator stopped,
    the printer unable to print, or every service closed (with when the hall opens again)."""
    s = ctx.state
    if s.blocked == "offline":
        return ctx.t("notice_blocked_title"), ctx.t("notice_offline_body")
    if s.blocked == "coordinator":
        return ctx.t("notice_blocked_title"), ctx.t("notice_coordinator_body")
    if s.blocked == "printer":
        problem = printer_problem(s.printer.problem or "failed", ctx.lang)
        return ctx.t("notice_blocked_title"), ctx.t("notice_printer_body", problem=problem)
    catalogue = ctx.catalogue
    if catalogue is not None and catalogue.services and not any(sv.open_now for sv in catalogue.services):
        local = ctx.now.astimezone(ctx.zone).replace(tzinfo=None)
        openings = [next_opening(sv.opening_hours or "", local) for sv in catalogue.services]
        known = [at for at in openings if at is not None]
        if known:
            when = format_reopening(min(known), local, english=ctx.lang is Lang.EN)
            title = ctx.t("notice_closed_title", time=when)
        else:
            title = ctx.t("service_closed_title")
        return title, ctx.t("notice_closed_body")
    return None


def draw_home(ctx: ScreenContext, body: Rect) -> None:
    p = ctx.p
    catalogue = ctx.catalogue
    assert catalogue is not None
    footer, body = body.take_bottom(max(p.px(92), p.target(72) + 2 * p.px(10)), p.gap(4))
    notice = home_notice(ctx)
    if notice is None:
        # large text: room for two lines, unless the services' row would be lower than designed
        two_lines = p.large_text and body.h - p.px(96) - 2 * p.px(6) >= max(p.px(100), p.target(0))
        prompt, grid_area = body.take_top(p.px(96 if two_lines else 58))
        p.text(
            prompt.inset(p.px(16), p.px(6)),
            ctx.t("ask_prompt") if ctx.state.asking else ctx.t("home_prompt"),
            size=28,
            min_size=15,
            bold=True,
            valign="middle",
            max_lines=2,
        )
    else:
        panel, grid_area = body.take_top(p.px(128))
        panel = panel.inset(p.px(16), p.px(6))
        closed = ctx.state.blocked is None
        p.fill(panel, WARNING if closed else ERROR, radius=p.px(10))
        inner = panel.inset(p.px(16), p.px(6))
        title_box, body_box = inner.take_top(round(inner.h * 0.42))
        ink = INK if closed else WHITE
        p.text(title_box, notice[0], size=28, min_size=15, bold=True, color=ink, valign="middle", max_lines=1)
        p.text(body_box, notice[1], size=20, min_size=12, color=ink, valign="middle", max_lines=2)
    services = catalogue.services
    grid_area = grid_area.inset(p.px(16), p.px(6))
    gap = p.gap(14)
    cols = 3 if p.width / p.height >= 1.5 and len(services) > 4 else 2
    if len(services) <= 2:
        cols = max(1, len(services))
    max_rows = max(1, (grid_area.h + gap) // (max(p.px(118), p.target(0)) + gap))
    rows_needed = math.ceil(len(services) / cols) if services else 1
    rows = min(rows_needed, max_rows)
    per_page = cols * rows
    page = current_page(ctx, math.ceil(len(services) / per_page) if services else 1)
    cells = grid_area.grid(cols, rows, gap)
    for cell, service in zip(cells, services[page * per_page : (page + 1) * per_page], strict=False):
        fields = ", ".join(service.fields)
        sub = ctx.t("closed") if not service.open_now else fields or None
        p.button(
            cell,
            ctx.service_name(service),
            Action("service", service.id),
            color=PRIMARY if service.open_now else CLOSED,
            size=30,
            min_size=15,
            sublabel=sub,
            sub_size=18,
            max_lines=3,
        )
    # footer: search button, scan hint, pager
    inner = footer.inset(p.px(16), p.px(10))
    gap = p.gap(16)
    wanted = [p.px(300), p.px(260)] + ([p.px(155), p.px(155)] if ctx.pages > 1 else [])
    widths = fit_widths(inner.w, wanted, gap, p.target(0))
    search, rest = inner.take_left(widths[0], gap)
    p.button(search, ctx.t("search"), Action("search"), color=TAKE, size=28, min_size=13, max_lines=2)
    booking, rest = rest.take_left(widths[1], gap)
    p.button(booking, ctx.t("booking"), Action("booking"), color=PRIMARY, size=24, min_size=12, max_lines=2)
    if ctx.pages > 1:
        nxt, rest = rest.take_right(widths[3], gap)
        prev, rest = rest.take_right(widths[2], gap)
        p.button(prev, ctx.t("previous"), Action("page", "-1") if page > 0 else None, size=20, min_size=12)
        p.button(nxt, ctx.t("next"), Action("page", "+1") if page + 1 < ctx.pages else None, size=20, min_size=12)
    # beside a pager on a small screen: no room
    if ctx.state.camera_fitted and ctx.state.camera_ok is not False and rest.w >= p.px(180):
        p.text(rest, ctx.t("scan_hint"), size=22, min_size=13, color=MUTED, valign="middle", max_lines=2)


def _take_label(ctx: ScreenContext, service: ServiceInfo) -> tuple[str, str | None, Action | None]:
    if ctx.state.blocked is not None:
        return ctx.t("take_paused"), ctx.t("take_paused_sub"), None
    if not service.open_now:
        hours = ctx.t("closed_hours", hours=service.opening_hours) if service.opening_hours else None
        return ctx.t("closed"), hours, Action("take", service.id)
    counters = format_counters_en(service.counters) if ctx.lang is Lang.EN else format_counters(service.counters)
    return ctx.t("take_number"), ctx.t("served_at", counters=counters), Action("take", service.id)


def draw_service(ctx: ScreenContext, body: Rect) -> None:
    p = ctx.p
    catalogue = ctx.catalogue
    assert catalogue is not None and ctx.state.service_id is not None
    service = catalogue.service(ctx.state.service_id)
    assert service is not None
    nav, body = nav_bar(ctx, body)
    body = title_band(ctx, body, ctx.service_name(service), height=62, size=30)
    body = body.inset(p.px(16), p.px(4))
    left, right = body.take_left(round(body.w * 0.34), p.px(18))
    label, sub, action = _take_label(ctx, service)
    take_box, _ = left.take_top(min(left.h, p.px(260)))
    p.button(
        take_box,
        label,
        action,
        color=TAKE if service.open_now else CLOSED,
        size=40,
        min_size=18,
        sublabel=sub,
        sub_size=20,
    )
    # the procedures, grouped by field, in pages
    groups = catalogue.procedures_of(service.id)
    heading_h, row_h, gap = p.px(36), p.target(64), p.gap(8)
    items: list[tuple[str, str | Procedure]] = []
    for group in groups:
        items.append(("heading", group.name))
        items.extend(("procedure", procedure) for procedure in group.procedures)
    pages: list[list[tuple[str, str | Procedure]]] = [[]]
    used = 0
    for index, item in enumerate(items):
        height = heading_h if item[0] == "heading" else row_h
        follow = row_h + gap if item[0] == "heading" and index + 1 < len(items) else 0
        if pages[-1] and used + height + follow > right.h:
            pages.append([])
            used = 0
        pages[-1].append(item)
        used += height + gap
    page = current_page(ctx, len(pages))
    y = right.y
    for kind, value in pages[page]:
        if kind == "heading":
            assert isinstance(value, str)
            p.text(
                Rect(right.x, y, right.w, heading_h),
                value,
                size=21,
                min_size=13,
                bold=True,
                color=MUTED,
                valign="bottom",
                max_lines=1,
                may_truncate=True,
            )
            y += heading_h + gap
        else:
            assert not isinstance(value, str)
            p.button(
                Rect(right.x, y, right.w, row_h),
                ctx.procedure_name(value),
                Action("procedure", value.code),
                color=CARD,
                ink=INK,
                size=20,
                min_size=13,
                max_lines=2,
                align="left",
                may_truncate=True,
            )
            y += row_h + gap
    if not items:
        p.text(
            right.inset(p.px(10)),
            ctx.t("no_procedures"),
            size=26,
            min_size=14,
            color=MUTED,
            valign="middle",
            max_lines=4,
        )
    draw_nav(ctx, nav)


def _procedure_blocks(ctx: ScreenContext, procedure: Procedure) -> list[Block]:
    blocks = []
    if ctx.lang is Lang.EN:  # the official wording exists in Vietnamese only: say so, rather than leave it unsaid
        blocks.append(Block(ctx.t("vietnamese_only")))
    blocks.append(Block(ctx.t("documents"), "heading"))
    blocks += [Block(d, "bullet") for d in procedure.documents]
    if procedure.forms:
        blocks.append(Block(ctx.t("forms"), "heading"))
        blocks += [Block(f, "bullet") for f in procedure.forms]
    blocks += [Block(ctx.t("time_limit"), "heading"), Block(procedure.time_limit)]
    blocks += [Block(ctx.t("fee"), "heading"), Block(procedure.fee)]
    blocks += [Block(ctx.t("agency"), "heading"), Block(procedure.agency)]
    if procedure.result:
        blocks += [Block(ctx.t("result"), "heading"), Block(procedure.result)]
    return blocks


def draw_procedure(ctx: ScreenContext, body: Rect) -> None:
    p = ctx.p
    catalogue = ctx.catalogue
    assert catalogue is not None and ctx.state.procedure_code is not None
    procedure = catalogue.procedure(ctx.state.procedure_code)
    assert procedure is not None
    service = catalogue.service(procedure.service)
    nav, body = nav_bar(ctx, body)
    name = ctx.procedure_name(procedure)
    # The whole name, always: a long one (or large text) takes more lines, the documents fewer
    whole = p.fit(Rect(0, 0, body.w - 2 * p.px(16), body.h // 3), name, size=28, min_size=15, bold=True)
    title, body = body.take_top(max(p.px(96), whole.height + p.px(28) + 2 * p.px(4)))
    title = title.inset(p.px(16), p.px(4))
    name_box, sub_box = title.take_top(title.h - p.px(28))
    p.text(name_box, name, size=28, min_size=15, bold=True, valign="middle", max_lines=None if p.large_text else 3)
    sub = f"{ctx.t('code', code=procedure.code)}  ·  {ctx.t('field', field=procedure.field)}"
    p.text(sub_box, sub, size=18, min_size=11, color=MUTED, max_lines=1, may_truncate=True)
    body = body.inset(p.px(16), p.px(6))
    side, content = body.take_right(p.px(290), p.px(18))
    # right: take a number, and the online link as a QR for the citizen's phone
    take_h = min(p.px(150), side.h // 2) if procedure.online_url else min(side.h, p.px(240))
    take, qr_area = side.take_bottom(min(side.h, max(take_h, p.target(0))), p.px(10))
    if service is not None:
        label, sub_label, service_action = _take_label(ctx, service)
        # the ticket carries the procedure, not only its service
        action = Action("take", procedure.code) if service_action is not None else None
        p.button(
            take,
            label,
            action,
            color=TAKE if service.open_now else CLOSED,
            size=32,
            min_size=16,
            sublabel=sub_label,
            sub_size=18,
        )
    if procedure.online_url and qr_area.h >= p.px(56) + 2 * 29:  # room for the caption and 2 px a module
        caption, code_box = qr_area.take_bottom(p.px(56), p.px(4))
        p.fill(code_box, WHITE, radius=p.px(8))
        p.qr(code_box.inset(p.px(4)), procedure.online_url)
        p.text(caption, ctx.t("online_qr"), size=17, min_size=11, color=MUTED, align="center", max_lines=2)
    # left: documents, forms, time limit, fee, agency, result — in pages
    p.fill(content, CARD, radius=p.px(10), border=BORDER)
    inner = content.inset(p.px(14), p.px(10))
    size, heading = p.px(21), p.px(22)
    pages = paginate(
        _procedure_blocks(ctx, procedure),
        inner.w,
        inner.h,
        p.regular,
        size=size,
        heading_size=heading,
        bullet_indent=p.px(26),
        gap=p.px(6),
    )
    page = current_page(ctx, len(pages))
    for line in pages[page]:
        bold = line.kind == "heading"
        font_size = heading if bold else size
        metrics = p.bold if bold else p.regular
        height = metrics.line_height(font_size)
        box = Rect(inner.x + line.indent, inner.y + line.y, inner.w - line.indent, height)
        p.text(box, line.text, size=font_size / p.scale, bold=bold, color=PRIMARY if bold else INK, max_lines=1)
        if line.kind == "bullet" and line.first:
            p.text(Rect(inner.x + p.px(4), inner.y + line.y, p.px(20), height), "•", size=font_size / p.scale)
    draw_nav(ctx, nav)


def draw_search(ctx: ScreenContext, body: Rect) -> None:
    """Query row (back, the text typed, clear), results, and a keyboard as big as the screen allows; the pager
    sits beside the space bar."""
    p = ctx.p
    catalogue = ctx.catalogue
    assert catalogue is not None
    body = body.inset(p.px(12), p.px(6))
    gap = p.gap(9)
    top, body = body.take_top(p.target(60), gap)
    keyboard, results = body.take_bottom(max(round(body.h * 0.62), 5 * p.target(0) + 4 * gap), gap)
    back, top = top.take_left(p.px(170), gap)
    p.button(back, "◀ " + ctx.t("back"), Action("back"), color=SECONDARY, ink=INK, size=22)
    clear, field = top.take_right(p.px(150), gap)
    p.button(clear, ctx.t("clear"), Action("clear") if ctx.state.query else None, color=SECONDARY, ink=INK, size=20)
    p.fill(field, WHITE, radius=p.px(8), border=PRIMARY)
    query = ctx.state.query
    field_inner = field.inset(p.px(12), p.px(4))
    if query:
        p.text(field_inner, query + "|", size=28, min_size=14, valign="middle", max_lines=1, may_truncate=True)
    else:
        p.text(
            field_inner,
            ctx.t("search_prompt"),
            size=22,
            min_size=12,
            color=MUTED,
            valign="middle",
            max_lines=1,
            may_truncate=True,
        )
    found = catalogue.search(query) if query.strip() else []
    row_h = p.target(58)
    per_page = max(1, (results.h + gap) // (row_h + gap))
    if len(found) > per_page:  # the pager beside the results, well away from the keyboard's keys
        pager, results = results.take_right(p.px(150), p.px(10))
        page = current_page(ctx, math.ceil(len(found) / per_page))
        prev, nxt = pager.rows(2, gap)
        p.button(prev, ctx.t("previous_up"), Action("page", "-1") if page > 0 else None, size=20, min_size=12)
        p.button(nxt, ctx.t("next_down"), Action("page", "+1") if page + 1 < ctx.pages else None, size=20, min_size=12)
    else:
        page = current_page(ctx, 1)
    if not query.strip():
        p.text(
            results,
            ctx.t("search_example"),
            size=22,
            min_size=12,
            color=MUTED,
            valign="middle",
            align="center",
            max_lines=2,
        )
    elif not found:
        line, way_out = results.take_top(results.h // 2, gap)
        p.text(line, ctx.t("search_none"), size=22, min_size=12, valign="middle", max_lines=2)
        way_out, _ = way_out.take_left(min(way_out.w, p.px(520)))
        p.button(way_out, ctx.t("ask_staff"), Action("ask"), color=TAKE, size=24, min_size=13)
    draw_found(ctx, results, found[page * per_page : (page + 1) * per_page], row_h, gap, size=20)
    draw_keyboard(ctx, keyboard)


def draw_found(ctx: ScreenContext, area: Rect, found: Sequence[Procedure], row_h: int, gap: int, size: int) -> None:
    """One page of search results from the top of `area`: a row per procedure, its name on the left."""
    for index, procedure in enumerate(found):
        row = Rect(area.x, area.y + index * (row_h + gap), area.w, row_h)
        ctx.p.button(
            row,
            ctx.procedure_name(procedure),
            Action("procedure", procedure.code),
            color=CARD,
            ink=INK,
            size=size,
            min_size=12,
            max_lines=2,
            align="left",
            may_truncate=True,
        )


def draw_keyboard(ctx: ScreenContext, area: Rect) -> None:
    p = ctx.p
    rows = [*ctx.keyboard, ""]
    gap = p.gap(9)
    row_rects = area.rows(len(rows), gap)
    widest = max(len(r) for r in rows[:-1]) + 1
    key_w = (area.w - gap * (widest - 1)) // widest
    for row_rect, keys in zip(row_rects[:-1], rows[:-1], strict=True):
        count = len(keys) + (1 if keys is rows[-2] else 0)
        total = count * key_w + (count - 1) * gap
        x = row_rect.x + (row_rect.w - total) // 2
        for key in keys:
            p.button(
                Rect(x, row_rect.y, key_w, row_rect.h),
                key,
                Action("key", key),
                color=WHITE,
                ink=INK,
                size=24,
                min_size=12,
            )
            x += key_w + gap
        if keys is rows[-2]:
            p.button(
                Rect(x, row_rect.y, key_w, row_rect.h),
                "⌫",
                Action("backspace"),
                color=SECONDARY,
                ink=INK,
                size=24,
                min_size=12,
            )
    last = row_rects[-1]
    space_w = key_w * 5 + gap * 4
    p.button(
        Rect(last.x + (last.w - space_w) // 2, last.y, space_w, last.h),
        ctx.t("space"),
        Action("space"),
        color=WHITE,
        ink=INK,
        size=20,
        min_size=12,
    )


#: A small panel's search keyboard: letters in alphabetical order (the QWERTY rows do not fit 15 mm keys), then
#: the keys that are the same in both modes, on the last row.
COMPACT_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
COMPACT_DIGITS = "1234567890."
COMPACT_COLS, COMPACT_ROWS = 8, 4


def compact_search(p: Painter) -> bool:
    """Whether the search keyboard gets a screen of its own (results on the next one): when the full keyboard
    beside the results cannot give 15 mm keys with 2.5 mm gaps on this panel (known from `[screen] diagonal_in`;
    a panel of unknown size keeps the one-screen search)."""
    if not p.min_target:
        return False
    target, gap = p.target(0), p.gap(9)
    header_h = max(p.px(70), p.target(60) + 2 * p.px(5))
    body_h = p.height - header_h - 2 * p.px(6)
    rest = body_h - p.target(60) - gap
    keyboard_h = max(round(rest * 0.62), 5 * target + 4 * gap)
    results_h = rest - keyboard_h - gap
    key_w = (p.width - 2 * p.px(12) - 11 * gap) // 12
    key_h = (keyboard_h - 4 * gap) // 5
    return min(key_w, key_h) < max(target, p.px(44)) or results_h < 2 * target + gap


def draw_search_keys(ctx: ScreenContext, body: Rect) -> None:
    """The search of a small panel: back, the words typed and SEE N RESULTS on top, then 8x4 keys of at least
    15 mm (letters A-Z, or digits for a procedure code). The results are on the next screen (`draw_results`)."""
    p = ctx.p
    catalogue = ctx.catalogue
    assert catalogue is not None
    area = body.inset(p.px(12), p.px(6))
    gap = p.gap(9)
    top, keys = area.take_top(p.target(60), gap)
    back_w, results_w = fit_widths(top.w - p.px(300), [p.px(170), p.px(280)], gap, p.target(0))
    back, top = top.take_left(back_w, gap)
    p.button(back, "◀ " + ctx.t("back"), Action("back"), color=SECONDARY, ink=INK, size=22, min_size=12)
    see, field = top.take_right(results_w, gap)
    query = ctx.state.query
    found = catalogue.search(query) if query.strip() else []
    label = ctx.t("show_results", n=len(found)) if found else ctx.t("show_results_none")
    p.button(see, label, Action("results") if query.strip() else None, color=TAKE, size=24, min_size=12, max_lines=2)
    p.fill(field, WHITE, radius=p.px(8), border=PRIMARY)
    inner = field.inset(p.px(12), p.px(4))
    if query:
        shown = query + "|"
        while len(shown) > 2 and p.fit(inner, shown, size=28, min_size=16, max_lines=1).truncated:
            shown = "…" + shown[2:]  # the end of the words stays in view, where the next letter goes
        p.text(inner, shown, size=28, min_size=16, valign="middle", max_lines=1, may_truncate=True)
    else:
        p.text(inner, ctx.t("search_prompt"), size=22, min_size=11, color=MUTED, valign="middle", max_lines=2)
    cells = keys.grid(COMPACT_COLS, COMPACT_ROWS, gap)
    typed = COMPACT_DIGITS if ctx.state.digits else COMPACT_LETTERS
    last = cells[-COMPACT_COLS:]
    for cell, key in zip(cells[: len(cells) - COMPACT_COLS] + last[:2], typed, strict=False):
        p.button(cell, key, Action("key", key), color=WHITE, ink=INK, size=30, min_size=14)

    def span(a: Rect, b: Rect) -> Rect:
        return Rect(a.x, a.y, b.right - a.x, a.h)

    p.button(last[2], "⌫", Action("backspace"), color=SECONDARY, ink=INK, size=30, min_size=14)
    p.button(span(last[3], last[4]), ctx.t("space"), Action("space"), color=WHITE, ink=INK, size=22, min_size=12)
    toggle = ctx.t("letters" if ctx.state.digits else "digits")
    p.button(last[5], toggle, Action("digits"), color=SECONDARY, ink=INK, size=20, min_size=11, max_lines=2)
    clear = Action("clear") if query else None
    p.button(span(last[6], last[7]), ctx.t("clear"), clear, color=SECONDARY, ink=INK, size=22, min_size=12)


def draw_results(ctx: ScreenContext, body: Rect) -> None:
    """A small panel's search results, after its keyboard screen: rows of at least 15 mm, in pages; nothing
    found ends in LẤY SỐ ĐỂ HỎI CÁN BỘ, as on the one-screen search."""
    p = ctx.p
    catalogue = ctx.catalogue
    assert catalogue is not None
    query = ctx.state.query
    nav, body = nav_bar(ctx, body)
    body = title_band(ctx, body, ctx.t("results_title", query=query.strip()), height=56, size=26)
    area = body.inset(p.px(16), p.px(4))
    found = catalogue.search(query) if query.strip() else []
    row_h, gap = p.target(58), p.gap(9)
    per_page = max(1, (area.h + gap) // (row_h + gap))
    page = current_page(ctx, math.ceil(len(found) / per_page) if found else 1)
    if not found:
        button_h = max(p.target(72), area.h // 3)
        line, way_out = area.take_top(max(p.px(40), area.h - button_h - gap), gap)
        p.text(line, ctx.t("search_none"), size=24, min_size=12, valign="middle", max_lines=3)
        way_out, _ = way_out.take_left(min(way_out.w, p.px(560)))
        p.button(way_out, ctx.t("ask_staff"), Action("ask"), color=TAKE, size=24, min_size=12, max_lines=2)
    draw_found(ctx, area, found[page * per_page : (page + 1) * per_page], row_h, gap, size=22)
    draw_nav(ctx, nav)


def draw_priority(ctx: ScreenContext, body: Rect) -> None:
    """The regular number is a tall column on the side of the LẤY SỐ button that led here (left from a service,
    right from a procedure; from the booking keypad, as wide as its CONFIRM button): a slow double tap on LẤY SỐ
    or XÁC NHẬN lands on the harmless choice, never on a priority."""
    p = ctx.p
    catalogue = ctx.catalogue
    assert catalogue is not None
    nav, body = nav_bar(ctx, body)
    body = title_band(ctx, body, ctx.t("priority_title"), height=46 if p.large_text else 58, size=32)
    below_title = body
    categories = catalogue.catalogue.priority_categories
    gap = p.gap(12)
    cell_min = max(p.target(0), p.px(50 if p.large_text else 80))

    def room(height: int) -> int:
        return max(1, (height - 2 * p.px(6) + gap) // (cell_min + gap))

    # Large text on a small panel: the note gives its line to a second row of categories
    if not p.large_text or room(body.h - p.px(36)) >= math.ceil(len(categories) / 2):
        note, body = body.take_top(p.px(36))
        p.text(note.inset(p.px(16), 0), ctx.t("priority_note"), size=19, min_size=11, color=MUTED, max_lines=2)
    body = body.inset(p.px(16), p.px(6))
    came_from = ctx.state.history[-1].screen if ctx.state.history else None
    width = round(body.w * (0.3 if p.large_text else 0.36))
    if came_from is Screen.BOOKING:  # the booking screen's left column (code and CONFIRM), at the same place
        _, left = booking_columns(ctx, below_title)
        width = left.right - body.x
    if came_from is Screen.PROCEDURE:
        regular, grid = body.take_right(width, p.px(18))
    else:
        regular, grid = body.take_left(width, p.px(18))
    cols = 2 if len(categories) > 3 else 1
    fits = max(1, (grid.h + gap) // (cell_min + gap))  # a small panel: fewer, wider rows
    rows = max(1, min(math.ceil(len(categories) / cols), fits))
    labels = [priority_label(category, ctx.lang) for category in categories]
    while True:  # as many rows as the labels allow: fewer and wider when one would not fit whole
        cols = max(cols, math.ceil(len(categories) / rows))
        cells = grid.grid(cols, rows, gap)
        inner = [cell.inset(p.px(14), p.px(8)) for cell in cells]
        if rows == 1 or not any(
            p.fit(box, label, size=26, min_size=14, bold=True, max_lines=3).truncated
            for box, label in zip(inner, labels, strict=False)
        ):
            break
        rows -= 1
    for cell, category in zip(cells, categories, strict=False):
        p.button(
            cell,
            priority_label(category, ctx.lang),
            Action("priority", category.value),
            color=PRIORITY,
            size=26,
            min_size=14,
            max_lines=3,
        )
    p.button(
        regular,
        ctx.t("priority_none"),
        Action("priority", "none"),
        color=PRIMARY,
        size=44,
        min_size=18,
        sublabel=ctx.t("priority_none_sub"),
        sub_size=26,
    )
    draw_nav(ctx, nav)


def draw_working(ctx: ScreenContext, body: Rect) -> None:
    p = ctx.p
    p.text(
        body.inset(p.px(60), p.px(40)),
        ctx.t("working"),
        size=44,
        min_size=20,
        bold=True,
        align="center",
        valign="middle",
    )


def draw_ticket(ctx: ScreenContext, body: Rect) -> None:
    p = ctx.p
    result = ctx.state.result
    assert result is not None and result.ticket is not None
    ticket = result.ticket
    english = ctx.lang is Lang.EN
    buttons, body = body.take_bottom(max(p.px(96), p.target(76) + 2 * p.px(10)), p.px(4))
    body = body.inset(p.px(24), p.px(8))
    left, right = body.take_left(round(body.w * 0.46), p.px(24))
    label_box, rest = left.take_top(round(left.h * 0.18))
    share = 0.5 if p.large_text and ticket.priority is not None else 0.66  # room for the priority's line
    number_box, service_box = rest.take_top(round(rest.h * share))
    p.text(label_box, ctx.t("your_number"), size=32, min_size=16, bold=True, align="center", valign="bottom")
    p.fill(number_box, WHITE, radius=p.px(16), border=PRIMARY)
    p.text(
        number_box.inset(p.px(10), p.px(4)),
        ticket.label,
        size=190,
        min_size=40,
        bold=True,
        align="center",
        valign="middle",
        color=PRIMARY,
        max_lines=1,
    )
    service = (ticket.service_name_en or ticket.service_name) if english else ticket.service_name
    service_box = service_box.inset(0, p.px(6))
    if ticket.priority is not None:
        # Labelled as on the paper ticket: without its label the category read as part of the service's name.
        service_box, priority_box = service_box.take_top(round(service_box.h * 0.58), p.px(4))
        category = priority_label(ticket.priority, ctx.lang)
        p.text(
            priority_box,
            ctx.t("priority_of_ticket", category=category),
            size=22,
            min_size=12,
            bold=True,
            color=PRIORITY_INK,
            align="center",
            max_lines=2,
        )
        p.text(service_box, service, size=26, min_size=13, bold=True, align="center", max_lines=2, valign="bottom")
    else:
        p.text(service_box, service, size=26, min_size=13, bold=True, align="center", max_lines=3)
    counters = format_counters_en(ticket.counters) if english else format_counters(ticket.counters)
    lines = [
        (ctx.t("served_at", counters=counters), 34, True, INK),
        (ctx.t("people_ahead", n=ticket.people_ahead), 28, False, INK),
        (ctx.t("estimated_wait", wait=format_wait(ticket.estimated_wait_min, english=english)), 28, False, INK),
        (ctx.t("take_ticket"), 24, True, TAKE),
        (ctx.t("listen_call"), 22, False, MUTED),
    ]
    if ticket.booked_for is not None:  # a booked ticket is called at its slot: say when, not a walk-in's estimate
        booked = ctx.t("booked_for", time=format_clock(ticket.booked_for, ctx.zone))
        lines[1:3] = [(booked, 28, True, INK)]
    for row, (content, size, bold, color) in zip(right.rows(len(lines), p.px(6)), lines, strict=True):
        p.text(row, content, size=size, min_size=12, bold=bold, color=color, valign="middle", max_lines=2)
    inner = buttons.inset(p.px(24), p.px(10))
    again, done = inner.take_left(round(inner.w * 0.42), p.px(24))
    p.button(again, ctx.t("no_ticket_came"), Action("reprint"), color=SECONDARY, ink=INK, size=22, min_size=12)
    p.button(done, ctx.t("done"), Action("done"), color=PRIMARY, size=30, min_size=16)


def draw_print_failed(ctx: ScreenContext, body: Rect) -> None:
    """The number issued but not printed, large and said to be valid: the citizen keeps the place (remember it,
    reprint, or ask the staff); nothing here cancels it."""
    p = ctx.p
    result = ctx.state.result
    assert result is not None and result.ticket is not None
    label = result.ticket.label
    problem = printer_problem(result.problem or "failed", ctx.lang)
    buttons, body = body.take_bottom(max(p.px(104), p.target(84) + 2 * p.px(10)), p.px(4))
    body = body.inset(p.px(24), p.px(10))
    title, body = body.take_top(p.px(52), p.px(6))
    p.text(
        title,
        ctx.t("print_failed_title", problem=problem),
        size=30,
        min_size=15,
        bold=True,
        color=ERROR,
        valign="middle",
        max_lines=2,
    )
    left, right = body.take_left(round(body.w * 0.42), p.px(24))
    caption, rest = left.take_top(round(left.h * 0.16))
    number_box, valid_box = rest.take_top(round(rest.h * 0.74), p.px(6))
    p.text(caption, ctx.t("your_number"), size=28, min_size=14, bold=True, align="center", valign="bottom")
    p.fill(number_box, WHITE, radius=p.px(16), border=TAKE)
    p.text(
        number_box.inset(p.px(10), p.px(4)),
        label,
        size=170,
        min_size=40,
        bold=True,
        align="center",
        valign="middle",
        color=PRIMARY,
        max_lines=1,
    )
    p.text(
        valid_box,
        ctx.t("print_failed_valid"),
        size=28,
        min_size=14,
        bold=True,
        align="center",
        valign="middle",
        color=TAKE,
        max_lines=1,
    )
    text_box, help_box = right.take_top(round(right.h * 0.66), p.px(8))
    p.text(text_box, ctx.t("print_failed_body", label=label), size=26, min_size=13, valign="middle")
    p.text(help_box, ctx.t("print_failed_help"), size=22, min_size=12, bold=True, valign="middle")
    inner = buttons.inset(p.px(24), p.px(10))
    reprint, done = inner.take_left(round(inner.w * 0.42), p.px(24))
    p.button(reprint, ctx.t("reprint"), Action("reprint"), color=SECONDARY, ink=INK, size=30, min_size=16)
    p.button(done, ctx.t("remembered"), Action("done"), color=PRIMARY, size=28, min_size=14)


def draw_message(ctx: ScreenContext, body: Rect) -> None:
    p = ctx.p
    message = ctx.state.message
    assert message is not None
    nav, body = nav_bar(ctx, body)
    body = body.inset(p.px(24), p.px(12)) if p.large_text else body.inset(p.px(48), p.px(24))  # large: room
    title, text_box = body.take_top(p.px(72))
    color = {"error": ERROR, "warning": PRIORITY_INK}.get(message.tone, INK)
    p.text(title, message.title, size=38, min_size=18, bold=True, color=color, valign="middle", max_lines=2)
    p.text(text_box, message.body, size=30, min_size=14)
    draw_nav(ctx, nav, back=bool(ctx.state.history))


def draw_id_card(ctx: ScreenContext, body: Rect) -> None:
    """The elderly priority offered from a chip ID card: yes / no, and what the kiosk does with the card."""
    p = ctx.p
    nav, body = nav_bar(ctx, body)
    body = title_band(ctx, body, ctx.t("idcard_title"), height=58, size=32)
    body = body.inset(p.px(32), p.px(10))
    privacy, body = body.take_bottom(p.px(64), p.px(8))
    buttons, offer = body.take_bottom(max(min(p.px(110), body.h // 2), p.target(0)), p.px(14))
    p.text(offer, ctx.t("idcard_offer"), size=30, min_size=14, valign="middle")
    accept, decline = buttons.grid(2, 1, p.gap(16))
    p.button(accept, ctx.t("idcard_accept"), Action("idcard_accept"), color=PRIORITY, size=32, min_size=16)
    p.button(decline, ctx.t("idcard_decline"), Action("idcard_decline"), color=SECONDARY, ink=INK, size=30, min_size=14)
    p.text(privacy, ctx.t("idcard_privacy"), size=19, min_size=11, color=MUTED, max_lines=3)
    draw_nav(ctx, nav)


def booking_columns(ctx: ScreenContext, below_title: Rect) -> tuple[Rect, Rect]:
    """The booking screen's keypad (right) and its code and CONFIRM column (left), from the area under the title
    band; the priority screen that follows puts its regular choice over that left column."""
    p = ctx.p
    body = below_title.inset(p.px(16), p.px(8))
    return body.take_right(min(round(body.w * 0.48), round(body.h * 1.1)), p.px(20))


def draw_booking(ctx: ScreenContext, body: Rect) -> None:
    """The booking code on a large numeric keypad (right), what was typed and CONFIRM (left)."""
    p = ctx.p
    nav, body = nav_bar(ctx, body)
    body = title_band(ctx, body, ctx.t("booking_title"), height=58, size=32)
    keypad, left = booking_columns(ctx, body)
    hint, left = left.take_top(round(left.h * 0.3), p.px(8))
    hint_text = ctx.t("booking_hint" if ctx.state.camera_fitted else "booking_hint_typed")
    p.text(hint, hint_text, size=22, min_size=12, color=MUTED, max_lines=3)
    field, submit = left.take_top(round(left.h * 0.45), p.px(12))
    p.fill(field, WHITE, radius=p.px(8), border=PRIMARY)
    code = ctx.state.query
    shown = code + "|" if code else ctx.t("booking_empty")
    p.text(
        field.inset(p.px(12), p.px(4)),
        shown,
        size=44,
        min_size=18,
        bold=bool(code),
        color=INK if code else MUTED,
        valign="middle",
        align="center",
        max_lines=1,
        may_truncate=True,
    )
    ready = len(code) >= 4
    p.button(submit, ctx.t("booking_submit"), Action("booking_submit") if ready else None, color=TAKE, size=34)
    keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "backspace"]
    for cell, key in zip(keypad.grid(3, 4, p.px(10)), keys, strict=True):
        if key == "clear":
            p.button(cell, ctx.t("clear"), Action("clear") if code else None, color=SECONDARY, ink=INK, size=20)
        elif key == "backspace":
            p.button(cell, "⌫", Action("backspace") if code else None, color=SECONDARY, ink=INK, size=34)
        else:
            p.button(cell, key, Action("key", key), color=CARD, ink=INK, size=40, min_size=20)
    draw_nav(ctx, nav)


DRAWERS: dict[Screen, Callable[[ScreenContext, Rect], None]] = {
    Screen.LOADING: draw_loading,
    Screen.HOME: draw_home,
    Screen.SERVICE: draw_service,
    Screen.SEARCH: draw_search,
    Screen.PROCEDURE: draw_procedure,
    Screen.PRIORITY: draw_priority,
    Screen.WORKING: draw_working,
    Screen.TICKET: draw_ticket,
    Screen.PRINT_FAILED: draw_print_failed,
    Screen.MESSAGE: draw_message,
    Screen.ID_CARD: draw_id_card,
    Screen.BOOKING: draw_booking,
    Screen.RESULTS: draw_results,
}

__all__ = ["DRAWERS", "PrinterStatus", "ScreenContext", "draw_screen"]
