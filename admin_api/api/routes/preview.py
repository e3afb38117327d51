"""Preview: an item exactly as the bot would send it on Telegram and by SMS, before publishing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from admin_api.api.deps import CtxDep, ItemId, Locale, Reader, SessionDep
from admin_api.api.routes.content.shared import load_item
from admin_api.content_ops import is_live, working_data
from bot.channels.sms_render import render_sms
from bot.channels.telegram import LINK_LABEL
from bot.channels.telegram_render import as_bot_api, render
from bot.content_model import Item
from bot.engine import render_item
from bot.library import Library
from bot.sms_encoding import analyse

router = APIRouter(tags=["preview"])


class SmsPart(BaseModel):
    text: str
    encoding: str
    segments: int
    units: int
    characters: int


class SmsPreview(BaseModel):
    messages: list[SmsPart]
    total_segments: int
    max_segments: int = Field(description="SMS_MAX_SEGMENTS: the budget one reply may use")


class PreviewOut(BaseModel):
    item_id: str
    locale: str
    source: Literal["working", "published"]
    version: int
    falls_back_to_english: bool = Field(description="no text in this locale: the bot sends English")
    telegram: list[dict[str, Any]] = Field(description="sendMessage parameters, one per message")
    sms: SmsPreview


@router.get("/items/{item_id}/preview", response_model=PreviewOut)
async def preview_item(item_id: ItemId, actor: Reader, ctx: CtxDep, session: SessionDep,
                       locale: Locale = "en",
                       source: Annotated[Literal["working", "published"], Query(
                           description="the working copy (a draft) or what the bot serves now")] = "working"
                       ) -> PreviewOut:
    """Render through the same functions the bot uses, with the related items it would link."""
    row = await load_item(session, actor, item_id)
    if source == "published":
        if not is_live(row):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "this item has no published version")
        item, version = Item.model_validate(row.published), row.published_version or row.version
    else:
        item, version = Item.model_validate(working_data(row)), row.version
    served = ctx.content.library
    related = {rel: served.items[rel] for rel in item.related if rel in served.items}
    library = Library(items={**related, item.id: item}, services=served.services, revision=served.revision)
    translator = ctx.catalogs.get(locale)
    reply = render_item(item, translator, library)
    max_segments = ctx.settings.sms_max_segments
    parts = []
    for text in render_sms(reply, translator, max_segments):
        info = analyse(text)
        parts.append(SmsPart(text=text, encoding=info.encoding, segments=info.segments,
                             units=info.units, characters=info.characters))
    return PreviewOut(item_id=item.id, locale=locale, source=source, version=version,
                      falls_back_to_english=locale not in item.translations,
                      telegram=as_bot_api(render(reply, link_label=translator.gettext(LINK_LABEL))),
                      sms=SmsPreview(messages=parts, total_segments=sum(p.segments for p in parts),
                                     max_segments=max_segments))
