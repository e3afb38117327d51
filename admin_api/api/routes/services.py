"""The services directory: organisations, helplines and services the bot refers women to.

Services have no review step (the model keeps no published snapshot): a change is live for
the bot within seconds. Every change is versioned by number (optimistic concurrency) and
audited with the fields it touched; entries not verified for VERIFICATION_OVERDUE_DAYS are
listed as overdue.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.api.common import ApiModel, Versioned, send_etag
from admin_api.api.deps import CtxDep, Editor, IfMatch, Limit, Offset, Reader, ServiceId, SessionDep, aware
from admin_api.api.writes import Edit, Target, WriterDep
from admin_api.errors import body_validation_error, field_error, not_found
from admin_api.roles import Actor
from bot.content_model import Category, Service
from bot.content_repository import SERVICE_FIELDS
from bot.models import Service as ServiceRow
from bot.models import utcnow

router = APIRouter(prefix="/services", tags=["services"])
CountryCode = Annotated[str | None, Query(pattern=r"^([A-Z]{2}|INT)$")]


class ServiceOut(Service):
    active: bool
    version: int
    overdue: bool = Field(description="not verified within VERIFICATION_OVERDUE_DAYS")
    updated_at: dt.datetime
    updated_by: str


class ServicePage(BaseModel):
    total: int
    services: list[ServiceOut]


class ServiceIn(ApiModel, Service):
    """A new directory entry."""


class ServicePatch(Versioned):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    country: str | None = Field(default=None, pattern=r"^([A-Z]{2}|INT)$")
    categories: list[Category] | None = Field(default=None, min_length=1)
    emergency: bool | None = None
    phone: str | None = Field(default=None, max_length=40)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=300)
    hours: str | None = Field(default=None, max_length=100)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] | None = Field(default=None, max_length=30)
    women_only: bool | None = None
    lgbtiq_friendly: bool | None = None
    verified: bool | None = None
    source: str | None = Field(default=None, max_length=300)
    last_verified: dt.date | None = None
    description: dict[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")], Annotated[str, Field(max_length=1000)]] | None = None
    active: bool | None = None


class VerifyIn(Versioned):
    last_verified: dt.date | None = Field(default=None, description="default: today")
    source: str | None = Field(default=None, max_length=300)


def _today() -> dt.date:
    return utcnow().date()


def _overdue(row: ServiceRow, days: int) -> bool:
    return row.last_verified is None or row.last_verified < _today() - dt.timedelta(days=days)


def service_out(row: ServiceRow, days: int) -> ServiceOut:
    data = {"id": row.id, **{f: getattr(row, f) for f in SERVICE_FIELDS}}
    return ServiceOut(**data, active=row.active, version=row.version, overdue=_overdue(row, days),
                      updated_at=aware(row.updated_at), updated_by=row.updated_by)  # type: ignore[arg-type]


async def load_service(session: AsyncSession, actor: Actor, service_id: str) -> ServiceRow:
    """The entry if it exists and is in the caller's countries; 404 otherwise, alike."""
    row = await session.get(ServiceRow, service_id)
    if row is None or not actor.may_touch_country(row.country):
        raise not_found("service")
    return row


SERVICE = Target(name="service", model=ServiceRow, load=load_service, keeps_versions=False)


def _check_country(actor: Actor, country: str) -> None:
    if not actor.may_touch_country(country):
        raise field_error(("body", "country"),
                          f"your organisation may only edit services in {', '.join(actor.countries)}")


def _edit(actor: Actor, row: ServiceRow, changes: dict[str, Any], action: str) -> Edit[ServiceRow]:
    """Check the entry as it would be after `changes`; live for the bot once written."""
    data = {"id": row.id, **{f: getattr(row, f) for f in SERVICE_FIELDS}}
    active = changes.pop("active", None)
    data.update(changes)
    try:
        Service.model_validate(data)
    except ValidationError as exc:
        raise body_validation_error(exc) from None
    if "country" in changes:
        _check_country(actor, changes["country"])
    fields = sorted(changes) + (["active"] if active is not None else [])

    def apply(row: ServiceRow) -> None:
        for f, v in changes.items():
            setattr(row, f, v)
        if active is not None:
            row.active = active

    return Edit(action, lambda row: {"version": row.version, "fields": fields}, apply=apply, live=True)


