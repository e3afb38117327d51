"""Which languages exist, what they are called, and which one a phone number suggests.

Data, not code: the shipped languages and their order come from locales/languages.yaml, the
likely language of a country from locales/likely.yaml and CLDR (through Babel). Which of them
the bot offers right now is decided by the published catalogs and content (bot.i18n.Catalogs,
rule in `offered`), so a CSO adds a language through the admin API without a release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError
from babel.languages import get_territory_language_info

from bot.config import ROOT

LIKELY_MIN_SHARE = 10.0  # percent of a country's people, in CLDR, for its language to be guessed
_CODE = re.compile(r"^[a-z]{2,3}$")
DEFAULT_READABILITY = (18.0, 13, 0.10)  # a language added through the API, until it has its own
DEFAULT_SMS_SEGMENTS = 4


@dataclass(frozen=True)
class LanguageTable:
    """locales/languages.yaml and locales/likely.yaml, read once."""

    shipped: tuple[str, ...]
    names: dict[str, str] = field(default_factory=dict)
    readability: dict[str, tuple[float, int, float]] = field(default_factory=dict)
    sms_segments: dict[str, int] = field(default_factory=dict)  # an item's SMS form, at most
    likely: dict[str, tuple[str, ...]] = field(default_factory=dict)


@lru_cache(maxsize=4)
def read_table(locales_dir: Path = ROOT / "locales") -> LanguageTable:
    data = yaml.safe_load((locales_dir / "languages.yaml").read_text(encoding="utf-8")) or {}
    shipped = data.get("shipped") or {}
    likely_path = locales_dir / "likely.yaml"
    likely = (yaml.safe_load(likely_path.read_text(encoding="utf-8")) or {}).get("likely", {}) \
        if likely_path.exists() else {}
    return LanguageTable(
        shipped=tuple(shipped),
        names={code: str(v["name"]) for code, v in shipped.items()},
        readability={code: tuple(v["readability"]) for code, v in shipped.items() if v.get("readability")},
        sms_segments={code: int(v["sms"]) for code, v in shipped.items() if v.get("sms")},
        likely={country: tuple(codes) for country, codes in likely.items()},
    )


def shipped_locales(locales_dir: Path = ROOT / "locales") -> tuple[str, ...]:
    """The languages of the repository's default catalogs, in the language list's order."""
    return read_table(locales_dir).shipped


def is_language(code: str) -> bool:
    """A language code CLDR knows (so it has plural rules, a direction and a name)."""
    if not isinstance(code, str) or not _CODE.match(code):
        return False
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


@lru_cache(maxsize=256)
def cldr_name(code: str) -> str:
    """The language's own name in CLDR, capitalised ('français' -> 'Français')."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=256)
def is_rtl(code: str) -> bool:
    try:
        return Locale.parse(code).character_order == "right-to-left"
    except (UnknownLocaleError, ValueError):
        return False


def likely_locales(country: str | None, offered: tuple[str, ...], table: LanguageTable) -> tuple[str, ...]:
    """The offered languages her number's country suggests, most likely first (may be empty)."""
    if not country:
        return ()
    listed = table.likely.get(country.upper())
    if listed is not None:
        return tuple(code for code in listed if code in offered)
    try:
        info = get_territory_language_info(country.upper())
    except (KeyError, ValueError):
        return ()
    ranked = sorted(((v.get("population_percent") or 0.0, code.split("_")[0]) for code, v in info.items()),
                    reverse=True)
    found = [code for share, code in ranked if share >= LIKELY_MIN_SHARE and code in offered]
    return tuple(dict.fromkeys(found))
