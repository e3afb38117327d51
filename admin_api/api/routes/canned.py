"""Canned answers: ready texts an organisation's responders reuse, per language."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from admin_api.api.common import ApiModel, SafeStr
from admin_api.api.deps import Limit, Locale, Offset, Responder, SessionDep, aware
from admin_api.audit import audit
from admin_api.errors import not_found
from bot.inbox_models import CannedAnswer

router = APIRouter(prefix="/inbox/canned", tags=["inbox"])
CannedId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class CannedIn(ApiModel):
    locale: Locale
    title: SafeStr = Field(min_length=1, max_length=80)
    text: SafeStr = Field(min_length=1, max_length=4000)


class CannedOut(BaseModel):
    id: int
    locale: str
    title: str
    text: str
    created_by: str
    created_at: dt.datetime

    @classmethod
    def of(cls, row: CannedAnswer) -> "CannedOut":
        return cls(id=row.id, locale=row.locale, title=row.title, text=row.text, created_by=row.created_by,
                   created_at=aware(row.created_at))  # type: ignore[arg-type]


class CannedPage(BaseModel):
    total: int
    canned: list[CannedOut]


class Deleted(BaseModel):
    deleted: int


@router.get("", response_model=CannedPage)
async def list_canned(actor: Responder, session: SessionDep, locale: Locale | None = None,
                      limit: Limit = 100, offset: Offset = 0) -> CannedPage:
    """The organisation's canned answers, in one language or all, by title."""
    where = [CannedAnswer.org_id == actor.org_id]
    if locale:
        where.append(CannedAnswer.locale == locale)
    total = await session.scalar(select(func.count()).select_from(CannedAnswer).where(*where)) or 0
    rows = await session.scalars(select(CannedAnswer).where(*where)
                                 .order_by(CannedAnswer.locale, CannedAnswer.title, CannedAnswer.id).limit(limit).offset(offset))
    return CannedPage(total=total, canned=[CannedOut.of(r) for r in rows])


@router.post("", response_model=CannedOut, status_code=status.HTTP_201_CREATED)
async def create_canned(body: CannedIn, actor: Responder, session: SessionDep) -> CannedOut:
    row = CannedAnswer(org_id=actor.org_id, locale=body.locale, title=body.title.strip(), text=body.text,
                       created_by=actor.prefix)
    session.add(row)
    await session.flush()
    audit(session, actor, "canned.create", "canned", row.id, {"locale": body.locale})
    await session.commit()
    return CannedOut.of(row)


@router.delete("/{canned_id}", response_model=Deleted)
async def delete_canned(canned_id: CannedId, actor: Responder, session: SessionDep) -> Deleted:
    row = await session.get(CannedAnswer, canned_id)
    if row is None or row.org_id != actor.org_id:
        raise not_found("canned answer")
    await session.delete(row)
    audit(session, actor, "canned.delete", "canned", canned_id)
    await session.commit()
    return Deleted(deleted=canned_id)