@router.get("", response_model=ServicePage)
async def list_services(actor: Reader, ctx: CtxDep, session: SessionDep, limit: Limit = 100, offset: Offset = 0,
                        country: CountryCode = None, category: Category | None = None,
                        emergency: bool | None = None, active: bool | None = None,
                        overdue: bool | None = None) -> ServicePage:
    """The directory entries the caller may see, filtered."""
    stmt = select(ServiceRow).order_by(ServiceRow.country, ServiceRow.id)
    if country:
        stmt = stmt.where(ServiceRow.country == country)
    if emergency is not None:
        stmt = stmt.where(ServiceRow.emergency.is_(emergency))
    if active is not None:
        stmt = stmt.where(ServiceRow.active.is_(active))
    days = ctx.settings.verification_overdue_days
    rows = [r for r in (await session.scalars(stmt)).all()
            if actor.may_touch_country(r.country)
            and (category is None or category in (r.categories or []))
            and (overdue is None or _overdue(r, days) == overdue)]
    return ServicePage(total=len(rows), services=[service_out(r, days) for r in rows[offset:offset + limit]])


@router.get("/overdue", response_model=ServicePage)
async def overdue_services(actor: Reader, ctx: CtxDep, session: SessionDep) -> ServicePage:
    """Active entries never verified, or verified longer ago than VERIFICATION_OVERDUE_DAYS: call them."""
    days = ctx.settings.verification_overdue_days
    rows = [r for r in (await session.scalars(select(ServiceRow).where(ServiceRow.active.is_(True))
                                              .order_by(ServiceRow.last_verified, ServiceRow.id))).all()
            if actor.may_touch_country(r.country) and _overdue(r, days)]
    rows.sort(key=lambda r: (r.last_verified is not None, r.last_verified or dt.date.min, r.id))
    return ServicePage(total=len(rows), services=[service_out(r, days) for r in rows])


@router.get("/{service_id}", response_model=ServiceOut)
async def get_service(service_id: ServiceId, actor: Reader, ctx: CtxDep, session: SessionDep,
                      response: Response) -> ServiceOut:
    """One entry; the ETag is the version to send back on a write."""
    row = await load_service(session, actor, service_id)
    send_etag(response, row.version)
    return service_out(row, ctx.settings.verification_overdue_days)


@router.post("", response_model=ServiceOut, status_code=status.HTTP_201_CREATED)
async def create_service(body: ServiceIn, actor: Editor, writer: WriterDep) -> ServiceOut:
    """A new entry, live for the bot within seconds."""
    _check_country(actor, body.country)
    service = Service.model_validate(body.model_dump())
    row = ServiceRow(id=service.id, version=1, active=True, **{f: getattr(service, f) for f in SERVICE_FIELDS})
    row = await writer.create(actor, SERVICE, row, Edit(
        "service.create", lambda row: {"version": 1, "country": row.country}, live=True))
    return service_out(row, writer.ctx.settings.verification_overdue_days)


@router.patch("/{service_id}", response_model=ServiceOut)
async def update_service(service_id: ServiceId, body: ServicePatch, actor: Editor, writer: WriterDep,
                         if_match: IfMatch = None) -> ServiceOut:
    """Change an entry (`active: false` withdraws it from the bot); live within seconds."""

    async def plan(row: ServiceRow) -> Edit[ServiceRow]:
        return _edit(actor, row, body.model_dump(exclude_unset=True, exclude={"version"}), "service.update")

    row = await writer.edit(actor, SERVICE, service_id, body.version, if_match, plan)
    return service_out(row, writer.ctx.settings.verification_overdue_days)


@router.post("/{service_id}/verify", response_model=ServiceOut)
async def verify_service(service_id: ServiceId, actor: Editor, writer: WriterDep,
                         body: VerifyIn | None = None, if_match: IfMatch = None) -> ServiceOut:
    """Record that someone checked the details against the organisation's own public source."""

    async def plan(row: ServiceRow) -> Edit[ServiceRow]:
        when = (body.last_verified if body and body.last_verified else None) or _today()
        if when > _today():
            raise field_error(("body", "last_verified"), "must not be in the future")
        changes: dict[str, Any] = {"last_verified": when, "verified": True}
        if body and body.source:
            changes["source"] = body.source
        return _edit(actor, row, changes, "service.verify")

    row = await writer.edit(actor, SERVICE, service_id, body.version if body else None, if_match, plan)
    return service_out(row, writer.ctx.settings.verification_overdue_days)
