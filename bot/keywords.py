"""Words a woman can type from anywhere, in every shipped language.

Kept as data (locales/<code>/words.yaml) rather than gettext strings because each has several
spellings per language, native script and romanised, and the emergency words must work
whatever language the session is set to.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import ROOT
from bot.languages import shipped_locales
from bot.search import normalise, without_punctuation

KINDS = ("help", "menu", "lang", "delete", "stop", "more")


def read_words(locales_dir: Path = ROOT / "locales") -> dict[str, dict[str, tuple[str, ...]]]:
    """kind -> locale -> words, from every shipped language's words.yaml (danger words included)."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for locale in shipped_locales(locales_dir):
        path = locales_dir / locale / "words.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        for kind, found in (data or {}).items():
            out.setdefault(kind, {})[locale] = tuple(str(w) for w in found or ())
    return out


KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = read_words()


def _clean(text: str) -> str:
    return " ".join(without_punctuation(normalise(text)).split())


_INDEX: dict[str, dict[str, str]] = {}  # kind -> normalised word -> locale
for _kind in KINDS:
    _by_locale = KEYWORDS.get(_kind, {})
    for _locale, _words in _by_locale.items():
        for _word in _words:
            _INDEX.setdefault(_kind, {}).setdefault(_clean(_word), _locale)


def match(kind: str, text: str) -> str | None:
    """The locale whose keyword of this kind the whole message is, or None."""
    return _INDEX[kind].get(_clean(text))


def emergency(text: str) -> str | None:
    """Locale of an emergency word in a short message ('help', 'AYUDA!', 'tolong saya')."""
    cleaned = _clean(text)
    if cleaned in _INDEX["help"]:
        return _INDEX["help"][cleaned]
    words = cleaned.split()
    if 0 < len(words) <= 4:
        for n in (2, 1):
            for i in range(len(words) - n + 1):
                found = _INDEX["help"].get(" ".join(words[i:i + n]))
                if found:
                    return found
    return None


def words(kind: str, locale: str) -> tuple[str, ...]:
    return KEYWORDS[kind].get(locale, KEYWORDS[kind]["en"])
