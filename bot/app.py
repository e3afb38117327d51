"""Builds the service from one Settings object: database, state, content, engine.

Every entry point (terminal chat, HTTP service, admin CLI, tests) starts here, so they all
run the same code path with the same configuration.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Settings
from bot.content_repository import (
    LibraryHolder,
    has_no_emergency_numbers,
    has_no_ui_catalogs,
    is_empty,
    load_emergency_files,
    load_files,
    load_ui_files,
)
from bot.countries import warm as warm_countries
from bot.db import make_engine, make_sessionmaker, migrate
from bot.engine import Engine
from bot.fallback import Fallback
from bot.feedback import DatabaseFeedbackSink, SpoolingFeedbackSink
from bot.i18n import Catalogs
from bot.inbox import services_for
from bot.models import Organisation
from bot.personal_data import PersonalData
from bot.privacy import UserKeys, load_secret
from bot.readiness import wait_for_services
from bot.sessions import RedisOptions, RedisStore, SessionStore, make_store
from bot.spool import ChainSpool, DiskSpool, RedisSpool, Spool

log = logging.getLogger(__name__)

# HELP before she has said where she is, when neither HELP_COUNTRIES nor any organisation's
# countries are set: the three largest destinations of women's domestic work in the Gulf
DEFAULT_HELP_COUNTRIES = ("SA", "AE", "QA")
MAX_HELP_COUNTRIES = 3


def make_spool(settings: Settings, store: SessionStore) -> Spool:
    """A Redis stream when the store is Redis (AOF makes it durable), with the disk behind it."""
    disk = DiskSpool(settings.data_dir / "spool")
    if isinstance(store, RedisStore):
        return ChainSpool(RedisSpool(store.client, store.prefix), disk)
    return disk


async def organisations_countries(sessionmaker: async_sessionmaker) -> tuple[str, ...]:
    """The countries the organisations cover, the most common first, at most three."""
    async with sessionmaker() as session:
        rows = (await session.scalars(select(Organisation.countries))).all()
    counts = Counter(code for countries in rows for code in (countries or []))
    return tuple(code for code, _ in counts.most_common(MAX_HELP_COUNTRIES))


class AppContext:
    """The running service's parts, created once and handed to every adapter."""

    def __init__(self, settings: Settings, store: SessionStore | None = None) -> None:
        self.settings = settings
        self.db = make_engine(settings)
        self.sessionmaker = make_sessionmaker(self.db)
        self.store = store or make_store(settings.redis_url, options=RedisOptions.from_settings(settings))
        # the Redis client behind the store (None when in-process): locks and global limits use it
        self.redis = getattr(self.store, "client", None)
        self.personal = PersonalData(self.store)  # every per-person namespace registers here
        self.user_keys = UserKeys(load_secret(settings))
        self.catalogs = Catalogs(settings.locales_dir, default=settings.default_locale,
                                 min_items=settings.language_min_items, allowed=settings.language_codes)
        # every new snapshot also decides again which languages are offered, in their words
        self.content = LibraryHolder(self.sessionmaker, settings.content_refresh_seconds,
                                     on_swap=self.catalogs.install)
        self.spool = make_spool(settings, self.store)
        self.feedback = SpoolingFeedbackSink(
            DatabaseFeedbackSink(self.sessionmaker, settings.comment_retention_days), self.spool)
        # "ask a person": address book, inbox, outbox; senders are added in start()
        self.inbox = services_for(self)
        self.personal.register_hook("inbox: questions and addresses", self._forget_questions)
        self.engine = Engine(
            library=lambda: self.content.library, store=self.store, catalogs=self.catalogs,
            feedback=self.feedback, session_ttl=settings.session_ttl_seconds, personal=self.personal,
            feedback_daily_cap=settings.feedback_daily_cap,
            comment_retention_days=settings.comment_retention_days,
            help_countries=lambda: self.help_countries, inbox=self.inbox,
            question_max_chars=settings.inbox_question_max_chars)
        # whose emergency numbers HELP shows before she says where she is; set in start()
        self.help_countries: tuple[str, ...] = settings.help_country_codes
        self.fallback = Fallback(library=lambda: self.content.library, catalogs=self.catalogs,
                                 default_locale=settings.default_locale,
                                 help_countries=lambda: self.help_countries)

    async def start(self, watch: bool = True, deliver: bool | None = None) -> None:
        """Wait for the database and Redis, migrate, load content/ into an empty database,
        read the published library."""
        await wait_for_services(self.db, self.redis, max_wait=self.settings.startup_wait_seconds)
        await migrate(self.settings, self.db)
        await self._load_defaults()
        await self.content.refresh(force=True)
        if not self.help_countries:
            self.help_countries = await organisations_countries(self.sessionmaker) or DEFAULT_HELP_COUNTRIES
        warm_countries(self.catalogs.locales)
        if watch:
            self.content.start()
        # answers of "ask a person": the channels' senders, then (with the other background
        # work) the outbox dispatcher, delivering in-process unless OUTBOX_BROKER_URL sends
        # the jobs to `python -m bot worker` processes (which start with deliver=True)
        if not self.inbox.outbox.senders:
            from bot.channels.senders import build_senders

            self.inbox.outbox.senders.update(build_senders(self))
        if watch or deliver:
            await self.inbox.start(deliver=deliver)

    async def _load_defaults(self) -> None:
        """content/ and locales/ into an empty database; or what a database filled before a
        later migration lacks (emergency numbers: 0004, UI strings: 0005)."""
        settings, maker = self.settings, self.sessionmaker
        if await is_empty(maker):
            report = await load_files(maker, settings.content_dir, locales_dir=settings.locales_dir)
            what = "items, services, countries' emergency numbers and languages' UI strings"
        elif await has_no_emergency_numbers(maker):
            report = await load_emergency_files(maker, settings.content_dir)
            what = "countries' emergency numbers"
        else:
            report = None
        if report is not None:
            log.info("loaded %d %s from the repository's files", len(report.added), what)
            for error in report.errors:
                log.error("content: %s", error)
        if await has_no_ui_catalogs(maker):
            report = await load_ui_files(maker, settings.locales_dir)
            log.info("loaded the UI strings of %d languages from locales/", len(report.added))
            for error in report.errors:
                log.error("locales: %s", error)

    async def _forget_questions(self, user_key: str) -> None:
        await self.inbox.asking.forget(user_key)

    async def stop(self) -> None:
        await self.inbox.stop()
        from bot.channels.senders import close_senders

        await close_senders(self.inbox.outbox.senders)
        await self.content.stop()
        await self.store.close()
        await self.db.dispose()
