"""Where everything goes on the counter screen: pure (sizes from the screen's size and a text-width function).

Sizes are fractions of the screen's short side ``S``, so a frame looks the same at 1024x600 and 1920x1080; the
distances they can be read from are worked out in docs/counter-screen.md ("Sizes for reading from 5 metres").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from counter_screen.model import CounterView, FaceLevel, Screen, TabletView, face_levels
from motcua.contract import CounterStatus
from motcua.hall import RatingSection
from motcua.language import Language
from motcua.text import Rect, nfc, wrap

FontKey = Literal["regular", "bold"]
Color = Literal[
    "bg",
    "header",
    "panel",
    "text",
    "muted",
    "number",
    "dim_number",
    "warning",
    "button",
    "ticked",
    "on_light",
    "good",
    "fair",
    "neutral",
    "poor",
    "bad",
]
#: (text, font, size) -> advance width in pixels
WidthOf = Callable[[str, FontKey, int], int]

#: Font sizes as fractions of the screen's short side (cap height of DejaVu Sans Bold digits: 0.73 of the size).
NUMBER_SIZE = 0.46
HEADER_SIZE = 0.19
LABEL_SIZE = 0.075
OFFICER_SIZE = 0.08
TITLE_SIZE = 0.058
STATUS_SIZE = 0.27
OFFLINE_SIZE = 0.055
FACE_LABEL_SIZE = 0.068
PROMPT_SIZE = 0.075
REASON_SIZE = 0.062
#: The gap between two touch targets, and a label's line height, as fractions of ``S`` and of the font size.
TOUCH_GAP = 0.035
LINE_HEIGHT = 1.2

TEXTS: Mapping[Language, Mapping[str, str]] = {
    Language.VI: {
        "serving": "Đang phục vụ số",
        "none": "Xin mời",
        "paused": "Tạm dừng",
        "paused_note": "Quầy tạm dừng tiếp nhận",
        "closed": "Đóng",
        "closed_note": "Quầy đã đóng",
        "waiting": "Đang chờ: {n}",
        "next": "Số tiếp theo: {label}",
        "reason": "Lý do: {reason}",
        "starting": "Đang kết nối…",
        "offline": "Mất kết nối máy chủ — đang kết nối lại",
        "invite": "Xin mời Ông/Bà đánh giá mức độ hài lòng",
        "reasons": "Xin Ông/Bà cho biết lý do (chọn một hoặc nhiều)",
        "send": "Gửi đánh giá",
        "thanks": "Trân trọng cảm ơn Ông/Bà!",
        "other_language": "English",
    },
    Language.EN: {
        "serving": "Now serving",
        "none": "Welcome",
        "paused": "Paused",
        "paused_note": "This counter is paused",
        "closed": "Closed",
        "closed_note": "This counter is closed",
        "waiting": "Waiting: {n}",
        "next": "Next number: {label}",
        "reason": "Reason: {reason}",
        "starting": "Connecting…",
        "offline": "No connection to the server — reconnecting",
        "invite": "Please rate our service",
        "reasons": "Please tell us why (one or more)",
        "send": "Send",
        "thanks": "Thank you!",
        "other_language": "Tiếng Việt",
    },
}

#: The faces of the default scale (hall.toml without ``[rating]``).
DEFAULT_FACES: tuple[FaceLevel, ...] = face_levels(RatingSection().scale)

#: Touch targets (faces, reasons, buttons) are at least this big, this far apart, on the smallest panel we support
#: (the official 7" touchscreen, 800x480 on 154 x 86 mm); tests/test_counter_screen.py measures every target of
#: every screen on the 7" and 10.1" panels, for scales of 2 to 5 levels.
MIN_TARGET_MM = 15.0
MIN_GAP_MM = 2.5


def face_color(mood: float) -> Color:
    """A face's colour from its mouth (the mouth and the label carry the meaning, never the colour alone)."""
    if mood >= 0.75:
        return "good"
    if mood > 0:
        return "fair"
    if mood == 0:
        return "neutral"
    return "poor" if mood > -0.75 else "bad"


@dataclass(frozen=True)
class Fill:
    box: Rect
    color: Color
    radius: int = 0
    outline: int = 0  # 0: filled; else the border's width


@dataclass(frozen=True)
class Text:
    text: str
    font: FontKey
    size: int
    color: Color
    box: Rect  # drawn inside, centred vertically on the ink
    align: Literal["left", "center", "right"] = "center"
    role: str = ""  # what it is, for tests and status ("number", "counter", ...)


