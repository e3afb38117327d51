"""`python -m bot content check`: is the library complete, sourced, plain and consistent?

Exits non-zero with one precise line per problem, and prints coverage tables either way.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections import Counter
from dataclasses import dataclass

from bot.config import SHIPPED_LOCALES, Settings
from bot.content_files import FileLibrary, read_library
from bot.content_model import Item

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


def check_item(item: Item, all_ids: set[str]) -> list[str]:
    problems = []
    where = f"items/{item.id}.yaml"
    for locale in SHIPPED_LOCALES:
        tr = item.translations.get(locale)
        if tr is None:
            problems.append(f"{where}: translation '{locale}' is missing")
            continue
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


def check_library(lib: FileLibrary, today: dt.date | None = None) -> list[str]:
    today = today or dt.date.today()
    problems = list(lib.errors)
    ids = set(lib.items)
    for item in lib.items.values():
        problems.extend(check_item(item, ids))
        if item.last_reviewed and item.last_reviewed > today:
            problems.append(f"items/{item.id}.yaml: last_reviewed is in the future")
    for service in lib.services.values():
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
    if not lib.items:
        problems.append("content/items: no items")
    return problems


def coverage(lib: FileLibrary) -> str:
    """Items x locales (reviewed / needing review) and services x countries, as text tables."""
    lines = ["items x locales (reviewed + needs_review = present of total)"]
    lines.append(f"{'locale':8}{'present':>9}{'reviewed':>10}{'review':>8}")
    total = len(lib.items)
    for locale in SHIPPED_LOCALES:
        present = [i.translations[locale] for i in lib.items.values() if locale in i.translations]
        reviewed = sum(1 for t in present if t.status == "reviewed")
        lines.append(f"{locale:8}{len(present):>5}/{total:<3}{reviewed:>10}{len(present) - reviewed:>8}")
    themes = Counter(i.theme for i in lib.items.values())
    stages = Counter(s for i in lib.items.values() for s in i.stages)
    lines.append("themes: " + ", ".join(f"{k} {v}" for k, v in sorted(themes.items())))
    lines.append("stages: " + ", ".join(f"{k} {v}" for k, v in sorted(stages.items())))
    lines.append("")
    lines.append("services x countries")
    lines.append(f"{'country':8}{'entries':>8}{'verified':>10}{'emergency':>11}")
    by_country: dict[str, list] = {}
    for s in lib.services.values():
        by_country.setdefault(s.country, []).append(s)
    for country in sorted(by_country):
        entries = by_country[country]
        lines.append(f"{country:8}{len(entries):>8}{sum(s.verified for s in entries):>10}"
                     f"{sum(s.emergency for s in entries):>11}")
    return "\n".join(lines)


def main(settings: Settings) -> int:
    lib = read_library(settings.content_dir)
    problems = check_library(lib)
    print(coverage(lib))
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    print(f"\ncontent check passed: {len(lib.items)} items, {len(lib.services)} services")
    return 0
