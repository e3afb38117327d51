"""`python -m bot content check`: is the library complete, sourced, plain and consistent?

Exits non-zero with one precise line per problem, and prints coverage tables either way.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config import Settings
from bot.content_coverage import country_report, coverage
from bot.content_files import FileLibrary, read_library
from bot.content_model import Item, Service, Translation
from bot.emergency import read_emergency
from bot.languages import DEFAULT_READABILITY, DEFAULT_SMS_SEGMENTS, read_table, shipped_locales
from bot.search import WORD_CHARS
from bot.sms_encoding import segment_count, to_gsm

# Plain-language thresholds per language (mean words per sentence, long-word length, max
# share of long words) are data: locales/languages.yaml. Sentences end at . ! ? and at the
# Arabic question mark, the Devanagari/Bengali danda and the Ethiopic full stop and question mark.
READABILITY = read_table().readability
SMS_SEGMENTS = read_table().sms_segments
_SENTENCE_END = re.compile(r"(?:[.!?؟。]+(?:\s|$))|[।॥።፧]+|\n+")
_WORD = re.compile(f"[{WORD_CHARS}]+")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{1,30}$")


def _letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


@dataclass(frozen=True)
class Readability:
    sentences: int
    words: int
    mean_sentence: float
    long_share: float


def readability(text: str, locale: str) -> Readability:
    """Mean sentence length and long-word share; list markers and headings count as sentences."""
    long_len = READABILITY.get(locale, DEFAULT_READABILITY)[1]
    sentences = [s for s in _SENTENCE_END.split(text) if _letters(s)]
    words = [w for w in _WORD.findall(text) if _letters(w)]
    n_words = len(words) or 1
    return Readability(
        sentences=len(sentences), words=len(words),
        mean_sentence=len(words) / max(1, len(sentences)),
        long_share=sum(1 for w in words if _length(w) >= long_len) / n_words)


def _length(word: str) -> int:
    """Letters a reader sees: a vowel sign or virama joined to a consonant is not one more."""
    return sum(1 for ch in word if not unicodedata.category(ch).startswith("M") and ch not in "\u200c\u200d")


class GlossaryTerm(BaseModel):
    """One term of a locale's glossary: the word(s) to use, the variants to avoid, and why."""

    model_config = ConfigDict(extra="forbid")
    term: str = Field(min_length=1)          # the English term (or concept) this entry is about
    use: list[str] = Field(min_length=1)     # the chosen word(s) in this locale
    avoid: list[str] = Field(default_factory=list)  # machine-checked: never in this locale's texts
    why: str = Field(min_length=3)


class Glossary(BaseModel):
    """content/glossary/<locale>.yaml: the scope rule's patterns and the term list of one locale."""

    model_config = ConfigDict(extra="forbid")
    locale: str
    status: Literal["reviewed", "needs_review"] = "needs_review"
    enforce_scope: bool = False   # scope rule fails the check (else it is only listed as a warning)
    enforce_terms: bool = True    # an `avoid` string fails the check (else it is only a warning)
    cites: list[str] = Field(min_length=1)          # regexes: the text cites a binding instrument
    scope_phrases: list[str] = Field(min_length=1)  # substrings: the text says where it applies
    terms: list[GlossaryTerm] = Field(default_factory=list)

    @field_validator("cites")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from exc
        return value

    def citation(self, text: str) -> str | None:
        """The first citation of a convention, protocol or treaty in the text, if any."""
        for pattern in self.cites:
            m = re.search(pattern, text)
            if m:
                return m.group(0)
        return None

    def has_scope(self, text: str) -> bool:
        folded = text.casefold()
        return any(phrase.casefold() in folded for phrase in self.scope_phrases)

    def avoided(self, text: str) -> list[tuple[str, GlossaryTerm]]:
        """(avoided string, its term) for every `avoid` string in the text, case-insensitively."""
        folded = text.casefold()
        return [(a, t) for t in self.terms for a in t.avoid if a.casefold() in folded]


