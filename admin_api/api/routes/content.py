"""Content items: search, read, create, edit per locale, workflow, versions, translation status.

Writes name the version they were based on (`version` in the body or If-Match); a stale write
is refused with 409 and the current version. Every write records a ContentVersion and an
audit event in the same transaction. Publishing bumps the content revision, so every running
bot swaps in the new library within `CONTENT_REFRESH_SECONDS`; this process does at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Text, cast, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import (ApiModel, IfMatch, Limit, Offset, Q, Versioned, check_version, claim,
                                  expected_version, send_etag)
from admin_api.api.deps import CtxDep, SessionDep, aware, require
from admin_api.audit import audit
from admin_api.content_ops import (TranslationState, WorkflowStatus, comparable, diff,
                                   put_translation, stamp_new_item, translation_states,
                                   working_data)
from admin_api.errors import VersionConflict, body_validation_error, field_error, not_found
from admin_api.roles import EDIT, READ_CONTENT, REVIEW, SUBMIT, Actor
from bot.app import AppContext
from bot.config import SHIPPED_LOCALES
from bot.content_model import (ID_PATTERN, SMS_MAX, TITLE_MAX, Item, Section, Source, Stage, Theme,
                               Translation)
from bot.content_repository import apply_item, bump_revision, publish_row, record_version
from bot.models import ContentItem, ContentVersion, utcnow

router = APIRouter(tags=["content"])
Reader = Annotated[Actor, Depends(require(*READ_CONTENT))]
Editor = Annotated[Actor, Depends(require(*EDIT))]
Submitter = Annotated[Actor, Depends(require(*SUBMIT))]
Reviewer = Annotated[Actor, Depends(require(*REVIEW))]
ItemId = Annotated[str, Path(pattern=ID_PATTERN, max_length=40)]
Locale = Literal["en", "fr", "es", "ar", "ru", "id"]
LocalePath = Annotated[Locale, Path()]
VersionNo = Annotated[int, Path(ge=1, le=2**31 - 1)]
assert set(SHIPPED_LOCALES) == set(Locale.__args__)  # type: ignore[attr-defined]


# -- schemas -----------------------------------------------------------------------------

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
    item_id: str
    locale: str
    state: TranslationState
    outdated: bool
    title: str


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


# -- helpers -----------------------------------------------------------------------------

def item_out(row: ContentItem) -> ItemOut:
    data = working_data(row)
    return ItemOut(**data, status=row.status, version=row.version,  # type: ignore[arg-type]
                   published_version=row.published_version, live=is_live(row),
                   updated_at=aware(row.updated_at), updated_by=row.updated_by)  # type: ignore[arg-type]


def is_live(row: ContentItem) -> bool:
    return row.published_version is not None and row.status != "archived"


def _summary(row: ContentItem, locale: str | None) -> ItemSummary:
    trs = row.translations or {}
    tr = trs.get(locale or "en") or trs.get("en") or next(iter(trs.values()), {})
    return ItemSummary(id=row.id, section=row.section, theme=row.theme, stages=list(row.stages or []),
                       countries=list(row.countries or []), title=tr.get("title", ""),
                       status=row.status, version=row.version,  # type: ignore[arg-type]
                       published_version=row.published_version, live=is_live(row),
                       translations={s["locale"]: s["state"] for s in translation_states(trs)},
                       updated_at=aware(row.updated_at))  # type: ignore[arg-type]


async def load_item(session: AsyncSession, actor: Actor, item_id: str) -> ContentItem:
    """The row if it exists and is within the caller's countries; 404 otherwise, alike."""
    row = await session.get(ContentItem, item_id)
    if row is None or not actor.may_touch_countries(row.countries or []):
        raise not_found("item")
    return row


def _check_countries(actor: Actor, countries: list[str]) -> None:
    if not actor.may_touch_countries(countries):
        allowed = ", ".join(actor.countries)
        raise field_error(("body", "countries"),
                          f"your organisation may only edit items for {allowed}: list one or more of them")


