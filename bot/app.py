"""Builds the service from one Settings object: database, state, content, engine.

Every entry point (terminal chat, HTTP service, admin CLI, tests) starts here, so they all
run the same code path with the same configuration.
"""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.content_repository import LibraryHolder, is_empty, load_files
from bot.db import make_engine, make_sessionmaker, migrate
from bot.engine import Engine
from bot.feedback import DatabaseFeedbackSink
from bot.i18n import Catalogs
from bot.personal_data import PersonalData
from bot.privacy import UserKeys, load_secret
from bot.sessions import SessionStore, make_store

log = logging.getLogger(__name__)


class AppContext:
    """The running service's parts, created once and handed to every adapter."""

    def __init__(self, settings: Settings, store: SessionStore | None = None) -> None:
        self.settings = settings
        self.db = make_engine(settings)
        self.sessionmaker = make_sessionmaker(self.db)
        self.store = store or make_store(settings.redis_url)
        self.personal = PersonalData(self.store)  # every per-person namespace registers here
        self.user_keys = UserKeys(load_secret(settings))
        self.catalogs = Catalogs(settings.locales_dir)
        self.content = LibraryHolder(self.sessionmaker, settings.content_refresh_seconds)
        self.feedback = DatabaseFeedbackSink(self.sessionmaker, settings.comment_retention_days)
        self.engine = Engine(
            library=lambda: self.content.library, store=self.store, catalogs=self.catalogs,
            feedback=self.feedback, session_ttl=settings.session_ttl_seconds, personal=self.personal,
            feedback_daily_cap=settings.feedback_daily_cap,
            comment_retention_days=settings.comment_retention_days)

    async def start(self, watch: bool = True) -> None:
        """Migrate, load content/ into an empty database, read the published library."""
        await migrate(self.settings)
        if await is_empty(self.sessionmaker):
            report = await load_files(self.sessionmaker, self.settings.content_dir)
            log.info("empty database: loaded %d items and services from content/", len(report.added))
            for error in report.errors:
                log.error("content: %s", error)
        await self.content.refresh(force=True)
        if watch:
            self.content.start()

    async def stop(self) -> None:
        await self.content.stop()
        await self.store.close()
        await self.db.dispose()
