"""Feedback insights: one SQL GROUP BY per table, then disclosure control (bot/disclosure.py).

Every published number goes through `bot.disclosure.publish`: the query returns, per cell,
COUNT(*) and SUM(rkey) (the random key stored with each record), never the records themselves,
and publish perturbs every cell consistently (the cell key method) and suppresses cells below
k and enough others that no suppressed value can be worked out from the table and its total.

Counts are records, not people: a woman who chose three needs adds three `need` records, a
rating and its comment are two records. Records carry no person identifier, so nothing else is
possible, by design.

Country scope: an organisation limited to some countries sees only records whose country
(where the need is, or else the country she said she is in now) is one of them; records with
no country at all are visible to unlimited organisations only. The same scope applies to
aggregates, time series, helpfulness and comments. Filtering (rather than refusing) is safe
because the perturbation is per set of records: the same cell seen by a Kenyan organisation and
by a global one gets the same noise, so comparing their tables gives nothing away.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.roles import Actor
from bot.disclosure import BaseCell, PublishedTable, publish
from bot.models import FeedbackRecord as FR

# the country a record is about: where the need is, else where she said she is now
COUNTRY = func.coalesce(FR.country, FR.current_country)

# dimension name in the API -> column or expression
DIMENSIONS: dict[str, Any] = {
    "kind": FR.kind,
    "gender": FR.gender,
    "age_band": FR.age_band,
    "origin_country": FR.origin_country,
    "current_country": FR.current_country,
    "country": COUNTRY,
    "stage": FR.stage,
    "need": FR.need,
    "urgency": FR.urgency,
    "rating": FR.rating,
    "theme": FR.theme,
    "item": FR.content_id,
    "locale": FR.locale,
    "channel": FR.channel,
}
MAX_DIMENSIONS = 3  # wider tables are mostly suppressed, and the 2-D audit stops at two
KINDS = ("rating", "need", "comment")
INTERVALS = ("week", "month")
HELPFULNESS_BY = ("item", "locale", "theme", "channel")
NEED_DIMS = {"need", "urgency"}
RATING_DIMS = {"rating"}


class QueryError(ValueError):
    """A request that names something it may not: answered 422 with the field named."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filters:
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    country: str | None = None
    stage: str | None = None
    theme: str | None = None
    locale: str | None = None
    channel: str | None = None
    kind: str | None = None
    item: str | None = None


@dataclass(frozen=True)
class TableQuery:
    dimensions: tuple[str, ...]
    filters: Filters = field(default_factory=Filters)
    interval: str | None = None  # time series: a leading "period" dimension


def parse_by(raw: str | None, *, allow_empty: bool = False, max_dims: int = MAX_DIMENSIONS,
             field_name: str = "by") -> tuple[str, ...]:
    """`gender,need` -> ('gender', 'need'), checked against DIMENSIONS."""
    parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
    if not parts and not allow_empty:
        raise QueryError(field_name, "name at least one dimension, e.g. by=gender,need")
    unknown = [p for p in parts if p not in DIMENSIONS]
    if unknown:
        raise QueryError(field_name, f"unknown dimension {unknown[0][:40]!r}; allowed: "
                         + ", ".join(DIMENSIONS))
    if len(set(parts)) != len(parts):
        raise QueryError(field_name, "a dimension is named twice")
    if len(parts) > max_dims:
        raise QueryError(field_name, f"at most {max_dims} dimensions per table")
    return tuple(parts)


def infer_kind(dims: Sequence[str], kind: str | None) -> str | None:
    """Needs and ratings are different records: `by=need` counts need records, `by=rating`
    rating records, unless `kind` says otherwise (which must then fit)."""
    wants_need, wants_rating = bool(NEED_DIMS & set(dims)), bool(RATING_DIMS & set(dims))
    if wants_need and wants_rating:
        raise QueryError("by", "need and rating are never in the same record: ask two tables")
    implied = "need" if wants_need else "rating" if wants_rating else None
    if kind is not None and implied is not None and kind != implied:
        raise QueryError("kind", f"by={','.join(dims)} counts {implied} records; kind={kind} has none")
    return kind or implied


def check_scope(actor: Actor, filters: Filters) -> None:
    if filters.country and actor.countries and filters.country not in actor.countries:
        raise QueryError("country", "your organisation covers only " + ", ".join(actor.countries))
    if filters.period_from and filters.period_to and filters.period_from > filters.period_to:
        raise QueryError("period_from", "must not be after period_to")