@dataclass
class Findings:
    """Problems fail the check; warnings are printed (rules a locale has not switched on yet)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, enforced: bool, message: str) -> None:
        (self.problems if enforced else self.warnings).append(message)


def read_glossaries(content_dir: Path, errors: list[str]) -> dict[str, Glossary]:
    """content/glossary/<locale>.yaml for every locale that has one; broken files are reported."""
    out: dict[str, Glossary] = {}
    for path in sorted((content_dir / "glossary").glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            glossary = Glossary.model_validate(data)
        except yaml.YAMLError as exc:
            errors.append(f"{path}: not valid YAML: {exc}")
            continue
        except ValidationError as exc:
            errors.extend(f"{path}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            continue
        if glossary.locale != path.stem:
            errors.append(f"{path}: locale must be the file name ({path.stem})")
            continue
        out[glossary.locale] = glossary
    return out


def check_scope(where: str, locale: str, texts: dict[str, str], glossary: Glossary, found: Findings) -> None:
    """Scope rule: a text (body, SMS form) that cites a convention also says where it applies."""
    for part, text in texts.items():
        cited = glossary.citation(text)
        if cited and not glossary.has_scope(text):
            found.add(glossary.enforce_scope,
                      f"{where}: {locale}: {part} cites '{cited}' but has no scope sentence "
                      f"(say where it applies, e.g. '{glossary.scope_phrases[0]}'; see content/README.md)")


def check_terms(where: str, locale: str, texts: dict[str, str], glossary: Glossary, found: Findings) -> None:
    """Glossary rule: no `avoid` string of the locale's glossary in any of its texts."""
    for part, text in texts.items():
        for avoided, term in glossary.avoided(text):
            found.add(glossary.enforce_terms,
                      f"{where}: {locale}: {part} uses '{avoided}' (glossary '{term.term}': use "
                      f"{' / '.join(repr(u) for u in term.use)})")


def check_glossaries(lib: FileLibrary, glossaries: dict[str, Glossary]) -> Findings:
    """The scope rule over every item, and every glossary's `avoid` list over items and services."""
    found = Findings()
    for locale in shipped_locales():
        if locale not in glossaries:
            found.problems.append(f"glossary/{locale}.yaml is missing")
    for item in lib.items.values():
        for locale, tr in item.translations.items():
            glossary = glossaries.get(locale)
            if glossary is None:
                continue
            texts = {"title": tr.title, "body": tr.body, "sms": tr.sms}
            check_scope(f"items/{item.id}.yaml", locale, {"body": tr.body, "sms": tr.sms}, glossary, found)
            check_terms(f"items/{item.id}.yaml", locale, texts, glossary, found)
    for service in lib.services.values():
        for locale, text in service.description.items():
            glossary = glossaries.get(locale)
            if glossary is not None:
                check_terms(f"services/{service.country.lower()}.yaml: {service.id}", locale,
                            {"description": text}, glossary, found)
    return found


def check_translation(where: str, locale: str, tr: Translation) -> list[str]:
    """Keywords present and the body within the plain-language limits of its language."""
    problems = []
    if not tr.keywords:
        problems.append(f"{where}: {locale}: no keywords, so search cannot find it")
    limit_sentence, _, limit_long = READABILITY.get(locale, DEFAULT_READABILITY)
    r = readability(tr.body, locale)
    if r.mean_sentence > limit_sentence:
        problems.append(f"{where}: {locale}: sentences average {r.mean_sentence:.1f} words "
                        f"(plain language: at most {limit_sentence:.0f})")
    if r.long_share > limit_long:
        problems.append(f"{where}: {locale}: {r.long_share:.0%} long words "
                        f"(plain language: at most {limit_long:.0%})")
    budget = SMS_SEGMENTS.get(locale, DEFAULT_SMS_SEGMENTS)
    if sms_segments(tr.sms) > budget:
        problems.append(f"{where}: {locale}: the SMS form takes {sms_segments(tr.sms)} SMS "
                        f"(at most {budget} in this language: locales/languages.yaml)")
    return problems