@dataclass(frozen=True)
class Face:
    level: str  # the level's key in the hall's scale
    box: Rect  # a square
    color: Color
    mood: float = 0.0  # the mouth: 1 a broad smile, 0 straight, -1 a deep frown
    dim: bool = False
    chosen: bool = False


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    fills: list[Fill] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    targets: dict[str, Rect] = field(default_factory=dict)  # what a tap hits: "level:satisfied", "reason:wait", ...

    def text(self, role: str) -> Text | None:
        return next((t for t in self.texts if t.role == role), None)

    def label(self, level: str) -> str | None:
        """A face's label as drawn (one or two lines, joined by a space), or None."""
        lines = [t.text for t in self.texts if t.role == f"label:{level}" or t.role.startswith(f"label:{level}#")]
        return " ".join(lines) if lines else None

    def hit(self, x: float, y: float) -> str | None:
        for name, box in self.targets.items():
            if box.contains(x, y):
                return name
        return None


def fitted(text: str, font: FontKey, size: int, width: int, width_of: WidthOf, *, floor: float = 0.35) -> int:
    """`size`, or the largest size down to ``floor * size`` at which one line of `text` fits `width`."""
    text = nfc(text)
    low = max(1, int(size * floor))
    while size > low and width_of(text, font, size) > width:
        size = max(low, int(size * 0.94))
    return size


def layout(
    counter: CounterView,
    tablet: TabletView | None,
    width: int,
    height: int,
    width_of: WidthOf,
    *,
    labels: Mapping[str, str],
    faces: Sequence[FaceLevel] = DEFAULT_FACES,
    reasons: Sequence[tuple[str, str]] = (),
    language: Language = Language.VI,
    show_waiting: bool = True,
    language_toggle: bool = True,
) -> Frame:
    """`labels`: the face labels by level key, in the tablet's language; `faces`: the hall's scale, in button
    order (`counter_screen.model.face_levels`)."""
    frame = Frame(width, height, fills=[Fill(Rect(0, 0, width, height), "bg")])
    if tablet is None or tablet.screen is Screen.DISPLAY:
        _display(frame, counter, width_of, language, show_waiting)
    else:
        _tablet(frame, counter, tablet, width_of, labels, faces, reasons, language_toggle)
    return frame


def _s(frame: Frame) -> int:
    return min(frame.width, frame.height)


