"""Text that people read, shared by every device that draws it: one canonical form, rectangles, and fitting text
into boxes. Pure: text is measured through a `TextMetrics` (pygame.freetype on a screen, Pillow on paper), so the
rules are tested without a display. Knows no service and no device.

Everything shown or printed goes through `nfc` first: a catalogue typed on a Windows machine may carry decomposed
letters (``e`` + U+0301) that render with misplaced marks in some fonts and never compare equal to the composed form.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

ELLIPSIS = "…"


def nfc(text: str) -> str:
    """The composed (NFC) form: how every string is compared, measured and drawn."""
    return unicodedata.normalize("NFC", text)


# --- rectangles --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    """A rectangle in pixels: ``x``, ``y`` of the top-left corner, width ``w`` and height ``h``."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.w // 2, self.y + self.h // 2

    def contains(self, x: float, y: float) -> bool:
        """Whether the point is inside (the right and bottom edges are outside)."""
        return self.x <= x < self.right and self.y <= y < self.bottom

    def contains_rect(self, other: Rect) -> bool:
        return self.x <= other.x and self.y <= other.y and other.right <= self.right and other.bottom <= self.bottom

    def inset(self, dx: int, dy: int | None = None) -> Rect:
        dy = dx if dy is None else dy
        return Rect(self.x + dx, self.y + dy, max(0, self.w - 2 * dx), max(0, self.h - 2 * dy))

    def take_top(self, h: int, gap: int = 0) -> tuple[Rect, Rect]:
        """Split into a band of height `h` at the top and the rest below it (after `gap`)."""
        h = min(h, self.h)
        return Rect(self.x, self.y, self.w, h), Rect(self.x, self.y + h + gap, self.w, max(0, self.h - h - gap))

    def take_bottom(self, h: int, gap: int = 0) -> tuple[Rect, Rect]:
        """Split into a band of height `h` at the bottom and the rest above it."""
        h = min(h, self.h)
        return Rect(self.x, self.bottom - h, self.w, h), Rect(self.x, self.y, self.w, max(0, self.h - h - gap))

    def take_left(self, w: int, gap: int = 0) -> tuple[Rect, Rect]:
        w = min(w, self.w)
        return Rect(self.x, self.y, w, self.h), Rect(self.x + w + gap, self.y, max(0, self.w - w - gap), self.h)

    def take_right(self, w: int, gap: int = 0) -> tuple[Rect, Rect]:
        w = min(w, self.w)
        return Rect(self.right - w, self.y, w, self.h), Rect(self.x, self.y, max(0, self.w - w - gap), self.h)

    def columns(self, n: int, gap: int) -> list[Rect]:
        """`n` equal columns separated by `gap` (the last takes the rounding)."""
        return [Rect(r.y, self.y, r.h, self.h) for r in Rect(self.y, self.x, self.h, self.w).rows(n, gap)]

    def rows(self, n: int, gap: int) -> list[Rect]:
        """`n` equal rows separated by `gap` (transposed: `columns` reuses this)."""
        if n <= 0:
            return []
        each = (self.h - gap * (n - 1)) // n
        out = []
        for i in range(n):
            top = self.y + i * (each + gap)
            height = each if i < n - 1 else self.bottom - top
            out.append(Rect(self.x, top, self.w, max(0, height)))
        return out

    def grid(self, cols: int, rows: int, gap: int) -> list[Rect]:
        """Cells left to right, top to bottom."""
        return [cell for row in self.rows(rows, gap) for cell in row.columns(cols, gap)]


# --- measuring and fitting ---------------------------------------------------------------------------------


class TextWidths(Protocol):
    """Measures the width of one line of text in one font (regular or bold is chosen by the caller)."""

    def width(self, text: str, size: int) -> int:
        """Advance width in pixels of `text` on one line at `size`."""
        ...


class TextMetrics(TextWidths, Protocol):
    """Widths and line heights in one font."""

    def line_height(self, size: int) -> int:
        """Distance between two baselines at `size`, in pixels."""
        ...


@dataclass(frozen=True)
class FittedText:
    """Text laid out in a box: the font size chosen and its lines."""

    size: int
    lines: tuple[str, ...]
    line_height: int
    truncated: bool  # the text did not fit even at the smallest size: the last line ends with an ellipsis

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