def sms_segments(text: str) -> int:
    """Billed SMS of a text as the gateways send it (GSM-7 look-alikes swapped in first)."""
    return segment_count(to_gsm(text))


def segments_table(lib: FileLibrary, locales: tuple[str, ...]) -> str:
    """Items x languages: how many SMS each item's SMS form takes ('-': no translation)."""
    width = max((len(i) for i in lib.items), default=10) + 1
    lines = ["SMS segments: items x languages (an item's SMS form, as sent)",
             f"{'item':{width}}" + "".join(f"{loc:>4}" for loc in locales)]
    for item_id in sorted(lib.items):
        trs = lib.items[item_id].translations
        cells = [str(sms_segments(trs[loc].sms)) if loc in trs else "-" for loc in locales]
        lines.append(f"{item_id:{width}}" + "".join(f"{c:>4}" for c in cells))
    return "\n".join(lines)


def check_item(item: Item, all_ids: set[str]) -> list[str]:
    problems = []
    where = f"items/{item.id}.yaml"
    for locale in shipped_locales():
        tr = item.translations.get(locale)
        if tr is None:
            problems.append(f"{where}: translation '{locale}' is missing")
        else:
            problems.extend(check_translation(where, locale, tr))
    for locale in item.translations:
        if locale not in shipped_locales():
            problems.append(f"{where}: translation '{locale}' is not a shipped locale ({', '.join(shipped_locales())})")
    if "en" in item.translations and item.translations["en"].status != "reviewed":
        problems.append(f"{where}: en: the source text must be reviewed by a person")
    for rel in item.related:
        if rel == item.id:
            problems.append(f"{where}: related: refers to itself")
        elif rel not in all_ids:
            problems.append(f"{where}: related: '{rel}' is not an item")
    return problems


def check_service(service: Service, today: dt.date) -> list[str]:
    problems = []
    where = f"services/{service.country.lower()}.yaml: {service.id}"
    for locale in shipped_locales():
        if not (service.description.get(locale) or "").strip():
            problems.append(f"{where}: description '{locale}' is missing")
    if service.phone and not _PHONE.match(service.phone):
        problems.append(f"{where}: phone '{service.phone}' is not a phone number")
    if not service.phone and not service.url:
        problems.append(f"{where}: needs a phone or a url")
    if service.verified and not (service.source and service.last_verified):
        problems.append(f"{where}: verified entries need a source and last_verified")
    if service.last_verified and service.last_verified > today:
        problems.append(f"{where}: last_verified is in the future")
    return problems


def check_library(lib: FileLibrary, today: dt.date | None = None) -> list[str]:
    today = today or dt.date.today()
    problems = list(lib.errors)
    ids = set(lib.items)
    for item in lib.items.values():
        problems.extend(check_item(item, ids))
        if item.last_reviewed and item.last_reviewed > today:
            problems.append(f"items/{item.id}.yaml: last_reviewed is in the future")
    for service in lib.services.values():
        problems.extend(check_service(service, today))
    if not lib.items:
        problems.append("content/items: no items")
    return problems


def main(settings: Settings) -> int:
    lib = read_library(settings.content_dir)
    problems = check_library(lib)
    glossary_errors: list[str] = []
    glossaries = read_glossaries(settings.content_dir, glossary_errors)
    found = check_glossaries(lib, glossaries)
    problems.extend(glossary_errors + found.problems)
    emergency, emergency_problems = read_emergency(settings.content_dir)
    problems.extend(emergency_problems)
    print(coverage(lib))
    print()
    print(segments_table(lib, shipped_locales(settings.locales_dir)))
    print()
    print(country_report(lib, emergency))
    if found.warnings:
        print(f"\n{len(found.warnings)} warning(s), from rules not yet switched on for a locale "
              "(enforce_scope / enforce_terms in content/glossary/<locale>.yaml):")
        for w in found.warnings:
            print(f"  {w}")
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"\ncontent check passed: {len(lib.items)} items, {len(lib.services)} services, "
          f"emergency numbers for {len(emergency)} countries and territories")
    return 0
