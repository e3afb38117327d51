"""`python -m bot content check`: is the library complete, sourced, plain and consistent?

Exits non-zero with one precise line per problem, and prints coverage tables either way.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config import SHIPPED_LOCALES, Settings
from bot.content_coverage import country_report, coverage
from bot.content_files import FileLibrary, read_library
from bot.content_model import Item, Service, Translation
from bot.emergency import read_emergency

# Plain-language thresholds per language. Words are longer in some languages (Indonesian
# affixes, Russian cases, French/Spanish articles joined) so each has its own long-word
# length; the share of such words and the mean sentence length are what a reader feels.
READABILITY = {
    #      (mean words per sentence, long-word length, max share of long words)
    "en": (16.0, 12, 0.06),
    "fr": (20.0, 13, 0.06),
    "es": (20.0, 13, 0.06),
    "ar": (18.0, 10, 0.10),
    "ru": (16.0, 13, 0.10),
    "id": (16.0, 13, 0.08),
}
_SENTENCE_END = re.compile(r"[.!?؟。]+(?:\s|$)|\n+")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{1,30}$")


@dataclass(frozen=True)
class Readability:
    sentences: int
    words: int
    mean_sentence: float
    long_share: float


def readability(text: str, locale: str) -> Readability:
    """Mean sentence length and long-word share; list markers and headings count as sentences."""
    long_len = READABILITY.get(locale, READABILITY["en"])[1]
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    words = _WORD.findall(text)
    n_words = len(words) or 1
    return Readability(
        sentences=len(sentences), words=len(words),
        mean_sentence=len(words) / max(1, len(sentences)),
        long_share=sum(1 for w in words if len(w) >= long_len) / n_words)


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
    for locale in SHIPPED_LOCALES:
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
    limit_sentence, _, limit_long = READABILITY[locale]
    r = readability(tr.body, locale)
    if r.mean_sentence > limit_sentence:
        problems.append(f"{where}: {locale}: sentences average {r.mean_sentence:.1f} words "
                        f"(plain language: at most {limit_sentence:.0f})")
    if r.long_share > limit_long:
        problems.append(f"{where}: {locale}: {r.long_share:.0%} long words "
                        f"(plain language: at most {limit_long:.0%})")
    return problems


def check_item(item: Item, all_ids: set[str]) -> list[str]:
    problems = []
    where = f"items/{item.id}.yaml"
    for locale in SHIPPED_LOCALES:
        tr = item.translations.get(locale)
        if tr is None:
            problems.append(f"{where}: translation '{locale}' is missing")
        else:
            problems.extend(check_translation(where, locale, tr))
    for locale in item.translations:
        if locale not in SHIPPED_LOCALES:
            problems.append(f"{where}: translation '{locale}' is not a shipped locale ({', '.join(SHIPPED_LOCALES)})")
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
    for locale in SHIPPED_LOCALES:
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
