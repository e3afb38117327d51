"""The peer educators' inbox: questions women asked, answered by the organisation that got them.

Responders (role `responder`) list, read, claim, answer, note, close and tag their
organisation's threads; another organisation's thread is a 404, and no other role reads
threads. A thread shows a pseudonym, language, channel kind, country and stage: never who
asked or where she is. An answer and its delivery are written in one transaction, and the
delivery's progress (pending, retrying, sent, failed, opted_out) is shown on the thread.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from admin_api.api.common import ApiModel, SafeStr
from admin_api.api.deps import CtxDep, InboxAdmin, Limit, Locale, Offset, Responder, SessionDep, aware
from admin_api.audit import audit
from admin_api.errors import field_error, not_found
from admin_api.roles import Actor
from bot.app import AppContext
from bot.content_model import Theme
from bot.engine import render_item
from bot.inbox import responding, services_for
from bot.inbox_models import InboxMessage, InboxSettings, InboxThread, OutboxRow
from bot.models import utcnow

router = APIRouter(prefix="/inbox", tags=["inbox"])
Code = Annotated[str, Path(pattern=r"^[A-Z0-9]{4,12}$", description='the pseudonym, e.g. "A7F3K2"')]
StatusFilter = Literal["active", "open", "claimed", "answered", "closed", "deleted", "all"]
STATUS_NOTES = {"deleted": "deleted by the person who asked"}
MAX_ITEMS = 5


class ThreadOut(BaseModel):
    code: str
    label: str = Field(description='"Question A7F3K2": how to refer to it')
    locale: str
    channel: str
    country: str | None
    stage: str | None
    status: str
    status_note: str | None = Field(description="why it cannot be answered, when it cannot")
    urgent: bool
    theme: str | None
    claimed_by: str | None = Field(description="key prefix of the responder who claimed it")
    delivery: str | None = Field(description="last answer: pending, retrying, sent, failed, opted_out, cancelled")
    created_at: dt.datetime
    last_message_at: dt.datetime
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    waiting_hours: float = Field(description="since she asked, until the first answer (or now)")

    @classmethod
    def of(cls, row: InboxThread) -> "ThreadOut":
        created = aware(row.created_at)
        answered = aware(row.answered_at)
        note = STATUS_NOTES.get(row.status)
        if note is None and row.delivery == "opted_out":
            note = "she stopped messages (STOP): answers cannot be delivered"
        return cls(code=row.code, label=f"Question {row.code}", locale=row.locale, channel=row.channel,
                   country=row.country, stage=row.stage, status=row.status, status_note=note, urgent=row.urgent,
                   theme=row.theme, claimed_by=row.claimed_by, delivery=row.delivery,
                   created_at=created, last_message_at=aware(row.last_message_at),  # type: ignore[arg-type]
                   answered_at=answered, closed_at=aware(row.closed_at),
                   waiting_hours=round(((answered or utcnow()) - created).total_seconds() / 3600, 1))  # type: ignore[operator]


class MessageOut(BaseModel):
    id: int
    author: Literal["asker", "responder", "note", "system"]
    actor: str | None
    text: str | None = Field(description="null once purged after INBOX_RETENTION_DAYS")
    items: list[str]
    created_at: dt.datetime
    delivery: str | None = None
    delivery_attempts: int | None = None
    delivery_error: str | None = None

    @classmethod
    def of(cls, message: InboxMessage, row: OutboxRow | None = None) -> "MessageOut":
        return cls(id=message.id, author=message.author, actor=message.actor, text=message.text,  # type: ignore[arg-type]
                   items=list(message.items or []), created_at=aware(message.created_at),  # type: ignore[arg-type]
                   delivery=row.status if row else None, delivery_attempts=row.attempts if row else None,
                   delivery_error=row.last_error if row else None)


class ThreadPage(BaseModel):
    total: int
    threads: list[ThreadOut]


class ThreadDetail(ThreadOut):
    messages: list[MessageOut]


class ReplyIn(ApiModel):
    text: SafeStr = Field(description="the answer, in her language; at most INBOX_REPLY_MAX_CHARS (else 413)")
    items: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="published content item ids, sent rendered for her channel")


class NoteIn(ApiModel):
    text: SafeStr = Field(min_length=1, max_length=4000)


class ThemeIn(ApiModel):
    theme: Theme | None


class SettingsIn(ApiModel):
    accepting: bool = True
    languages: list[Locale] = Field(default_factory=list, description="[] = every language")
    answer_time_hours: int = Field(default=48, ge=1, le=24 * 30)
    working_hours: SafeStr = Field(default="", max_length=120)
    webhook_url: str | None = Field(default=None, max_length=300, pattern=r"^https://[^\s/]+(/[^\s]*)?$",
                                    description="https only; receives no text, only what question, language, country, urgent")
    webhook_secret: SafeStr | None = Field(default=None, min_length=16, max_length=200,
                                           description="HMAC-SHA256 key for X-Signature-256; write-only")


class SettingsOut(BaseModel):
    accepting: bool
    languages: list[str]
    answer_time_hours: int
    working_hours: str
    webhook_url: str | None
    webhook_secret_set: bool


def conflict(exc: responding.ThreadConflict) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, {"reason": exc.reason, "message": exc.message})


async def _thread(session: SessionDep, actor: Actor, code: str) -> InboxThread:
    row = await responding.get_thread(session, actor.org_id, code)
    if row is None:
        raise not_found("question")
    return row


def _texts_for_her(ctx: AppContext, thread: InboxThread, text: str, items: list[str]) -> list[str]:
    """Her answer, then each attached item rendered as the bot sends it on her channel."""
    library = ctx.content.library
    translator = ctx.catalogs.get(thread.locale)
    texts = [text]
    for i, item_id in enumerate(items):
        item = library.items.get(item_id)
        if item is None:
            raise field_error(("body", "items", i), f"no published content item {item_id!r}")
        reply = render_item(item, translator, library)
        if thread.channel in ("sms", "whatsapp"):
            texts.append(reply.short or reply.text)
        else:
            texts.append(reply.text + (f"\n{reply.link}" if reply.link else ""))
    return texts


@router.get("/threads", response_model=ThreadPage)
async def list_threads(actor: Responder, session: SessionDep, limit: Limit = 50, offset: Offset = 0,
                       status_: Annotated[StatusFilter, Query(
                           alias="status", description="active = open, claimed and answered")] = "active",
                       country: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
                       locale: Locale | None = None, urgent: bool | None = None,
                       older_than_hours: Annotated[int | None, Query(ge=0, le=24 * 3650)] = None,
                       newer_than_hours: Annotated[int | None, Query(ge=0, le=24 * 3650)] = None) -> ThreadPage:
    """The organisation's questions: live ones first, urgent first, then the longest waiting."""
    flt = responding.ThreadFilter(status=status_, country=country, locale=locale, urgent=urgent,
                                  older_than_hours=older_than_hours, newer_than_hours=newer_than_hours)
    rows, total = await responding.list_threads(session, actor.org_id, flt, limit, offset)
    return ThreadPage(total=total, threads=[ThreadOut.of(r) for r in rows])


