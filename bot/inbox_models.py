"""Tables of "ask a person": inbox settings, threads, messages, the asker link, addresses, outbox.

What an organisation can ever see is a thread (pseudonym, language, channel kind, country,
stage) and its messages. Who asked is only in `inbox_askers` (a keyed hash of her user key,
never returned by the API); where to answer is only in `addresses`, encrypted with AES-GCM.
Import this module before `Base.metadata.create_all` (bot.inbox and bot.outbox do).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.models import Base, utcnow

THREAD_STATUSES = ("open", "claimed", "answered", "closed", "deleted")
LIVE_STATUSES = ("open", "claimed", "answered")  # she can still write, and be answered
AUTHORS = ("asker", "responder", "note", "system")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "opted_out", "cancelled")


class InboxSettings(Base):
    """What an organisation states about answering: languages, answer time, hours, webhook."""

    __tablename__ = "inbox_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    accepting: Mapped[bool] = mapped_column(Boolean, default=True)
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [] = every language
    answer_time_hours: Mapped[int] = mapped_column(Integer, default=48)
    working_hours: Mapped[str] = mapped_column(String(120), default="")
    webhook_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)  # never returned
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InboxThread(Base):
    """One question and its answers, as a responder sees it: no way to tell who asked."""

    __tablename__ = "inbox_threads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # "A7F3K2": shown as "Question A7F3K2"
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(12))  # telegram | sms | whatsapp | console
    country: Mapped[str | None] = mapped_column(String(3), nullable=True)
    stage: Mapped[str | None] = mapped_column(String(12), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    theme: Mapped[str | None] = mapped_column(String(30), nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)  # key prefix
    delivery: Mapped[str | None] = mapped_column(String(10), nullable=True)  # outbox status of the last answer
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_message_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (
        Index("ix_inbox_threads_org_status", "org_id", "status", "urgent", "created_at"),
        Index("ix_inbox_threads_last_message", "last_message_at"),
    )


class InboxMessage(Base):
    """Her question or follow-up (scrubbed), a responder's answer, or an internal note."""

    __tablename__ = "inbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("inbox_threads.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(10))  # asker | responder | note | system
    actor: Mapped[str | None] = mapped_column(String(16), nullable=True)  # responder's key prefix
    text: Mapped[str | None] = mapped_column(Text, nullable=True)  # None once purged
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)  # content item ids attached
    outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InboxAsker(Base):
    """Who asked, as a keyed hash of her user key only: so "delete my data" finds her threads.

    Kept apart from the thread on purpose: no API route selects this table.
    """

    __tablename__ = "inbox_askers"

    thread_id: Mapped[int] = mapped_column(ForeignKey("inbox_threads.id", ondelete="CASCADE"), primary_key=True)
    person: Mapped[str] = mapped_column(String(64), index=True)


class CannedAnswer(Base):
    """A ready answer an organisation's responders reuse, per language."""

    __tablename__ = "inbox_canned"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AddressRow(Base):
    """Where to answer her: AES-GCM ciphertext only, found by the keyed hash of her user key."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(12))
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary(512))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_addresses_person_channel", "person", "channel", unique=True),)


class OutboxRow(Base):
    """One message to send, written in the same transaction as what caused it; sent at most once
    per idempotency key by the workers (bot/outbox.py)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # message | webhook
    channel: Mapped[str] = mapped_column(String(12))  # channel kind, or "webhook"
    person: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # to find the address
    thread_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(80), nullable=True)  # a code, never text
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