# --- line breaking -------------------------------------------------------------------------------------------
#
# Vietnamese is written one syllable per space-separated token, so a space is not a word boundary: "Bảo trợ xã hội"
# is two words of two syllables, and "Bảo / trợ xã hội" breaks a word in half. Lines are chosen for the whole
# paragraph at once (a small Knuth-Plass): every way of breaking is given a cost and the cheapest wins. Breaking
# inside a known word costs more than a whole extra line; a lone syllable on the last line of a paragraph (an
# orphan: "tháng", "dưới.") costs more than a less full line above it; a number is kept with the word after it
# ("15 phút", "1 giờ 35 phút"); punctuation and dashes are good places to break.

#: Multi-syllable words of the hall's texts (lower case): a line never breaks inside them when it can avoid it.
COMMON_WORDS = (
    "bảo trợ", "xã hội", "bảo trợ xã hội", "hộ tịch", "khai sinh", "khai tử", "kết hôn", "hôn nhân", "chứng thực",
    "đất đai", "thủ tục", "hồ sơ", "công dân", "ưu tiên", "người cao tuổi", "cao tuổi", "khuyết tật",
    "người khuyết tật", "phụ nữ", "mang thai", "trẻ nhỏ", "trẻ em", "người có công", "có công", "cách mạng",
    "đăng ký", "giấy tờ", "giấy khai sinh", "bản sao", "bản chính", "chữ ký", "hợp đồng", "giao dịch", "lao động",
    "việc làm", "thương binh", "liệt sĩ", "môi trường", "xây dựng", "văn hóa", "thi đua", "khen thưởng",
    "lĩnh vực", "hành chính", "một cửa", "bộ phận", "tiếp nhận", "kết quả", "trả kết quả", "thứ tự", "số thứ tự",
    "thời gian", "dự kiến", "phục vụ", "cảm ơn", "góp ý", "phản ánh", "con nuôi", "nuôi con nuôi", "cư trú",
    "thường trú", "tạm trú", "căn cước", "ủy ban", "nhân dân", "thị trấn", "thành phố", "điện thoại", "trực tuyến",
    "dịch vụ", "dịch vụ công", "cán bộ", "máy in", "tình trạng", "xác nhận", "trích lục", "cải chính", "bổ sung",
    "thông tin", "dân tộc", "xác định", "giải quyết", "lệ phí", "thời hạn", "biểu mẫu", "tờ khai", "chính sách",
    "trợ cấp", "bảo hiểm", "y tế", "nhà ở", "giấy phép", "kinh doanh", "sử dụng", "tài sản", "thứ hai", "thứ ba",
    "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật", "xin mời", "vui lòng", "màn hình", "chú ý", "bên dưới",
    "người chờ", "chờ đợi", "quét mã", "mã số", "đi cùng", "người đi cùng",
)  # fmt: skip

#: Break costs, in units of a badly filled line (100 = a line left empty).
KNOWN_WORD = 1000  # inside a word of the list or a two-syllable part of a name
NAME_PHRASE = 150  # inside a longer part of a name ("Người có công")
NEW_LINE = 400  # every line: an extra line is better than a broken word, worse than a broken phrase
ORPHAN = 120  # a single syllable alone on the last line of a paragraph
AFTER_NUMBER = 500  # between a number and its word ("15 / phút")
BEFORE_DASH = 60  # a dash opening a line
PLAIN_BREAK = 3  # any other space: punctuation and dashes are the better places (cost 0)

#: Words that belong with the number after them.
_BEFORE_NUMBER = frozenset({"giờ", "khoảng", "dưới", "quầy", "số", "about", "under", "counter", "number"})
_PUNCTUATION = ",.;:!?…()[]\"“”'«»"
_DASHES = ("–", "—", "-")
_SEPARATORS = re.compile(r"\s+[–—-]\s+|[,;:()/]|\s+và\s+|\s+and\s+")


def _key(token: str) -> str:
    return token.strip(_PUNCTUATION).lower()


