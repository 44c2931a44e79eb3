"""What the kiosk offers, as received from the coordinator (the retained ``catalogue`` topic), and the search
over it. Pure: no MQTT, no screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.text import fold, words
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
    _index: list[tuple[Procedure, str, list[str], str]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._services = {s.id: s for s in self.catalogue.services}
        for procedure in self.catalogue.procedures:
            self._by_code[procedure.code] = procedure
            name = fold(procedure.name)
            extra = " ".join([procedure.code, fold(procedure.name_en or ""), fold(procedure.field)])
            self._index.append((procedure, name, words(procedure.name), extra))

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
        """Procedures matching `query`, insensitive to accents and case; best first.

        "dang ky khai sinh" finds "Thủ tục đăng ký khai sinh" (the phrase, first), then "đăng ký lại khai sinh"
        (every word, in any order). A procedure code ("1.001193", or its start) finds that procedure.
        """
        return [p for _, p in sorted(self._scored(query), key=lambda item: item[0])][:limit]

    def _scored(self, query: str) -> list[tuple[tuple[int, int, int], Procedure]]:
        phrase = " ".join(words(query))
        terms = phrase.split()
        if not terms:
            return []
        results = []
        for position, (procedure, name, name_words, extra) in enumerate(self._index):
            folded_name = " ".join(name_words)
            if procedure.code.startswith(phrase):
                results.append(((0, 0, position), procedure))
            elif (at := _word_start(folded_name, phrase)) >= 0:
                results.append(((1, at, position), procedure))
            elif all(any(w.startswith(t) for w in name_words) for t in terms):
                results.append(((2, 0, position), procedure))
            elif all(t in name or t in extra for t in terms):
                results.append(((3, 0, position), procedure))
        return results


def _word_start(text: str, phrase: str) -> int:
    """Where `phrase` starts at a word boundary in `text` (the last word may be a prefix), or -1."""
    start = 0
    while (at := text.find(phrase, start)) >= 0:
        if at == 0 or text[at - 1] == " ":
            return at
        start = at + 1
    return -1
