"""Emergency numbers: one country's police, ambulance and specialised lines, as HELP gives them.

The numbers come from content/emergency/<CC>.yaml (loaded into an empty database, never over a
newer edit made here) and are edited here whole, one country at a time, validated like the
files (bot/emergency.py). Like services there is no review step: a change is live for the bot
within seconds. Every change is versioned (ETag / If-Match, 409 when stale) and audited with the
kinds and the count of numbers, never their notes. An organisation limited to some countries
sees and edits only those; any other country is a 404, like one with no numbers.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import Versioned, send_etag
from admin_api.api.deps import CountryPath, Editor, IfMatch, Reader, SessionDep, aware
from admin_api.api.writes import Edit, Target, WriterDep
from admin_api.errors import body_validation_error, field_error, not_found
from admin_api.roles import Actor
from bot.content_repository import emergency_data
from bot.emergency import KNOWN_COUNTRIES, EmergencyNumber, EmergencyNumbers, Kind
from bot.models import EmergencyCountry, utcnow

router = APIRouter(prefix="/emergency", tags=["emergency numbers"])
WHAT = "emergency numbers"


class EmergencySummary(BaseModel):
    country: str
    kinds: list[Kind] = Field(description="the kinds of number on file, in HELP's order")
    last_verified: dt.date
    version: int


class EmergencyList(BaseModel):
    total: int
    countries: list[EmergencySummary]


class EmergencyOut(EmergencyNumbers):
    version: int
    updated_at: dt.datetime
    updated_by: str


class EmergencyIn(Versioned):
    """A country's numbers, whole: what its content/emergency/<CC>.yaml holds, without `country`."""

    numbers: list[EmergencyNumber] = Field(min_length=1, max_length=30)
    source: str = Field(pattern=r"^https?://\S+$", max_length=500,
                        description="the public page the numbers were checked against")
    source_note: str | None = Field(default=None, max_length=300)
    last_verified: dt.date


def _numbers(row: EmergencyCountry) -> EmergencyNumbers:
    return EmergencyNumbers.model_validate(row.data)


def _out(row: EmergencyCountry) -> EmergencyOut:
    return EmergencyOut(**_numbers(row).model_dump(), version=row.version,
                        updated_at=aware(row.updated_at), updated_by=row.updated_by)  # type: ignore[arg-type]


def _kinds(numbers: EmergencyNumbers) -> list[str]:
    return list(dict.fromkeys(n.kind for n in numbers.ordered()))


def _visible(actor: Actor, country: str) -> bool:
    return country in KNOWN_COUNTRIES and actor.may_touch_country(country)


async def load_country(session: AsyncSession, actor: Actor, country: str) -> EmergencyCountry:
    """The country's numbers if on file and in the caller's countries; 404 otherwise, alike."""
    row = await session.get(EmergencyCountry, country) if _visible(actor, country) else None
    if row is None:
        raise not_found(WHAT)
    return row


EMERGENCY = Target(name="emergency", model=EmergencyCountry, load=load_country, keeps_versions=False)


def _checked(country: str, body: EmergencyIn) -> dict:
    """The body as the stored data, checked like a file (duplicates, a date not in the future)."""
    try:
        numbers = EmergencyNumbers.model_validate({"country": country, **body.model_dump(exclude={"version"})})
    except ValidationError as exc:
        raise body_validation_error(exc) from None
    if numbers.last_verified > utcnow().date():
        raise field_error(("body", "last_verified"), "must not be in the future")
    return emergency_data(numbers)


def _audit(row: EmergencyCountry) -> dict:
    numbers = _numbers(row)
    return {"version": row.version, "kinds": _kinds(numbers), "numbers": len(numbers.numbers),
            "last_verified": numbers.last_verified.isoformat()}


@router.get("", response_model=EmergencyList)
async def list_emergency(actor: Reader, session: SessionDep) -> EmergencyList:
    """The countries with numbers on file that the caller may see."""
    rows = [r for r in (await session.scalars(select(EmergencyCountry).order_by(EmergencyCountry.country))).all()
            if _visible(actor, r.country)]
    out = []
    for row in rows:
        numbers = _numbers(row)
        out.append(EmergencySummary(country=row.country, kinds=_kinds(numbers),  # type: ignore[arg-type]
                                    last_verified=numbers.last_verified, version=row.version))
    return EmergencyList(total=len(out), countries=out)


@router.get("/{country}", response_model=EmergencyOut)
async def get_emergency(country: CountryPath, actor: Reader, session: SessionDep, response: Response) -> EmergencyOut:
    """One country's numbers; the ETag is the version to send back on a write."""
    row = await load_country(session, actor, country)
    send_etag(response, row.version)
    return _out(row)


@router.put("/{country}", response_model=EmergencyOut,
            responses={status.HTTP_201_CREATED: {"description": "numbers for a country that had none"}})
async def put_emergency(country: CountryPath, body: EmergencyIn, actor: Editor, writer: WriterDep,
                        response: Response, if_match: IfMatch = None) -> EmergencyOut:
    """Replace a country's numbers (send the version read, or If-Match); a country with none yet
    gets them without a version (201). Live for the bot within seconds."""
    if not _visible(actor, country):
        raise not_found(WHAT)
    existing = await writer.session.get(EmergencyCountry, country)
    if existing is None:
        if body.version is not None or if_match is not None:
            raise not_found(WHAT)  # nothing to have read a version of
        row = EmergencyCountry(country=country, version=1, data=_checked(country, body))
        row = await writer.create(actor, EMERGENCY, row, Edit("emergency.create", _audit, live=True))
        response.status_code = status.HTTP_201_CREATED
        return _out(row)

    async def plan(row: EmergencyCountry) -> Edit[EmergencyCountry]:
        data = _checked(country, body)

        def apply(row: EmergencyCountry) -> None:
            row.data = data

        return Edit("emergency.update", _audit, apply=apply, live=True)

    row = await writer.edit(actor, EMERGENCY, country, body.version, if_match, plan)
    return _out(row)
