"""Shared pieces of the routes: safe request models, versions (ETag / If-Match), claiming a write."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import HTTPException, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.errors import VersionConflict, field_error

MAX_VERSION = 2**31 - 1
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def _check_text(value: Any) -> Any:
    """Reject NUL and lone surrogates anywhere: no database can store them, so never a 500."""
    if isinstance(value, str):
        if _BAD_CHARS.search(value):
            raise ValueError("must not contain NUL or unpaired surrogate characters")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k)
            _check_text(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_text(v)
    elif isinstance(value, BaseModel):
        for v in value.__dict__.values():
            _check_text(v)
    return value


SafeStr = Annotated[str, AfterValidator(_check_text)]


class ApiModel(BaseModel):
    """Request bodies: unknown fields are errors, and no string may hold what a database rejects."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _safe(cls, value: Any) -> Any:
        return _check_text(value)


class Versioned(ApiModel):
    """A write names the version it was based on (or sends If-Match), so stale writes are refused."""

    version: int | None = Field(default=None, ge=1, le=MAX_VERSION,
                                description="the `version` you read; or send `If-Match: \"<version>\"`")


def etag(version: int) -> str:
    return f'"{version}"'


def send_etag(response: Response, version: int) -> None:
    """Every read and write answers with the version to send back on the next write."""
    response.headers["ETag"] = etag(version)


def check_version(current: int, expected: int, what: str) -> None:
    """A write based on an older version than the row's is a 409, never a silent overwrite."""
    if current != expected:
        raise VersionConflict(current, what)


def expected_version(body_version: int | None, if_match: str | None) -> int:
    """The version the caller based the write on; without one the write could overwrite silently."""
    if body_version is not None:
        return body_version
    if if_match is not None:
        raw = if_match.strip()
        if raw.startswith("W/"):
            raw = raw[2:]
        raw = raw.strip('"')
        if raw.isdigit() and 1 <= int(raw) <= MAX_VERSION:
            return int(raw)
        raise field_error(("header", "If-Match"), 'must be an ETag as returned, e.g. "3"')
    raise HTTPException(status.HTTP_428_PRECONDITION_REQUIRED,
                        'send the version you edited: "version" in the body or an If-Match header')


async def claim(session: AsyncSession, model: Any, obj_id: str, expected: int, what: str) -> int:
    """Move the row from `expected` to the next version atomically; anyone else racing gets 409."""
    result = await session.execute(
        update(model).where(model.id == obj_id, model.version == expected)
        .values(version=expected + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        current = await session.scalar(select(model.version).where(model.id == obj_id))
        raise VersionConflict(current, what)
    return expected + 1
