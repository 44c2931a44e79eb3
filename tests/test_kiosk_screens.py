"""Every kiosk screen drawn with SDL's dummy driver at 800x480, 1024x600 and 1920x1080, saved under
test-output/kiosk/screens/, with every glyph present in the font, no text outside its box, nothing shortened
that must be read whole, and touch targets big enough for a finger."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pygame
import pytest
from kiosk_support import OUTPUT, RESOLUTIONS, portal_url, sample_view
from text_support import has_orphan, split_words

from kiosk.i18n import ERROR_MESSAGES, PRINTER_PROBLEMS, PRIORITY_LABELS, SCAN_MESSAGES, TEXTS
from kiosk.model import Outcome, PrinterStatus, TicketResult
from kiosk.ui.controller import Action, Controller, UiState
from kiosk.ui.painter import Painter
from kiosk.ui.screens import ScreenContext, draw_screen
from motcua.contract import PriorityCategory, Procedure, TicketInfo

SCREENS = OUTPUT / "screens"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)

LONG_NAME = (
    "Thủ tục đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc, đăng ký lại việc nuôi "
    "con nuôi có yếu tố nước ngoài tại Ủy ban nhân dân cấp xã khu vực biên giới đối với công dân Việt Nam cư trú"
)
LONG_PROCEDURE = Procedure(
    code="1.999001",
    name=LONG_NAME,
    name_en="A very long procedure name, used to check that nothing overflows on the smallest screen of the hall",
    field="Hộ tịch",
    service="ho-tich",
    documents=[
        "Tờ khai theo mẫu; " + "giấy tờ chứng minh nhân thân, nơi cư trú và các giấy tờ liên quan khác " * 4,
        "Giấy tờ tùy thân còn giá trị (thẻ căn cước, CCCD, hộ chiếu…) của người yêu cầu để xuất trình.",
        *[
            f"Văn bản số {i}: bản sao có chứng thực hoặc bản chính để đối chiếu, kèm bản dịch tiếng Việt."
            for i in range(9)
        ],
    ],
    forms=["Tờ khai (mẫu ban hành kèm Thông tư 04/2020/TT-BTP, sửa đổi bởi Thông tư 04/2024/TT-BTP)"],
    time_limit="05 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ; trường hợp phải xác minh thì không quá 10 ngày.",
    fee="Lệ phí theo Nghị quyết HĐND tỉnh Lào Cai; miễn cho hộ nghèo, người khuyết tật, người có công.",
    agency="Ủy ban nhân dân phường nơi cư trú của người yêu cầu (Bộ phận Một cửa)",
    result="Trích lục (bản chính)",
    online="partial",
    online_url=portal_url("1.999001"),
)
TICKET = TicketInfo(
    id="20261123-1023",
    label="1023",
    number=1023,
    service="ho-tich",
    service_name="Hộ tịch – Nuôi con nuôi",
    service_name_en="Civil status and adoption",
    procedure="1.001193",
    issued_at=NOW,
    counters=[1, 2],
    people_ahead=12,
    estimated_wait_min=95,
    priority=PriorityCategory.MERITORIOUS,
)


class NoEffects:
    def take(self, request) -> None:
        pass

    def reprint(self, result) -> None:
        pass

    def cancel(self, result, reason) -> None:
        pass


def every_screen(hall, procedures, *, english: bool, large_text: bool = False) -> Iterator[tuple[str, UiState]]:
    """Drive a controller through every screen (and the states that change how they look); `large_text`: with
    the hall's default text size set to "Chữ to"."""
    view = sample_view(hall, procedures, closed=("van-hoa-khac",), extra=[LONG_PROCEDURE])
    loading = Controller(NoEffects(), default_large_text=large_text)
    yield "loading", loading.state
    loading.on_connection(True)
    yield "loading-connected", loading.state
    c = Controller(NoEffects(), tap_guard_s=0, default_large_text=large_text)
    c.on_connection(True)
    c.on_printer(PrinterStatus.OK)
    c.on_camera(True)
    c.on_catalogue(view, 0)
    if english:
        c.action(Action("lang"), 0)
    yield "home", c.state
    c.action(Action("service", "ho-tich"), 1)
    yield "service", c.state
    c.action(Action("page", "+1"), 1)
    yield "service-page2", c.state
    c.action(Action("home"), 1)
    c.action(Action("service", "tra-ket-qua"), 1)
    yield "service-without-procedures", c.state
    c.action(Action("home"), 1)
    c.action(Action("service", "van-hoa-khac"), 1)
    yield "service-closed", c.state
    c.action(Action("procedure", "1.001193"), 2)
    yield "procedure", c.state
    c.action(Action("procedure", LONG_PROCEDURE.code), 2)
    yield "procedure-long", c.state
    c.action(Action("page", "+1"), 2)
    yield "procedure-long-page2", c.state
    c.action(Action("procedure", "1.012812"), 2)  # no online link
    yield "procedure-offline-only", c.state
    c.action(Action("home"), 3)
    c.action(Action("search"), 3)
    yield "search-empty", c.state
    for key in "dang ky khai sinh":
        c.action(Action("space") if key == " " else Action("key", key), 3)
    yield "search", c.state
    c.action(Action("results"), 3)
    yield "results", c.state
    c.action(Action("back"), 3)
    c.action(Action("clear"), 3)
    c.action(Action("digits"), 3)
    for key in "1.00":
        c.action(Action("key", key), 3)
    yield "search-digits", c.state
    c.action(Action("clear"), 3)
    c.action(Action("digits"), 3)
    for key in "qqqq":
        c.action(Action("key", key), 3)
    yield "search-nothing", c.state
    c.action(Action("results"), 3)
    yield "results-nothing", c.state
    c.action(Action("back"), 3)
    c.action(Action("home"), 4)
    c.action(Action("take", "ho-tich"), 4)
    yield "priority", c.state
    c.action(Action("priority", "meritorious"), 5)
    yield "working", c.state
    c.on_result(TicketResult(Outcome.PRINTED, uuid.uuid4(), TICKET, printer=PrinterStatus.OK), 6)
    yield "ticket", c.state
    c.on_result(TicketResult(Outcome.PRINT_FAILED, uuid.uuid4(), TICKET, problem="no_paper"), 7)
    yield "print-failed", c.state
    c.on_result(TicketResult(Outcome.OFFLINE, uuid.uuid4()), 8)
    yield "message-offline", c.state
    c.action(Action("home"), 9)
    c.on_scan(b"https://evil.example/?ma_thu_tuc=1.001193", 9)
    yield "message-bad-scan", c.state
    c.action(Action("home"), 10)
    c.on_connection(False)
    yield "home-offline", c.state
    c.on_connection(True)
    c.on_printer(PrinterStatus.NO_PAPER)
    yield "home-printer-problem", c.state
    c.on_printer(PrinterStatus.OK)
    c.on_camera(False)
    yield "home-no-camera", c.state
    c.on_camera(True)
    c.on_coordinator(False)
    yield "home-coordinator-down", c.state
    c.on_coordinator(True)
    c.on_catalogue(sample_view(hall, procedures, closed=tuple(s.id for s in hall.services)), 11)
    yield "home-closed", c.state


