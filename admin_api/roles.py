"""Roles, what each may do, and the country scope of an organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "editor", "reviewer", "analyst", "responder"]
ROLES: tuple[str, ...] = ("admin", "editor", "reviewer", "analyst", "responder")

# Who may call what. Every route names one of these, and tests/admin_api checks every route
# against every role, so a route cannot be added without deciding who may use it.
EVERYONE: tuple[str, ...] = ROLES
READ_CONTENT: tuple[str, ...] = ("admin", "editor", "reviewer")  # drafts included
EDIT: tuple[str, ...] = ("editor",)  # items, translations, services, import
SUBMIT: tuple[str, ...] = ("editor", "reviewer")  # draft -> in review, restore an old version
REVIEW: tuple[str, ...] = ("reviewer",)  # approve (publish), reject, archive, mark translations reviewed
READ_FEEDBACK: tuple[str, ...] = ("admin", "analyst")  # aggregated feedback, with small counts suppressed
MANAGE_KEYS: tuple[str, ...] = ("admin",)
READ_AUDIT: tuple[str, ...] = ("admin",)
RESPOND: tuple[str, ...] = ("responder",)  # the inbox: read, claim, answer, note, close, canned answers
INBOX_SETTINGS: tuple[str, ...] = ("admin",)  # answer time, working hours, languages, webhook


@dataclass(frozen=True)
class Actor:
    """The caller, resolved from a bearer key: who (key prefix), for which organisation, as what."""

    key_id: int
    prefix: str
    role: str
    org_id: int
    org_name: str
    countries: tuple[str, ...]  # empty: every country

    def may_touch_countries(self, countries: list[str] | tuple[str, ...]) -> bool:
        """An item fits a limited organisation only when all its countries are the organisation's."""
        if not self.countries:
            return True
        return bool(countries) and set(countries) <= set(self.countries)

    def may_touch_country(self, country: str) -> bool:
        """A service fits when its country is one of the organisation's (INT only for unlimited ones)."""
        return not self.countries or country in self.countries
