"""What every content route shares: an item within the caller's countries, and the checks a write makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.writes import Target
from admin_api.errors import body_validation_error, field_error, not_found
from admin_api.roles import Actor
from bot.content_model import Item
from bot.content_repository import apply_item
from bot.models import ContentItem


async def load_item(session: AsyncSession, actor: Actor, item_id: str) -> ContentItem:
    """The row if it exists and is within the caller's countries; 404 otherwise, alike."""
    row = await session.get(ContentItem, item_id)
    if row is None or not actor.may_touch_countries(row.countries or []):
        raise not_found("item")
    return row


ITEM = Target(name="item", model=ContentItem, load=load_item, keeps_versions=True)


def check_countries(actor: Actor, countries: list[str]) -> None:
    """A limited organisation may not give an item countries outside its own (422 on `countries`)."""
    if not actor.may_touch_countries(countries):
        allowed = ", ".join(actor.countries)
        raise field_error(("body", "countries"),
                          f"your organisation may only edit items for {allowed}: list one or more of them")


def validated(data: dict[str, Any]) -> Item:
    """The whole item as it would be after the write, checked against the content model (422)."""
    try:
        return Item.model_validate(data)
    except ValidationError as exc:
        raise body_validation_error(exc) from None


def as_draft(data: dict[str, Any]) -> Callable[[ContentItem], None]:
    """Apply new working data; the item is a draft until reviewed (the bot keeps what it serves)."""

    def apply(row: ContentItem) -> None:
        apply_item(row, data)
        row.status = "draft"

    return apply