@router.get("/threads/{code}", response_model=ThreadDetail)
async def read_thread(code: Code, actor: Responder, session: SessionDep) -> ThreadDetail:
    """The thread with every message, note and answer (and each answer's delivery)."""
    row = await _thread(session, actor, code)
    messages = [MessageOut.of(m, o) for m, o in await responding.messages(session, row.id)]
    return ThreadDetail(**ThreadOut.of(row).model_dump(), messages=messages)


@router.post("/threads/{code}/claim", response_model=ThreadOut)
async def claim_thread(code: Code, actor: Responder, session: SessionDep) -> ThreadOut:
    """Take it, so two responders do not answer the same question; 409 if someone else has."""
    row = await _thread(session, actor, code)
    try:
        responding.claim(row, actor.prefix)
    except responding.ThreadConflict as exc:
        raise conflict(exc) from None
    audit(session, actor, "inbox.claim", "thread", code)
    await session.commit()
    return ThreadOut.of(row)


@router.post("/threads/{code}/reply", response_model=MessageOut, status_code=status.HTTP_201_CREATED)
async def reply_thread(code: Code, body: ReplyIn, actor: Responder, ctx: CtxDep, session: SessionDep) -> MessageOut:
    """Answer her: the text (and items) are queued for her channel in the same transaction."""
    text = body.text.strip()
    if not text:
        raise field_error(("body", "text"), "the answer is empty")
    limit = ctx.settings.inbox_reply_max_chars
    if len(text) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the answer is longer than {limit} characters")
    row = await _thread(session, actor, code)
    texts = _texts_for_her(ctx, row, text, body.items)
    try:
        message, outbox_row = await responding.reply(session, row, actor.prefix, text, texts, body.items)
    except responding.ThreadConflict as exc:
        raise conflict(exc) from None
    audit(session, actor, "inbox.reply", "thread", code, {"items": body.items})
    await session.commit()
    if outbox_row is not None:
        await services_for(ctx).dispatcher.kick(outbox_row.id)
    return MessageOut.of(message, outbox_row)