@dataclass(frozen=True)
class Lexicon:
    """The multi-syllable words (từ ghép) a line must not split: a built-in list and the parts of the hall's names.

    Both sets hold lower-case NFC syllable tuples. `phrases` are the longer parts of names, which may be split
    where nothing better exists.
    """

    words: frozenset[tuple[str, ...]]
    phrases: frozenset[tuple[str, ...]] = frozenset()

    @classmethod
    def common(cls) -> Lexicon:
        return _COMMON

    def with_names(self, names: Iterable[str]) -> Lexicon:
        """Also the parts of the hall's service, field and procedure names: "Lao động – Người có công – Bảo trợ xã
        hội" teaches "lao động" (a word), "người có công" and "bảo trợ xã hội" (phrases)."""
        words, phrases = set(self.words), set(self.phrases)
        for name in names:
            for part in _SEPARATORS.split(nfc(name)):
                syllables = tuple(key for key in (_key(token) for token in part.split()) if key)
                if len(syllables) == 2:
                    words.add(syllables)
                elif 3 <= len(syllables) <= 4:
                    phrases.add(syllables)
        return Lexicon(frozenset(words), frozenset(phrases))

    def break_costs(self, tokens: Sequence[str]) -> list[int]:
        """The cost of breaking after each token but the last (what the words and the characters say)."""
        keys = [_key(token) for token in tokens]
        costs = [PLAIN_BREAK] * max(0, len(tokens) - 1)
        for index in range(len(costs)):
            token, following = tokens[index], tokens[index + 1]
            if token[-1] in ",.;:!?" or token in _DASHES:
                costs[index] = 0
            if following in _DASHES:
                costs[index] = BEFORE_DASH
            if keys[index].isdigit() and keys[index + 1].isalpha() and token[-1].isdigit():
                costs[index] = max(costs[index], AFTER_NUMBER)
            if keys[index] in _BEFORE_NUMBER and keys[index + 1].isdigit():  # "khoảng / 1 giờ / 35 phút"
                costs[index] = max(costs[index], AFTER_NUMBER)
        for entries, cost in ((self.phrases, NAME_PHRASE), (self.words, KNOWN_WORD)):
            lengths = {len(entry) for entry in entries}
            for length in lengths:
                for start in range(len(keys) - length + 1):
                    if tuple(keys[start : start + length]) in entries:
                        for inside in range(start, start + length - 1):
                            if tokens[inside][-1] not in ",.;:!?":  # "xã, hội" is not the word "xã hội"
                                costs[inside] = max(costs[inside], cost)
        return costs


_COMMON = Lexicon(frozenset(tuple(nfc(word).split()) for word in COMMON_WORDS))


@dataclass(frozen=True)
class _Broken:
    lines: list[str]
    cost: float
    worst: int  # the dearest break made (KNOWN_WORD: a word had to be split)


def wrap(
    text: str,
    width: int,
    size: int,
    metrics: TextWidths,
    *,
    lexicon: Lexicon | None = None,
    max_lines: int | None = None,
) -> list[str]:
    """`text` broken into lines no wider than `width` at `size`, at the best places for a Vietnamese reader.

    Explicit newlines are kept; a token wider than the box is broken between characters. With `max_lines`, the
    best layout in that many lines is chosen when one exists (a known word may then be split); otherwise the
    fewest lines.
    """
    return _break_text(text, width, size, metrics, lexicon or _COMMON, max_lines).lines


def _break_text(
    text: str, width: int, size: int, metrics: TextWidths, lexicon: Lexicon, max_lines: int | None
) -> _Broken:
    paragraphs = text.split("\n")
    pieces = [_tokens(paragraph, width, size, metrics) for paragraph in paragraphs]
    several = max_lines is not None and len(pieces) > 1
    fewest = [_fewest_lines(tokens, width, size, metrics) for tokens in pieces] if several else [1] * len(pieces)
    lines: list[str] = []
    cost = 0.0
    worst = 0
    for index, tokens in enumerate(pieces):
        limit = None
        if max_lines is not None:
            limit = max(fewest[index], max_lines - len(lines) - sum(fewest[index + 1 :]))
        broken = _break_paragraph(tokens, width, size, metrics, lexicon, limit)
        lines += broken.lines
        cost += broken.cost
        worst = max(worst, broken.worst)
    return _Broken(lines, cost, worst)


def _tokens(paragraph: str, width: int, size: int, metrics: TextWidths) -> list[tuple[str, str]]:
    """(glue before, token): a space between syllables, nothing between the pieces of a token too wide."""
    out: list[tuple[str, str]] = []
    for word in paragraph.split():
        for number, piece in enumerate(_break_word(word, width, size, metrics)):
            out.append(("" if number else " ", piece))
    return out


def _break_word(word: str, width: int, size: int, metrics: TextWidths) -> Iterator[str]:
    if metrics.width(word, size) <= width:
        yield word
        return
    piece = ""
    for ch in word:
        if piece and metrics.width(piece + ch, size) > width:
            yield piece
            piece = ch
        else:
            piece += ch
    if piece:
        yield piece


