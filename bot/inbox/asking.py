"""Her side of "ask a person": asking, follow-ups, limits, routing, deletion, STOP, retention."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.addresses import Address, AddressBook
from bot.config import Settings
from bot.inbox import text as qtext
from bot.inbox_models import LIVE_STATUSES, InboxAsker, InboxMessage, InboxSettings, InboxThread, OutboxRow
from bot.models import Organisation, utcnow
from bot.outbox import Outbox

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed back
CODE_LENGTH = 6


@dataclass(frozen=True)
class AskResult:
    """What the chat tells her. outcome: created | added | empty | too_long | limit | unavailable."""

    outcome: str
    code: str | None = None  # "A7F3K2": say "Question A7F3K2"
    urgent: bool = False  # send her the emergency numbers for her country now
    organisation: str | None = None
    answer_time_hours: int | None = None
    working_hours: str | None = None
    webhook_outbox_id: int | None = None  # for the caller to kick after commit


@dataclass(frozen=True)
class Route:
    org_id: int
    name: str
    answer_time_hours: int
    working_hours: str
    webhook: bool


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _day_start(now: dt.datetime) -> dt.datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


async def route(session: AsyncSession, country: str | None, locale: str, default_name: str | None) -> Route | None:
    """An accepting organisation covering her country and language; the fewest open threads wins.

    One that names her country is preferred over one covering every country; without either,
    the default organisation (INBOX_DEFAULT_ORGANISATION) takes it.
    """
    rows = (await session.execute(select(Organisation, InboxSettings).join(
        InboxSettings, InboxSettings.org_id == Organisation.id).where(InboxSettings.accepting.is_(True)))).all()
    speaks = [(o, s) for o, s in rows if not s.languages or locale in s.languages]
    specific = [(o, s) for o, s in speaks if country and country in (o.countries or [])]
    pool = specific or [(o, s) for o, s in speaks if not o.countries]
    if not pool and default_name:
        default = await session.scalar(select(Organisation).where(Organisation.name == default_name))
        if default is not None:
            settings = await session.get(InboxSettings, default.id)
            if settings is None or settings.accepting:
                pool = [(default, settings or InboxSettings(org_id=default.id, answer_time_hours=48, working_hours=""))]
    if not pool:
        return None
    counts = dict((await session.execute(select(InboxThread.org_id, func.count()).where(
        InboxThread.org_id.in_([o.id for o, _ in pool]), InboxThread.status.in_(LIVE_STATUSES))
        .group_by(InboxThread.org_id))).all())
    org, settings = min(pool, key=lambda p: (counts.get(p[0].id, 0), p[0].id))
    return Route(org.id, org.name, settings.answer_time_hours or 48, settings.working_hours or "",
                 bool(settings.webhook_url))


class Asking:
    """What the engine and channels call. Never sees or keeps a raw chat id or phone number:
    the address arrives already as an `Address` and is stored encrypted by the address book."""

    def __init__(self, sessionmaker: async_sessionmaker, settings: Settings, addresses: AddressBook,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._addresses = addresses
        self._clock = clock

    async def _live_thread(self, session: AsyncSession, person: str) -> InboxThread | None:
        return await session.scalar(select(InboxThread).join(InboxAsker, InboxAsker.thread_id == InboxThread.id)
                                    .where(InboxAsker.person == person, InboxThread.status.in_(LIVE_STATUSES))
                                    .order_by(InboxThread.created_at.desc()).limit(1))

    async def _over_limit(self, session: AsyncSession, person: str, new_thread: bool) -> bool:
        since = _day_start(self._clock())
        mine = select(InboxAsker.thread_id).where(InboxAsker.person == person)
        messages = await session.scalar(select(func.count()).select_from(InboxMessage).where(
            InboxMessage.thread_id.in_(mine), InboxMessage.author == "asker", InboxMessage.created_at >= since))
        if (messages or 0) >= self._settings.inbox_daily_messages:
            return True
        if new_thread:
            threads = await session.scalar(select(func.count()).select_from(InboxThread).where(
                InboxThread.id.in_(mine), InboxThread.created_at >= since))
            return (threads or 0) >= self._settings.inbox_daily_questions
        return False

    async def ask(self, user_key: str, address: Address, text: str, *, locale: str, channel: str,
                  country: str | None = None, stage: str | None = None) -> AskResult:
        """Her question, or a follow-up while her thread is live. One transaction: the thread,
        the masked text, the encrypted address and the organisation's webhook commit together."""
        cleaned = qtext.clean(text or "")
        trouble = qtext.problem(cleaned, self._settings.inbox_question_max_chars)
        if trouble:
            return AskResult(trouble)
        urgent = qtext.is_urgent(cleaned)
        person = self._addresses.person(user_key)
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            thread = await self._live_thread(session, person)
            if await self._over_limit(session, person, new_thread=thread is None):
                return AskResult("limit")
            if thread is not None:
                return await self._follow_up(session, thread, person, address, cleaned, urgent, now)
            found = await route(session, country, locale, self._settings.inbox_default_organisation)
            if found is None:
                return AskResult("unavailable", urgent=urgent)
            code = new_code()
            while await session.scalar(select(InboxThread.id).where(InboxThread.code == code)):
                code = new_code()
            thread = InboxThread(code=code, org_id=found.org_id, locale=locale, channel=channel,
                                 country=country, stage=stage, status="open", urgent=urgent,
                                 created_at=now, last_message_at=now)
            session.add(thread)
            await session.flush()
            session.add(InboxAsker(thread_id=thread.id, person=person))
            session.add(InboxMessage(thread_id=thread.id, author="asker", text=qtext.mask(cleaned), created_at=now))
            await self._addresses.remember(session, person, address)
            webhook_id = None
            if found.webhook:
                row = Outbox.add(session, kind="webhook", channel="webhook", idempotency_key=f"hook:{thread.code}",
                                 payload={"org_id": found.org_id, "body": {
                                     "event": "question.new", "question": thread.code, "language": locale,
                                     "country": country, "urgent": urgent, "at": now.isoformat()}})
                await session.flush()
                webhook_id = row.id
        return AskResult("created", code=thread.code, urgent=urgent, organisation=found.name,
                         answer_time_hours=found.answer_time_hours, working_hours=found.working_hours,
                         webhook_outbox_id=webhook_id)

    async def _follow_up(self, session: AsyncSession, thread: InboxThread, person: str, address: Address,
                         cleaned: str, urgent: bool, now: dt.datetime) -> AskResult:
        session.add(InboxMessage(thread_id=thread.id, author="asker", text=qtext.mask(cleaned), created_at=now))
        thread.last_message_at = now
        thread.urgent = thread.urgent or urgent
        if thread.status == "answered":
            thread.status = "claimed" if thread.claimed_by else "open"
        await self._addresses.remember(session, person, address)
        settings = await session.get(InboxSettings, thread.org_id)
        name = await session.scalar(select(Organisation.name).where(Organisation.id == thread.org_id))
        return AskResult("added", code=thread.code, urgent=urgent, organisation=name,
                         answer_time_hours=settings.answer_time_hours if settings else 48,
                         working_hours=settings.working_hours if settings else "")

    async def live_thread(self, user_key: str) -> str | None:
        """The code of her open question, if she has one (to offer "add to your question")."""
        async with self._sessionmaker() as session:
            thread = await self._live_thread(session, self._addresses.person(user_key))
            return thread.code if thread else None

    async def forget(self, user_key: str) -> int:
        """"Delete my data": her threads' texts, the link to her, her addresses, her queued answers.

        The threads stay as empty shells with status `deleted`, so a responder sees "deleted by
        the person who asked" rather than a question that vanished. Returns how many threads."""
        person = self._addresses.person(user_key)
        now = self._clock()
        async with self._sessionmaker() as session, session.begin():
            ids = list(await session.scalars(select(InboxAsker.thread_id).where(InboxAsker.person == person)))
            if ids:
                await session.execute(delete(InboxMessage).where(InboxMessage.thread_id.in_(ids)))
                await session.execute(update(InboxThread).where(InboxThread.id.in_(ids)).values(
                    status="deleted", closed_at=now, purged_at=now, delivery=None))
                await session.execute(update(OutboxRow).where(OutboxRow.thread_id.in_(ids),
                                                              OutboxRow.status.in_(("pending", "sending")))
                                      .values(status="cancelled", payload={}, last_error="deleted"))
                await session.execute(delete(InboxAsker).where(InboxAsker.thread_id.in_(ids)))
            await Outbox.cancel_for(session, person)
            await self._addresses.erase(session, person)
        return len(ids)

    async def stopped(self, user_key: str) -> None:
        """SMS STOP: nothing more is sent to her; her address goes; the responder sees why."""
        person = self._addresses.person(user_key)
        async with self._sessionmaker() as session, session.begin():
            ids = select(InboxAsker.thread_id).where(InboxAsker.person == person)
            await session.execute(update(InboxThread).where(InboxThread.id.in_(ids),
                                                            InboxThread.status.in_(LIVE_STATUSES))
                                  .values(delivery="opted_out"))
            await Outbox.cancel_for(session, person, "opted_out")
            await self._addresses.erase(session, person)

    async def purge(self, now: dt.datetime | None = None) -> tuple[int, int]:
        """The retention job: threads silent for INBOX_RETENTION_DAYS lose their texts and the
        link to her (and close); addresses past their expiry go. Returns (threads, addresses)."""
        now = now or self._clock()
        cutoff = now - dt.timedelta(days=self._settings.inbox_retention_days)
        async with self._sessionmaker() as session, session.begin():
            ids = list(await session.scalars(select(InboxThread.id).where(
                InboxThread.last_message_at < cutoff, InboxThread.purged_at.is_(None))))
            if ids:
                await session.execute(update(InboxMessage).where(InboxMessage.thread_id.in_(ids))
                                      .values(text=None))
                await session.execute(update(InboxThread).where(InboxThread.id.in_(ids), InboxThread.status.in_(
                    LIVE_STATUSES)).values(status="closed", closed_at=now))
                await session.execute(update(InboxThread).where(InboxThread.id.in_(ids)).values(purged_at=now))
                people = list(await session.scalars(select(InboxAsker.person).where(InboxAsker.thread_id.in_(ids))))
                await session.execute(delete(InboxAsker).where(InboxAsker.thread_id.in_(ids)))
                for person in set(people):
                    if await self._live_count(session, person) == 0:
                        await self._addresses.expire(session, person, now)
        return len(ids), await self._addresses.purge_expired(now)

    @staticmethod
    async def _live_count(session: AsyncSession, person: str) -> int:
        return int(await session.scalar(select(func.count()).select_from(InboxThread).join(
            InboxAsker, InboxAsker.thread_id == InboxThread.id).where(
            InboxAsker.person == person, InboxThread.status.in_(LIVE_STATUSES))) or 0)
