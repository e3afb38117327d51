"""The published library held in memory, so a turn that needs no write touches no database."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.content_model import Item, Service
from bot.search import SearchIndex


@dataclass
class Library:
    """An immutable snapshot of what the bot may say; swapped whole when content is published."""

    items: dict[str, Item] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    revision: int = 0
    _index: dict[str, SearchIndex] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for item in self.items.values():
            for locale, tr in item.translations.items():
                index = self._index.setdefault(locale, SearchIndex())
                index.add(item.id, [("keywords", " ".join(tr.keywords)), ("title", tr.title),
                                    ("sms", tr.sms), ("body", tr.body)])

    def in_section(self, section: str, stage: str | None = None,
                   country: str | None = None) -> list[Item]:
        return [i for i in self.items.values() if i.section == section and i.applies_to(stage, country)]

    def search(self, locale: str, text: str, limit: int = 3) -> list[Item]:
        index = self._index.get(locale)
        if index is None:
            return []
        return [self.items[i] for i in index.search(text, limit)]

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
