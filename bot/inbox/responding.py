"""The responders' side: list, read, claim, answer, note, close, tag. Called by the admin API.

Every function takes the caller's session and organisation; a thread of another organisation
is simply not found. Nothing here returns who asked: `InboxAsker` is read only to address an
answer, and the answer row carries the keyed hash, never an address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.addresses import AddressBook
from bot.inbox_models import LIVE_STATUSES, InboxAsker, InboxMessage, InboxThread, OutboxRow
from bot.models import utcnow
from bot.outbox import Outbox

STATUS_FILTERS = ("active", "open", "claimed", "answered", "closed", "deleted", "all")


class ThreadConflict(Exception):
    """A write the thread's state does not allow (closed, deleted, claimed by someone else)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ThreadFilter:
    status: str = "active"  # active = open + claimed + answered
    country: str | None = None
    locale: str | None = None
    urgent: bool | None = None
    older_than_hours: int | None = None  # waiting at least this long
    newer_than_hours: int | None = None


async def list_threads(session: AsyncSession, org_id: int, flt: ThreadFilter, limit: int, offset: int,
                       now: dt.datetime | None = None) -> tuple[list[InboxThread], int]:
    """Urgent first, then the longest waiting first; with the total for paging."""
    now = now or utcnow()
    where = [InboxThread.org_id == org_id]
    if flt.status == "active":
        where.append(InboxThread.status.in_(LIVE_STATUSES))
    elif flt.status != "all":
        where.append(InboxThread.status == flt.status)
    if flt.country:
        where.append(InboxThread.country == flt.country)
    if flt.locale:
        where.append(InboxThread.locale == flt.locale)
    if flt.urgent is not None:
        where.append(InboxThread.urgent.is_(flt.urgent))
    if flt.older_than_hours is not None:
        where.append(InboxThread.created_at <= now - dt.timedelta(hours=flt.older_than_hours))
    if flt.newer_than_hours is not None:
        where.append(InboxThread.created_at >= now - dt.timedelta(hours=flt.newer_than_hours))
    total = await session.scalar(select(func.count()).select_from(InboxThread).where(*where))
    order = [InboxThread.urgent.desc(), InboxThread.created_at, InboxThread.id]
    if flt.status == "all":  # only then do live and finished threads mix
        order.insert(0, case((InboxThread.status.in_(LIVE_STATUSES), 0), else_=1))
    rows = await session.scalars(select(InboxThread).where(*where).order_by(*order).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def get_thread(session: AsyncSession, org_id: int, code: str) -> InboxThread | None:
    return await session.scalar(select(InboxThread).where(InboxThread.code == code, InboxThread.org_id == org_id))


async def messages(session: AsyncSession, thread_id: int) -> list[tuple[InboxMessage, OutboxRow | None]]:
    """The thread's messages in order, each answer with its delivery row."""
    rows = await session.execute(select(InboxMessage, OutboxRow).outerjoin(
        OutboxRow, OutboxRow.id == InboxMessage.outbox_id).where(InboxMessage.thread_id == thread_id)
        .order_by(InboxMessage.created_at, InboxMessage.id))
    return [(m, o) for m, o in rows.all()]


def _writable(thread: InboxThread) -> None:
    if thread.status == "deleted":
        raise ThreadConflict("deleted", "the person who asked deleted this question")
    if thread.status == "closed":
        raise ThreadConflict("closed", "this question is closed")


def claim(thread: InboxThread, actor: str) -> None:
    _writable(thread)
    if thread.claimed_by and thread.claimed_by != actor:
        raise ThreadConflict("claimed", "another responder has claimed this question")
    thread.claimed_by = actor
    if thread.status == "open":
        thread.status = "claimed"


def note(session: AsyncSession, thread: InboxThread, actor: str, text: str) -> InboxMessage:
    """An internal note: seen by the organisation's responders only, never sent."""
    if thread.status == "deleted":
        raise ThreadConflict("deleted", "the person who asked deleted this question")
    message = InboxMessage(thread_id=thread.id, author="note", actor=actor, text=text, created_at=utcnow())
    session.add(message)
    return message


async def reply(session: AsyncSession, thread: InboxThread, actor: str, text: str, texts_for_her: list[str],
                items: list[str]) -> tuple[InboxMessage, OutboxRow | None]:
    """The answer and its outbox row in the caller's transaction (commit once, both or neither)."""
    _writable(thread)
    if thread.claimed_by and thread.claimed_by != actor:
        raise ThreadConflict("claimed", "another responder has claimed this question")
    now = utcnow()
    person = await session.scalar(select(InboxAsker.person).where(InboxAsker.thread_id == thread.id))
    message = InboxMessage(thread_id=thread.id, author="responder", actor=actor, text=text, items=items,
                           created_at=now)
    session.add(message)
    await session.flush()
    row = None
    if person is not None and thread.delivery != "opted_out":
        row = Outbox.add(session, kind="message", channel=thread.channel, person=person, thread_id=thread.id,
                         idempotency_key=f"answer:{thread.code}:{message.id}",
                         payload={"texts": texts_for_her, "locale": thread.locale, "question": thread.code})
        await session.flush()
        message.outbox_id = row.id
        thread.delivery = "pending"
    thread.claimed_by = thread.claimed_by or actor
    thread.status = "answered"
    thread.answered_at = thread.answered_at or now
    thread.last_message_at = now
    return message, row


async def close(session: AsyncSession, thread: InboxThread, addresses: AddressBook, retention_days: int) -> None:
    """Closed: no more answers; her address is erased `retention_days` later unless she asks again."""
    _writable(thread)
    now = utcnow()
    thread.status = "closed"
    thread.closed_at = now
    person = await session.scalar(select(InboxAsker.person).where(InboxAsker.thread_id == thread.id))
    if person is None:
        return
    await session.flush()
    live = await session.scalar(select(func.count()).select_from(InboxThread).join(
        InboxAsker, InboxAsker.thread_id == InboxThread.id).where(
        InboxAsker.person == person, InboxThread.status.in_(LIVE_STATUSES)))
    if not live:
        await addresses.expire(session, person, now + dt.timedelta(days=retention_days))


def tag(thread: InboxThread, theme: str | None) -> None:
    if thread.status == "deleted":
        raise ThreadConflict("deleted", "the person who asked deleted this question")
    thread.theme = theme