def _display(frame: Frame, view: CounterView, width_of: WidthOf, language: Language, show_waiting: bool) -> None:
    texts = TEXTS[language]
    s = _s(frame)
    pad = round(0.03 * s)
    screen = Rect(0, 0, frame.width, frame.height)
    header, body = screen.take_top(round(0.26 * frame.height))
    frame.fills.append(Fill(header, "header"))
    inner = header.inset(pad, 0)
    size = fitted(view.name, "bold", round(HEADER_SIZE * s), inner.w, width_of)
    frame.texts.append(Text(nfc(view.name), "bold", size, "text", inner, "center", role="counter"))
    if view.offline:
        strip, body = body.take_bottom(round(0.1 * frame.height))
        frame.fills.append(Fill(strip, "warning"))
        size = fitted(texts["offline"], "bold", round(OFFLINE_SIZE * s), strip.w - 2 * pad, width_of)
        frame.texts.append(Text(texts["offline"], "bold", size, "on_light", strip.inset(pad, 0), role="offline"))
    side = []  # right of the footer: the next number (when useful) and how many wait
    if show_waiting and view.next_label:
        side.append(("next", texts["next"].format(label=view.next_label)))
    if show_waiting and view.waiting:
        side.append(("waiting", texts["waiting"].format(n=view.waiting)))
    footer_h = round(0.2 * frame.height) if (view.officer_name or side) else 0
    footer, middle = body.take_bottom(footer_h) if footer_h else (None, body)
    middle = middle.inset(pad, round(0.01 * frame.height))
    label_box, number_box = middle.take_top(round(0.12 * frame.height))
    if view.status is None:
        frame.texts.append(
            Text(texts["starting"], "regular", round(LABEL_SIZE * s), "muted", number_box, role="status")
        )
    elif view.status is CounterStatus.OPEN:
        frame.texts.append(Text(texts["serving"], "regular", round(LABEL_SIZE * s), "muted", label_box, role="label"))
        number = view.serving or "—"
        size = fitted(number, "bold", round(NUMBER_SIZE * s), number_box.w, width_of)
        color: Color = "number" if view.lit else "dim_number"
        frame.texts.append(Text(number, "bold", size, color, number_box, role="number"))
    else:
        word, note = ("paused", "paused_note") if view.status is CounterStatus.PAUSED else ("closed", "closed_note")
        if view.pause_reason:  # the officer's own words, as they typed them
            text = texts["reason"].format(reason=nfc(view.pause_reason))
            size = fitted(text, "regular", round(LABEL_SIZE * s), label_box.w, width_of)
            frame.texts.append(Text(text, "regular", size, "muted", label_box, role="pause_reason"))
        else:
            frame.texts.append(Text(texts[note], "regular", round(LABEL_SIZE * s), "muted", label_box, role="label"))
        size = fitted(texts[word], "bold", round(STATUS_SIZE * s), number_box.w, width_of)
        frame.texts.append(Text(texts[word], "bold", size, "warning", number_box, role="status"))
    if footer is not None:
        frame.fills.append(Fill(footer, "panel"))
        row = footer.inset(pad, round(0.015 * frame.height))
        waiting_w = 0
        size = round(TITLE_SIZE * s)
        lines = row.h // max(1, len(side))
        for i, (role, text) in enumerate(side):
            waiting_w = max(waiting_w, width_of(text, "regular", size) + pad)
            box = Rect(row.x, row.y + i * lines, row.w, lines) if len(side) > 1 else row
            tone: Color = "text" if role == "next" else "muted"
            frame.texts.append(Text(text, "regular", size, tone, box, "right", role=role))
        who = Rect(row.x, row.y, row.w - waiting_w, row.h)
        if view.officer_name:
            name_box, title_box = who.take_top(who.h * 55 // 100) if view.officer_title else (who, who)
            size = fitted(view.officer_name, "bold", round(OFFICER_SIZE * s), name_box.w, width_of)
            frame.texts.append(Text(nfc(view.officer_name), "bold", size, "text", name_box, "left", role="officer"))
            if view.officer_title:
                size = fitted(view.officer_title, "regular", round(TITLE_SIZE * s), title_box.w, width_of)
                frame.texts.append(
                    Text(nfc(view.officer_title), "regular", size, "muted", title_box, "left", role="officer_title")
                )


class _BoldWidths:
    """`motcua.text.wrap`'s measure, in the bold font."""

    def __init__(self, width_of: WidthOf) -> None:
        self._width_of = width_of

    def width(self, text: str, size: int) -> int:
        return self._width_of(text, "bold", size)


def _label_lines(
    labels: Sequence[str], width: int, height: int, size: int, width_of: WidthOf
) -> tuple[int, list[list[str]]]:
    """One size for every face label and its lines: the largest from `size` down at which each fits `width` in one
    or two lines of `height` together — one line when that is hardly smaller (easier to read); below the floor the
    labels are shrunk on one line (never drawn past their column)."""
    widths = _BoldWidths(width_of)
    texts = [nfc(label) for label in labels]
    floor = max(1, round(size * 0.45))
    one = min(fitted(text, "bold", size, width, width_of, floor=0.45) for text in texts)
    one_fits = all(width_of(text, "bold", one) <= width for text in texts)
    two = size
    while True:
        broken = [wrap(text, width, two, widths) for text in texts]
        lines = max(len(b) for b in broken)
        if (
            lines <= 2
            and all(" ".join(b) == text for b, text in zip(broken, texts, strict=True))  # no word split
            and lines * round(two * LINE_HEIGHT) <= height
            and all(width_of(line, "bold", two) <= width for b in broken for line in b)
        ):
            break
        if two <= floor:
            return one, [[text] for text in texts]
        two = max(floor, int(two * 0.94))
    if one_fits and one >= 0.85 * two:
        return one, [[text] for text in texts]
    return two, broken


def _tablet(
    frame: Frame,
    counter: CounterView,
    view: TabletView,
    width_of: WidthOf,
    labels: Mapping[str, str],
    faces: Sequence[FaceLevel],
    reasons: Sequence[tuple[str, str]],
    language_toggle: bool,
) -> None:
    texts = TEXTS[view.language]
    s = _s(frame)
    pad = round(0.03 * s)
    gap = round(TOUCH_GAP * s)  # between two touch targets
    screen = Rect(0, 0, frame.width, frame.height)
    top, body = screen.take_top(round(0.21 * frame.height))
    frame.fills.append(Fill(top, "header"))
    strip = top.inset(pad, 0)
    if language_toggle:
        button_w = round(0.26 * frame.width)
        button, strip = strip.take_right(button_w, pad)
        button = button.inset(0, round(0.01 * frame.height))
        frame.fills.append(Fill(button, "button", radius=round(0.02 * s)))
        size = fitted(texts["other_language"], "bold", round(0.05 * s), button.w - pad, width_of)
        frame.texts.append(Text(texts["other_language"], "bold", size, "text", button, role="language"))
        frame.targets["language"] = button
    who = counter.name  # not the number served: the officer may already have called the next citizen
    size = fitted(who, "bold", round(0.06 * s), strip.w, width_of)
    frame.texts.append(Text(nfc(who), "bold", size, "text", strip, "left", role="counter"))
    prompt_key = {Screen.INVITE: "invite", Screen.REASONS: "reasons", Screen.THANKS: "thanks"}[view.screen]
    prompt_box, body = body.inset(pad, 0).take_top(round(0.13 * frame.height))
    size = fitted(texts[prompt_key], "bold", round(PROMPT_SIZE * s), prompt_box.w, width_of)
    frame.texts.append(Text(texts[prompt_key], "bold", size, "text", prompt_box, role="prompt"))
    body = Rect(body.x, body.y, body.w, body.h - round(0.02 * frame.height))
    if view.screen is Screen.REASONS:
        _reasons(frame, view, body, width_of, reasons, texts["send"], pad, gap)
        return
    columns = body.columns(len(faces), gap)
    label_h = round(0.16 * frame.height)
    names = [labels.get(face.key, face.key) for face in faces]
    label_size, label_lines = _label_lines(
        names, min(c.w for c in columns) - gap // 2, label_h, round(FACE_LABEL_SIZE * s), width_of
    )
    line_h = round(label_size * LINE_HEIGHT)
    for face, column, lines in zip(faces, columns, label_lines, strict=True):
        label_box, face_area = column.take_bottom(label_h)
        side = min(face_area.w, face_area.h) * 92 // 100
        cx, cy = face_area.center
        box = Rect(cx - side // 2, cy - side // 2, side, side)
        chosen = view.screen is Screen.THANKS and view.chosen == face.key
        dim = view.screen is Screen.THANKS and not chosen
        frame.faces.append(Face(face.key, box, face_color(face.mood), mood=face.mood, dim=dim, chosen=chosen))
        first_y = label_box.y + (label_box.h - line_h * len(lines)) // 2
        for i, line in enumerate(lines):
            frame.texts.append(
                Text(
                    line,
                    "bold",
                    label_size,
                    "muted" if dim else "text",
                    Rect(label_box.x, first_y + i * line_h, label_box.w, line_h),
                    role=f"label:{face.key}" + (f"#{i + 1}" if i else ""),
                )
            )
        frame.targets[f"level:{face.key}"] = column  # the whole column: a face and its label


def _reasons(
    frame: Frame,
    view: TabletView,
    body: Rect,
    width_of: WidthOf,
    reasons: Sequence[tuple[str, str]],
    send: str,
    pad: int,
    gap: int,
) -> None:
    s = _s(frame)
    send_row, grid_box = body.take_bottom(round(0.19 * frame.height), gap)
    grid_box = grid_box.inset(pad, 0)
    cols = 2 if len(reasons) <= 4 else 3 if len(reasons) <= 6 else 4  # two rows: each big enough for a finger
    rows = (len(reasons) + cols - 1) // cols
    cells = grid_box.grid(cols, max(rows, 1), gap)
    size = round(REASON_SIZE * s)
    mark_side = min(cells[0].h * 3 // 5, round(0.1 * s)) if cells else 0
    for (_, words), cell in zip(reasons, cells, strict=False):
        size = min(size, fitted(words, "bold", round(REASON_SIZE * s), cell.w - mark_side - 2 * pad, width_of))
    for (reason_id, words), cell in zip(reasons, cells, strict=False):
        ticked = reason_id in view.ticked
        frame.fills.append(Fill(cell, "ticked" if ticked else "button", radius=round(0.02 * s)))
        mark = Rect(cell.x + pad // 2, cell.y + (cell.h - mark_side) // 2, mark_side, mark_side)
        frame.fills.append(Fill(mark, "text", radius=round(0.01 * s), outline=0 if ticked else max(2, s // 150)))
        if ticked:
            frame.texts.append(Text("✓", "bold", mark.h, "ticked", mark, role=f"tick:{reason_id}"))
        text_box = Rect(mark.right + pad // 2, cell.y, cell.right - mark.right - pad, cell.h)
        frame.texts.append(
            Text(
                nfc(words), "bold", size, "on_light" if ticked else "text", text_box, "left", role=f"reason:{reason_id}"
            )
        )
        frame.targets[f"reason:{reason_id}"] = cell
    button_w = round(0.4 * frame.width)
    button = Rect(send_row.right - button_w - pad, send_row.y, button_w, send_row.h)
    frame.fills.append(Fill(button, "good", radius=round(0.02 * s)))
    size = fitted(send, "bold", round(REASON_SIZE * s), button.w - pad, width_of)
    frame.texts.append(Text(send, "bold", size, "on_light", button, role="send"))
    frame.targets["send"] = button