def _validated(data: dict[str, Any]) -> Item:
    try:
        return Item.model_validate(data)
    except ValidationError as exc:
        raise body_validation_error(exc) from None


async def _save(session: AsyncSession, row: ContentItem, actor: Actor, action: str, summary: str,
                detail: dict[str, Any]) -> None:
    """Stamp, version, audit: the same for every change of an item."""
    row.updated_by, row.updated_at = actor.prefix, utcnow()
    await session.flush()
    record_version(session, row, actor.prefix, summary)
    audit(session, actor, action, "item", row.id, {**detail, "version": row.version})


async def _publish_done(ctx: AppContext) -> None:
    """After a commit that changed what the bot serves: this process serves it at once."""
    await ctx.content.refresh()


# -- reads -------------------------------------------------------------------------------

@router.get("/items", response_model=ItemPage)
async def list_items(actor: Reader, session: SessionDep, limit: Limit = 50, offset: Offset = 0,
                     theme: Theme | None = None, section: Section | None = None,
                     stage: Stage | None = None,
                     country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
                     locale: Locale | None = None,
                     status_: Annotated[WorkflowStatus | None, Query(alias="status")] = None,
                     q: Q = None) -> ItemPage:
    """Search and filter the working copies the caller may see; `locale` also picks the title shown."""
    stmt = select(ContentItem).options(defer(ContentItem.published)).order_by(ContentItem.id)
    words = q.casefold().split() if q else []
    for word in words:
        if word.isascii():  # a cheap pre-filter in SQL; the exact match on the text follows below
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(cast(ContentItem.translations, Text).ilike(f"%{escaped}%", escape="\\"))
    if theme:
        stmt = stmt.where(ContentItem.theme == theme)
    if section:
        stmt = stmt.where(ContentItem.section == section)
    if status_:
        stmt = stmt.where(ContentItem.status == status_)
    found = []
    for row in (await session.scalars(stmt)).all():
        if not actor.may_touch_countries(row.countries or []):
            continue
        if stage and stage not in (row.stages or []):
            continue
        if country and row.countries and country not in row.countries:
            continue
        trs = row.translations or {}
        if locale and locale not in trs:
            continue
        if words:
            texts = [trs[locale]] if locale else list(trs.values())
            haystack = " ".join(" ".join([t.get("title", ""), t.get("body", ""), t.get("sms", ""),
                                          " ".join(t.get("keywords") or [])]) for t in texts).casefold()
            if not all(w in haystack for w in words):
                continue
        found.append(row)
    return ItemPage(total=len(found), items=[_summary(r, locale) for r in found[offset:offset + limit]])


@router.get("/items/{item_id}", response_model=ItemOut)
async def get_item(item_id: ItemId, actor: Reader, session: SessionDep, response: Response) -> ItemOut:
    """The working copy with its workflow state; the ETag is the version to send back on a write."""
    row = await load_item(session, actor, item_id)
    send_etag(response, row.version)
    return item_out(row)


@router.get("/items/{item_id}/published", response_model=Item)
async def get_published(item_id: ItemId, actor: Reader, session: SessionDep) -> Item:
    """Exactly what the bot serves now (404 when nothing of this item is live)."""
    row = await load_item(session, actor, item_id)
    if not is_live(row):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this item has no published version")
    return Item.model_validate(row.published)


# -- writes ------------------------------------------------------------------------------

