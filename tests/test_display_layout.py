"""The board's layout and rendering: screenshots at both resolutions (test-output/display/), every glyph in the font,
every text inside its box, overflowing counters paged, sizes readable from across the hall."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pygame
import pytest
from display_support import MORNING, OUTPUT, SERVICES, make_call, sample_board
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.contract import Board, BoardCounter, BoardService, CounterStatus
from motcua.text import Rect
from queue_display.layout import Frame, Ink, fit_text, layout
from queue_display.render import BoardRenderer, FontBook
from queue_display.state import HallState, ViewOptions, board_view
from queue_display.texts import LABELS

RESOLUTIONS = [(1920, 1080), (1280, 720)]
NOTICE = (
    "Giờ làm việc: sáng 7:30–11:30, chiều 13:30–17:00. Góp ý, phản ánh: 0214 3 000 000. "
    "Xin cảm ơn quý công dân đã đến liên hệ công việc."
)


@pytest.fixture(scope="module")
def fonts() -> FontBook:
    return FontBook()


def render(
    fonts: FontBook,
    board: Board | None,
    size: tuple[int, int],
    name: str,
    *,
    connected: bool = True,
    highlight_new: bool = False,
    page_tick: int = 0,
    speaking: str | None = None,
    coordinator_online: bool | None = None,
    **options: object,
) -> Frame:
    """Lay out and draw a board, save the PNG, and check what every frame must satisfy."""
    state = HallState(highlight_s=8)
    if board is not None:
        if highlight_new:  # the previous board, then this one: its newest call is new to the room
            state.apply_board(board.model_copy(update={"calls": board.calls[1:]}), 0.0)
            state.apply_board(board, 100.0)
        else:
            state.apply_board(board, 0.0)
    state.set_connected(connected)
    state.set_speaking(speaking)
    if coordinator_online is not None:
        state.set_coordinator(coordinator_online)
    view = board_view(state, MORNING, 100.1, ViewOptions(**options))  # type: ignore[arg-type]
    width, height = size
    frame = layout(view, width, height, fonts.measure, page_tick=page_tick)
    surface = pygame.Surface(size)
    BoardRenderer(fonts).draw(surface, frame)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(OUTPUT / f"{name}-{width}x{height}.png"))
    check_frame(fonts, frame)
    return frame


def check_frame(fonts: FontBook, frame: Frame) -> None:
    screen = Rect(0, 0, frame.width, frame.height)
    for item in frame.texts:
        assert item.box.contains_rect(item.ink), f"{item.role} {item.text!r} overflows its box: {item.ink} > {item.box}"
        assert screen.contains_rect(item.ink), f"{item.role} {item.text!r} is off screen"
        assert fonts.missing_glyphs(item.text, item.font) == [], item.text
    for a, b in itertools.combinations(frame.texts, 2):
        assert not overlap(a.ink, b.ink), f"{a.role} {a.text!r} overlaps {b.role} {b.text!r}"
    if frame.ticker is not None:
        assert fonts.missing_glyphs(frame.ticker.text, frame.ticker.font) == []
        assert screen.contains_rect(frame.ticker.box)


def overlap(a: Rect, b: Rect) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def only(frame: Frame, role: str) -> str:
    [item] = frame.by_role(role)
    return item.text


@pytest.mark.parametrize("size", RESOLUTIONS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_busy_board(fonts: FontBook, size: tuple[int, int]):
    frame = render(fonts, sample_board(), size, "board", notice=NOTICE)
    assert (OUTPUT / f"board-{size[0]}x{size[1]}.png").stat().st_size > 10_000
    assert only(frame, "current-number") == "1023"
    assert only(frame, "current-counter") == "→ Quầy 3"
    assert only(frame, "clock") == "Thứ Hai, 23/11/2026 08:15"
    assert [t.text for t in frame.by_role("recent-number")] == ["2004", "1022", "3001", "4002", "6001", "2003"]
    assert [t.text for t in frame.by_role("counter-serving")] == ["1022", "2004", "1023", "3001", "Tạm dừng", "6001"]
    assert [t.text for t in frame.by_role("service-waiting")] == ["5", "3", "0", "12", "1", "2"]
    assert not frame.paging and not frame.by_role("disconnected")
    assert frame.ticker is not None and frame.ticker.scroll  # the notice is longer than the screen


def cap_share(fonts: FontBook, frame: Frame, role: str) -> float:
    """The smallest cap height of the texts of `role`, as a share of the screen height."""
    items = frame.by_role(role)
    numbers = [t for t in items if t.text[0].isdigit()]  # not "Tạm dừng" (paused), drawn smaller on purpose
    item = min(numbers or items, key=lambda t: t.size)
    return fonts.measure("0" if item.text[0].isdigit() else "H", item.font, item.size).top / frame.height


@pytest.mark.parametrize("size", RESOLUTIONS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sizes_are_for_reading_from_ten_metres(fonts: FontBook, size: tuple[int, int]):
    """Cap heights as a share of the screen height; on a 55" TV 1 % of the height is 6.9 mm (docs/display.md)."""
    frame = render(fonts, sample_board(), size, "sizes")
    assert cap_share(fonts, frame, "current-number") >= 0.17  # ≥ 115 mm: legible from 30 m
    assert cap_share(fonts, frame, "current-counter") >= 0.08  # ≥ 55 mm: 10 m with room to spare
    assert cap_share(fonts, frame, "recent-number") >= 0.04  # ≥ 28 mm
    assert cap_share(fonts, frame, "counter-serving") >= 0.038  # ≥ 26 mm, with the waiting counts beside them
    bigger = render(fonts, sample_board(), size, "no-waiting", show_waiting=False)
    assert not bigger.by_role("service-name")
    assert cap_share(fonts, bigger, "counter-serving") >= 0.048  # ≥ 33 mm: 10 m at distance/300


