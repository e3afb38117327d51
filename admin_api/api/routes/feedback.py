"""Feedback insights for programme teams: aggregates, time series, helpfulness, comments.

Analyst and admin keys only. Every number is published through bot.disclosure (cell key
perturbation + threshold and secondary suppression with k = SUPPRESSION_K); see
admin_api/feedback_queries.py for the query and the country scope, bot/disclosure.py for what
the disclosure control guarantees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api import feedback_queries as fq
from admin_api.api.deps import Analyst, CtxDep, Limit, Offset, SessionDep
from admin_api.audit import audit
from admin_api.errors import field_error
from admin_api.roles import Actor
from bot.app import AppContext
from bot.content_model import Stage
from bot.models import utcnow

router = APIRouter(prefix="/feedback", tags=["feedback"])

By = Annotated[str, Query(max_length=120, pattern=r"^[a-z_,]*$",
                          description="dimensions, comma-separated: " + ", ".join(fq.DIMENSIONS))]
PeriodFrom = Annotated[dt.date | None, Query(description="first day (inclusive), YYYY-MM-DD")]
PeriodTo = Annotated[dt.date | None, Query(description="last day (inclusive), YYYY-MM-DD")]
Country = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$", description="where the need is, or else where she is now")]
StageQ = Annotated[Stage | None, Query()]
ThemeQ = Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,30}$")]
LocaleQ = Annotated[str | None, Query(pattern=r"^[a-z]{2,3}$")]
Channel = Annotated[str | None, Query(pattern=r"^[a-z_]{2,12}$")]
Kind = Annotated[Literal["rating", "need", "comment"] | None, Query(description="default: implied by `by`")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: the same table as text/csv")]


class Cell(BaseModel):
    """The dimension values of the cell, then `count` (null when suppressed)."""

    model_config = {"extra": "allow"}
    count: int | None
    suppressed: bool | None = Field(default=None, description="present and true when the cell is hidden")


class TableOut(BaseModel):
    k: int = Field(description="cells under k are suppressed")
    dimensions: list[str]
    cells: list[Cell]
    total: int | None = Field(description="perturbed total of the query; null when under k")
    interval: str | None = None


class CommentOut(BaseModel):
    day: dt.date
    item: str | None
    locale: str
    channel: str
    country: str | None
    comment: str


class CommentPage(BaseModel):
    total: int
    comments: list[CommentOut]


def _filters(period_from: dt.date | None, period_to: dt.date | None, country: str | None,
             stage: str | None, theme: str | None, locale: str | None, channel: str | None,
             kind: str | None, item: str | None = None) -> fq.Filters:
    return fq.Filters(period_from=period_from, period_to=period_to, country=country, stage=stage,
                      theme=theme, locale=locale, channel=channel, kind=kind, item=item)


async def _answer(ctx: AppContext, session: AsyncSession, actor: Actor, query: fq.TableQuery, fmt: str,
                  name: str) -> Any:
    try:
        published = await fq.table(session, actor, query, ctx.settings.suppression_k)
    except fq.QueryError as exc:
        raise field_error(("query", exc.field), exc.message) from None
    if fmt == "csv":
        return Response(fq.as_csv(published), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="feedback-{name}.csv"',
                                 "Cache-Control": "no-store"})
    extra = {"interval": query.interval} if query.interval else {}
    # returned as built, so cells keep their shape: dimension values, count, and
    # "suppressed": true only where suppressed (the model above documents it)
    return JSONResponse(fq.as_json(published, **extra), headers={"Cache-Control": "no-store"})


def _query(by: str | None, filters: fq.Filters, *, allow_empty: bool = False, max_dims: int = fq.MAX_DIMENSIONS,
           interval: str | None = None, fixed_kind: str | None = None, extra_dims: tuple[str, ...] = ()) -> fq.TableQuery:
    try:
        dims = fq.parse_by(by, allow_empty=allow_empty, max_dims=max_dims) + extra_dims
        kind = fixed_kind if fixed_kind else fq.infer_kind(dims, filters.kind)
    except fq.QueryError as exc:
        raise field_error(("query", exc.field), exc.message) from None
    return fq.TableQuery(dimensions=dims, filters=_replace_kind(filters, kind), interval=interval)


def _replace_kind(filters: fq.Filters, kind: str | None) -> fq.Filters:
    return replace(filters, kind=kind)


@router.get("/aggregate", response_model=TableOut,
            responses={200: {"content": {"text/csv": {}}}})
async def aggregate(actor: Analyst, ctx: CtxDep, session: SessionDep, by: By,
                    period_from: PeriodFrom = None, period_to: PeriodTo = None,
                    country: Country = None, stage: StageQ = None, theme: ThemeQ = None,
                    locale: LocaleQ = None, channel: Channel = None, kind: Kind = None,
                    format: Format = "json") -> Any:
    """Counts of feedback and needs records by up to three dimensions, e.g. `by=gender,need`.

    Cells under k come back as `{"count": null, "suppressed": true}`, with enough other cells
    suppressed that none can be recovered from the total; every count carries a small noise
    that is the same for the same records in any query, so differences of queries do not reveal
    small groups. `by=need` counts need records (one per need chosen), `by=rating` ratings."""
    query = _query(by, _filters(period_from, period_to, country, stage, theme, locale, channel, kind))
    return await _answer(ctx, session, actor, query, format, "aggregate")


@router.get("/timeseries", response_model=TableOut,
            responses={200: {"content": {"text/csv": {}}}})
async def timeseries(actor: Analyst, ctx: CtxDep, session: SessionDep,
                     interval: Annotated[Literal["week", "month"], Query()] = "month",
                     by: Annotated[str, Query(max_length=120, pattern=r"^[a-z_,]*$")] = "",
                     period_from: PeriodFrom = None, period_to: PeriodTo = None,
                     country: Country = None, stage: StageQ = None, theme: ThemeQ = None,
                     locale: LocaleQ = None, channel: Channel = None, kind: Kind = None,
                     format: Format = "json") -> Any:
    """Counts per week (the Monday's date) or month (YYYY-MM), optionally by up to two more
    dimensions: the leading dimension is `period`. Same disclosure control as /aggregate."""
    query = _query(by, _filters(period_from, period_to, country, stage, theme, locale, channel, kind),
                   allow_empty=True, max_dims=fq.MAX_DIMENSIONS - 1, interval=interval)
    return await _answer(ctx, session, actor, query, format, f"timeseries-{interval}")


@router.get("/helpfulness", response_model=TableOut,
            responses={200: {"content": {"text/csv": {}}}})
async def helpfulness(actor: Analyst, ctx: CtxDep, session: SessionDep,
                      by: Annotated[Literal["item", "locale", "theme", "channel"], Query()] = "theme",
                      period_from: PeriodFrom = None, period_to: PeriodTo = None,
                      country: Country = None, stage: StageQ = None, theme: ThemeQ = None,
                      locale: LocaleQ = None, channel: Channel = None,
                      format: Format = "json") -> Any:
    """"Was this helpful?" answers (yes / no / unsure) by content item, locale, theme or channel:
    a two-dimensional table (`by`, `rating`) under the same disclosure control."""
    query = _query(by, _filters(period_from, period_to, country, stage, theme, locale, channel, None),
                   fixed_kind="rating", extra_dims=("rating",), max_dims=1)
    return await _answer(ctx, session, actor, query, format, f"helpfulness-{by}")


@router.get("/comments", response_model=CommentPage)
async def list_comments(actor: Analyst, session: SessionDep, limit: Limit = 100, offset: Offset = 0,
                        period_from: PeriodFrom = None, period_to: PeriodTo = None,
                        country: Country = None, locale: LocaleQ = None, channel: Channel = None,
                        item: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")] = None) -> CommentPage:
    """One-line comments (scrubbed of numbers and addresses before they were stored), in the
    organisation's countries only (an organisation with no country limit sees all), never past
    their retention date. Each read is recorded in the audit log (filters and count, no text)."""
    filters = fq.Filters(period_from=period_from, period_to=period_to, country=country,
                         locale=locale, channel=channel, item=item)
    try:
        total, rows = await fq.comments(session, actor, filters, utcnow().date(), limit, offset)
    except fq.QueryError as exc:
        raise field_error(("query", exc.field), exc.message) from None
    audit(session, actor, "feedback.comments.read", "feedback", "comments",
          {"returned": len(rows), "total": total,
           "filters": {k: str(v) for k, v in (("period_from", period_from), ("period_to", period_to),
                                              ("country", country), ("locale", locale),
                                              ("channel", channel), ("item", item)) if v is not None}})
    await session.commit()
    return CommentPage(total=total, comments=[CommentOut(**r) for r in rows])
