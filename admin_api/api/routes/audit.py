"""The audit log of the caller's organisation: every write and every key event."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from admin_api.api.common import SafeStr
from admin_api.api.deps import AuditReader, Limit, Offset, SessionDep, aware
from bot.models import AuditEvent

router = APIRouter(prefix="/audit", tags=["audit"])


class EventOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]


class EventPage(BaseModel):
    total: int
    events: list[EventOut]


@router.get("", response_model=EventPage)
async def list_events(actor: AuditReader, session: SessionDep, limit: Limit = 100, offset: Offset = 0,
                      action: Annotated[SafeStr | None, Query(max_length=40)] = None,
                      target_type: Annotated[SafeStr | None, Query(max_length=20)] = None,
                      target_id: Annotated[SafeStr | None, Query(max_length=80)] = None) -> EventPage:
    """Newest first; only the caller's organisation's events, so one CSO cannot watch another."""
    where = [AuditEvent.org_id == actor.org_id]
    if action:
        where.append(AuditEvent.action == action)
    if target_type:
        where.append(AuditEvent.target_type == target_type)
    if target_id:
        where.append(AuditEvent.target_id == target_id)
    total = await session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    rows = (await session.scalars(select(AuditEvent).where(*where)
                                  .order_by(AuditEvent.id.desc()).limit(limit).offset(offset))).all()
    return EventPage(total=total, events=[
        EventOut(id=r.id, at=aware(r.at), actor=r.actor, action=r.action,  # type: ignore[arg-type]
                 target_type=r.target_type, target_id=r.target_id, detail=r.detail or {})
        for r in rows])
