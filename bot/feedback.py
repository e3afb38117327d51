"""Anonymous feedback and needs: what a record may hold, and writing it with no link to a person."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.models import FeedbackRecord, ProcessedEvent
from bot.privacy import scrub
from bot.spool import Spool, new_key

log = logging.getLogger(__name__)

RATINGS = ("yes", "no", "unsure")
NEEDS = ("legal_aid", "shelter", "health", "gbv_support", "counselling", "work_wages", "documents",
         "money", "return", "other")
URGENCIES = ("now", "week", "later")
GENDERS = ("woman", "man", "non_binary", "another", "prefer_not")
AGE_BANDS = ("under_18", "18_24", "25_34", "35_44", "45_54", "55_plus", "prefer_not")
PROFILE_FIELDS = ("gender", "age_band", "origin_country", "current_country", "stage")
COMMENT_MAX = 280
PROCESSED_DAYS = 3  # longer than any gateway retries (Vonage: 24 hours) or a spool waits, usually


@dataclass(frozen=True)
class Feedback:
    """One rating or need as the engine hands it over: coarse fields only, by construction."""

    kind: str  # rating | need
    channel: str
    locale: str
    content_id: str | None = None
    theme: str | None = None
    rating: str | None = None
    need: str | None = None
    urgency: str | None = None
    country: str | None = None
    gender: str | None = None
    age_band: str | None = None
    origin_country: str | None = None
    current_country: str | None = None
    stage: str | None = None
    comment: str | None = None


class FeedbackSink(Protocol):
    """Where feedback goes. `event_key` (a keyed hash of the message that gave it) makes a
    retried message add nothing twice."""

    async def add(self, records: list[Feedback], event_key: str | None = None) -> None: ...
    async def add_comment(self, content_id: str, locale: str, channel: str, comment: str,
                          country: str | None, event_key: str | None = None) -> None: ...


# per-person markers in the session store, registered with bot.personal_data by the engine
RATED_PREFIX = "rated:"  # one small hash per person: the items she rated, hashed
CAP_PREFIX = "fbcap:"  # one counter per person: feedback given in the last 24 hours


def rated_key(user_key: str) -> str:
    return RATED_PREFIX + user_key


def rated_field(user_key: str, content_id: str) -> str:
    """'Already rated this item', hashed so the store shows no reading list."""
    return hashlib.sha256(f"{user_key}:{content_id}".encode()).hexdigest()[:24]


def cap_key(user_key: str) -> str:
    return CAP_PREFIX + user_key


class DatabaseFeedbackSink:
    """Writes records with the day only, a random cell key, and scrubbed comments."""

    def __init__(self, sessionmaker: async_sessionmaker, comment_retention_days: int,
                 today: Callable[[], dt.date] | None = None) -> None:
        self._sessionmaker = sessionmaker
        self._retention = comment_retention_days
        self._today = today or (lambda: dt.datetime.now(dt.timezone.utc).date())

    def _row(self, fb: Feedback, comment: str | None = None, day: dt.date | None = None) -> FeedbackRecord:
        day = day or self._today()
        return FeedbackRecord(
            kind=fb.kind, day=day, channel=fb.channel, locale=fb.locale, content_id=fb.content_id,
            theme=fb.theme, rating=fb.rating, need=fb.need, urgency=fb.urgency, country=fb.country,
            gender=fb.gender, age_band=fb.age_band, origin_country=fb.origin_country,
            current_country=fb.current_country, stage=fb.stage, rkey=secrets.randbelow(2**32),  # for bot/disclosure.py
            comment=comment, comment_expires=(day + dt.timedelta(days=self._retention)) if comment else None)

    async def add(self, records: list[Feedback], event_key: str | None = None, day: dt.date | None = None) -> bool:
        """Write the records; False when this event's records were written before."""
        rows = [self._row(fb, scrub(fb.comment)[:COMMENT_MAX] if fb.comment else None, day) for fb in records]
        return await self._write(rows, event_key, day)

    async def add_comment(self, content_id: str, locale: str, channel: str, comment: str,
                          country: str | None, event_key: str | None = None, day: dt.date | None = None) -> bool:
        """A comment is its own record, so it cannot be tied back to the rating just given."""
        fb = Feedback(kind="comment", channel=channel, locale=locale, content_id=content_id,
                      country=country)
        return await self._write([self._row(fb, scrub(comment)[:COMMENT_MAX], day)], event_key, day)

    async def _write(self, rows: list[FeedbackRecord], event_key: str | None, day: dt.date | None) -> bool:
        try:
            async with self._sessionmaker() as session, session.begin():
                if event_key:
                    expires = (day or self._today()) + dt.timedelta(days=PROCESSED_DAYS)
                    session.add(ProcessedEvent(key=event_key, expires=expires))
                    await session.flush()  # a second write of the same event stops here
                session.add_all(rows)
        except IntegrityError:
            if event_key:
                return False
            raise
        return True


