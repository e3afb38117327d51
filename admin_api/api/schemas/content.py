"""What the content routes take and give: items, translations, versions and diffs.

Request bodies derive from `ApiModel` (unknown fields and unstorable characters are 422);
responses are built from a database row with `ItemOut.of` and `ItemSummary.of`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from admin_api.api.common import ApiModel, Versioned
from admin_api.api.deps import aware
from admin_api.content_ops import TranslationState, WorkflowStatus, is_live, translation_states, working_data
from bot.content_model import ID_PATTERN, SMS_MAX, TITLE_MAX, Item, Section, Source, Stage, Theme, Translation
from bot.models import ContentItem


class TranslationView(Translation):
    """A translation as stored, with its review status and the English it was made from."""


class ItemOut(BaseModel):
    id: str
    section: str
    theme: str
    stages: list[str]
    countries: list[str]
    related: list[str]
    gcm_objectives: list[int]
    sources: list[Source]
    last_reviewed: dt.date | None
    translations: dict[str, TranslationView]
    status: WorkflowStatus
    version: int
    published_version: int | None = Field(description="the version the bot serves, if any")
    live: bool = Field(description="whether the bot serves a published version of this item")
    updated_at: dt.datetime
    updated_by: str

    @classmethod
    def of(cls, row: ContentItem) -> ItemOut:
        """The working copy of a row, with its workflow state."""
        return cls(**working_data(row), status=row.status, version=row.version,  # type: ignore[arg-type]
                   published_version=row.published_version, live=is_live(row),
                   updated_at=aware(row.updated_at), updated_by=row.updated_by)  # type: ignore[arg-type]


class ItemSummary(BaseModel):
    id: str
    section: str
    theme: str
    stages: list[str]
    countries: list[str]
    title: str
    status: WorkflowStatus
    version: int
    published_version: int | None
    live: bool
    translations: dict[str, TranslationState]
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: ContentItem, locale: str | None) -> ItemSummary:
        """One line of a list, titled in `locale` (else English, else any language it has)."""
        trs = row.translations or {}
        tr = trs.get(locale or "en") or trs.get("en") or next(iter(trs.values()), {})
        return cls(id=row.id, section=row.section, theme=row.theme, stages=list(row.stages or []),
                   countries=list(row.countries or []), title=tr.get("title", ""),
                   status=row.status, version=row.version,  # type: ignore[arg-type]
                   published_version=row.published_version, live=is_live(row),
                   translations={s["locale"]: s["state"] for s in translation_states(trs)},
                   updated_at=aware(row.updated_at))  # type: ignore[arg-type]


class ItemPage(BaseModel):
    total: int
    items: list[ItemSummary]


class ItemIn(ApiModel, Item):
    """A new item in the content model; every translation starts as needing review."""


class ItemPatch(Versioned):
    """Item metadata; translations are edited per locale with PUT .../translations/{locale}."""

    section: Section | None = None
    theme: Theme | None = None
    stages: list[Stage] | None = Field(default=None, min_length=1)
    countries: list[str] | None = None
    related: list[Annotated[str, Field(pattern=ID_PATTERN)]] | None = Field(default=None, max_length=20)
    gcm_objectives: list[int] | None = None
    sources: list[Source] | None = Field(default=None, min_length=1)
    last_reviewed: dt.date | None = None


class TranslationIn(Versioned):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=6000)
    sms: str = Field(min_length=1, max_length=SMS_MAX)
    keywords: list[Annotated[str, Field(max_length=60)]] | None = Field(
        default=None, max_length=40, description="omit to keep the current keywords")


class TranslationStatusOut(BaseModel):
    locale: str
    state: TranslationState
    outdated: bool = Field(description="made from an older English text")


class OutdatedOut(BaseModel):
    kind: Literal["item", "language"] = Field(
        default="item", description="an item's text, or a language the bot does not offer yet (item_id empty)")
    item_id: str
    locale: str
    state: TranslationState
    outdated: bool
    title: str
    needs: list[str] = Field(default_factory=list, description="language rows: what it needs before the bot offers it")


class VersionOut(BaseModel):
    version: int
    status: str | None
    author: str
    summary: str
    created_at: dt.datetime


class VersionDetail(VersionOut):
    snapshot: dict[str, Any]


class Change(BaseModel):
    field: str
    before: Any = None
    after: Any = None


class DiffOut(BaseModel):
    item_id: str
    from_version: int
    to_version: int
    changes: list[Change]
