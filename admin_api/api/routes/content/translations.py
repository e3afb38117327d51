"""Translations: write one locale's text, mark it reviewed, and what is missing or outdated."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy import select

from admin_api.api.common import Versioned
from admin_api.api.deps import CtxDep, Editor, IfMatch, ItemId, Locale, LocalePath, Reader, Reviewer, SessionDep
from admin_api.api.routes.content.shared import ITEM, as_draft, load_item, validated
from admin_api.api.routes.ui_strings import language_overview
from admin_api.api.schemas.content import ItemOut, OutdatedOut, TranslationIn, TranslationStatusOut
from admin_api.api.writes import Edit, WriterDep
from admin_api.content_ops import english_hash, put_translation, translation_states, working_data
from admin_api.errors import body_validation_error, not_found
from bot.content_model import Translation
from bot.content_repository import apply_item
from bot.models import ContentItem

router = APIRouter()


@router.put("/items/{item_id}/translations/{locale}", response_model=ItemOut)
async def put_item_translation(item_id: ItemId, locale: LocalePath, body: TranslationIn, actor: Editor,
                               writer: WriterDep, if_match: IfMatch = None) -> ItemOut:
    """Write one locale's text; it needs review, and other locales show as outdated if English changed."""

    async def plan(row: ContentItem) -> Edit[ContentItem]:
        before = (row.translations or {}).get(locale) or {}
        try:
            keywords = body.keywords if body.keywords is not None else list(before.get("keywords") or [])
            new = Translation(title=body.title, body=body.body, sms=body.sms, keywords=keywords)
        except ValidationError as exc:
            raise body_validation_error(exc) from None
        changed = [f for f in ("title", "body", "sms", "keywords") if before.get(f) != getattr(new, f)]
        data = working_data(row)
        data["translations"] = put_translation(data["translations"], locale, new)
        validated(data)
        return Edit("translation.update", lambda row: {"locale": locale, "fields": changed, "version": row.version},
                    apply=as_draft(data), summary=f"{locale}: changed " + (", ".join(changed) or "nothing"))

    return ItemOut.of(await writer.edit(actor, ITEM, item_id, body.version, if_match, plan))


@router.post("/items/{item_id}/translations/{locale}/review", response_model=ItemOut)
async def review_translation(item_id: ItemId, locale: LocalePath, actor: Reviewer, writer: WriterDep,
                             body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """A reviewer confirms one locale's text matches the current English and reads well."""

    async def plan(row: ContentItem) -> Edit[ContentItem]:
        data = working_data(row)
        tr = data["translations"].get(locale)
        if tr is None:
            raise not_found(f"{locale} translation")
        tr["status"] = "reviewed"
        tr["source_hash"] = english_hash(data["translations"]) if data["translations"].get("en") else tr.get("source_hash")
        return Edit("translation.review", lambda row: {"locale": locale, "version": row.version},
                    apply=lambda row: apply_item(row, data), summary=f"{locale}: marked reviewed")

    return ItemOut.of(await writer.edit(actor, ITEM, item_id, body.version if body else None, if_match, plan))


@router.get("/items/{item_id}/translations", response_model=list[TranslationStatusOut])
async def item_translation_status(item_id: ItemId, actor: Reader, session: SessionDep) -> list[TranslationStatusOut]:
    """Per shipped locale: missing, needs review or reviewed, and whether English changed since."""
    row = await load_item(session, actor, item_id)
    return [TranslationStatusOut(**s) for s in translation_states(row.translations or {})]


@router.get("/translations/todo", response_model=list[OutdatedOut])
async def translations_todo(actor: Reader, session: SessionDep, ctx: CtxDep, locale: Locale | None = None,
                            include_needs_review: bool = False) -> list[OutdatedOut]:
    """What translators should do next: first each language the bot does not offer yet, with what
    it still needs (the rule: every UI string translated and published, at least
    LANGUAGE_MIN_ITEMS published items in it, and LANGUAGES allowing it); then missing and
    outdated texts of items (and unreviewed ones on request)."""
    rows = (await session.scalars(select(ContentItem).where(ContentItem.status != "archived")
                                  .order_by(ContentItem.id))).all()
    out = [OutdatedOut(kind="language", item_id="", locale=s.locale, state="missing", outdated=False,
                       title=f"{s.name}: not offered yet", needs=s.needs)
           for s in await language_overview(session, ctx.catalogs)
           if not s.offered and (locale is None or s.locale == locale)]
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
