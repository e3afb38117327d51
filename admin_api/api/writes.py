"""The one write sequence every route that creates or changes an item or a service goes through.

    edit:   expected version -> load -> check version -> the route's own checks -> claim -> apply
    create:                                            the route's own checks -> add (409 if taken)
    both:   stamp -> save (content version, items only) -> audit -> revision -> commit -> refresh -> ETag

A route says only what is its own: which kind of record (`Target`), the checks that may refuse
the write before anything is written (its `plan`), and what the write does (the `Edit` the plan
returns). What must be the same for every write is here, once: a write names the version it was
based on; a stale or racing write is a 409 and writes nothing; the change, its saved version and
its audit event commit together; a change the bot serves bumps the content revision (every bot
process reloads) and this process serves it at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import check_version, claim, expected_version, send_etag
from admin_api.api.deps import CtxDep, SessionDep
from admin_api.audit import audit
from admin_api.errors import VersionConflict
from admin_api.roles import Actor
from bot.app import AppContext
from bot.content_repository import bump_revision, record_version
from bot.models import ContentItem, EmergencyCountry, UiCatalog, utcnow
from bot.models import Service as ServiceRow

Row = TypeVar("Row", ContentItem, ServiceRow, EmergencyCountry, UiCatalog)


@dataclass(frozen=True)
class Target(Generic[Row]):
    """A kind of record the API writes."""

    name: str  # "item", "service" or "emergency": in 404 and 409 messages, and the audit log's target type
    model: type[Row]
    load: Callable[[AsyncSession, Actor, str], Awaitable[Row]]  # 404 unless the caller may touch it
    keeps_versions: bool  # items keep every saved state (ContentVersion); services keep none


def _unchanged(row: Any) -> None:
    """A create's row is complete before it is added."""


@dataclass(frozen=True)
class Edit(Generic[Row]):
    """What one write does, decided once the route's checks have passed."""

    action: str  # the audit action, e.g. "item.update"
    audit: Callable[[Row], dict[str, Any]]  # the audit detail, from the row as written (never text)
    apply: Callable[[Row], None] = _unchanged  # runs after the row is claimed (version + 1)
    summary: str = ""  # the saved version's summary (items)
    live: bool = False  # changes what the bot serves: bump the content revision, refresh now


Plan = Callable[[Row], Awaitable[Edit[Row]]]


class Writer:
    """The request's service, session and response, for the write sequence (a dependency)."""

    def __init__(self, ctx: CtxDep, session: SessionDep, response: Response) -> None:
        self.ctx, self.session, self.response = ctx, session, response

    async def edit(self, actor: Actor, target: Target[Row], obj_id: str, version: int | None,
                   if_match: str | None, plan: Plan[Row]) -> Row:
        """Change an existing record that `actor` read at `version` (or the If-Match ETag)."""
        expected = expected_version(version, if_match)  # 422 or 428 before anything is read
        row = await target.load(self.session, actor, obj_id)
        check_version(row.version, expected, target.name)
        edit = await plan(row)  # the route's checks: they may refuse, nothing is written yet
        row.version = await claim(self.session, target.model, row.id, expected, target.name)
        edit.apply(row)
        await self._finish(actor, target, row, edit)
        return row

    async def create(self, actor: Actor, target: Target[Row], row: Row, edit: Edit[Row]) -> Row:
        """Add a new record at version 1; an id already taken is a 409 (found first, so the
        session never holds two rows with one id; a concurrent create is the unique key's)."""
        obj_id = row.id
        if await self.session.get(type(row), obj_id) is not None:
            raise VersionConflict(None, f"{target.name} {obj_id}")
        self._stamp(actor, row)
        self.session.add(row)
        try:
            await self.session.flush()
        except IntegrityError:
            await self.session.rollback()
            raise VersionConflict(None, f"{target.name} {obj_id}") from None
        await self._finish(actor, target, row, edit, stamp=False)
        return row

    @staticmethod
    def _stamp(actor: Actor, row: Row) -> None:
        row.updated_by, row.updated_at = actor.prefix, utcnow()

    async def _finish(self, actor: Actor, target: Target[Row], row: Row, edit: Edit[Row], *,
                      stamp: bool = True) -> None:
        session = self.session
        if stamp:
            self._stamp(actor, row)
            await session.flush()
        if target.keeps_versions:
            record_version(session, row, actor.prefix, edit.summary)  # type: ignore[arg-type]
        audit(session, actor, edit.action, target.name, row.id, edit.audit(row))
        if edit.live:
            await bump_revision(session)
        await session.commit()
        if edit.live:
            await refresh(self.ctx)
        send_etag(self.response, row.version)


async def refresh(ctx: AppContext) -> None:
    """After a commit that changed what the bot serves: this process serves it at once."""
    await ctx.content.refresh()


WriterDep = Annotated[Writer, Depends(Writer)]
