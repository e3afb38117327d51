"""Every shipped language is complete: no English left in a non-English reply."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.config import ROOT
from bot.i18n import Catalogs, negotiate
from bot.languages import shipped_locales

PO = {loc: ROOT / "locales" / loc / "LC_MESSAGES" / "messages.po" for loc in shipped_locales()}


def _catalog(locale: str):
    with Path(PO[locale]).open("rb") as f:
        return read_po(f, locale=locale)


@pytest.mark.parametrize("locale", [loc for loc in shipped_locales() if loc != "en"])
def test_every_ui_string_is_translated(locale):
    catalog = _catalog(locale)
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{locale}: {len(missing)} untranslated, e.g. {missing[:3]}"
    assert not fuzzy, f"{locale}: fuzzy entries need review: {fuzzy[:3]}"


def test_catalogs_match_the_template():
    with (ROOT / "locales" / "messages.pot").open("rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    for locale in shipped_locales():
        ids = {m.id for m in _catalog(locale) if m.id}
        assert template <= ids, f"{locale} lacks {sorted(template - ids)[:3]}: run `make messages`"


def test_plural_forms_follow_the_language():
    t = Catalogs(ROOT / "locales")
    assert t.get("ar").ngettext("I found this:", "I found these:", 2)
    assert _catalog("ar").num_plurals == 6
    assert _catalog("ru").num_plurals == 3


@pytest.mark.parametrize("hint,expected", [
    ("fr-CA", "fr"), ("fr", "fr"), ("es-419", "es"), ("ar", "ar"), ("ru-RU", "ru"),
    ("in", "id"), ("id", "id"), ("pt-BR", "en"), ("", "en"), (None, "en"), ("x" * 100, "en"),
    ("zz-ZZ", "en"), ("!!", "en"),
])
def test_negotiate_locale_from_client_hint(hint, expected):
    assert negotiate(hint) == expected


def test_country_names_are_localized():
    t = Catalogs(ROOT / "locales")
    assert t.get("fr").country("PH") == "Philippines"
    assert t.get("ar").country("SA") == "المملكة العربية السعودية"
    assert t.get("ar").rtl and not t.get("ru").rtl
