"""The answer she gets when something behind the engine fails: from memory only.

Whatever is down (Redis, the database, a bug), an inbound message gets a short reply in her
language if we can tell it (her message's emergency or command word, her phone's language
code), else the deployment's default; and an emergency word always gets the emergency
numbers of her country (her SIM's country on SMS, else the deployment's HELP countries),
which live in the in-memory library. Nothing here reads the session store or the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot import keywords
from bot.conversation import Reply
from bot.emergency import numbers_for
from bot.i18n import N_, Catalogs, negotiate
from bot.labels import ANY_MOBILE, KIND_LABELS
from bot.library import Library

SORRY = N_("Sorry, we cannot answer fully right now. Please try again in a few minutes. If you are in danger, send HELP.")


@dataclass(frozen=True)
class Fallback:
    """What a channel needs to answer without the engine."""

    library: Callable[[], Library]
    catalogs: Catalogs
    default_locale: str
    help_countries: Callable[[], tuple[str, ...]]

    def locale_for(self, text: str | None, hint: str | None) -> str:
        for kind in ("help", "menu", "stop", "more", "lang", "delete"):
            found = (keywords.emergency(text) if kind == "help" else keywords.match(kind, text)) if text else None
            if found and found in self.catalogs.locales:
                return found
        return negotiate(hint, self.catalogs.locales, self.default_locale) if hint else self.default_locale

    def reply(self, text: str | None, *, locale_hint: str | None = None, country: str | None = None) -> Reply:
        locale = self.locale_for(text, locale_hint)
        t = self.catalogs.get(locale)
        if text and keywords.emergency(text):
            return Reply(self.emergency_text(locale, country), locale)
        return Reply(t.gettext(SORRY), locale)

    def emergency_text(self, locale: str, country: str | None) -> str:
        t = self.catalogs.get(locale)
        lines = [t.gettext("If you are in danger now, call the emergency number of the country you are in.")]
        emergency = self.library().emergency
        countries = [country] if country and numbers_for(emergency, country) else list(self.help_countries())
        for code in countries:
            numbers = numbers_for(emergency, code)
            if numbers:
                lines.append("\n".join([t.gettext("Emergency numbers in {country}:").format(country=t.country(code)),
                                        *(f"{t.gettext(KIND_LABELS[n.kind])}: {n.number}" for n in numbers)]))
        lines.append(t.gettext(ANY_MOBILE))
        return "\n\n".join(lines)
