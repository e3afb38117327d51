"""Inbox insights for programme teams: questions per week, first-answer times (p50, p90).

Analyst and admin keys; an organisation sees only its own threads' numbers. Every count goes
through bot.disclosure with k = SUPPRESSION_K (see admin_api/inbox_insights.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admin_api import inbox_insights as ii
from admin_api.api.deps import Analyst, CtxDep, SessionDep
from admin_api.api.routes.feedback import TableOut
from admin_api.errors import field_error
from admin_api.feedback_queries import QueryError
from bot.privacy import load_secret

router = APIRouter(prefix="/inbox/insights", tags=["inbox"])

PeriodFrom = Annotated[dt.date | None, Query(description="first day (inclusive), YYYY-MM-DD, UTC")]
PeriodTo = Annotated[dt.date | None, Query(description="last day (inclusive), YYYY-MM-DD, UTC")]


class AnswerTimeRow(BaseModel):
    organisation: str
    answered: int | None = Field(description="perturbed count of answered threads; null when suppressed")
    not_answered: int | None = Field(description="perturbed count still without an answer; null when suppressed")
    p50_hours: float | None = Field(description="median hours to the first answer; null under k answers")
    p90_hours: float | None = Field(description="90th percentile, hours; null under k answers")
    times_suppressed: bool


class AnswerTimes(BaseModel):
    k: int = Field(description="counts under k are suppressed, and times of fewer than k answers")
    total: int | None
    organisations: list[AnswerTimeRow]


def _secret(ctx: CtxDep) -> bytes:
    secret = getattr(ctx, "_inbox_insights_secret", None)
    if secret is None:
        secret = load_secret(ctx.settings)
        ctx._inbox_insights_secret = secret  # type: ignore[attr-defined]
    return secret


@router.get("/questions", response_model=TableOut)
async def questions(actor: Analyst, ctx: CtxDep, session: SessionDep,
                    by: Annotated[Literal["country", "language", "theme"], Query()] = "country",
                    interval: Annotated[Literal["week", "month"], Query()] = "week",
                    period_from: PeriodFrom = None, period_to: PeriodTo = None) -> JSONResponse:
    """New questions per week (or month) by country, language or theme tagged by a responder."""
    try:
        table = await ii.questions(session, actor.org_id, by, interval, ii.Period(period_from, period_to),
                                   _secret(ctx), ctx.settings.suppression_k)
    except QueryError as exc:
        raise field_error(("query", exc.field), exc.message) from None
    # as built, so cells keep their shape ("suppressed": true only where suppressed), as feedback's
    return JSONResponse(table, headers={"Cache-Control": "no-store"})


@router.get("/answer-times", response_model=AnswerTimes)
async def answer_times(actor: Analyst, ctx: CtxDep, session: SessionDep,
                       period_from: PeriodFrom = None, period_to: PeriodTo = None) -> JSONResponse:
    """Hours from a question to its first answer: p50 and p90 for the organisation's threads."""
    try:
        times = await ii.answer_times(session, actor.org_id, actor.org_name, ii.Period(period_from, period_to),
                                      _secret(ctx), ctx.settings.suppression_k)
    except QueryError as exc:
        raise field_error(("query", exc.field), exc.message) from None
    return JSONResponse(times, headers={"Cache-Control": "no-store"})