@router.post("/threads/{code}/notes", response_model=MessageOut, status_code=status.HTTP_201_CREATED)
async def add_note(code: Code, body: NoteIn, actor: Responder, session: SessionDep) -> MessageOut:
    """An internal note for the organisation's responders; never sent to her."""
    row = await _thread(session, actor, code)
    try:
        message = responding.note(session, row, actor.prefix, body.text)
    except responding.ThreadConflict as exc:
        raise conflict(exc) from None
    audit(session, actor, "inbox.note", "thread", code)
    await session.commit()
    return MessageOut.of(message)


@router.post("/threads/{code}/close", response_model=ThreadOut)
async def close_thread(code: Code, actor: Responder, ctx: CtxDep, session: SessionDep) -> ThreadOut:
    """No more answers or follow-ups; her address is erased after ADDRESS_RETENTION_DAYS."""
    row = await _thread(session, actor, code)
    try:
        await responding.close(session, row, services_for(ctx).addresses, ctx.settings.address_retention_days)
    except responding.ThreadConflict as exc:
        raise conflict(exc) from None
    audit(session, actor, "inbox.close", "thread", code)
    await session.commit()
    return ThreadOut.of(row)


@router.put("/threads/{code}/theme", response_model=ThreadOut)
async def tag_thread(code: Code, body: ThemeIn, actor: Responder, session: SessionDep) -> ThreadOut:
    """Tag the question with a content theme, for the insights (questions per theme)."""
    row = await _thread(session, actor, code)
    try:
        responding.tag(row, body.theme)
    except responding.ThreadConflict as exc:
        raise conflict(exc) from None
    audit(session, actor, "inbox.theme", "thread", code, {"theme": body.theme})
    await session.commit()
    return ThreadOut.of(row)


def _settings_out(row: InboxSettings | None) -> SettingsOut:
    if row is None:
        return SettingsOut(accepting=False, languages=[], answer_time_hours=48, working_hours="",
                           webhook_url=None, webhook_secret_set=False)
    return SettingsOut(accepting=row.accepting, languages=list(row.languages or []),
                       answer_time_hours=row.answer_time_hours, working_hours=row.working_hours,
                       webhook_url=row.webhook_url, webhook_secret_set=bool(row.webhook_secret))


@router.get("/settings", response_model=SettingsOut)
async def get_settings(actor: InboxAdmin, session: SessionDep) -> SettingsOut:
    """How the organisation answers questions (no row yet: it takes none)."""
    return _settings_out(await session.get(InboxSettings, actor.org_id))


@router.put("/settings", response_model=SettingsOut)
async def put_settings(body: SettingsIn, actor: InboxAdmin, session: SessionDep) -> SettingsOut:
    """Opt in to questions for the organisation's countries, in the languages it answers."""
    row = await session.get(InboxSettings, actor.org_id)
    if row is None:
        row = InboxSettings(org_id=actor.org_id)
        session.add(row)
    row.accepting, row.languages = body.accepting, list(dict.fromkeys(body.languages))
    row.answer_time_hours, row.working_hours = body.answer_time_hours, body.working_hours
    row.webhook_url = body.webhook_url
    if "webhook_secret" in body.model_fields_set or body.webhook_url is None:
        row.webhook_secret = body.webhook_secret if body.webhook_url else None
    row.updated_at = utcnow()
    audit(session, actor, "inbox.settings", "organisation", actor.org_id,
          {"accepting": body.accepting, "webhook": bool(body.webhook_url)})
    await session.commit()
    return _settings_out(row)
