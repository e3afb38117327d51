"""UI strings as data: the template the code uses, PO files in and out, checks, translators.

The code marks its strings (gettext, `N_`); `make messages` writes them to locales/messages.pot,
the template. A language's UI strings are a mapping msgid -> text (a list of texts for plural
forms), kept in the database (table ui_catalogs, edited through the admin API with the same
draft -> review -> published workflow as content) and compiled in memory by every bot process
when published. The repository's locales/<code>/LC_MESSAGES/messages.po are the reviewed
defaults loaded into an empty database, like content/.
"""

from __future__ import annotations

import io
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from bot.content_model import data_hash

Messages = dict[str, str | list[str]]
PO_HEADER = ("# The safe-migration bot's UI strings, from its admin API (GET /api/v1/ui-strings/<code>/po).\n"
             "# Translate each msgstr in plain words; keep {placeholders} and the words in CAPITALS she types.\n"
             "# Send it back with PUT /api/v1/ui-strings/<code>/po: a reviewer then publishes it.")
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%\([A-Za-z_]+\)[sd]")


@dataclass(frozen=True)
class TemplateEntry:
    msgid: str
    plural: str | None  # msgid_plural, for ngettext strings


@lru_cache(maxsize=4)
def read_template(locales_dir: Path) -> dict[str, TemplateEntry]:
    """Every string the code uses (locales/messages.pot), by msgid."""
    with (locales_dir / "messages.pot").open("rb") as f:
        catalog = read_po(f)
    out = {}
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            out[m.id[0]] = TemplateEntry(m.id[0], m.id[1])
        else:
            out[m.id] = TemplateEntry(m.id, None)
    return out


PLURAL_FORMS = ""  # the key under which Messages keep a catalog's Plural-Forms rule, as PO does
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d)")


def plural_forms(messages: Messages, locale: str) -> str:
    """The catalog's own Plural-Forms rule (from its PO header), else CLDR's for the language."""
    rule = messages.get(PLURAL_FORMS)
    return rule if isinstance(rule, str) and _NPLURALS.search(rule) else Catalog(locale=locale).plural_forms


def plural_count(messages: Messages, locale: str) -> int:
    return int(_NPLURALS.search(plural_forms(messages, locale)).group(1))  # type: ignore[union-attr]


def _catalog(locale: str, rule: str, **kw: object) -> Catalog:
    catalog = Catalog(locale=locale, **kw)  # type: ignore[arg-type]
    catalog.mime_headers = [("Plural-Forms", rule)]  # Babel takes nplurals and the expression from it
    return catalog


def parse_po(data: bytes, locale: str) -> Messages:
    """A PO file's translated strings (fuzzy and empty ones are left out: they need a translator)."""
    catalog = read_po(io.BytesIO(data), locale=locale)
    out: Messages = {PLURAL_FORMS: catalog.plural_forms}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple):
            forms = [s for s in (m.string or ())]
            if any(s.strip() for s in forms):
                out[m.id[0]] = list(forms)
        elif isinstance(m.string, str) and m.string.strip():
            out[m.id] = m.string
    return out


def to_po(messages: Messages, locale: str, template: dict[str, TemplateEntry], name: str = "") -> bytes:
    """The template filled with a language's strings: for translators' own tools (Poedit, Weblate...)."""
    catalog = _catalog(locale, plural_forms(messages, locale), project="safe-migration-bot",
                       language_team=name or None, header_comment=PO_HEADER)
    for entry in template.values():
        have = messages.get(entry.msgid)
        if entry.plural:
            forms = have if isinstance(have, list) else [""] * catalog.num_plurals
            catalog.add((entry.msgid, entry.plural), tuple(forms))
        else:
            catalog.add(entry.msgid, have if isinstance(have, str) else "")
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    return out.getvalue()


def problems(messages: Messages, locale: str, template: dict[str, TemplateEntry]) -> dict[str, str]:
    """msgid -> what is wrong with its text: unknown, wrong plural forms, placeholders changed."""
    n_plurals = plural_count(messages, locale)
    found = {msgid: _problem(msgid, text, template, n_plurals) for msgid, text in messages.items()}
    return {msgid: problem for msgid, problem in found.items() if problem}


def _problem(msgid: str, text: object, template: dict[str, TemplateEntry], n_plurals: int) -> str | None:
    if msgid == PLURAL_FORMS:
        ok = isinstance(text, str) and _NPLURALS.search(text)
        return None if ok else "the Plural-Forms rule needs nplurals=N; plural=..."
    entry = template.get(msgid)
    if entry is None:
        return "not a string the bot uses (see GET /ui-strings/template)"
    if entry.plural and (not isinstance(text, list) or len(text) != n_plurals):
        return f"needs a list of {n_plurals} plural forms"
    if not entry.plural and not isinstance(text, str):
        return "needs one text, not a list"
    want = set(PLACEHOLDER.findall(msgid))
    for form in text if isinstance(text, list) else [text]:
        if not isinstance(form, str) or not form.strip():
            return "is empty"
        if len(form) > 4000:
            return "is longer than 4000 characters"
        have = set(PLACEHOLDER.findall(form))
        # a plural form may leave out the number ("one hour"), never add an unknown one
        if not have <= want or (not entry.plural and have != want):
            return f"must keep the placeholders {', '.join(sorted(want)) or '(none)'} exactly"
    return None


def missing(messages: Messages, template: dict[str, TemplateEntry]) -> list[str]:
    """The template's strings this language has no text for, in the template's order."""
    return [msgid for msgid in template if msgid not in messages]


def translated_count(messages: Messages, template: dict[str, TemplateEntry]) -> int:
    return sum(1 for msgid in template if msgid in messages)


_COMPILED: OrderedDict[tuple[str, str], Translations] = OrderedDict()  # the last few compiled
_COMPILED_KEEP = 64


def translations(messages: Messages, locale: str) -> Translations:
    """Compiled in memory: a gettext Translations a Translator can use at once. The same
    strings are compiled once (every process start and content refresh installs them all);
    a Translations is only read from, so one object serves them all."""
    key = (locale, data_hash(messages))
    if key in _COMPILED:
        _COMPILED.move_to_end(key)
        return _COMPILED[key]
    compiled = _compile(messages, locale)
    _COMPILED[key] = compiled
    if len(_COMPILED) > _COMPILED_KEEP:
        _COMPILED.popitem(last=False)
    return compiled


def _compile(messages: Messages, locale: str) -> Translations:
    catalog = _catalog(locale, plural_forms(messages, locale))
    for msgid, text in messages.items():
        if msgid == PLURAL_FORMS:
            continue
        if isinstance(text, list):
            catalog.add((msgid, msgid), tuple(text))  # the plural msgid is irrelevant to lookups
        else:
            catalog.add(msgid, text)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain="messages")


_PARSED: dict[tuple[str, int, int], Messages] = {}  # by file name, size and mtime, as content/ is


def read_file_catalog(locales_dir: Path, locale: str) -> Messages:
    """A shipped language's default strings, from locales/<code>/LC_MESSAGES/messages.po
    (parsed once while the file is unchanged: every start of an empty database reads them)."""
    path = locales_dir / locale / "LC_MESSAGES" / "messages.po"
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _PARSED:
        _PARSED[key] = parse_po(path.read_bytes(), locale)
    return dict(_PARSED[key])
