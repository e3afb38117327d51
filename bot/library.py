"""The published library held in memory, so a turn that needs no write touches no database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.content_model import Item, Service
from bot.emergency import EmergencyNumber, EmergencyNumbers, numbers_for
from bot.search import SearchIndex

T = TypeVar("T")

# by what was indexed: a new snapshot of unchanged texts (every content refresh, every test) reuses it
_INDEXES: dict[tuple, SearchIndex] = {}
_INDEXES_KEPT = 64


def _index_of(docs: list[tuple[str, list[tuple[str, str]]]]) -> SearchIndex:
    """One language's index over (item id, fields); built once per distinct set of texts."""
    key = tuple((doc_id, tuple(fields)) for doc_id, fields in docs)
    index = _INDEXES.get(key)
    if index is None:
        index = SearchIndex()
        for doc_id, fields in docs:
            index.add(doc_id, fields)
        if len(_INDEXES) >= _INDEXES_KEPT:
            _INDEXES.pop(next(iter(_INDEXES)))
        _INDEXES[key] = index
    return index


@dataclass(frozen=True)
class PublishedUi:
    """One language's published UI strings (bot.ui_strings), as every bot process compiles them."""

    locale: str
    version: int
    name: str | None
    messages: dict = field(default_factory=dict)


@dataclass
class Library:
    """An immutable snapshot of what the bot may say; swapped whole when content is published."""

    items: dict[str, Item] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    revision: int = 0
    emergency: dict[str, EmergencyNumbers] = field(default_factory=dict)  # by country, from the database
    ui: dict[str, PublishedUi] = field(default_factory=dict)  # published UI strings, by language
    # what each entry was built from (version, time of the row's last change), so the next
    # snapshot re-reads only what changed: bot.content_repository.build_library
    stamps: dict[str, tuple] = field(default_factory=dict, repr=False, compare=False)
    _index: dict[str, SearchIndex] = field(default_factory=dict, repr=False)
    _views: dict[tuple, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        texts: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {}
        for item in self.items.values():
            for locale, tr in item.translations.items():
                texts.setdefault(locale, []).append((item.id, [
                    ("keywords", " ".join(tr.keywords)), ("title", tr.title), ("sms", tr.sms), ("body", tr.body)]))
        self._index = {locale: _index_of(docs) for locale, docs in texts.items()}

    def view(self, key: tuple, build: Callable[[], T]) -> T:
        """Something derived from this snapshot and the key alone (a topic's list in one
        language, for one stage and country), built on first use; a new snapshot starts
        empty. The keys are bounded by what they can be: languages x topics x stages x
        countries. Never for anything of hers."""
        try:
            return self._views[key]
        except KeyError:
            value = self._views[key] = build()
            return value

    def translated_count(self, locale: str) -> int:
        """How many published items have a text in this language."""
        return sum(1 for item in self.items.values() if locale in item.translations)

    def in_section(self, section: str, stage: str | None = None,
                   country: str | None = None) -> list[Item]:
        """Items of a section that fit her; those about her country first."""
        found = [i for i in self.items.values() if i.section == section and i.applies_to(stage, country)]
        return sorted(found, key=lambda i: not (country and country in i.countries))

    def search(self, locale: str, text: str, limit: int = 3, country: str | None = None) -> list[Item]:
        """Best matches; among them, items about her country first."""
        index = self._index.get(locale)
        if index is None:
            return []
        found = [self.items[i] for i in index.search(text, limit)]
        return sorted(found, key=lambda i: not (country and country in i.countries))

    def emergency_numbers(self, country: str | None) -> list[EmergencyNumber]:
        """The country's emergency numbers in the order HELP shows them."""
        return numbers_for(self.emergency, country)

    def services_in(self, country: str | None, *, emergency: bool | None = None,
                    category: str | None = None) -> list[Service]:
        """Services of a country (or international ones when country is None)."""
        code = country or "INT"
        return [s for s in self.services
                if s.country == code
                and (emergency is None or s.emergency == emergency)
                and (category is None or category in s.categories)]

    def countries(self) -> list[str]:
        """Countries the directory covers, so a woman can pick hers from a short list."""
        return sorted({s.country for s in self.services if s.country != "INT"})
