"""Languages: Babel gettext catalogs from locales/, locale negotiation, names of countries."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.config import RTL_LOCALES, SHIPPED_LOCALES
from bot.countries import country_name

log = logging.getLogger(__name__)
DOMAIN = "messages"

# language names as their speakers write them: the language menu must be readable to all
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "fr": "Français", "es": "Español", "ar": "العربية", "ru": "Русский",
    "id": "Bahasa Indonesia",
}
# old or regional codes phones still send
_ALIASES = {"in": "id", "iw": "he", "fil": "tl", "ind": "id", "ara": "ar", "rus": "ru"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (module-level labels)."""
    return message


def negotiate(hint: str | None, available: tuple[str, ...] = SHIPPED_LOCALES,
              default: str = "en") -> str:
    """Best shipped locale for a client's language code (e.g. Telegram's 'fr-CA' -> 'fr')."""
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

    def __init__(self, locale: str, translations: Translations) -> None:
        self.locale = locale
        self._t = translations
        self.rtl = locale in RTL_LOCALES

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)

    def country(self, code: str | None) -> str:
        if not code or code == "INT":
            return self.gettext("International")
        return country_name(code, self.locale) or code


class Catalogs:
    """All shipped translators, loaded once at start-up."""

    def __init__(self, locales_dir: Path, locales: tuple[str, ...] = SHIPPED_LOCALES) -> None:
        compile_catalogs(locales_dir)
        self.locales = locales
        self._translators: dict[str, Translator] = {}
        for loc in locales:
            trans = Translations.load(str(locales_dir), [loc], domain=DOMAIN)
            if loc != "en" and not isinstance(trans, Translations):
                log.error("no compiled catalog for %s: run `make install`", loc)
            self._translators[loc] = Translator(loc, trans)  # type: ignore[arg-type]

    def get(self, locale: str | None) -> Translator:
        return self._translators.get(locale or "en") or self._translators["en"]


@lru_cache(maxsize=8)
def catalogs_for(locales_dir: str) -> Catalogs:
    return Catalogs(Path(locales_dir))
