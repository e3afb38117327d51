"""The review workflow: draft -> in review -> published, back to draft, or archived.

Approving publishes the working copy (the bot serves it within seconds, no restart); archiving
withdraws the item from the bot at once. Both bump the content revision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, status

from admin_api.api.common import Versioned
from admin_api.api.deps import IfMatch, ItemId, Reviewer, Submitter
from admin_api.api.routes.content.shared import ITEM, validated
from admin_api.api.schemas.content import ItemOut
from admin_api.api.writes import Edit, Writer, WriterDep
from admin_api.content_ops import working_data
from admin_api.roles import Actor
from bot.content_repository import publish_row
from bot.models import ContentItem

router = APIRouter()


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]  # the statuses it may start from
    apply: Callable[[ContentItem], None]  # sets the status it leads to
    live: bool  # changes what the bot serves


def _to(target: str) -> Callable[[ContentItem], None]:
    def apply(row: ContentItem) -> None:
        row.status = target

    return apply


def _archive(row: ContentItem) -> None:
    row.status = "archived"
    row.published, row.published_version = None, None


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(("draft",), _to("in_review"), live=False),
    "approve": Transition(("in_review",), publish_row, live=True),  # status published, snapshot served
    "reject": Transition(("in_review",), _to("draft"), live=False),
    "archive": Transition(("draft", "in_review", "published"), _archive, live=True),
}


def _label(status_: str) -> str:
    return status_.replace("_", " ")


async def _transition(action: str, writer: Writer, actor: Actor, item_id: str, body: Versioned | None,
                      if_match: str | None) -> ItemOut:
    transition = TRANSITIONS[action]

    async def plan(row: ContentItem) -> Edit[ContentItem]:
        if row.status not in transition.sources:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                f"cannot {action} an item that is {_label(row.status)}; "
                                f"only from: {', '.join(_label(s) for s in transition.sources)}")
        validated(working_data(row))
        return Edit(f"item.{action}", lambda row: {"status": row.status, "version": row.version},
                    apply=transition.apply, summary=action, live=transition.live)

    return ItemOut.of(await writer.edit(actor, ITEM, item_id, body.version if body else None, if_match, plan))


@router.post("/items/{item_id}/submit", response_model=ItemOut)
async def submit_item(item_id: ItemId, actor: Submitter, writer: WriterDep,
                      body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """Draft -> in review: ask a reviewer to check it."""
    return await _transition("submit", writer, actor, item_id, body, if_match)


@router.post("/items/{item_id}/approve", response_model=ItemOut)
async def approve_item(item_id: ItemId, actor: Reviewer, writer: WriterDep,
                       body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """In review -> published: the bot serves this version within seconds, no restart."""
    return await _transition("approve", writer, actor, item_id, body, if_match)


@router.post("/items/{item_id}/reject", response_model=ItemOut)
async def reject_item(item_id: ItemId, actor: Reviewer, writer: WriterDep,
                      body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """In review -> draft: send it back to the editor; the bot keeps serving what it served."""
    return await _transition("reject", writer, actor, item_id, body, if_match)


@router.post("/items/{item_id}/archive", response_model=ItemOut)
async def archive_item(item_id: ItemId, actor: Reviewer, writer: WriterDep,
                       body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """Withdraw an item: the bot stops serving it at once; its history stays and can be restored."""
    return await _transition("archive", writer, actor, item_id, body, if_match)
