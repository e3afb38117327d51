"""Languages at run time: gettext translators, which languages are offered, negotiation.

The translators start from the repository's compiled catalogs (locales/) and are then replaced
by what is published in the database (bot.ui_strings), whenever the content revision moves:
a language a CSO adds or withdraws through the admin API reaches every bot process within
seconds, without a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.config import ROOT
from bot.countries import country_name
from bot.languages import cldr_name, is_rtl, likely_locales, read_table, shipped_locales
from bot.ui_strings import read_template, translated_count, translations

if TYPE_CHECKING:
    from bot.library import Library

log = logging.getLogger(__name__)
DOMAIN = "messages"
SOURCE_LOCALE = "en"  # the language the code's strings are written in: always complete
MIN_ITEMS = 10  # published items a language needs before it is offered (LANGUAGE_MIN_ITEMS)

# old or regional codes phones still send
_ALIASES = {"in": "id", "iw": "he", "tl": "fil", "ind": "id", "ara": "ar", "rus": "ru", "amh": "am",
            "nep": "ne", "ben": "bn", "swa": "sw", "sin": "si", "hau": "ha"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (module-level labels)."""
    return message


def language_name(code: str, locales_dir: Path = ROOT / "locales") -> str:
    """The language's name as its speakers write it (locales/languages.yaml, else CLDR)."""
    return read_table(locales_dir).names.get(code) or cldr_name(code)


def negotiate(hint: str | None, available: tuple[str, ...] | None = None, default: str = "en") -> str:
    """Best offered locale for a client's language code (e.g. Telegram's 'fr-CA' -> 'fr')."""
    available = available if available is not None else shipped_locales()
    if not hint or not isinstance(hint, str) or len(hint) > 35:
        return default
    code = hint.strip().replace("-", "_")
    lang = code.split("_")[0].lower()
    code = _ALIASES.get(lang, lang) + code[len(lang):]
    found = negotiate_locale([code, code.split("_")[0]], list(available), sep="_")
    return found or default


def compile_catalogs(locales_dir: Path) -> None:
    """Compile any .po whose .mo is missing or older (set-up does it too; this keeps tests honest)."""
    for po in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)


class Translator:
    """gettext and ngettext for one locale, plus what adapters need to lay text out."""

    def __init__(self, locale: str, translations: NullTranslations, version: int = 0) -> None:
        self.locale = locale
        self._t = translations
        self.rtl = is_rtl(locale)
        self.version = version  # the published catalog's version (0: the repository's file)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def country(self, code: str | None) -> str:
        if not code or code == "INT":
            return self.gettext("International")
        return country_name(code, self.locale) or code


@dataclass(frozen=True)
class LanguageState:
    """Where one language stands against the rule for being offered (see `Catalogs.install`)."""

    locale: str
    name: str
    ui_published: bool
    ui_translated: int
    ui_total: int
    items: int
    items_needed: int
    allowed: bool
    offered: bool

    @property
    def missing(self) -> list[str]:
        """What it still needs, in words a translator reads."""
        out = []
        if not self.ui_published:
            out.append("its UI strings are not published")
        elif self.ui_translated < self.ui_total:
            out.append(f"{self.ui_total - self.ui_translated} of {self.ui_total} UI strings have no translation")
        if self.items < self.items_needed:
            out.append(f"{self.items} published items have a text in it; it needs {self.items_needed}")
        if not self.allowed:
            out.append("the deployment's LANGUAGES setting leaves it out")
        return out