def _join(tokens: Sequence[tuple[str, str]]) -> str:
    return "".join(glue + token for glue, token in tokens).lstrip(" ") if tokens else ""


def _fewest_lines(tokens: list[tuple[str, str]], width: int, size: int, metrics: TextWidths) -> int:
    """About how many lines the paragraph needs at least (greedy, on the estimate of `_break_paragraph`)."""
    space = metrics.width(" ", size)
    count, line = 1, 0
    for index, (glue, token) in enumerate(tokens):
        token_width = metrics.width(token, size)
        extra = token_width + (space if glue and index else 0)
        if line and line + extra > width:
            count += 1
            line = token_width
        else:
            line += extra
    return count


def _break_paragraph(
    tokens: list[tuple[str, str]],
    width: int,
    size: int,
    metrics: TextWidths,
    lexicon: Lexicon,
    limit: int | None,
) -> _Broken:
    n = len(tokens)
    if n == 0:
        return _Broken([""], 0.0, 0)
    whole = _join(tokens)
    if metrics.width(whole, size) <= width:
        return _Broken([whole], float(NEW_LINE), 0)
    words = [token for _, token in tokens]
    costs = lexicon.break_costs(words)
    costs = [0 if glue == "" else cost for (glue, _), cost in zip(tokens[1:], costs, strict=True)]
    # Lines are estimated as the sum of their syllables and spaces (fast), and the chosen ones measured whole: a
    # line found too wide (kerning, bearings) is ruled out and the choice made again.
    known = {token: metrics.width(token, size) for token in set(words)}
    token_widths = [known[token] for token in words]
    space = metrics.width(" ", size)
    too_wide: set[tuple[int, int]] = set()
    while True:
        fits: dict[tuple[int, int], int] = {}
        for start in range(n):
            line_width = token_widths[start]
            for end in range(start + 1, n + 1):
                if end > start + 1:
                    line_width += token_widths[end - 1] + (space if tokens[end - 1][0] else 0)
                    if line_width > width:
                        break
                if (start, end) not in too_wide:
                    fits[start, end] = line_width
        line_cost = _line_costs(fits, costs, n, width)
        free = _cheapest(line_cost, n, None)
        if limit is None or len(free[1]) <= limit:
            total, starts = free
        else:
            total, starts = _cheapest(line_cost, n, limit)
        wide = {
            (start, end)
            for start, end in itertools.pairwise([*starts, n])
            if end - start > 1 and metrics.width(_join(tokens[start:end]), size) > width
        }
        if not wide:
            break
        too_wide |= wide
    out = [_join(tokens[start:end]) for start, end in itertools.pairwise([*starts, n])]
    worst = max((costs[start - 1] for start in starts[1:]), default=0)
    return _Broken(out, total, worst)


def _line_costs(fits: dict[tuple[int, int], int], costs: list[int], n: int, width: int) -> dict[tuple[int, int], float]:
    """The cost of each possible line tokens[start:end], the break after it included."""
    out = {}
    for (start, end), line_width in fits.items():
        cost = float(NEW_LINE)
        if end < n:
            slack = max(0, width - line_width) / max(1, width)
            cost += 100 * slack * slack + costs[end - 1]
        elif start > 0 and end - start == 1:
            cost += ORPHAN
        out[start, end] = cost
    return out


def _cheapest(line_cost: dict[tuple[int, int], float], n: int, limit: int | None) -> tuple[float, list[int]]:
    """The cheapest set of lines for tokens[:n] (at most `limit` lines if given, the fewest if none is possible):
    its cost and where each line starts."""
    inf = float("inf")
    ends: dict[int, list[tuple[int, float]]] = {}
    for (start, end), cost in line_cost.items():
        ends.setdefault(end, []).append((start, cost))
    if limit is None:
        best: list[tuple[float, int]] = [(0.0, -1)] + [(inf, -1)] * n
        for end in range(1, n + 1):
            best[end] = min(((best[start][0] + cost, start) for start, cost in ends.get(end, [])), default=(inf, -1))
        starts, end = [], n
        while end > 0:
            end = best[end][1]
            starts.append(end)
        return best[n][0], starts[::-1]
    # table[k][end]: tokens[:end] in exactly k lines
    table: list[list[tuple[float, int]]] = [[(0.0, -1)] + [(inf, -1)] * n]
    for _ in range(limit):
        previous = table[-1]
        row = [(inf, -1)] * (n + 1)
        for end in range(1, n + 1):
            row[end] = min(((previous[start][0] + cost, start) for start, cost in ends.get(end, [])), default=(inf, -1))
        table.append(row)
    reachable = [k for k in range(1, len(table)) if table[k][n][0] < inf]
    if not reachable:
        return _cheapest(line_cost, n, None)
    k = min(reachable, key=lambda lines: table[lines][n][0])
    total = table[k][n][0]
    starts, end = [], n
    while k > 0:
        end = table[k][end][1]
        starts.append(end)
        k -= 1
    return total, starts[::-1]