class SpoolingFeedbackSink:
    """The database sink, with a durable spool for when the database is down (bot.spool)."""

    def __init__(self, database: DatabaseFeedbackSink, spool: Spool,
                 today: Callable[[], dt.date] | None = None) -> None:
        self._db = database
        self._spool = spool
        self._today = today or (lambda: dt.datetime.now(dt.timezone.utc).date())

    async def add(self, records: list[Feedback], event_key: str | None = None) -> None:
        key = event_key or new_key()
        try:
            await self._db.add(records, key)
        except Exception as exc:
            log.error("feedback: database unavailable (%s); spooled", type(exc).__name__)
            await self._spool.append({"kind": "records", "key": key, "day": self._today().isoformat(),
                                      "records": [dataclasses.asdict(fb) for fb in records]})

    async def add_comment(self, content_id: str, locale: str, channel: str, comment: str,
                          country: str | None, event_key: str | None = None) -> None:
        key = event_key or new_key()
        try:
            await self._db.add_comment(content_id, locale, channel, comment, country, key)
        except Exception as exc:
            log.error("feedback: database unavailable (%s); comment spooled", type(exc).__name__)
            await self._spool.append({"kind": "comment", "key": key, "day": self._today().isoformat(),
                                      "comment": scrub(comment)[:COMMENT_MAX], "content_id": content_id,
                                      "locale": locale, "channel": channel, "country": country})

    async def replay(self, limit: int = 100) -> int:
        """Write spooled entries in order, each exactly once; stop at the first failure."""
        written = 0
        for entry_id, entry in await self._spool.pending(limit):
            day = dt.date.fromisoformat(entry["day"])
            if entry["kind"] == "comment":
                await self._db.add_comment(entry["content_id"], entry["locale"], entry["channel"],
                                           entry["comment"], entry["country"], entry["key"], day)
            else:
                await self._db.add([Feedback(**r) for r in entry["records"]], entry["key"], day)
            await self._spool.remove(entry_id)
            written += 1
        return written


async def purge_expired(sessionmaker: async_sessionmaker, record_retention_days: int,
                        today: dt.date | None = None) -> tuple[int, int]:
    """The retention job: blank comments past their date, drop records past theirs."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    async with sessionmaker() as session, session.begin():
        blanked = await session.execute(
            update(FeedbackRecord).where(FeedbackRecord.comment_expires <= today)
            .values(comment=None, comment_expires=None))
        await session.execute(delete(FeedbackRecord).where(
            FeedbackRecord.kind == "comment", FeedbackRecord.comment.is_(None)))
        dropped = await session.execute(delete(FeedbackRecord).where(
            FeedbackRecord.day < today - dt.timedelta(days=record_retention_days)))
        await session.execute(delete(ProcessedEvent).where(ProcessedEvent.expires < today))
    return int(blanked.rowcount or 0), int(dropped.rowcount or 0)  # type: ignore[attr-defined]
