"""Export the library as content/ files (zip or JSON), and import them back with a dry-run diff."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import ApiModel, claim
from admin_api.api.deps import CtxDep, Editor, Reader, SessionDep
from admin_api.api.writes import refresh
from admin_api.audit import audit
from admin_api.errors import VersionConflict, field_error
from admin_api.library_io import Entry, Plan, export_files, plan_import, unzip_files, zip_files
from admin_api.roles import Actor
from bot.app import AppContext
from bot.content_repository import SERVICE_FIELDS, apply_item, bump_revision, record_version
from bot.models import ContentItem, utcnow
from bot.models import Service as ServiceRow

router = APIRouter(tags=["import and export"])
DryRun = Annotated[bool, Query(description="plan only: report what would change, write nothing")]
IMPORT_LIMIT_FACTOR = 16


class FilesOut(BaseModel):
    files: dict[str, str] = Field(description="path under content/ -> file text")


class ImportIn(ApiModel):
    files: dict[Annotated[str, Field(max_length=200)], str] = Field(
        max_length=10_000, description="path under content/ -> file text, as export writes them")


class EntryOut(BaseModel):
    id: str
    kind: Literal["item", "service"]
    result: Literal["added", "changed", "unchanged", "conflict", "error"]
    path: str
    message: str
    changes: list[dict[str, Any]]


class ImportReport(BaseModel):
    dry_run: bool
    applied: bool
    counts: dict[str, int]
    entries: list[EntryOut]
    errors: list[str]


async def _state(session: AsyncSession) -> tuple[dict[str, ContentItem], dict[str, ServiceRow]]:
    rows = {r.id: r for r in (await session.scalars(select(ContentItem))).all()}
    services = {r.id: r for r in (await session.scalars(select(ServiceRow))).all()}
    return rows, services


@router.get("/export", response_model=FilesOut,
            responses={200: {"content": {"application/zip": {}}, "description": "the files"}})
async def export(actor: Reader, session: SessionDep,
                 format: Literal["json", "zip"] = "json",
                 source: Literal["working", "published"] = "working") -> Any:
    """The caller's part of the library as content/ files, with versions.json for a safe re-import."""
    rows, services = await _state(session)
    files = export_files(actor, sorted(rows.values(), key=lambda r: r.id),
                         sorted(services.values(), key=lambda r: r.id), source == "published")
    if format == "zip":
        return Response(zip_files(files), media_type="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="content.zip"'})
    return FilesOut(files=files)


async def _import_item(session: AsyncSession, actor: Actor, rows: dict[str, ContentItem], entry: Entry) -> None:
    """An added or changed item from the files, as a draft to review."""
    assert entry.data is not None
    row = rows.get(entry.id)
    if row is None:
        row = ContentItem(id=entry.id, version=1)
        session.add(row)
    else:  # a write that raced this import since the plan: 409, nothing applied
        row.version = await claim(session, ContentItem, row.id, row.version, f"item {row.id}")
    apply_item(row, entry.data)
    row.status = "draft"
    row.updated_by, row.updated_at = actor.prefix, utcnow()
    try:
        await session.flush()
    except IntegrityError:  # an item of this id was created since the plan
        await session.rollback()
        raise VersionConflict(None, f"item {entry.id}") from None
    record_version(session, row, actor.prefix, "imported from files")
    audit(session, actor, "item.import", "item", row.id,
          {"version": row.version, "result": entry.result, "fields": [c["field"] for c in entry.changes][:50]})


async def _import_service(session: AsyncSession, actor: Actor, services: dict[str, ServiceRow], entry: Entry) -> None:
    """An added or changed service from the files, live at once."""
    assert entry.data is not None
    srow = services.get(entry.id)
    if srow is None:
        srow = ServiceRow(id=entry.id, version=1, active=True)
        session.add(srow)
    else:
        srow.version = await claim(session, ServiceRow, srow.id, srow.version, f"service {srow.id}")
    for f in SERVICE_FIELDS:
        value = entry.data.get(f)
        if f == "last_verified" and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        setattr(srow, f, value)
    srow.updated_by, srow.updated_at = actor.prefix, utcnow()
    audit(session, actor, "service.import", "service", srow.id,
          {"version": srow.version, "result": entry.result})


async def _run(ctx: AppContext, session: AsyncSession, actor: Actor, files: dict[str, str],
               dry_run: bool) -> ImportReport:
    rows, services = await _state(session)
    plan: Plan = plan_import(actor, files, rows, services)
    counts: dict[str, int] = {}
    for entry in plan.entries:
        counts[entry.result] = counts.get(entry.result, 0) + 1
    report = ImportReport(dry_run=dry_run, applied=False, counts=counts, errors=plan.errors,
                          entries=[EntryOut(**e.public()) for e in plan.entries])
    writes = [e for e in plan.entries if e.result in ("added", "changed")]
    if dry_run or not writes:
        return report
    services_changed = False
    for entry in writes:
        if entry.kind == "item":
            await _import_item(session, actor, rows, entry)
        else:
            await _import_service(session, actor, services, entry)
            services_changed = True
    if services_changed:
        await bump_revision(session)
    try:
        await session.commit()
    except IntegrityError:  # an item or service of the same id was created since the plan
        await session.rollback()
        raise VersionConflict(None, "an item or service in this import") from None
    if services_changed:
        await refresh(ctx)
    report.applied = True
    return report


@router.post("/import", response_model=ImportReport)
async def import_files(body: ImportIn, actor: Editor, ctx: CtxDep, session: SessionDep,
                       dry_run: DryRun = True) -> ImportReport:
    """Plan (dry run, the default) or apply an import of content/ files given as path -> text.

    Added and changed items become drafts to review; services are live at once. Conflicts
    (database edits newer than the files) and errors are reported and never written.
    """
    return await _run(ctx, session, actor, dict(body.files), dry_run)


@router.post("/import/zip", response_model=ImportReport,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
async def import_zip(request: Request, actor: Editor, ctx: CtxDep, session: SessionDep,
                     dry_run: DryRun = True) -> ImportReport:
    """The same as /import, from a zip of content/ (as `GET /export?format=zip` writes it)."""
    data = await request.body()
    try:
        files = unzip_files(data, ctx.settings.max_body_bytes * IMPORT_LIMIT_FACTOR * 8)
        ImportIn(files=files)
    except ValueError as exc:
        raise field_error(("body",), str(exc)[:500]) from None
    return await _run(ctx, session, actor, files, dry_run)
