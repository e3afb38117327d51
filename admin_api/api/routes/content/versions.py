"""An item's history: every saved state, one in full, what changed between two, restoring one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import MAX_VERSION, Versioned
from admin_api.api.deps import IfMatch, ItemId, Reader, SessionDep, Submitter, VersionNo, aware
from admin_api.api.routes.content.shared import ITEM, as_draft, load_item, validated
from admin_api.api.schemas.content import Change, DiffOut, ItemOut, VersionDetail, VersionOut
from admin_api.api.writes import Edit, WriterDep
from admin_api.content_ops import diff, working_data
from admin_api.errors import field_error, not_found
from bot.models import ContentItem, ContentVersion

router = APIRouter()
Against = Annotated[int | None, Query(ge=1, le=MAX_VERSION, description="default: the current working copy")]


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
                       against: Against = None) -> DiffOut:
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
async def restore_version(item_id: ItemId, number: VersionNo, actor: Submitter, writer: WriterDep,
                          body: Versioned | None = None, if_match: IfMatch = None) -> ItemOut:
    """Make an earlier version the working copy again, as a new draft version to review and publish."""

    async def plan(row: ContentItem) -> Edit[ContentItem]:
        old = await _version_row(writer.session, item_id, number)
        data = {k: v for k, v in old.snapshot.items() if k != "status"}
        validated(data)
        if not actor.may_touch_countries(data.get("countries") or []):
            raise field_error(("path", "number"), "that version is for countries outside your organisation's")
        return Edit("item.restore", lambda row: {"restored": number, "version": row.version},
                    apply=as_draft(data), summary=f"restored version {number}")

    return ItemOut.of(await writer.edit(actor, ITEM, item_id, body.version if body else None, if_match, plan))