def fit_text(
    text: str,
    width: int,
    height: int,
    metrics: TextMetrics,
    *,
    max_size: int,
    min_size: int,
    max_lines: int | None = None,
    lexicon: Lexicon | None = None,
) -> FittedText:
    """The largest size in [min_size, max_size] at which `text` wraps into the box (and `max_lines`).

    Sizes are tried from the largest down in steps of about 6 %. A size at which a known word (or a phrase, a
    number and its word) would have to be split, or a line would open with a dash, is passed over for a smaller one
    (down to 80 % of it) that breaks well; a word is split only when no size down to `min_size` keeps it whole.
    At the smallest size, text that still does not fit is cut to the lines that fit and the last one ends with an
    ellipsis (``truncated``) — never drawn past the box.
    """
    lexicon = lexicon or _COMMON
    min_size = max(1, min(min_size, max_size))
    size = max_size
    first: FittedText | None = None  # the largest size that fits, however it breaks
    whole: FittedText | None = None  # the largest that fits without splitting a word
    while True:
        line_height = metrics.line_height(size)
        room = height // line_height
        if max_lines is not None:
            room = min(room, max_lines)
        broken = _break_text(text, width, size, metrics, lexicon, max(1, room))
        lines = broken.lines
        if len(lines) <= room and all(metrics.width(line, size) <= width for line in lines):
            fitted = FittedText(size, tuple(lines), line_height, False)
            if broken.worst < BEFORE_DASH and (first is None or size >= first.size * 0.8):
                return fitted
            first = first or fitted
            if whole is None and broken.worst < KNOWN_WORD:
                whole = fitted
        if size <= min_size:
            break
        size = max(min_size, min(size - 1, math.floor(size * 0.94)))
    fallback = whole or first
    if fallback is not None:
        return fallback
    line_height = metrics.line_height(size)
    room = max(1, height // line_height) if line_height <= height else 0
    if max_lines is not None:
        room = min(room, max_lines)
    if room == 0:
        return FittedText(size, (), line_height, True)
    kept = lines[:room]
    kept[-1] = ellipsize(" ".join([kept[-1], *lines[room:]]) if len(lines) > room else kept[-1], width, size, metrics)
    return FittedText(size, tuple(kept), line_height, True)


def ellipsize(text: str, width: int, size: int, metrics: TextWidths, *, lexicon: Lexicon | None = None) -> str:
    """`text` cut so that it plus an ellipsis fits `width`: after a whole syllable, never inside a word the lexicon
    knows (nor a two-syllable part of the text's own name: "Bảo trợ", not "Bảo…"), else between letters."""
    if metrics.width(text, size) <= width:
        return text
    tokens = text.split()
    costs = (lexicon or _COMMON).with_names([text]).break_costs(tokens)

    def cut(count: int) -> str:
        return " ".join(tokens[:count]).rstrip(" ,;:–—-") + ELLIPSIS

    # The most whole syllables that fit (the width grows with their number), then back to a place between words.
    low, high = 0, len(tokens)  # low fit (0 always "fits"), high does not
    while high - low > 1:
        middle = (low + high) // 2
        if metrics.width(cut(middle), size) <= width:
            low = middle
        else:
            high = middle
    while low > 0 and costs[low - 1] >= KNOWN_WORD:
        low -= 1
    if low > 0 and cut(low) != ELLIPSIS:
        return cut(low)
    first = tokens[0] if tokens else ""
    short, long = 0, len(first) + 1  # letters of the first word: short fit, long does not
    while long - short > 1:
        middle = (short + long) // 2
        if metrics.width(first[:middle] + ELLIPSIS, size) <= width:
            short = middle
        else:
            long = middle
    return first[:short] + ELLIPSIS


def largest_size(fits: Callable[[int], bool], low: int, high: int) -> int | None:
    """The largest size in [low, high] that `fits` (assumed monotonic: smaller text fits where larger does)."""
    if fits(high):
        return high
    if not fits(low):
        return None
    while high - low > 1:  # invariant: low fits, high does not
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return low
