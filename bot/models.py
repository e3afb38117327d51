"""Database tables: content and services, organisations and keys, audit, anonymous feedback.

Nothing here can hold a chat id, a phone number or a message as sent: the only per-person
value anywhere is the keyed hash in `opt_outs`, which the person can erase.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, synonym


def utcnow() -> dt.datetime:
    """Timezone-aware now, one place so tests can reason about it."""
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ContentItem(Base):
    """One information item: the working copy CSOs edit, and the snapshot the bot serves."""

    __tablename__ = "content_items"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    section: Mapped[str] = mapped_column(String(20))
    theme: Mapped[str] = mapped_column(String(30), index=True)
    stages: Mapped[list[Any]] = mapped_column(default=list)
    countries: Mapped[list[Any]] = mapped_column(default=list)
    related: Mapped[list[Any]] = mapped_column(default=list)
    gcm_objectives: Mapped[list[Any]] = mapped_column(default=list)
    sources: Mapped[list[Any]] = mapped_column(default=list)
    last_reviewed: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # {locale: {title, body, sms, keywords, status, source_hash}}
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # hash of the file last loaded, and the version that load produced: a later load
    # only replaces the item while nobody has edited it since
    file_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    loaded_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="content-load")


class ContentVersion(Base):
    """Every saved state of an item, so any earlier version can be restored."""

    __tablename__ = "content_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    author: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Service(Base):
    """An organisation, helpline or service the bot refers women to."""

    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    country: Mapped[str] = mapped_column(String(3), index=True)  # ISO alpha-2 or INT
    name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    hours: Mapped[str | None] = mapped_column(String(100), nullable=True)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    women_only: Mapped[bool] = mapped_column(Boolean, default=False)
    lgbtiq_friendly: Mapped[bool] = mapped_column(Boolean, default=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_verified: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    file_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    loaded_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="content-load")


class EmergencyCountry(Base):
    """One country's emergency numbers (content/emergency/<CC>.yaml, then the admin API):
    `data` is the whole file as validated by bot.emergency.EmergencyNumbers. Live for the bot
    once written (no review step), like services."""

    __tablename__ = "emergency_numbers"

    country: Mapped[str] = mapped_column(String(3), primary_key=True)
    id = synonym("country")  # the write sequence (admin_api/api/writes.py) names rows by id
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    file_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    loaded_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="content-load")


class UiCatalog(Base):
    """One language's UI strings (bot.ui_strings): a working copy edited through the admin API
    and the published snapshot every bot process compiles in memory. Same workflow as content:
    draft -> in_review -> published, or archived (withdrawn)."""

    __tablename__ = "ui_catalogs"

    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    id = synonym("locale")  # the write sequence (admin_api/api/writes.py) names rows by id
    name: Mapped[str | None] = mapped_column(String(80), nullable=True)  # as its speakers write it
    messages: Mapped[dict[str, Any]] = mapped_column(JSON)  # msgid -> text or plural forms
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    published: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    loaded_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80), default="content-load")


class ContentRevision(Base):
    """A single counter bumped on every publish, so every running bot notices within seconds."""

    __tablename__ = "content_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # ISO codes the organisation covers; empty means all countries
    countries: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiKey(Base):
    """A bearer key; only its SHA-256 is stored, the prefix lets people tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """Who did what to which record; never the content of a woman's message."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    org_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # key prefix or "cli"
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FeedbackRecord(Base):
    """One anonymous rating or need. No column can link it to a chat, a number or a session."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))  # rating | need
    day: Mapped[dt.date] = mapped_column(Date)  # coarsened to the day on purpose
    channel: Mapped[str] = mapped_column(String(12))
    locale: Mapped[str] = mapped_column(String(8))
    content_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    theme: Mapped[str | None] = mapped_column(String(30), nullable=True)
    rating: Mapped[str | None] = mapped_column(String(8), nullable=True)  # yes | no | unsure
    need: Mapped[str | None] = mapped_column(String(20), nullable=True)
    urgency: Mapped[str | None] = mapped_column(String(10), nullable=True)
    country: Mapped[str | None] = mapped_column(String(3), nullable=True)  # where the need is
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(8), nullable=True)
    origin_country: Mapped[str | None] = mapped_column(String(3), nullable=True)
    current_country: Mapped[str | None] = mapped_column(String(3), nullable=True)
    stage: Mapped[str | None] = mapped_column(String(12), nullable=True)
    # random, drawn at write time: the cell-key perturbation needs it (see bot/disclosure.py)
    rkey: Mapped[int] = mapped_column(BigInteger)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)  # scrubbed before storage
    comment_expires: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        Index("ix_feedback_kind_day", "kind", "day"),
        Index("ix_feedback_comment_expires", "comment_expires"),
    )


class OptOut(Base):
    """SMS STOP, kept as the keyed hash only, so the number is never stored."""

    __tablename__ = "opt_outs"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProcessedEvent(Base):
    """A message whose feedback is recorded: written in the same transaction as the records,
    so a retried or replayed message adds nothing twice. The key is a keyed hash of the
    gateway's message id (never the id itself); no column links it to a record, and rows go
    after `expires` (past every gateway's retry window)."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires: Mapped[dt.date] = mapped_column(Date, index=True)


from bot import inbox_models as _inbox_models  # noqa: E402,F401  (the inbox tables, on Base.metadata for alembic)