@pytest.mark.parametrize("size", RESOLUTIONS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_new_call_is_highlighted(fonts: FontBook, size: tuple[int, int]):
    frame = render(fonts, sample_board(), size, "highlight", highlight_new=True)
    fills = {f.color for f in frame.fills}
    assert "highlight" in fills
    assert frame.by_role("current-number")[0].color == "on_highlight"


@pytest.mark.parametrize("size", RESOLUTIONS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_disconnected_in_english(fonts: FontBook, size: tuple[int, int]):
    frame = render(fonts, sample_board(), size, "disconnected-en", connected=False, language="en")
    assert only(frame, "disconnected") == "⚠ Disconnected"
    assert only(frame, "current-counter") == "→ Counter 3"
    assert only(frame, "current-service") == "Civil status and adoption"
    assert only(frame, "clock") == "Monday, 23/11/2026 08:15"


def test_disconnected_in_vietnamese_and_bilingual_labels(fonts: FontBook):
    frame = render(fonts, sample_board(), (1920, 1080), "disconnected-vi", connected=False)
    assert only(frame, "disconnected") == "⚠ Mất kết nối"
    frame = render(fonts, sample_board(), (1280, 720), "bilingual", language="vi+en")
    assert only(frame, "call-title") == "MỜI CÔNG DÂN CÓ SỐ · NOW CALLING"


@pytest.mark.parametrize("size", RESOLUTIONS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_long_names_and_wide_labels_stay_inside_their_boxes(fonts: FontBook, size: tuple[int, int]):
    long_service = (
        "Lao động – Thương binh – Người có công – Bảo trợ xã hội – Trẻ em – Bình đẳng giới – Phòng chống tệ nạn"
    )
    calls = [
        make_call("ĐW9999", 12, service="lao-dong-xa-hoi", service_name=long_service, number=9999),
        *[make_call(f"{9990 + i}", 10 + i, minutes_ago=i + 1) for i in range(8)],
    ]
    board = sample_board(calls=calls, counters=6).model_copy(
        update={
            "hall_name": "Trung tâm Phục vụ hành chính công tỉnh Lào Cai — Bộ phận Tiếp nhận và Trả kết quả "
            "thành phố Lào Cai (cơ sở 2)",
            "counters": [
                BoardCounter(
                    number=12,
                    name="Quầy tiếp nhận hồ sơ đất đai và xây dựng số 12",
                    status=CounterStatus.OPEN,
                    serving="ĐW9999",
                    services=["ho-tich"],
                )
            ],
            "services": [BoardService(id="lao-dong-xa-hoi", name=long_service, waiting=999, estimated_wait_min=480)],
        }
    )
    frame = render(fonts, board, size, "long-texts", notice=NOTICE * 3)
    assert only(frame, "current-number") == "ĐW9999"  # a number is shrunk, never shortened
    assert only(frame, "current-counter").startswith("→ Quầy")
    assert only(frame, "current-service").endswith("…")
    assert only(frame, "service-waiting") == "999"


@pytest.mark.slow  # about 12 s: renders every page of a 30-counter board at four screen sizes
@pytest.mark.parametrize("size", [*RESOLUTIONS, (1080, 1920)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_more_counters_than_fit_are_paged_not_overflowed(fonts: FontBook, size: tuple[int, int]):
    services = [(f"dich-vu-{i}", f"Dịch vụ số {i}", None, i, 5 * i) for i in range(1, 19)]
    board = sample_board(counters=30, services=services)  # type: ignore[arg-type]
    first = render(fonts, board, size, "paged-1", page_tick=0)
    second = render(fonts, board, size, "paged-2", page_tick=1)
    pages = {p.panel: p for p in first.pages}
    assert pages["counters"].pages > 1 and pages["services"].pages > 1
    for panel in ("counters", "services"):
        info = pages[panel]
        shown = sum(
            next(p for p in render(fonts, board, size, "paged-n", page_tick=t).pages if p.panel == panel).shown
            for t in range(info.pages)
        )
        assert shown == info.total  # every row appears on some page
    assert [t.text for t in first.by_role("counter-name")] != [t.text for t in second.by_role("counter-name")]
    assert only(first, "counters-page") == f"1/{pages['counters'].pages}"


def test_portrait(fonts: FontBook):
    frame = render(fonts, sample_board(), (1080, 1920), "board", notice=NOTICE)
    assert only(frame, "current-number") == "1023"
    assert not frame.paging


@pytest.mark.parametrize("size", RESOLUTIONS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_before_the_first_board_and_before_the_first_call(fonts: FontBook, size: tuple[int, int]):
    frame = render(fonts, None, size, "connecting", connected=False)
    assert only(frame, "message") == "Đang kết nối tới hệ thống…"
    frame = render(fonts, None, size, "waiting-board", connected=True)
    assert only(frame, "message") == "Đang chờ dữ liệu từ hệ thống…"
    empty = sample_board(calls=[]).model_copy(
        update={"counters": [c.model_copy(update={"status": CounterStatus.CLOSED}) for c in sample_board().counters]}
    )
    frame = render(fonts, empty, size, "morning")
    assert only(frame, "no-call") == "Chưa gọi số nào"
    assert only(frame, "counters-none") == "Chưa có quầy mở"


def test_every_label_and_the_sample_hall_are_in_the_font(fonts: FontBook):
    texts = [text for pair in LABELS.values() for text in pair]
    texts += [name for _, name, *_ in SERVICES]
    texts += ["Thứ Hai Thứ Ba Thứ Tư Thứ Năm Thứ Sáu Thứ Bảy Chủ Nhật", "→ ≈ … · — –", NOTICE]
    texts += ["ÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸĐ"]
    texts += ["àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ"]
    for font in fonts.fonts:
        for text in texts:
            assert fonts.missing_glyphs(text, font) == [], (font, text)
    assert fonts.missing_glyphs("漢字 🙂") == ["漢", "字", "🙂"]  # the check itself works


def test_decomposed_text_from_the_coordinator_is_drawn_composed(fonts: FontBook):
    import unicodedata

    name = unicodedata.normalize("NFD", "Quầy Hồ sơ")
    board = sample_board()
    board = board.model_copy(update={"calls": [board.calls[0].model_copy(update={"counter_name": name})]})
    frame = render(fonts, board, (1280, 720), "nfc")
    assert only(frame, "current-counter") == unicodedata.normalize("NFC", "→ Quầy Hồ sơ")


# --- fitting text, with a fake measurer: the layout is a pure function ----------------------------------


def mono(text: str, font: str, size: int) -> Ink:
    """Every character 0.6 em wide; 0.75 em above the baseline, 0.25 below."""
    return Ink(0, round(size * 0.75), round(len(text) * size * 0.6), round(size * 0.75) + round(size * 0.25))


def test_fit_text_shrinks_then_shortens():
    box = Rect(10, 10, 300, 100)
    item = fit_text("Quầy 3", "bold", box, mono, size=100, min_size=20, color="text", role="x")
    assert item is not None and item.size == 83 and item.text == "Quầy 3"
    item = fit_text("x" * 200, "bold", box, mono, size=100, min_size=20, color="text", role="x")
    assert item is not None and item.size == 20 and item.text.endswith("…") and box.contains_rect(item.ink)
    item = fit_text("x" * 200, "bold", box, mono, size=100, min_size=20, color="text", role="x", ellipsis=False)
    assert item is not None and item.text == "x" * 200 and box.contains_rect(item.ink)
    assert fit_text("   ", "bold", box, mono, size=100, min_size=20, color="text", role="x") is None


def test_a_shortened_name_ends_after_a_whole_word():
    """The board cut names between letters ("… – Phòng c…"), and could leave half of "Bảo trợ"."""
    name = "Lao động – Người có công – Bảo trợ xã hội"
    for width in range(120, 600, 7):
        item = fit_text(name, "regular", Rect(0, 0, width, 40), mono, size=20, min_size=20, color="text", role="x")
        assert item is not None
        if item.text != name:
            kept = item.text.removesuffix("…").split()
            assert kept == name.split()[: len(kept)], item.text
            assert kept[-1] not in ("Bảo", "xã", "Người", "Lao"), item.text


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet="abcQầy Ấ0123456789–", min_size=1, max_size=80).filter(str.strip),
    width=st.integers(1, 2000),
    height=st.integers(1, 400),
    size=st.integers(1, 300),
    align=st.sampled_from(["left", "center", "right"]),
)
def test_fitted_text_never_leaves_its_box(text: str, width: int, height: int, size: int, align: str):
    box = Rect(5, 7, width, height)
    item = fit_text(text, "regular", box, mono, size=size, min_size=size // 2, color="text", role="x", align=align)  # type: ignore[arg-type]
    if item is not None:
        assert box.contains_rect(item.ink)


def test_the_same_state_gives_the_same_view_so_nothing_is_redrawn():
    state = HallState()
    state.apply_board(sample_board(), 0.0)
    state.set_connected(True)
    options = ViewOptions()
    assert board_view(state, MORNING, 1.0, options) == board_view(state, MORNING, 2.0, options)
    later = replace(options)
    assert board_view(state, MORNING.replace(minute=16), 2.0, later) != board_view(state, MORNING, 2.0, options)


def test_a_recall_and_the_call_being_spoken_are_labelled_on_the_board(fonts: FontBook):
    """Issue 18.8/18.9: the big panel shows the call the room hears; a recall says "GỌI LẠI SỐ"."""
    board = sample_board()
    recall = make_call("1022", 1, recall=1)
    frame = render(fonts, board.model_copy(update={"calls": [recall, *board.calls]}), (1920, 1080), "recall")
    assert only(frame, "call-title") == "GỌI LẠI SỐ" and only(frame, "current-number") == "1022"
    frame = render(fonts, board, (1920, 1080), "speaking-older-call", speaking=board.calls[1].id)
    assert only(frame, "current-number") == "2004"
    frame = render(fonts, board, (1920, 1080), "coordinator-down", coordinator_online=False)
    assert only(frame, "disconnected") == "⚠ Hệ thống gọi số tạm dừng"
