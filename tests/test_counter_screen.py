"""The counter screen without a broker: the rating flow's rules, the layout's sizes, the frame drawn (number
visible, every Vietnamese letter in the font) and saved under test-output/counter-screen/ to be looked at."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pygame
import pytest

from counter_screen.config import DEFAULT_REASONS, CounterScreenConfig, ReasonOption, scale_labels
from counter_screen.layout import MIN_GAP_MM, MIN_TARGET_MM, NUMBER_SIZE, TEXTS, Frame, layout
from counter_screen.model import (
    CounterModel,
    CounterView,
    Screen,
    TabletFlow,
    TabletView,
    face_levels,
    reason_levels,
)
from counter_screen.render import THEME, Fonts, Renderer
from motcua.contract import CounterState, CounterStatus, RatingLevel, RatingMeaning, ServingTicket
from motcua.hall import PRESETS, RatingSection
from motcua.language import Language
from motcua.text import Rect

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
OUTPUT = Path(__file__).resolve().parent.parent / "test-output" / "counter-screen"
VN = timezone(timedelta(hours=7))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=VN)
S, N, U = RatingLevel.SATISFIED, RatingLevel.NEUTRAL, RatingLevel.UNSATISFIED
REASONS = tuple(r.id for r in DEFAULT_REASONS)
LABELS = scale_labels(RatingSection())


@pytest.fixture(scope="module")
def fonts() -> Fonts:
    pygame.freetype.init()
    return Fonts()


def state(
    label: str | None = "1023",
    *,
    status: CounterStatus = CounterStatus.OPEN,
    recalls: int = 0,
    window: datetime | None = None,
    officer: str | None = "Nguyễn Thị Lan",
) -> CounterState:
    serving = None
    if label is not None:
        serving = ServingTicket(
            id=f"2026-11-23/{label}", label=label, number=int(label), service="ho-tich", called_at=NOON, recalls=recalls
        )
    return CounterState(
        counter=1,
        name="Quầy 1",
        status=status,
        officer="nguyen-thi-lan",
        officer_name=officer,
        officer_title="Công chức Tư pháp - Hộ tịch" if officer else None,
        serving=serving,
        rating_open_until=window,
        waiting=7,
        updated_at=NOON,
    )


def view(**fields: object) -> CounterView:
    base = dict(
        counter=1,
        name="Quầy 1",
        status=CounterStatus.OPEN,
        serving="1023",
        officer_name="Nguyễn Thị Lan",
        officer_title="Công chức Tư pháp - Hộ tịch",
        waiting=7,
        lit=True,
        offline=False,
    )
    base.update(fields)
    return CounterView(**base)  # type: ignore[arg-type]


def draw(fonts: Fonts, frame: Frame, name: str) -> pygame.Surface:
    surface = pygame.Surface((frame.width, frame.height))
    Renderer(fonts).draw(surface, frame)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    pygame.image.save(surface, str(OUTPUT / f"{name}.png"))
    return surface


def frame_for(
    fonts: Fonts,
    counter: CounterView,
    tablet: TabletView | None = None,
    size=(1024, 600),
    language: Language = Language.VI,
    rating: RatingSection | None = None,
    reason_options=DEFAULT_REASONS,
) -> Frame:
    rating = rating or RatingSection()
    shown = tablet.language if tablet else language
    labels = scale_labels(rating)[shown]
    reasons = [(r.id, r.vi if shown is Language.VI else r.en) for r in reason_options]
    return layout(
        counter,
        tablet,
        size[0],
        size[1],
        fonts.width,
        labels=labels,
        faces=face_levels(rating.scale),
        reasons=reasons,
        language=language,
    )


def ink_rows(surface: pygame.Surface, box, color) -> tuple[int, int]:
    """First and last row inside `box` holding a pixel of `color` (the drawn number's ink)."""
    rows = [
        y
        for y in range(box.y, box.bottom)
        if any(surface.get_at((x, y))[:3] == color for x in range(box.x, box.right, 2))
    ]
    assert rows, "nothing of that colour drawn there"
    return rows[0], rows[-1]


# --- the rating flow ---------------------------------------------------------------------------------------


def test_a_finish_invites_a_rating_and_a_good_rating_is_a_vote_at_once_then_thanks_then_the_display():
    flow = TabletFlow(reasons=REASONS, thanks_s=4, invite_s=60)
    assert flow.set_window(None, NOON, 0) == [] and flow.screen is Screen.DISPLAY
    flow.set_window(NOON + timedelta(minutes=10), NOON, 1.0)
    assert flow.screen is Screen.INVITE
    [vote] = flow.tap_level(S, NOON + timedelta(seconds=5), 6.0)
    assert (vote.level, vote.pressed_at, vote.misuse, vote.reasons) == (S, NOON + timedelta(seconds=5), False, None)
    assert flow.screen is Screen.THANKS
    flow.tick(NOON + timedelta(seconds=11), 10.5)
    assert flow.screen is Screen.DISPLAY  # thanked, and the same window does not invite again
    flow.set_window(NOON + timedelta(minutes=10), NOON + timedelta(seconds=12), 11.0)
    assert flow.screen is Screen.DISPLAY


def test_a_low_rating_asks_reasons_and_sends_them_with_the_time_of_the_tap_on_the_face():
    flow = TabletFlow(reasons=REASONS)
    flow.set_window(NOON + timedelta(minutes=10), NOON, 0.0)
    assert flow.tap_level(U, NOON, 1.0) == [] and flow.screen is Screen.REASONS
    flow.toggle_reason("wait", 2.0)
    flow.toggle_reason("guidance", 2.5)
    flow.toggle_reason("attitude", 3.0)
    flow.toggle_reason("attitude", 3.5)  # ticked and unticked
    flow.toggle_reason("not-a-reason", 3.6)
    [vote] = flow.send(4.0)
    assert (vote.level, vote.reasons, vote.pressed_at, vote.misuse) == (U, ["wait", "guidance"], NOON, False)
    assert flow.screen is Screen.THANKS


def test_the_reasons_screen_times_out_sending_what_is_ticked_and_an_unanswered_invitation_goes_back():
    flow = TabletFlow(reasons=REASONS, reasons_s=30, invite_s=60, thanks_s=4)
    flow.set_window(NOON + timedelta(minutes=10), NOON, 0.0)
    flow.tap_level(U, NOON, 1.0)
    assert flow.tick(NOON, 20.0) == []
    [vote] = flow.tick(NOON, 31.5)
    assert vote.reasons is None and vote.level == U and flow.screen is Screen.THANKS
    flow.tick(NOON, 36.0)
    assert flow.screen is Screen.DISPLAY
    flow.set_window(NOON + timedelta(minutes=20), NOON + timedelta(minutes=11), 100.0)  # the next citizen
    assert flow.screen is Screen.INVITE
    flow.tick(NOON + timedelta(minutes=12), 161.0)  # a minute without a tap
    assert flow.screen is Screen.DISPLAY
    flow.set_window(None, NOON + timedelta(minutes=12), 162.0)
    assert flow.screen is Screen.DISPLAY


def test_a_double_tap_is_misuse_recorded_and_sent_never_a_second_vote():
    flow = TabletFlow(reasons=REASONS, lockout_s=5)
    flow.set_window(NOON + timedelta(minutes=10), NOON, 0.0)
    [first] = flow.tap_level(S, NOON, 1.0)
    [second] = flow.tap_level(S, NOON, 1.2)  # the faces stay on the thanks screen: the same spot is a face
    assert (first.misuse, second.misuse) == (False, True) and first.id != second.id
    [third] = flow.tap_level(N, NOON, 5.0)  # the lockout slides
    assert third.misuse
    flow.tick(NOON, 20.0)
    assert flow.screen is Screen.DISPLAY
    assert flow.tap_level(N, NOON, 20.0) == []  # back on the display: no faces, nothing to tap


def test_the_language_toggle_lasts_one_rating():
    flow = TabletFlow(reasons=REASONS, thanks_s=1)
    flow.set_window(NOON + timedelta(minutes=10), NOON, 0.0)
    flow.toggle_language()
    assert flow.view().language is Language.EN
    flow.tap_level(S, NOON, 1.0)
    flow.tick(NOON, 3.0)
    assert flow.view().language is Language.VI


def test_a_new_call_blinks_a_recall_too_but_not_the_first_state_after_start():
    model = CounterModel(1, highlight_s=6)
    model.set_connected(True, 0.0)
    model.apply_state(state("1023"), 0.0)
    assert model.view(0.1).lit and model.next_change(0.1) is None
    model.apply_state(state("1024"), 10.0)
    assert [model.view(10.0 + t / 10).lit for t in range(0, 20, 5)] == [True, False, True, False]
    assert model.next_change(10.1) == pytest.approx(10.501, abs=0.01)
    assert model.view(16.1).lit and model.next_change(16.1) is None
    model.apply_state(state("1024", recalls=1), 20.0)
    assert not model.view(20.3).lit


def test_broker_loss_is_shown_after_the_grace_period():
    model = CounterModel(1, offline_grace_s=5)
    model.set_connected(True, 0.0)
    model.set_connected(False, 10.0)
    assert not model.view(12.0).offline and model.next_change(12.0) == 15.0
    assert model.view(15.0).offline
    model.set_connected(True, 16.0)
    assert not model.view(16.0).offline


# --- layout and drawing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1024, 600), (800, 480), (1920, 1080), (1280, 800)])
def test_the_number_is_drawn_large_in_amber_and_its_cap_height_is_what_the_doc_says(fonts: Fonts, size):
    frame = frame_for(fonts, view(serving="1023"), size=size)
    number = frame.text("number")
    assert number is not None and number.text == "1023"
    short = min(size)
    assert number.size == round(NUMBER_SIZE * short)  # four digits fit at full size on every panel
    surface = draw(fonts, frame, f"display-{size[0]}x{size[1]}")
    top, bottom = ink_rows(surface, number.box, THEME["number"])
    cap = bottom - top + 1
    assert 0.31 * short <= cap <= 0.35 * short  # docs/counter-screen.md: 0.33 of the short side
    width = sum(1 for x in range(0, size[0]) if surface.get_at((x, (top + bottom) // 2))[:3] == THEME["number"])
    assert width > 0.1 * size[0]


def test_a_long_label_shrinks_to_fit_and_the_blink_dims_the_number(fonts: Fonts):
    frame = frame_for(fonts, view(serving="A12345678", lit=False))
    number = frame.text("number")
    assert number is not None and number.size < round(NUMBER_SIZE * 600)
    assert fonts.width(number.text, "bold", number.size) <= number.box.w
    surface = draw(fonts, frame, "display-blink-off")
    ink_rows(surface, number.box, THEME["dim_number"])


def test_paused_closed_starting_and_offline_are_shown_in_words(fonts: Fonts):
    paused = frame_for(fonts, view(status=CounterStatus.PAUSED, serving=None))
    assert paused.text("status").text == "Tạm dừng" and paused.text("number") is None  # type: ignore[union-attr]
    closed = frame_for(fonts, view(status=CounterStatus.CLOSED, serving=None, officer_name=None, waiting=0))
    assert closed.text("status").text == "Đóng" and closed.text("officer") is None  # type: ignore[union-attr]
    starting = frame_for(fonts, view(status=None, serving=None, officer_name=None, waiting=None))
    assert starting.text("status").text == "Đang kết nối…"  # type: ignore[union-attr]
    offline = frame_for(fonts, view(offline=True))
    assert offline.text("offline").text.startswith("Mất kết nối")  # type: ignore[union-attr]
    assert offline.text("number").text == "1023"  # type: ignore[union-attr]  # the last number stays
    english = frame_for(fonts, view(status=CounterStatus.PAUSED), language=Language.EN)
    assert english.text("status").text == "Paused"  # type: ignore[union-attr]
    for name, frame in [("paused", paused), ("closed", closed), ("offline", offline)]:
        draw(fonts, frame, f"display-{name}")


def test_the_pause_reason_and_the_next_number_are_shown(fonts: Fonts):
    model = CounterModel(counter=1)
    paused = state(None, status=CounterStatus.PAUSED).model_copy(
        update={"pause_reason": "Họp giao ban", "next_label": "1024"}
    )
    model.set_connected(True, 0.0)
    model.apply_state(paused, 0.0)
    seen = model.view(1.0)
    assert (seen.pause_reason, seen.next_label) == ("Họp giao ban", "1024")
    frame = frame_for(fonts, seen)
    assert frame.text("status").text == "Tạm dừng"  # type: ignore[union-attr]
    assert frame.text("pause_reason").text == "Lý do: Họp giao ban"  # type: ignore[union-attr]
    assert frame.text("next").text == "Số tiếp theo: 1024"  # type: ignore[union-attr]
    assert frame.text("waiting").text == "Đang chờ: 7"  # type: ignore[union-attr]
    surface = draw(fonts, frame, "display-paused-reason")
    for role in ("pause_reason", "next", "waiting", "officer"):
        item = frame.text(role)
        assert item is not None and fonts.width(item.text, item.font, item.size) <= item.box.w, role
        assert item.box.y >= 0 and item.box.bottom <= frame.height, role
    assert surface.get_size() == (1024, 600)
    english = frame_for(fonts, seen, language=Language.EN)
    assert english.text("pause_reason").text == "Reason: Họp giao ban"  # type: ignore[union-attr]
    assert english.text("next").text == "Next number: 1024"  # type: ignore[union-attr]
    open_ = frame_for(fonts, view(next_label="1024"))
    assert open_.text("number").text == "1023" and open_.text("next").text == "Số tiếp theo: 1024"  # type: ignore[union-attr]
    closed = state(None, status=CounterStatus.CLOSED).model_copy(update={"next_label": "1024"})
    model.apply_state(closed, 2.0)
    assert frame_for(fonts, model.view(2.0)).text("next") is None  # a closed counter calls nobody
    no_reason = frame_for(fonts, view(status=CounterStatus.PAUSED, serving=None))
    assert no_reason.text("pause_reason") is None and no_reason.text("label").text == "Quầy tạm dừng tiếp nhận"  # type: ignore[union-attr]


def test_every_text_of_every_screen_has_its_glyphs_and_stays_inside_the_screen(fonts: Fonts):
    names = [
        "Nguyễn Thị Lan",
        "Trần Văn Minh",
        "Lê Thị Hoa",
        "Phạm Văn Đức",
        "Hoàng Thị Mai",
        "Vũ Quốc Hùng",
        "Đặng Thu Trang",
        "Ngô Thị Ngọc Ánh",
        "Bùi Thị Kiều Oanh",
        "Quầy tiếp nhận hồ sơ đất đai – xây dựng",
    ]
    texts: set[str] = set()
    for language in Language:
        texts.update(TEXTS[language].values())
        texts.update(LABELS[language].values())
    texts.update(r.vi for r in DEFAULT_REASONS)
    texts.update(names)
    for text in texts:
        for font in ("regular", "bold"):
            assert fonts.missing_glyphs(text, font) == [], text  # type: ignore[arg-type]
    for name in names:
        for size in [(800, 480), (1024, 600)]:
            frame = frame_for(fonts, view(name=name, officer_name=name, officer_title=name), size=size)
            screen_w = size[0]
            for item in frame.texts:
                assert fonts.width(item.text, item.font, item.size) <= item.box.w <= screen_w, item


@pytest.mark.parametrize("language", list(Language))
def test_the_tablet_screens_have_big_faces_labels_reasons_and_targets(fonts: Fonts, language: Language):
    invite = frame_for(fonts, view(), TabletView(Screen.INVITE, language))
    assert [f.level for f in invite.faces] == [S, N, U]
    assert all(f.box.w >= 0.3 * 600 for f in invite.faces)  # big enough for an unsteady finger (> 45 mm on 7")
    assert invite.label(U) == LABELS[language][U]
    assert invite.hit(*invite.faces[2].box.center) == "level:unsatisfied"
    assert invite.text("prompt").text == TEXTS[language]["invite"]  # type: ignore[union-attr]
    draw(fonts, invite, f"tablet-invite-{language.value}")
    reasons = frame_for(fonts, view(), TabletView(Screen.REASONS, language, U, frozenset({"wait"})))
    assert {name for name in reasons.targets} == {"language", "send", *(f"reason:{r}" for r in REASONS)}
    assert reasons.text("tick:wait") is not None and reasons.text("tick:other") is None
    draw(fonts, reasons, f"tablet-reasons-{language.value}")
    thanks = frame_for(fonts, view(), TabletView(Screen.THANKS, language, S))
    assert [f.chosen for f in thanks.faces] == [True, False, False] and thanks.faces[1].dim
    assert "level:satisfied" in thanks.targets  # a second tap lands on a face: misuse, as on the pad
    draw(fonts, thanks, f"tablet-thanks-{language.value}")


def test_the_config_refuses_a_socket_without_the_dummy_driver_and_duplicate_reasons():
    with pytest.raises(ValueError, match="control_socket"):
        CounterScreenConfig.model_validate(
            {"device": {"id": "screen-1", "site": "x"}, "counter": 1, "simulation": {"control_socket": "/tmp/x.sock"}}
        )
    with pytest.raises(ValueError, match="own id"):
        CounterScreenConfig.model_validate(
            {
                "device": {"id": "screen-1", "site": "x"},
                "counter": 1,
                "tablet": {"reasons": [{"id": "a", "vi": "A", "en": "A"}] * 2},
            }
        )


# --- the hall's rating scale -------------------------------------------------------------------------------

#: Every preset, and a scale of the hall's own with two levels (the smallest a hall may have).
TWO_LEVELS = RatingSection.model_validate(
    {
        "levels": [
            {"key": "good", "label": "Hài lòng", "label_en": "Satisfied", "colour": "#1b5e20", "button": 1,
             "meaning": "satisfied"},
            {"key": "bad", "label": "Chưa hài lòng", "label_en": "Not satisfied", "colour": "#ef7f7f", "button": 2,
             "meaning": "unsatisfied"},
        ]
    }
)  # fmt: skip
SCALES = {name: RatingSection(preset=name) for name in PRESETS} | {"two-levels": TWO_LEVELS}  # type: ignore[arg-type]

#: The panels a tablet is: resolution and active area (the official 7" touchscreen, 7" HDMI panels, a 10.1" one).
PANELS = {
    '7" 800x480': (800, 480, 154.08, 85.92),
    '7" 1024x600': (1024, 600, 154.21, 85.92),
    '10.1" 1280x800': (1280, 800, 216.96, 135.6),
}


@pytest.mark.parametrize("name", list(SCALES))
def test_the_tablet_draws_one_face_and_label_per_level_of_the_halls_scale(fonts: Fonts, name: str):
    rating = SCALES[name]
    keys = [level.key for level in rating.scale]
    for language in Language:
        invite = frame_for(fonts, view(), TabletView(Screen.INVITE, language), rating=rating)
        assert [f.level for f in invite.faces] == keys
        for level in rating.scale:
            assert invite.label(level.key) == (level.label if language is Language.VI else level.label_en)
            assert fonts.missing_glyphs(level.label, "bold") == fonts.missing_glyphs(level.label_en, "bold") == []
            face = next(f for f in invite.faces if f.level == level.key)
            assert invite.hit(*face.box.center) == f"level:{level.key}"
            # the mouth follows the meaning: satisfied smiles, unsatisfied frowns, wherever the level sits
            expected = {"satisfied": 1, "neutral": 0, "unsatisfied": -1}[level.meaning.value]
            assert (face.mood > 0) - (face.mood < 0) == expected, (level.key, face.mood)
        surface = draw(fonts, invite, f"tablet-invite-{name}-{language.value}")
        for face in invite.faces:  # the face is drawn in its colour, the eyes and mouth in ink
            cx, cy = face.box.center
            assert surface.get_at((cx - face.box.w * 4 // 10, cy))[:3] == THEME[face.color], face
            assert surface.get_at((cx - face.box.w * 35 // 200, cy - face.box.w * 25 // 200))[:3] == THEME["on_light"]
        for text in invite.texts:
            if text.role.startswith("label:"):  # every label line has ink where it says
                ink_rows(surface, text.box, THEME["text"])
    by_key = {f.key: f.mood for f in face_levels(rating.scale)}
    if "very_satisfied" in by_key:
        assert by_key["very_satisfied"] > by_key["satisfied"] > 0  # "Rất hài lòng" smiles more
    if "very_unsatisfied" in by_key:
        assert by_key["very_unsatisfied"] < by_key["unsatisfied"] < 0


def test_unsatisfied_levels_ask_why_by_their_meaning_not_their_place():
    five = face_levels(SCALES["five-stars"].scale)
    assert reason_levels(five, [RatingMeaning.UNSATISFIED]) == {"star_2", "star_1"}
    worst_first = RatingSection.model_validate(
        {
            "levels": [
                {"key": "kem", "label": "Kém", "label_en": "Poor", "colour": "#ef7f7f", "button": 1,
                 "meaning": "unsatisfied"},
                {"key": "tot", "label": "Tốt", "label_en": "Good", "colour": "#1b5e20", "button": 2,
                 "meaning": "satisfied"},
                {"key": "rat_tot", "label": "Rất tốt", "label_en": "Very good", "colour": "#7cb342", "button": 3,
                 "meaning": "satisfied"},
            ]
        }
    )  # fmt: skip
    faces = face_levels(worst_first.scale)
    assert reason_levels(faces, [RatingMeaning.UNSATISFIED]) == {"kem"}
    moods = {f.key: f.mood for f in faces}
    assert moods["kem"] < 0 < moods["tot"] < moods["rat_tot"]  # best at the right end: the outermost smiles most
    flow = TabletFlow(levels=tuple(moods), ask_reasons_for=reason_levels(faces, ["unsatisfied"]), reasons=REASONS)  # type: ignore[list-item]
    flow.set_window(NOON + timedelta(minutes=10), NOON, 0.0)
    assert flow.tap_level("kem", NOON, 1.0) == [] and flow.screen is Screen.REASONS
    [vote] = flow.send(2.0)
    assert vote.level == "kem"
    flow = TabletFlow(levels=tuple(moods), reasons=REASONS)
    flow.set_window(NOON + timedelta(minutes=10), NOON, 0.0)
    assert flow.tap_level("satisfied", NOON, 1.0) == []  # not a level of this hall: no face, no vote
    [vote] = flow.tap_level("rat_tot", NOON, 1.5)
    assert vote.level == "rat_tot" and flow.screen is Screen.THANKS


def _gap_mm(a: Rect, b: Rect, mm_x: float, mm_y: float) -> float:
    """The distance between two rectangles in mm (0 when they touch or overlap)."""
    dx = max(0, max(a.x, b.x) - min(a.right, b.right)) * mm_x
    dy = max(0, max(a.y, b.y) - min(a.bottom, b.bottom)) * mm_y
    return max(dx, dy) if dx == 0 or dy == 0 else (dx**2 + dy**2) ** 0.5


@pytest.mark.parametrize("panel", list(PANELS))
def test_every_touch_target_is_at_least_15_mm_with_gaps_of_2_5_mm_for_2_to_5_levels(fonts: Fonts, panel: str):
    width, height, width_mm, height_mm = PANELS[panel]
    mm_x, mm_y = width_mm / width, height_mm / height
    six_reasons = [*DEFAULT_REASONS, ReasonOption(id="fee", vi="Lệ phí", en="Fees"),
                   ReasonOption(id="paperwork", vi="Giấy tờ phức tạp", en="Complex paperwork")]  # fmt: skip
    checked = 0
    for name, rating in SCALES.items():
        for language in Language:
            for screen, reasons in (
                (Screen.INVITE, DEFAULT_REASONS),
                (Screen.THANKS, DEFAULT_REASONS),
                (Screen.REASONS, DEFAULT_REASONS),
                (Screen.REASONS, six_reasons),
            ):
                tablet = TabletView(screen, language, rating.scale[-1].key)
                frame = frame_for(fonts, view(), tablet, size=(width, height), rating=rating, reason_options=reasons)
                targets = list(frame.targets.items())
                assert len(targets) >= 3
                for target, box in targets:
                    assert box.w * mm_x >= MIN_TARGET_MM and box.h * mm_y >= MIN_TARGET_MM, (panel, name, target, box)
                    assert Rect(0, 0, width, height).contains_rect(box)
                for i, (a, box_a) in enumerate(targets):
                    for b, box_b in targets[i + 1 :]:
                        assert _gap_mm(box_a, box_b, mm_x, mm_y) >= MIN_GAP_MM, (panel, name, a, b)
                for text in frame.texts:  # and every word stays inside its box
                    assert fonts.width(text.text, text.font, text.size) <= text.box.w, (panel, name, text)
                checked += 1
    assert checked == len(SCALES) * 2 * 4
