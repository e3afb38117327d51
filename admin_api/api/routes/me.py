"""Who the caller is: organisation, role and country scope, for every role."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from admin_api.api.deps import Anyone

router = APIRouter(tags=["me"])


class MeOut(BaseModel):
    organisation: str
    role: str
    key_prefix: str
    countries: list[str]


@router.get("/me", response_model=MeOut)
async def me(actor: Anyone) -> MeOut:
    """Lets a new user check a key works and what it may touch (countries [] = all)."""
    return MeOut(organisation=actor.org_name, role=actor.role, key_prefix=actor.prefix,
                 countries=list(actor.countries))