class Catalogs:
    """The translators of every language, and which of them the bot offers now.

    Offered: English (the source) always; any other language once (1) its UI strings are
    published and every string of the template has a text, (2) at least `min_items` published
    items (all of them, in a smaller library) have a text in it, and (3) the deployment's
    `allowed` list (LANGUAGES), when set, names it. The shipped languages come first, in
    locales/languages.yaml's order, then the others by code.
    """

    def __init__(self, locales_dir: Path, locales: tuple[str, ...] | None = None, *, default: str = "en",
                 min_items: int = MIN_ITEMS, allowed: tuple[str, ...] = ()) -> None:
        compile_catalogs(locales_dir)
        self.locales_dir = locales_dir
        self.table = read_table(locales_dir)
        self.template = read_template(locales_dir)
        self.default = default
        self.min_items = min_items
        self.allowed = frozenset(allowed)
        files = locales if locales is not None else self.table.shipped
        self._translators: dict[str, Translator] = {}
        for loc in files:
            trans = Translations.load(str(locales_dir), [loc], domain=DOMAIN)
            if loc != SOURCE_LOCALE and not isinstance(trans, Translations):
                log.error("no compiled catalog for %s: run `make install`", loc)
            self._translators[loc] = Translator(loc, trans)
        self._names: dict[str, str] = {}
        self.locales: tuple[str, ...] = tuple(loc for loc in files if not self.allowed or loc in self.allowed
                                              or loc == SOURCE_LOCALE)
        self.states: list[LanguageState] = []

    def get(self, locale: str | None) -> Translator:
        return (self._translators.get(locale or self.default) or self._translators.get(self.default)
                or self._translators[SOURCE_LOCALE])

    def name(self, locale: str) -> str:
        return self._names.get(locale) or language_name(locale, self.locales_dir)

    def negotiate(self, hint: str | None) -> str:
        return negotiate(hint, self.locales, self.default if self.default in self.locales else SOURCE_LOCALE)

    def likely(self, country: str | None) -> str | None:
        """The offered language her number's country suggests most, or None (then the list)."""
        found = likely_locales(country, self.locales, self.table)
        return found[0] if found else None

    def install(self, library: Library) -> None:
        """Take the published UI strings and items of a new library snapshot: rebuild the
        translators whose catalog changed, and decide again which languages are offered."""
        if not library.ui:
            return  # a database without catalogs yet: keep the repository's files
        translators = {SOURCE_LOCALE: self._translators.get(SOURCE_LOCALE) or Translator(SOURCE_LOCALE, NullTranslations())}
        for loc, ui in library.ui.items():
            if loc == SOURCE_LOCALE:
                continue
            current = self._translators.get(loc)
            if current is not None and current.version == ui.version and ui.version:
                translators[loc] = current
                continue
            try:
                translators[loc] = Translator(loc, translations(ui.messages, loc), ui.version)
            except Exception as exc:  # noqa: BLE001 - a broken catalog is not offered; the others are
                log.error("UI catalog %s v%s cannot be compiled (%s); not offered", loc, ui.version,
                          type(exc).__name__)
        states = self._states(library, translators)
        self._names = {loc: ui.name for loc, ui in library.ui.items() if ui.name}
        self._translators = translators
        self.states = states
        self.locales = tuple(s.locale for s in states if s.offered)

    def _states(self, library: Library, translators: dict[str, Translator]) -> list[LanguageState]:
        shipped = [loc for loc in self.table.shipped if loc in library.ui or loc == SOURCE_LOCALE]
        codes = shipped + sorted(loc for loc in library.ui if loc not in shipped)
        needed = min(self.min_items, len(library.items))
        total = len(self.template)
        out = []
        for loc in codes:
            ui = library.ui.get(loc)
            source = loc == SOURCE_LOCALE
            translated = total if source else (translated_count(ui.messages, self.template) if ui else 0)
            items = len(library.items) if source else library.translated_count(loc)
            allowed = source or not self.allowed or loc in self.allowed
            offered = allowed and (source or (loc in translators and translated == total and items >= needed))
            name = (ui.name if ui and ui.name else None) or language_name(loc, self.locales_dir)
            out.append(LanguageState(loc, name, source or ui is not None, translated, total, items,
                                     needed, allowed, offered))
        return out


@lru_cache(maxsize=8)
def catalogs_for(locales_dir: str) -> Catalogs:
    return Catalogs(Path(locales_dir))
