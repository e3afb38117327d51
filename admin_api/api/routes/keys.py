"""Keys of the caller's organisation: list (prefix only), create (shown once), expire, revoke."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import ApiModel
from admin_api.api.deps import KeyAdmin, KeyId, SessionDep, aware
from admin_api.audit import audit
from admin_api.errors import not_found
from admin_api.keys import hash_key, key_prefix, new_key
from admin_api.roles import Actor, Role
from bot.models import ApiKey, utcnow

router = APIRouter(prefix="/keys", tags=["keys"])


class KeyOut(BaseModel):
    id: int
    prefix: str
    role: str
    label: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    active: bool

    @classmethod
    def of(cls, row: ApiKey) -> "KeyOut":
        expires = aware(row.expires_at)
        active = row.revoked_at is None and (expires is None or expires > utcnow())
        return cls(id=row.id, prefix=row.prefix, role=row.role, label=row.label,
                   created_at=aware(row.created_at), expires_at=expires,  # type: ignore[arg-type]
                   revoked_at=aware(row.revoked_at), active=active)


class NewKeyOut(KeyOut):
    key: str = Field(description="the key itself: shown this once, store it safely")


class KeyIn(ApiModel):
    role: Role
    label: str = Field(default="", max_length=80)
    expires_days: int | None = Field(default=None, ge=1, le=3650)


class ExpireIn(ApiModel):
    expires_at: dt.datetime | None = Field(default=None, description="when; default now")


async def create_key_row(session: AsyncSession, org_id: int, role: str, label: str = "",
                         expires_days: int | None = None) -> tuple[ApiKey, str]:
    """Make a key for an organisation; the caller commits and shows the key once."""
    key = new_key()
    expires = utcnow() + dt.timedelta(days=expires_days) if expires_days else None
    row = ApiKey(org_id=org_id, role=role, prefix=key_prefix(key), key_hash=hash_key(key),
                 label=label, created_at=utcnow(), expires_at=expires)
    session.add(row)
    await session.flush()
    return row, key


async def _own_key(session: AsyncSession, actor: Actor, key_id: int) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None or row.org_id != actor.org_id:
        raise not_found("key")
    return row


@router.get("", response_model=list[KeyOut])
async def list_keys(actor: KeyAdmin, session: SessionDep) -> list[KeyOut]:
    """Every key of the caller's organisation, by prefix: the keys themselves are never stored."""
    rows = (await session.scalars(select(ApiKey).where(ApiKey.org_id == actor.org_id)
                                  .order_by(ApiKey.id))).all()
    return [KeyOut.of(r) for r in rows]


@router.post("", response_model=NewKeyOut, status_code=status.HTTP_201_CREATED)
async def create_key(body: KeyIn, actor: KeyAdmin, session: SessionDep) -> NewKeyOut:
    """A new key for the caller's organisation, in any role; the response is the only copy."""
    row, key = await create_key_row(session, actor.org_id, body.role, body.label, body.expires_days)
    audit(session, actor, "key.create", "api_key", row.id,
          {"prefix": row.prefix, "role": row.role, "expires_at": row.expires_at.isoformat() if row.expires_at else None})
    await session.commit()
    return NewKeyOut(**KeyOut.of(row).model_dump(), key=key)


@router.post("/{key_id}/expire", response_model=KeyOut)
async def expire_key(key_id: KeyId, actor: KeyAdmin, session: SessionDep,
                     body: ExpireIn | None = None) -> KeyOut:
    """Set when a key stops working (now by default), e.g. when a volunteer's term ends."""
    row = await _own_key(session, actor, key_id)
    when = body.expires_at if body and body.expires_at else utcnow()
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    row.expires_at = when
    audit(session, actor, "key.expire", "api_key", row.id, {"prefix": row.prefix, "expires_at": when.isoformat()})
    await session.commit()
    return KeyOut.of(row)


@router.post("/{key_id}/revoke", response_model=KeyOut)
async def revoke_key(key_id: KeyId, actor: KeyAdmin, session: SessionDep) -> KeyOut:
    """Stop a key at once and for good, e.g. when it may have leaked."""
    row = await _own_key(session, actor, key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(session, actor, "key.revoke", "api_key", row.id, {"prefix": row.prefix})
        await session.commit()
    return KeyOut.of(row)