@pytest.fixture(scope="module")
def display():
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame.display.init()
    yield
    pygame.display.quit()


def check(painter: Painter, name: str) -> None:
    screen = painter.screen
    problems = []
    for drawn in painter.texts:
        metrics = painter.bold if drawn.bold else painter.regular
        missing = metrics.missing_glyphs(drawn.text)
        if missing:
            problems.append(f"missing glyphs {sorted(missing)} in {drawn.text[:40]!r}")
        for ink in drawn.ink:
            if not drawn.box.contains_rect(ink):
                problems.append(f"{drawn.text[:40]!r} drawn at {ink} outside its box {drawn.box}")
        if drawn.truncated and not drawn.may_truncate:
            problems.append(f"{drawn.text[:60]!r} shortened in {drawn.box} at size {drawn.size}")
        if not screen.contains_rect(drawn.box) and drawn.ink:
            problems.append(f"{drawn.text[:40]!r} box {drawn.box} off the screen")
    scale = painter.scale
    for hit in painter.hits:
        if not screen.contains_rect(hit.rect):
            problems.append(f"button {hit.label!r} off the screen")
        smallest = 34 if hit.action.kind in ("key", "backspace", "space") else 44
        if min(hit.rect.w, hit.rect.h) < smallest * min(1.0, scale / 0.78):
            problems.append(f"button {hit.label!r} {hit.rect} too small for a finger")
    for a, b in ((a, b) for i, a in enumerate(painter.hits) for b in painter.hits[i + 1 :]):
        if a.rect.contains_rect(b.rect) or b.rect.contains_rect(a.rect):
            problems.append(f"buttons {a.label!r} and {b.label!r} overlap")
    assert not problems, f"{name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("english", [False, True], ids=["vi", "en"])
@pytest.mark.parametrize(("width", "height"), RESOLUTIONS, ids=[f"{w}x{h}" for w, h in RESOLUTIONS])
def test_every_screen_fits_at_every_resolution(display, hall, procedures, width: int, height: int, english: bool):
    surface = pygame.Surface((width, height))
    SCREENS.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, state in every_screen(hall, procedures, english=english):
        painter = Painter(surface)
        draw_screen(ScreenContext(painter, state, now=NOW, zone=ZONE, keyboard="qwerty"))
        pygame.image.save(surface, str(SCREENS / f"{name}-{'en' if english else 'vi'}-{width}x{height}.png"))
        check(painter, f"{name} at {width}x{height}")
        assert painter.texts, name
        count += 1
    assert count == 28


def test_the_abc_keyboard_layout(display, hall, procedures):
    surface = pygame.Surface((1024, 600))
    state = dict(every_screen(hall, procedures, english=False))["search"]
    painter = Painter(surface)
    draw_screen(ScreenContext(painter, state, now=NOW, zone=ZONE, keyboard="abc"))
    keys = [h.label for h in painter.hits if h.action.kind == "key"]
    assert keys[11:14] == ["A", "B", "C"]
    check(painter, "abc keyboard")


