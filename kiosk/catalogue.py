"""What the kiosk offers, as received from the coordinator (the retained ``catalogue`` topic), and the search
over it. Pure: no MQTT, no screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.text import words
from motcua.contract import Catalogue, Procedure, ServiceInfo
from motcua.text import nfc


@dataclass(frozen=True)
class FieldGroup:
    """The procedures of one field (lĩnh vực) of a service."""

    name: str
    procedures: tuple[Procedure, ...]


@dataclass
class CatalogueView:
    """A received catalogue, indexed for the screens: services, procedures by code, an accent-free search."""

    catalogue: Catalogue
    _by_code: dict[str, Procedure] = field(init=False, default_factory=dict)
    _services: dict[str, ServiceInfo] = field(init=False, default_factory=dict)
    _entries: list[_Entry] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._services = {s.id: s for s in self.catalogue.services}
        for procedure in self.catalogue.procedures:
            self._by_code[procedure.code] = procedure
            self._entries.append(_entry(procedure))

    @property
    def services(self) -> list[ServiceInfo]:
        return list(self.catalogue.services)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._by_code)

    def service(self, service_id: str) -> ServiceInfo | None:
        return self._services.get(service_id)

    def procedure(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def procedures_of(self, service_id: str) -> list[FieldGroup]:
        """The service's procedures grouped by field, fields in the service's order, names in catalogue order."""
        service = self._services.get(service_id)
        mine = [p for p in self.catalogue.procedures if p.service == service_id]
        order = list(service.fields) if service else []
        for procedure in mine:
            if procedure.field not in order:
                order.append(procedure.field)
        groups = []
        for name in order:
            members = tuple(p for p in mine if p.field == name)
            if members:
                groups.append(FieldGroup(nfc(name), members))
        return groups

    def search(self, query: str, limit: int = 50) -> list[Procedure]:
        """Procedures matching `query` the way people type it, best first; insensitive to accents and case.

        A code (or its start) finds that procedure. Otherwise every word counts on its own ("lam khai sinh"
        finds "đăng ký khai sinh": two of three words), in the name, the procedure's `keywords` ("giấy khai sinh",
        "độc thân"), its English name and field; words run together ("khaisinh") and one typo in a word of four
        letters or more ("khai sihn") are forgiven. Ranked by: the whole query being a keyword or a phrase of the
        name, then how many words matched (typos count less), then the shorter name.
        """
        return [p for _, p in sorted(self._scored(query), key=lambda item: item[0])][:limit]

    def _scored(self, query: str) -> list[tuple[tuple[float, ...], Procedure]]:
        terms = words(query)
        if not terms:
            return []
        phrase = " ".join(terms)
        results = []
        for position, entry in enumerate(self._entries):
            procedure = entry.procedure
            if procedure.code.startswith(phrase):
                results.append(((0, 0.0, 0, position), procedure))
                continue
            whole = any(_word_start(k, phrase) == 0 and len(k) <= len(phrase) + 1 for k in entry.keywords)
            in_name = _word_start(" ".join(entry.name_words), phrase) >= 0 and len(terms) > 1
            score = _match_score(terms, entry)
            if score <= 0:
                continue
            tier = 1 if whole else 2 if in_name else 3
            results.append(((tier, -score, entry.length, position), procedure))
        best = min((key[1] for key, _ in results if key[0] > 0), default=0.0)
        return [(key, p) for key, p in results if key[0] <= 1 or key[1] <= best / 2]


@dataclass(frozen=True)
class _Entry:
    procedure: Procedure
    name_words: tuple[str, ...]
    keywords: tuple[str, ...]  # folded phrases
    other_words: frozenset[str]  # keywords', English name's and field's words

    @property
    def length(self) -> int:
        """Words in the name, without a leading "Thủ tục" (some names have it, some not)."""
        return len(self.name_words) - (2 if self.name_words[:2] == ("thu", "tuc") else 0)


def _entry(procedure: Procedure) -> _Entry:
    keywords = tuple(" ".join(words(k)) for k in procedure.keywords)
    other = {w for k in keywords for w in k.split()}
    other |= set(words(procedure.name_en or "")) | set(words(procedure.field))
    return _Entry(procedure, tuple(words(procedure.name)), keywords, frozenset(other))


#: Words in nearly every procedure's name: matching only these says nothing about which procedure is meant.
_COMMON = frozenset({"thu", "tuc", "dang", "ky", "cap", "giay", "lam", "xin", "cho", "ve", "va", "cua", "the"})


def _match_score(terms: list[str], entry: _Entry) -> float:
    """How well the typed words match a procedure: 1 a word found (or the start of one, for the word being
    typed), 0.7 a word with one typo; words run together are split against the name. 0: nothing useful."""
    vocabulary = set(entry.name_words) | entry.other_words
    score = 0.0
    useful = False
    everything = True
    for index, term in enumerate(terms):
        last = index == len(terms) - 1
        value = 0.0
        if term in vocabulary or (last and any(w.startswith(term) for w in vocabulary)):
            value = 1.0
        elif (joined := _joined_words(term, entry)) > 0:
            value = float(joined)
        elif len(term) >= 4 and any(_one_edit(term, w) for w in vocabulary if len(w) >= 4 and w not in _COMMON):
            value = 0.7
        if value > 0:
            score += value
            useful = useful or term not in _COMMON
        else:
            everything = False
    # Only common words ("thu tuc dang ky"): a match only if every one of them is there.
    return score if useful or everything else 0.0


def _joined_words(term: str, entry: _Entry) -> int:
    """How many consecutive words of the name or a keyword `term` spells without its spaces ("khaisinh"), or 0."""
    if len(term) < 5:
        return 0
    for sequence in (entry.name_words, *(tuple(k.split()) for k in entry.keywords)):
        for start in range(len(sequence)):
            joined = ""
            for end in range(start, len(sequence)):
                joined += sequence[end]
                if joined == term and end > start:
                    return end - start + 1
                if len(joined) >= len(term):
                    break
    return 0


def _one_edit(a: str, b: str) -> bool:
    """`a` and `b` differ by one letter changed, added, removed, or two neighbours swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) != 1:
        return False
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))


def _word_start(text: str, phrase: str) -> int:
    """Where `phrase` starts at a word boundary in `text` (the last word may be a prefix), or -1."""
    start = 0
    while (at := text.find(phrase, start)) >= 0:
        if at == 0 or text[at - 1] == " ":
            return at
        start = at + 1
    return -1
