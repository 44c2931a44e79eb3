"""What is said for a call: the sequence of clips and pauses (pure, no I/O).

    chime · "Mời công dân có số thứ tự" · <số> · "đến quầy số" · <quầy>   (× repeat, the chime once)

Each spoken unit is a clip named by its text (``đến quầy số.wav``, ``hai.wav``); a hall can replace any clip with
a recording of the same name. `every_clip()` lists the whole set `motcua voice` generates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from motcua.speech.numbers import Linh, NumberStyle, Thousand, every_word, label_words, number_words
from motcua.speech.segments import CHIME, Clip, Pause, Segment

logger = logging.getLogger(__name__)

INVITE = "mời công dân có số thứ tự"
TO_COUNTER = "đến quầy số"
PHRASES = (INVITE, TO_COUNTER)


@dataclass(frozen=True)
class ScriptOptions:
    """How calls are read; the display's ``[audio]`` settings."""

    linh: Linh = "linh"
    thousand: Thousand = "nghìn"
    number_style: NumberStyle = "number"
    repeat: int = 1  # the sentence is said this many times, the chime once before it
    chime: bool = True
    word_gap_ms: int = 40  # between the words of a number
    phrase_gap_ms: int = 180  # between a phrase and a number
    after_chime_ms: int = 350
    repeat_gap_ms: int = 900


DEFAULT_OPTIONS = ScriptOptions()


def ticket_words(label: str, number: int, options: ScriptOptions) -> list[str]:
    """The words of a ticket: its label, or its number when the label has a character that cannot be spoken."""
    try:
        return label_words(label, linh=options.linh, thousand=options.thousand, style=options.number_style)
    except ValueError as exc:
        logger.warning("%s; reading the ticket number %d instead", exc, number)
        return number_words(number, linh=options.linh, thousand=options.thousand)


def call_script(label: str, number: int, counter: int, options: ScriptOptions = DEFAULT_OPTIONS) -> list[Segment]:
    """The clips and pauses announcing ticket `label` to counter `counter`."""
    ticket = ticket_words(label, number, options)
    desk = number_words(counter, linh=options.linh, thousand=options.thousand)
    sentence: list[Segment] = [Clip(INVITE), Pause(options.phrase_gap_ms)]
    sentence += _words(ticket, options.word_gap_ms)
    sentence += [Pause(options.phrase_gap_ms), Clip(TO_COUNTER), Pause(options.phrase_gap_ms)]
    sentence += _words(desk, options.word_gap_ms)
    script: list[Segment] = [Clip(CHIME), Pause(options.after_chime_ms)] if options.chime else []
    for i in range(max(1, options.repeat)):
        if i:
            script.append(Pause(options.repeat_gap_ms))
        script += sentence
    return script


def spoken_text(script: list[Segment]) -> str:
    """The words of a script as one line (logs, tests)."""
    return " ".join(s.name for s in script if isinstance(s, Clip) and s.name != CHIME)


def clip_names(script: list[Segment]) -> list[str]:
    return [s.name for s in script if isinstance(s, Clip)]


def _words(words: list[str], gap_ms: int) -> list[Segment]:
    out: list[Segment] = []
    for i, word in enumerate(words):
        if i and gap_ms:
            out.append(Pause(gap_ms))
        out.append(Clip(word))
    return out


def every_clip() -> list[str]:
    """Every clip an announcement can need, whatever the options: the set `motcua voice` generates."""
    return [CHIME, *PHRASES, *every_word()]


def clip_text(name: str) -> str:
    """What a clip says, for the synthesiser or a person recording it ("e-lờ" is said "e lờ")."""
    return name.replace("-", " ")
