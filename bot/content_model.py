"""The content model shared by the files in content/, the database, the bot and the admin API."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SECTIONS = ("rights", "risks", "before_you_go")
THEMES = ("fair_recruitment", "contracts", "documents", "work", "trafficking", "gbv", "health",
          "money", "return", "safe_use")
STAGES = ("thinking", "preparing", "transit", "destination", "returning")
SERVICE_CATEGORIES = ("emergency", "legal_aid", "shelter", "health", "gbv_support", "counselling",
                      "work_wages", "documents", "money", "return", "trafficking", "information")
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
TITLE_MAX = 60
SMS_MAX = 300

Section = Literal["rights", "risks", "before_you_go"]
Theme = Literal["fair_recruitment", "contracts", "documents", "work", "trafficking", "gbv", "health",
                "money", "return", "safe_use"]
Stage = Literal["thinking", "preparing", "transit", "destination", "returning"]
Category = Literal["emergency", "legal_aid", "shelter", "health", "gbv_support", "counselling",
                   "work_wages", "documents", "money", "return", "trafficking", "information"]
TranslationStatus = Literal["reviewed", "needs_review"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=3, max_length=300)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=500)


class Translation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: TranslationStatus = "needs_review"
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=6000)
    sms: str = Field(min_length=1, max_length=SMS_MAX)
    keywords: list[str] = Field(default_factory=list, max_length=40)
    # hash of the English text this translation was made from; differs once English changes
    source_hash: str | None = None

    @field_validator("title", "body", "sms")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class Item(BaseModel):
    """One information item, exactly as in content/items/<id>.yaml."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    section: Section
    theme: Theme
    stages: list[Stage] = Field(min_length=1)
    countries: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    gcm_objectives: list[int] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    last_reviewed: dt.date | None = None
    translations: dict[str, Translation] = Field(min_length=1)

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        import re
        for code in value:
            if not re.fullmatch(COUNTRY_PATTERN, code):
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 code")
        return value

    @field_validator("gcm_objectives")
    @classmethod
    def _gcm(cls, value: list[int]) -> list[int]:
        for n in value:
            if not 1 <= n <= 23:
                raise ValueError(f"GCM has objectives 1 to 23, not {n}")
        return value

    def text(self, locale: str, fallback: str = "en") -> Translation:
        return self.translations.get(locale) or self.translations[fallback]

    def applies_to(self, stage: str | None, country: str | None) -> bool:
        """An item shows when it fits her stage and country, or when she has not said them."""
        if stage and stage not in self.stages:
            return False
        if country and self.countries and country not in self.countries:
            return False
        return True


class ServiceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")
    name: str = Field(min_length=2, max_length=200)
    categories: list[Category] = Field(min_length=1)
    emergency: bool = False
    phone: str | None = Field(default=None, max_length=40)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=300)
    hours: str | None = Field(default=None, max_length=100)
    languages: list[str] = Field(default_factory=list)
    women_only: bool = False
    lgbtiq_friendly: bool = False
    verified: bool = False
    source: str | None = Field(default=None, max_length=300)
    last_verified: dt.date | None = None
    description: dict[str, str] = Field(default_factory=dict)


class Service(ServiceEntry):
    """A directory entry with its country, as the bot and the API see it."""

    country: str = Field(pattern=r"^([A-Z]{2}|INT)$")


class ServicesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str = Field(pattern=r"^([A-Z]{2}|INT)$")
    services: list[ServiceEntry]


def data_hash(data: object) -> str:
    """The fingerprint of JSON-like data: the same data, in any key order, the same hash."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def source_hash(translation: Translation | dict) -> str:
    """Fingerprint of a source text, so translations made from an older text show as outdated."""
    data = translation if isinstance(translation, dict) else translation.model_dump()
    raw = json.dumps([data.get("title"), data.get("body"), data.get("sms")], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def item_to_data(item: Item) -> dict:
    """JSON-ready dict (dates as ISO strings), the form stored in the database."""
    return item.model_dump(mode="json", exclude_none=True)
