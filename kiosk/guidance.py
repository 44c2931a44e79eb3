"""Voice guidance (Hướng dẫn bằng giọng nói): what the kiosk says about the screen a citizen is looking at. Pure.

With guidance switched on, every new screen is read aloud: its title, then its choices (the buttons, in the
order they are drawn), and the ticket is confirmed with its number and counters. The script is a list of clips
and pauses (`motcua.speech.segments`), like the display's announcements: each clip is named by the text it says;
`kiosk.speaker` makes the clips offline and plays them. Numbers are read with the display's number reader
("một nghìn không trăm hai mươi ba"), so the kiosk and the hall's speaker say a number the same way.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from kiosk.i18n import Lang, printer_problem, priority_label, text
from kiosk.ui.controller import Screen, UiState
from motcua.speech.numbers import label_words, number_words
from motcua.speech.segments import Clip, Pause, Segment

#: Between the title and the choices, and between choices: long enough for an elderly listener to follow.
SENTENCE_GAP_MS = 500
WORD_GAP_MS = 40
#: A home screen with many services reads this many, then says there are more.
MAX_CHOICES = 8
_SILENT = "▶◀⌫|…"


@dataclass(frozen=True)
class Guidance:
    """What to say for one screen. `key` tells screens apart: the same key is not read twice in a row."""

    key: str
    sentences: tuple[str, ...]  # for logs and tests: what is said, in order
    script: tuple[Segment, ...]


def guidance(state: UiState) -> Guidance | None:
    """The guidance for the screen of `state` (None: nothing to say, e.g. while loading)."""
    lang = state.lang
    s = state

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    parts: list[str | list[str]] = []  # a sentence, or the words of a number (clips of single words)
    key = s.screen.value
    catalogue = s.catalogue
    match s.screen:
        case Screen.HOME if catalogue is not None:
            services = catalogue.services
            names = [(sv.name_en or sv.name) if lang is Lang.EN else sv.name for sv in services]
            if s.blocked is not None:  # the home screen's notice: no number can be issued now (issue 18.2)
                key += f":{s.blocked}"
                problem = printer_problem(s.printer.problem or "failed", lang)
                body = {"offline": "notice_offline_body", "coordinator": "notice_coordinator_body"}
                parts += [t("notice_blocked_title"), t(body.get(s.blocked, "notice_printer_body"), problem=problem)]
            key += ":ask" if s.asking else ""
            prompt = t("ask_prompt") if s.asking else t("home_prompt")
            parts += [prompt, *names[:MAX_CHOICES], t("booking"), t("search")]
        case Screen.SERVICE if catalogue is not None and s.service_id is not None:
            service = catalogue.service(s.service_id)
            if service is not None:
                key += f":{service.id}"
                name = (service.name_en or service.name) if lang is Lang.EN else service.name
                parts += [name, t("take_number")]
        case Screen.PROCEDURE if catalogue is not None and s.procedure_code is not None:
            procedure = catalogue.procedure(s.procedure_code)
            if procedure is not None:
                key += f":{procedure.code}"
                parts += [
                    (procedure.name_en or procedure.name) if lang is Lang.EN else procedure.name,
                    t("take_number"),
                ]
        case Screen.PRIORITY if catalogue is not None:
            categories = catalogue.catalogue.priority_categories
            regular = f"{t('priority_none')} — {t('priority_none_sub')}"  # "KHÔNG" and, under it, "Lấy số thường"
            parts += [t("priority_title"), *(priority_label(c, lang) for c in categories), regular]
        case Screen.WORKING:
            parts.append(t("working"))
        case Screen.TICKET if s.result is not None and s.result.ticket is not None:
            ticket = s.result.ticket
            key += f":{ticket.id}"
            parts.append(t("voice_your_number"))
            try:
                parts.append(label_words(ticket.label) if lang is Lang.VI else [ticket.label])
            except ValueError:
                parts.append(number_words(ticket.number))
            counters = sorted(set(ticket.counters))
            if counters:
                parts.append(t("voice_counters"))
                for index, counter in enumerate(counters):
                    if index:
                        parts.append("và" if lang is Lang.VI else "and")
                    parts.append(number_words(counter) if lang is Lang.VI else [str(counter)])
            parts.append(t("take_ticket"))
        case Screen.PRINT_FAILED if s.result is not None and s.result.ticket is not None:
            # The number stands (issue 18.3): said like the ticket's, then the two choices; nothing cancels it.
            ticket = s.result.ticket
            key += f":{ticket.id}"
            parts += [t("print_failed_title", problem=printer_problem(s.result.problem or "failed", lang))]
            parts.append(t("voice_your_number"))
            try:
                parts.append(label_words(ticket.label) if lang is Lang.VI else [ticket.label])
            except ValueError:
                parts.append(number_words(ticket.number))
            parts += [t("print_failed_valid"), t("print_failed_help"), t("reprint"), t("remembered")]
        case Screen.MESSAGE if s.message is not None:
            key += f":{s.message.title}"
            parts += [s.message.title, s.message.body]
        case Screen.ID_CARD:
            parts += [t("idcard_title"), t("idcard_offer"), t("idcard_accept"), t("idcard_decline")]
        case Screen.BOOKING:
            parts += [t("booking_title"), t("booking_hint" if s.camera_fitted else "booking_hint_typed")]
        case Screen.SEARCH:
            parts.append(t("search_prompt"))
        case Screen.RESULTS if catalogue is not None:
            key += f":{s.query}"
            found = catalogue.search(s.query) if s.query.strip() else []
            parts.append(t("search_count", n=len(found)) if found else t("search_none"))
        case _:
            return None
    key += f":{lang.value}"
    script: list[Segment] = []
    sentences: list[str] = []
    for part in parts:
        if script:
            script.append(Pause(SENTENCE_GAP_MS if isinstance(part, str) else WORD_GAP_MS * 4))
        if isinstance(part, str):
            sentence = speakable(part)
            sentences.append(sentence)
            script.append(Clip(sentence))
        else:
            sentences.append(" ".join(part))
            for index, word in enumerate(part):
                if index:
                    script.append(Pause(WORD_GAP_MS))
                script.append(Clip(word))
    return Guidance(key=key, sentences=tuple(sentences), script=tuple(script))


def speakable(sentence: str) -> str:
    """A screen text as said: NFC, lower case (a clip name; "LẤY SỐ" is not spelled out), no arrows or marks."""
    cleaned = "".join(" " if ch in _SILENT else ch for ch in unicodedata.normalize("NFC", sentence))
    return " ".join(cleaned.lower().split())