def conditions(actor: Actor, filters: Filters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if actor.countries:
        conds.append(COUNTRY.in_(list(actor.countries)))
    if filters.country:
        conds.append(COUNTRY == filters.country)
    if filters.period_from:
        conds.append(FR.day >= filters.period_from)
    if filters.period_to:
        conds.append(FR.day <= filters.period_to)
    for name, column in (("stage", FR.stage), ("theme", FR.theme), ("locale", FR.locale),
                         ("channel", FR.channel), ("kind", FR.kind), ("item", FR.content_id)):
        value = getattr(filters, name)
        if value is not None:
            conds.append(column == value)
    return conds


def period_expression(dialect: str, interval: str) -> Any:
    """The day cut to its week (the Monday, YYYY-MM-DD) or month (YYYY-MM), in SQL."""
    if interval not in INTERVALS:
        raise QueryError("interval", "must be week or month")
    if dialect == "sqlite":
        if interval == "month":
            return func.strftime("%Y-%m", FR.day)
        back = (cast(func.strftime("%w", FR.day), Integer) + 6) % 7  # days since Monday
        return func.date(FR.day, func.printf("-%d days", back))
    return func.to_char(func.date_trunc(interval, FR.day), "YYYY-MM" if interval == "month" else "YYYY-MM-DD")


def statement(actor: Actor, query: TableQuery, dialect: str) -> Any:
    """The one GROUP BY: the dimensions, COUNT(*) and SUM(rkey) per cell."""
    exprs = [DIMENSIONS[d] for d in query.dimensions]
    if query.interval:
        exprs = [period_expression(dialect, query.interval)] + exprs
    conds = conditions(actor, query.filters)
    stmt = select(*[e.label(f"d{i}") for i, e in enumerate(exprs)], func.count().label("n"),
                  func.coalesce(func.sum(FR.rkey), literal(0)).label("s"))
    if conds:
        stmt = stmt.where(and_(*conds))
    return stmt.group_by(*exprs) if exprs else stmt


def to_cells(rows: Sequence[Sequence[Any]], ndims: int) -> tuple[list[BaseCell], BaseCell]:
    """GROUP BY rows (dimension values, count, rkey sum) as BaseCells, and the query total:
    their sum, since every record of the query is in exactly one cell."""
    cells = []
    for row in rows:
        n = int(row[ndims])
        if n:
            key = tuple(None if v is None else str(v) for v in row[:ndims])
            cells.append(BaseCell(key, n, int(row[ndims + 1] or 0)))
    return cells, BaseCell((), sum(c.count for c in cells), sum(c.rkey_sum for c in cells))


def published_dimensions(query: TableQuery) -> tuple[str, ...]:
    return (("period",) if query.interval else ()) + query.dimensions


async def table(session: AsyncSession, actor: Actor, query: TableQuery, k: int) -> PublishedTable:
    """One table as the API publishes it: the GROUP BY, then bot.disclosure.publish."""
    check_scope(actor, query.filters)
    dims = published_dimensions(query)
    rows = (await session.execute(statement(actor, query, session.bind.dialect.name))).all()
    cells, total = to_cells(rows, len(dims))
    if not dims:  # a single row without GROUP BY
        cells = []
    return publish(dims, cells, total, k=k)


def as_json(published: PublishedTable, **extra: Any) -> dict[str, Any]:
    """The API's table: suppressed cells as {"count": null, "suppressed": true}, others without
    the flag, as the issue specifies."""
    out = published.as_dict()
    for cell in out["cells"]:
        if not cell["suppressed"]:
            del cell["suppressed"]
    out.update(extra)
    return out


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(published: PublishedTable) -> str:
    """One row per cell (empty count when suppressed), then the total; k on every row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    dims = list(published.dimensions)
    writer.writerow(["row", *dims, "count", "suppressed", "k"])
    for cell in published.cells:
        writer.writerow(["cell", *[_csv_safe(v) if v is not None else "" for v in cell.key],
                         "" if cell.count is None else cell.count, str(cell.suppressed).lower(), published.k])
    writer.writerow(["total", *[""] * len(dims), "" if published.total is None else published.total,
                     str(published.total is None).lower(), published.k])
    return buf.getvalue()


# --- comments --------------------------------------------------------------------------

async def comments(session: AsyncSession, actor: Actor, filters: Filters, today: dt.date,
                   limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """Unexpired comments in the caller's countries. Ordered by day, then item and text, never
    by insertion: the order records were written in must not tie a comment to a rating."""
    check_scope(actor, filters)
    conds = conditions(actor, Filters(period_from=filters.period_from, period_to=filters.period_to,
                                      country=filters.country, locale=filters.locale,
                                      channel=filters.channel, theme=filters.theme, item=filters.item))
    conds += [FR.comment.is_not(None), FR.comment_expires.is_not(None), FR.comment_expires > today]
    total = int(await session.scalar(select(func.count()).select_from(FR).where(and_(*conds))) or 0)
    rows = (await session.execute(
        select(FR.day, FR.content_id, FR.locale, FR.channel, COUNTRY.label("country"), FR.comment)
        .where(and_(*conds)).order_by(FR.day.desc(), FR.content_id, FR.comment)
        .limit(limit).offset(offset))).all()
    return total, [{"day": r.day.isoformat() if hasattr(r.day, "isoformat") else str(r.day),
                    "item": r.content_id, "locale": r.locale, "channel": r.channel,
                    "country": r.country, "comment": r.comment} for r in rows]
