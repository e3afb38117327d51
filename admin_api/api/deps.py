"""Request dependencies, the FastAPI template's way: every route takes its pieces from here.

The service context, a database session, the caller (with the key's rate limit), one alias per
role set of admin_api/roles.py, and the path, query and header types more than one route uses.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, StringConstraints
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import MAX_VERSION, SafeStr
from admin_api.errors import forbidden
from admin_api.keys import hash_key
from admin_api.roles import (
    EDIT,
    EVERYONE,
    INBOX_SETTINGS,
    MANAGE_KEYS,
    READ_AUDIT,
    READ_CONTENT,
    READ_FEEDBACK,
    RESPOND,
    REVIEW,
    SUBMIT,
    Actor,
)
from bot.app import AppContext
from bot.content_model import ID_PATTERN
from bot.languages import is_language
from bot.models import ApiKey, Organisation, utcnow

_bearer = HTTPBearer(auto_error=False, description="An API key from `python -m admin_api create-key` "
                     "or `POST /keys`: `Authorization: Bearer smb_...`")


def get_ctx(request: Request) -> AppContext:
    """The running service, set on the app when it was created."""
    return request.app.state.ctx


CtxDep = Annotated[AppContext, Depends(get_ctx)]


async def get_session(ctx: CtxDep) -> AsyncIterator[AsyncSession]:
    """One session per request; whatever is not committed is rolled back when it closes."""
    async with ctx.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message,
                         headers={"WWW-Authenticate": 'Bearer realm="admin"'})


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; they were written as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


async def get_actor(ctx: CtxDep, session: SessionDep,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    """Resolve the bearer key, then count the request against the key's per-minute budget."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise _unauthorized("missing bearer key")
    row = (await session.execute(
        select(ApiKey, Organisation).join(Organisation, Organisation.id == ApiKey.org_id)
        .where(ApiKey.key_hash == hash_key(credentials.credentials)))).first()
    if row is None:
        raise _unauthorized("invalid key")
    key, org = row
    now = utcnow()
    if key.revoked_at is not None:
        raise _unauthorized("key revoked")
    expires = aware(key.expires_at)
    if expires is not None and expires <= now:
        raise _unauthorized("key expired")
    actor = Actor(key_id=key.id, prefix=key.prefix, role=key.role, org_id=org.id, org_name=org.name,
                  countries=tuple(org.countries or ()))
    await _rate_limit(ctx, actor)
    return actor


async def _rate_limit(ctx: AppContext, actor: Actor) -> None:
    """Fixed one-minute window per key, counted in the shared store so every process agrees."""
    now = time.time()
    minute = int(now // 60)
    count = await ctx.store.incr(f"rl:{actor.prefix}:{minute}", 120)
    if count > ctx.settings.admin_rate_limit_per_minute:
        retry = max(1, int(60 - now % 60))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"rate limit of {ctx.settings.admin_rate_limit_per_minute} requests "
                            "per minute reached for this key", headers={"Retry-After": str(retry)})


CurrentKey = Annotated[Actor, Depends(get_actor)]


def require(*roles: str) -> Callable[[Actor], Actor]:
    """A dependency that lets through only the given roles (403 for the others)."""

    def check(actor: CurrentKey) -> Actor:
        if actor.role not in roles:
            raise forbidden()
        return actor

    check.roles = roles  # type: ignore[attr-defined]  # which roles a route lets through, for whoever inspects it
    return check


# -- who may call a route: one alias per role set of admin_api/roles.py -------------------

Anyone = Annotated[Actor, Depends(require(*EVERYONE))]
Reader = Annotated[Actor, Depends(require(*READ_CONTENT))]
Editor = Annotated[Actor, Depends(require(*EDIT))]
Submitter = Annotated[Actor, Depends(require(*SUBMIT))]
Reviewer = Annotated[Actor, Depends(require(*REVIEW))]
Analyst = Annotated[Actor, Depends(require(*READ_FEEDBACK))]
KeyAdmin = Annotated[Actor, Depends(require(*MANAGE_KEYS))]
AuditReader = Annotated[Actor, Depends(require(*READ_AUDIT))]
Responder = Annotated[Actor, Depends(require(*RESPOND))]
InboxAdmin = Annotated[Actor, Depends(require(*INBOX_SETTINGS))]


# -- path, query and header types shared by routes ----------------------------------------

ItemId = Annotated[str, Path(pattern=ID_PATTERN, max_length=40)]
ServiceId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$", max_length=60)]
CountryPath = Annotated[str, Path(pattern=r"^[A-Z]{2}$", max_length=2, description="ISO 3166-1 alpha-2 code")]
KeyId = Annotated[int, Path(ge=1, le=MAX_VERSION)]
VersionNo = Annotated[int, Path(ge=1, le=MAX_VERSION)]


def _a_language(code: str) -> str:
    if not is_language(code):
        raise ValueError("not a language code CLDR knows (ISO 639, e.g. 'am', 'fil', 'dje')")
    return code


# any language CLDR knows: a CSO may translate into a language before the bot offers it
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$"), AfterValidator(_a_language)]
LocalePath = Annotated[Locale, Path()]

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Q = Annotated[SafeStr | None, Query(max_length=200, description="words to find in title, body, SMS text or keywords")]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40,
                                       description='the ETag you read, e.g. "3"')]
