"""Items: list and search, read the working copy and the published text, create, edit metadata."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import Select, Text, cast, select
from sqlalchemy.orm import defer

from admin_api.api.common import send_etag
from admin_api.api.deps import Editor, IfMatch, ItemId, Limit, Locale, Offset, Q, Reader, SessionDep
from admin_api.api.routes.content.shared import ITEM, as_draft, check_countries, load_item, validated
from admin_api.api.schemas.content import ItemIn, ItemOut, ItemPage, ItemPatch, ItemSummary
from admin_api.api.writes import Edit, WriterDep
from admin_api.content_ops import WorkflowStatus, is_live, stamp_new_item, working_data
from admin_api.errors import field_error
from admin_api.roles import Actor
from bot.content_model import Item, Section, Stage, Theme
from bot.content_repository import apply_item
from bot.models import ContentItem

router = APIRouter()
ItemCountry = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")]
ItemStatus = Annotated[WorkflowStatus | None, Query(alias="status")]


def _query(words: list[str], theme: Theme | None, section: Section | None,
           status_: WorkflowStatus | None) -> Select[tuple[ContentItem]]:
    """What SQL can filter; the exact match on the text follows in `_matches`."""
    stmt = select(ContentItem).options(defer(ContentItem.published)).order_by(ContentItem.id)
    for word in words:
        if word.isascii():  # a cheap pre-filter in SQL; the exact match on the text follows
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(cast(ContentItem.translations, Text).ilike(f"%{escaped}%", escape="\\"))
    if theme:
        stmt = stmt.where(ContentItem.theme == theme)
    if section:
        stmt = stmt.where(ContentItem.section == section)
    if status_:
        stmt = stmt.where(ContentItem.status == status_)
    return stmt


def _matches(row: ContentItem, actor: Actor, stage: Stage | None, country: str | None, locale: Locale | None,
             words: list[str]) -> bool:
    """The filters SQL cannot apply: countries, stage, language, and every word in the text."""
    if not actor.may_touch_countries(row.countries or []):
        return False
    if stage and stage not in (row.stages or []):
        return False
    if country and row.countries and country not in row.countries:
        return False
    trs = row.translations or {}
    if locale and locale not in trs:
        return False
    if not words:
        return True
    texts = [trs[locale]] if locale else list(trs.values())
    haystack = " ".join(" ".join([t.get("title", ""), t.get("body", ""), t.get("sms", ""),
                                  " ".join(t.get("keywords") or [])]) for t in texts).casefold()
    return all(w in haystack for w in words)


@router.get("/items", response_model=ItemPage)
async def list_items(actor: Reader, session: SessionDep, limit: Limit = 50, offset: Offset = 0,
                     theme: Theme | None = None, section: Section | None = None,
                     stage: Stage | None = None,
                     country: ItemCountry = None,
                     locale: Locale | None = None,
                     status_: ItemStatus = None,
                     q: Q = None) -> ItemPage:
    """Search and filter the working copies the caller may see; `locale` also picks the title shown."""
    words = q.casefold().split() if q else []
    rows = (await session.scalars(_query(words, theme, section, status_))).all()
    found = [row for row in rows if _matches(row, actor, stage, country, locale, words)]
    return ItemPage(total=len(found), items=[ItemSummary.of(r, locale) for r in found[offset:offset + limit]])


@router.get("/items/{item_id}", response_model=ItemOut)
async def get_item(item_id: ItemId, actor: Reader, session: SessionDep, response: Response) -> ItemOut:
    """The working copy with its workflow state; the ETag is the version to send back on a write."""
    row = await load_item(session, actor, item_id)
    send_etag(response, row.version)
    return ItemOut.of(row)


@router.get("/items/{item_id}/published", response_model=Item)
async def get_published(item_id: ItemId, actor: Reader, session: SessionDep) -> Item:
    """Exactly what the bot serves now (404 when nothing of this item is live)."""
    row = await load_item(session, actor, item_id)
    if not is_live(row):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this item has no published version")
    return Item.model_validate(row.published)


@router.post("/items", response_model=ItemOut, status_code=status.HTTP_201_CREATED)
async def create_item(body: ItemIn, actor: Editor, writer: WriterDep) -> ItemOut:
    """A new draft; the bot serves it only once a reviewer approves it."""
    if "en" not in body.translations:
        raise field_error(("body", "translations", "en"), "an item needs an English text to translate from")
    check_countries(actor, body.countries)
    item = Item.model_validate(body.model_dump())
    row = ContentItem(id=item.id, version=1, status="draft")
    apply_item(row, stamp_new_item(item))
    locales = sorted(item.translations)
    row = await writer.create(actor, ITEM, row, Edit(
        "item.create", lambda row: {"version": 1, "locales": locales}, summary="created"))
    return ItemOut.of(row)


@router.patch("/items/{item_id}", response_model=ItemOut)
async def update_item(item_id: ItemId, body: ItemPatch, actor: Editor, writer: WriterDep,
                      if_match: IfMatch = None) -> ItemOut:
    """Change item metadata; the item becomes a draft until reviewed again (the bot keeps the old one)."""

    async def plan(row: ContentItem) -> Edit[ContentItem]:
        changes = body.model_dump(exclude_unset=True, exclude={"version"}, mode="json")
        data = {**working_data(row), **changes}
        validated(data)
        if "countries" in changes:
            check_countries(actor, data["countries"])
        fields = sorted(changes)
        return Edit("item.update", lambda row: {"fields": fields, "version": row.version},
                    apply=as_draft(data), summary="changed " + ", ".join(fields))

    return ItemOut.of(await writer.edit(actor, ITEM, item_id, body.version, if_match, plan))