@router.post("/items", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
async def create_item(body: ItemIn, actor: Editor, session: SessionDep, response: Response) -> ItemOut:
    """A new draft; the bot serves it only once a reviewer approves it."""
    if "en" not in body.translations:
        raise field_error(("body", "translations", "en"), "an item needs an English text to translate from")
    _check_countries(actor, body.countries)
    item = Item.model_validate(body.model_dump())
    row = ContentItem(id=item.id, version=1, status="draft", updated_by=actor.prefix, updated_at=utcnow())
    apply_item(row, stamp_new_item(item))
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise VersionConflict(None, f"item {item.id}") from None
    record_version(session, row, actor.prefix, "created")
    audit(session, actor, "item.create", "item", row.id, {"version": 1, "locales": sorted(item.translations)})
    await session.commit()
    send_etag(response, row.version)
    return item_out(row)


@router.patch("/items/{item_id}", response_model=ItemOut)
async def update_item(item_id: ItemId, body: ItemPatch, actor: Editor, session: SessionDep,
                      response: Response, if_match: IfMatch = None) -> ItemOut:
    """Change item metadata; the item becomes a draft until reviewed again (the bot keeps the old one)."""
    expected = expected_version(body.version, if_match)
    row = await load_item(session, actor, item_id)
    check_version(row.version, expected, "item")
    before = working_data(row)
    changes = body.model_dump(exclude_unset=True, exclude={"version"}, mode="json")
    data = {**before, **changes}
    _validated(data)
    if "countries" in changes:
        _check_countries(actor, data["countries"])
    row.version = await claim(session, ContentItem, row.id, expected, "item")
    apply_item(row, data)
    row.status = "draft"
    fields = sorted(changes)
    await _save(session, row, actor, "item.update", "changed " + ", ".join(fields), {"fields": fields})
    await session.commit()
    send_etag(response, row.version)
    return item_out(row)


@router.put("/items/{item_id}/translations/{locale}", response_model=ItemOut)
async def put_item_translation(item_id: ItemId, locale: LocalePath, body: TranslationIn, actor: Editor,
                               session: SessionDep, response: Response, if_match: IfMatch = None) -> ItemOut:
    """Write one locale's text; it needs review, and other locales show as outdated if English changed."""
    expected = expected_version(body.version, if_match)
    row = await load_item(session, actor, item_id)
    check_version(row.version, expected, "item")
    try:
        keywords = body.keywords
        if keywords is None:
            keywords = list(((row.translations or {}).get(locale) or {}).get("keywords") or [])
        new = Translation(title=body.title, body=body.body, sms=body.sms, keywords=keywords)
    except ValidationError as exc:
        raise body_validation_error(exc) from None
    before = (row.translations or {}).get(locale) or {}
    changed = [f for f in ("title", "body", "sms", "keywords") if before.get(f) != getattr(new, f)]
    data = working_data(row)
    data["translations"] = put_translation(data["translations"], locale, new)
    _validated(data)
    row.version = await claim(session, ContentItem, row.id, expected, "item")
    apply_item(row, data)
    row.status = "draft"
    await _save(session, row, actor, "translation.update", f"{locale}: changed " + (", ".join(changed) or "nothing"),
                {"locale": locale, "fields": changed})
    await session.commit()
    send_etag(response, row.version)
    return item_out(row)


@router.post("/items/{item_id}/translations/{locale}/review", response_model=ItemOut)
async def review_translation(item_id: ItemId, locale: LocalePath, actor: Reviewer, session: SessionDep,
                             response: Response, body: Versioned | None = None,
                             if_match: IfMatch = None) -> ItemOut:
    """A reviewer confirms one locale's text matches the current English and reads well."""
    expected = expected_version(body.version if body else None, if_match)
    row = await load_item(session, actor, item_id)
    check_version(row.version, expected, "item")
    data = working_data(row)
    tr = data["translations"].get(locale)
    if tr is None:
        raise not_found(f"{locale} translation")
    en = data["translations"].get("en")
    from admin_api.content_ops import english_hash

    tr["status"] = "reviewed"
    tr["source_hash"] = english_hash(data["translations"]) if en else tr.get("source_hash")
    row.version = await claim(session, ContentItem, row.id, expected, "item")
    apply_item(row, data)
    await _save(session, row, actor, "translation.review", f"{locale}: marked reviewed", {"locale": locale})
    await session.commit()
    send_etag(response, row.version)
    return item_out(row)


TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    # action: (statuses it may start from, status it leads to)
    "submit": (("draft",), "in_review"),
    "approve": (("in_review",), "published"),
    "reject": (("in_review",), "draft"),
    "archive": (("draft", "in_review", "published"), "archived"),
}


