"""The coverage tables `content check` prints: items by locale, theme and stage; services;
and per country what a woman there gets (emergency numbers, services, items about it)."""

from __future__ import annotations

from collections import Counter

from bot.content_files import FileLibrary
from bot.emergency import EmergencyNumbers, missing_member_states
from bot.languages import shipped_locales


def coverage(lib: FileLibrary) -> str:
    """Items x locales (reviewed / needing review) and services x countries, as text tables."""
    lines = ["items x locales (reviewed + needs_review = present of total)"]
    lines.append(f"{'locale':8}{'present':>9}{'reviewed':>10}{'review':>8}")
    total = len(lib.items)
    for locale in shipped_locales():
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


def country_report(lib: FileLibrary, emergency: dict[str, EmergencyNumbers]) -> str:
    """Per country: emergency number kinds, services (verified), items about it, and the
    oldest last-verified date among its numbers and services; then the UN member states
    with no emergency numbers on file."""
    services: dict[str, list] = {}
    for s in lib.services.values():
        services.setdefault(s.country, []).append(s)
    items = Counter(c for i in lib.items.values() for c in i.countries)
    countries = sorted(set(emergency) | {c for c in services if c != "INT"} | set(items))
    lines = ["per country: emergency numbers, services, country items, oldest last-verified date",
             f"{'country':8}{'emergency':<34}{'services':>9}{'verified':>9}{'items':>6}  last verified"]
    for code in countries:
        numbers = emergency.get(code)
        kinds = ",".join(sorted({n.kind for n in numbers.numbers})) if numbers else "-"
        entries = services.get(code, [])
        dates = [d for d in [numbers.last_verified if numbers else None,
                             *(s.last_verified for s in entries)] if d]
        oldest = min(dates).isoformat() if dates else "-"
        lines.append(f"{code:8}{kinds:<34}{len(entries):>9}{sum(s.verified for s in entries):>9}"
                     f"{items.get(code, 0):>6}  {oldest}")
    missing = missing_member_states(emergency)
    lines.append(f"{len(countries)} countries and territories; UN member states with no emergency numbers "
                 f"on file ({len(missing)}): {' '.join(missing) or 'none'} (HELP gives 112/911 there)")
    return "\n".join(lines)
