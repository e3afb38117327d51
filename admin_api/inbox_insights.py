"""Inbox insights: questions per week (by country, language or theme) and first-answer times.

The same disclosure control as feedback (bot/disclosure.py, through admin_api/feedback_queries):
every count is a cell-key-perturbed count, cells below k = SUPPRESSION_K are suppressed with
enough others that none can be worked out from the table and its total. Threads carry no stored
random key, so each thread's record key is derived from its id with the service's HMAC secret
(`thread_rkey`): stable (the same set of threads always gets the same noise) and unknowable
without the secret. Answer times are published only for at least k answered threads, as the
50th and 90th percentiles in hours, rounded to a tenth of an hour, never as single times.

An organisation sees only its own threads' numbers, whoever asks (analyst or admin).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.feedback_queries import QueryError, as_json
from bot.disclosure import KEY_SPACE, BaseCell, publish
from bot.inbox_models import InboxThread

BY = {"country": InboxThread.country, "language": InboxThread.locale, "theme": InboxThread.theme}
INTERVALS = ("week", "month")


@dataclass(frozen=True)
class Period:
    start: dt.date | None = None  # first day, inclusive
    end: dt.date | None = None  # last day, inclusive

    def check(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise QueryError("period_from", "must not be after period_to")

    def conditions(self) -> list[Any]:
        conds = []
        if self.start:
            conds.append(InboxThread.created_at >= dt.datetime.combine(self.start, dt.time(), dt.timezone.utc))
        if self.end:
            conds.append(InboxThread.created_at < dt.datetime.combine(
                self.end + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
        return conds


def thread_rkey(secret: bytes, thread_id: int) -> int:
    """A thread's record key for the cell key method: HMAC of its id, in [0, 2**32)."""
    digest = hmac.new(secret, b"inbox-thread:%d" % thread_id, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % KEY_SPACE


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def period_of(created: dt.datetime, interval: str) -> str:
    """The week (its Monday, YYYY-MM-DD) or month (YYYY-MM) a thread was opened in, in UTC."""
    day = _utc(created).date()
    if interval == "month":
        return day.strftime("%Y-%m")
    return (day - dt.timedelta(days=day.weekday())).isoformat()


async def questions(session: AsyncSession, org_id: int, by: str, interval: str, period: Period,
                    secret: bytes, k: int) -> dict[str, Any]:
    """New questions per period and `by` value, published with perturbation and suppression."""
    if by not in BY:
        raise QueryError("by", "must be one of " + ", ".join(BY))
    if interval not in INTERVALS:
        raise QueryError("interval", "must be week or month")
    period.check()
    rows = await session.execute(select(InboxThread.id, InboxThread.created_at, BY[by])
                                 .where(InboxThread.org_id == org_id, *period.conditions()))
    counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for thread_id, created, value in rows.all():
        cell = counts[(period_of(created, interval), value)]
        cell[0] += 1
        cell[1] += thread_rkey(secret, thread_id)
    cells = [BaseCell(key, n, s) for key, (n, s) in counts.items()]
    total = BaseCell((), sum(c.count for c in cells), sum(c.rkey_sum for c in cells))
    return as_json(publish(("period", by), cells, total, k=k), interval=interval)


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile by the nearest-rank method: always one of the values, no interpolation."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


async def answer_times(session: AsyncSession, org_id: int, org_name: str, period: Period,
                       secret: bytes, k: int) -> dict[str, Any]:
    """Hours from her question to the first answer, for the organisation's answered threads."""
    period.check()
    rows = (await session.execute(select(InboxThread.id, InboxThread.created_at, InboxThread.answered_at)
                                  .where(InboxThread.org_id == org_id, *period.conditions()))).all()
    answered = [(i, c, a) for i, c, a in rows if a is not None]
    waiting = [(i, c) for i, c, a in rows if a is None]
    cells = [BaseCell(("answered",), len(answered), sum(thread_rkey(secret, i) for i, _, _ in answered)),
             BaseCell(("not_answered",), len(waiting), sum(thread_rkey(secret, i) for i, _ in waiting))]
    cells = [c for c in cells if c.count]
    total = BaseCell((), sum(c.count for c in cells), sum(c.rkey_sum for c in cells))
    table = publish(("answer",), cells, total, k=k)
    published = {c.key[0]: c for c in table.cells}
    hours = sorted(max(0.0, (_utc(a) - _utc(c)).total_seconds() / 3600) for _, c, a in answered)
    shown = len(hours) >= k  # percentiles of fewer than k answers are not published
    row = {"organisation": org_name,
           "answered": published["answered"].count if "answered" in published else 0,
           "not_answered": published["not_answered"].count if "not_answered" in published else 0,
           "p50_hours": round(percentile(hours, 50), 1) if shown else None,
           "p90_hours": round(percentile(hours, 90), 1) if shown else None,
           "times_suppressed": not shown}
    return {"k": k, "total": table.total, "organisations": [row]}