def test_a_tap_lands_on_the_button_drawn_there(display, hall, procedures):
    surface = pygame.Surface((800, 480))
    c = Controller(NoEffects(), tap_guard_s=0)
    c.on_connection(True)
    c.on_catalogue(sample_view(hall, procedures), 0)
    painter = Painter(surface)
    draw_screen(ScreenContext(painter, c.state, now=NOW, zone=ZONE, keyboard="qwerty"))
    search = next(h for h in painter.hits if h.action.kind == "search")
    assert painter.hit_at(*search.rect.center) == search
    assert painter.hit_at(2, surface.get_height() - 2) is None


def test_every_text_and_catalogue_string_has_its_glyphs(display, hall, procedures):
    painter = Painter(pygame.Surface((10, 10)))
    strings = [s for pair in TEXTS.values() for s in pair]
    for table in (ERROR_MESSAGES, SCAN_MESSAGES, PRINTER_PROBLEMS, PRIORITY_LABELS):
        strings += [s for pair in table.values() for s in pair]  # type: ignore[attr-defined]
    for procedure in procedures:
        strings += [
            procedure.name,
            procedure.field,
            procedure.time_limit,
            procedure.fee,
            procedure.agency,
            *procedure.documents,
            *procedure.forms,
            procedure.result or "",
        ]
    strings += [hall.hall.name, *(s.name for s in hall.services), "⌫", "◀", "▶", "•", "…", "|"]
    for metrics in (painter.regular, painter.bold):
        missing = {ch for text in strings for ch in metrics.missing_glyphs(text)}
        assert not missing, missing


def test_a_hall_with_many_services_pages_its_home_screen(display, hall, procedures):
    from motcua.contract import ServiceInfo

    view = sample_view(hall, procedures)
    many = [
        ServiceInfo(
            id=f"dich-vu-{i}",
            name=f"Lĩnh vực số {i}: Đất đai – Tài nguyên – Môi trường – Xây dựng đô thị",
            fields=["Đất đai", "Xây dựng"],
            counters=[1, 2, 3],
            open_now=i % 3 != 0,
        )
        for i in range(14)
    ]
    catalogue = view.catalogue.model_copy(update={"services": many})
    from kiosk.catalogue import CatalogueView

    for width, height in RESOLUTIONS:
        c = Controller(NoEffects(), tap_guard_s=0)
        c.on_connection(True)
        c.on_catalogue(CatalogueView(catalogue), 0)
        surface = pygame.Surface((width, height))
        seen: set[str] = set()
        for page in range(5):
            painter = Painter(surface)
            context = ScreenContext(painter, c.state, now=NOW, zone=ZONE, keyboard="qwerty")
            draw_screen(context)
            check(painter, f"home page {page + 1} at {width}x{height}")
            seen |= {h.action.arg for h in painter.hits if h.action.kind == "service"}
            if page == 0:
                pygame.image.save(surface, str(SCREENS / f"home-14-services-{width}x{height}.png"))
            c.action(Action("page", "+1"), 1)
        assert seen == {s.id for s in many}, (width, height)


@pytest.mark.parametrize(("width", "height"), RESOLUTIONS, ids=[f"{w}x{h}" for w, h in RESOLUTIONS])
def test_the_ticket_screen_splits_no_word_and_labels_what_it_shows(display, hall, procedures, width: int, height: int):
    """ "Bảo / trợ xã hội" was split on the ticket screen; no text of it may split a word or end on a lone syllable."""
    c = Controller(NoEffects(), tap_guard_s=0)
    c.on_connection(True)
    c.on_printer(PrinterStatus.OK)
    c.on_catalogue(sample_view(hall, procedures), 0)
    c.action(Action("take", "lao-dong-xa-hoi"), 1)
    c.action(Action("priority", "meritorious"), 2)
    ticket = TICKET.model_copy(
        update={"service": "lao-dong-xa-hoi", "service_name": "Lao động – Người có công – Bảo trợ xã hội"}
    )
    c.on_result(TicketResult(Outcome.PRINTED, uuid.uuid4(), ticket, printer=PrinterStatus.OK), 3)
    painter = Painter(pygame.Surface((width, height)))
    draw_screen(ScreenContext(painter, c.state, now=NOW, zone=ZONE, keyboard="qwerty"))
    check(painter, f"ticket at {width}x{height}")
    service = next(d for d in painter.texts if d.text.startswith("Lao động"))
    assert service.lines[-1].startswith("Bảo trợ") or len(service.lines) == 1, service.lines
    texts = [drawn.text for drawn in painter.texts]
    assert "ƯU TIÊN: Người có công với cách mạng" in texts  # labelled, not glued to the service's name
    assert "Quầy phục vụ: 1 và 2" in texts and not any("Mời đến quầy" in text for text in texts)
    for drawn in painter.texts:
        assert not split_words(list(drawn.lines), painter.lexicon), drawn.lines
        assert not has_orphan(list(drawn.lines)), drawn.lines