async def _transition(action: str, ctx: AppContext, item_id: str, actor: Actor, session: AsyncSession,
                      response: Response, body: Versioned | None, if_match: str | None) -> ItemOut:
    expected = expected_version(body.version if body else None, if_match)
    row = await load_item(session, actor, item_id)
    check_version(row.version, expected, "item")
    sources, target = TRANSITIONS[action]
    if row.status not in sources:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"cannot {action} an item that is {row.status.replace('_', ' ')}; "
                            f"only from: {', '.join(s.replace('_', ' ') for s in sources)}")
    _validated(working_data(row))
    row.version = await claim(session, ContentItem, row.id, expected, "item")
    live_changes = action in ("approve", "archive")
    if action == "approve":
        publish_row(row)
    elif action == "archive":
        row.status = target
        row.published, row.published_version = None, None
    else:
        row.status = target
    await _save(session, row, actor, f"item.{action}", action, {"status": row.status})
    if live_changes:
        await bump_revision(session)
    await session.commit()
    if live_changes:
        await _publish_done(ctx)
    send_etag(response, row.version)
    return item_out(row)


@router.post("/items/{item_id}/submit", response_model=ItemOut)
async def submit_item(item_id: ItemId, ctx: CtxDep, actor: Submitter, session: SessionDep, response: Response,
                      body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """Draft -> in review: ask a reviewer to check it."""
    return await _transition("submit", ctx, item_id, actor, session, response, body, if_match)


@router.post("/items/{item_id}/approve", response_model=ItemOut)
async def approve_item(item_id: ItemId, ctx: CtxDep, actor: Reviewer, session: SessionDep, response: Response,
                       body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """In review -> published: the bot serves this version within seconds, no restart."""
    return await _transition("approve", ctx, item_id, actor, session, response, body, if_match)


@router.post("/items/{item_id}/reject", response_model=ItemOut)
async def reject_item(item_id: ItemId, ctx: CtxDep, actor: Reviewer, session: SessionDep, response: Response,
                      body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """In review -> draft: send it back to the editor; the bot keeps serving what it served."""
    return await _transition("reject", ctx, item_id, actor, session, response, body, if_match)


@router.post("/items/{item_id}/archive", response_model=ItemOut)
async def archive_item(item_id: ItemId, ctx: CtxDep, actor: Reviewer, session: SessionDep, response: Response,
                       body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """Withdraw an item: the bot stops serving it at once; its history stays and can be restored."""
    return await _transition("archive", ctx, item_id, actor, session, response, body, if_match)


# -- versions ----------------------------------------------------------------------------

async def _version_row(session: AsyncSession, item_id: str, number: int) -> ContentVersion:
    row = await session.scalar(select(ContentVersion).where(
        ContentVersion.item_id == item_id, ContentVersion.version == number)
        .order_by(ContentVersion.id.desc()).limit(1))
    if row is None:
        raise not_found("version")
    return row


@router.get("/items/{item_id}/versions", response_model=list[VersionOut])
async def list_versions(item_id: ItemId, actor: Reader, session: SessionDep) -> list[VersionOut]:
    """Every saved state, newest first: who, when and a summary of what changed."""
    await load_item(session, actor, item_id)
    rows = (await session.scalars(select(ContentVersion).where(ContentVersion.item_id == item_id)
                                  .order_by(ContentVersion.id.desc()))).all()
    return [VersionOut(version=r.version, status=(r.snapshot or {}).get("status"), author=r.author,
                       summary=r.summary, created_at=aware(r.created_at)) for r in rows]  # type: ignore[arg-type]


@router.get("/items/{item_id}/versions/{number}", response_model=VersionDetail)
async def get_version(item_id: ItemId, number: VersionNo, actor: Reader, session: SessionDep) -> VersionDetail:
    """One saved state in full."""
    await load_item(session, actor, item_id)
    r = await _version_row(session, item_id, number)
    return VersionDetail(version=r.version, status=(r.snapshot or {}).get("status"), author=r.author,
                         summary=r.summary, created_at=aware(r.created_at), snapshot=r.snapshot)  # type: ignore[arg-type]


@router.get("/items/{item_id}/versions/{number}/diff", response_model=DiffOut)
async def diff_version(item_id: ItemId, number: VersionNo, actor: Reader, session: SessionDep,
                       against: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="default: the current working copy")] = None) -> DiffOut:
    """What changed from version `number` to `against` (or to the working copy)."""
    row = await load_item(session, actor, item_id)
    old = await _version_row(session, item_id, number)
    if against is None or against == row.version:
        new_data, to_version = {**working_data(row), "status": row.status}, row.version
    else:
        new_data, to_version = (await _version_row(session, item_id, against)).snapshot, against
    return DiffOut(item_id=item_id, from_version=number, to_version=to_version,
                   changes=[Change(**c) for c in diff(old.snapshot, new_data)])


@router.post("/items/{item_id}/versions/{number}/restore", response_model=ItemOut)
async def restore_version(item_id: ItemId, number: VersionNo, actor: Submitter, session: SessionDep,
                          response: Response, body: Versioned | None = None,
                          if_match: IfMatch = None) -> ItemOut:
    """Make an earlier version the working copy again, as a new draft version to review and publish."""
    expected = expected_version(body.version if body else None, if_match)
    row = await load_item(session, actor, item_id)
    check_version(row.version, expected, "item")
    old = await _version_row(session, item_id, number)
    data = {k: v for k, v in old.snapshot.items() if k != "status"}
    _validated(data)
    if not actor.may_touch_countries(data.get("countries") or []):
        raise field_error(("path", "number"), "that version is for countries outside your organisation's")
    row.version = await claim(session, ContentItem, row.id, expected, "item")
    apply_item(row, data)
    row.status = "draft"
    await _save(session, row, actor, "item.restore", f"restored version {number}", {"restored": number})
    await session.commit()
    send_etag(response, row.version)
    return item_out(row)


# -- translation status ------------------------------------------------------------------

@router.get("/items/{item_id}/translations", response_model=list[TranslationStatusOut])
async def item_translation_status(item_id: ItemId, actor: Reader, session: SessionDep) -> list[TranslationStatusOut]:
    """Per shipped locale: missing, needs review or reviewed, and whether English changed since."""
    row = await load_item(session, actor, item_id)
    return [TranslationStatusOut(**s) for s in translation_states(row.translations or {})]


@router.get("/translations/todo", response_model=list[OutdatedOut])
async def translations_todo(actor: Reader, session: SessionDep, locale: Locale | None = None,
                            include_needs_review: bool = False) -> list[OutdatedOut]:
    """What translators should do next: missing and outdated texts (and unreviewed ones on request)."""
    rows = (await session.scalars(select(ContentItem).where(ContentItem.status != "archived")
                                  .order_by(ContentItem.id))).all()
    out = []
    for row in rows:
        if not actor.may_touch_countries(row.countries or []):
            continue
        title = ((row.translations or {}).get("en") or {}).get("title", "")
        for s in translation_states(row.translations or {}):
            if locale and s["locale"] != locale:
                continue
            if s["state"] == "missing" or s["outdated"] or (include_needs_review and s["state"] == "needs_review"):
                out.append(OutdatedOut(item_id=row.id, title=title, **s))
    return out
