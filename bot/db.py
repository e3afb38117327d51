"""Database engine, sessions and migrations: SQLite by default, PostgreSQL (asyncpg) the same way."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from alembic import command
from bot.config import ROOT, Settings


def postgres_server_settings(settings: Settings) -> dict[str, str]:
    """Per-connection limits (milliseconds) so no statement, lock wait or forgotten transaction
    outlives a gateway's 10-15 s timeout: PostgreSQL cancels it and the caller gets an error."""
    return {"statement_timeout": str(settings.db_statement_timeout_ms),
            "lock_timeout": str(settings.db_lock_timeout_ms),
            "idle_in_transaction_session_timeout": str(settings.db_idle_in_transaction_timeout_ms)}


def make_engine(settings: Settings) -> AsyncEngine:
    """One engine per process. SQLite gets its folder and a busy timeout (writers queue that
    long, then fail); PostgreSQL gets statement, lock and idle-transaction timeouts, a connect
    timeout, a client-side command timeout and a bounded wait for a pooled connection.
    `hide_parameters`: an error message never carries a bound value (a comment, a keyed hash)
    into a log."""
    path = settings.sqlite_path
    if settings.database_url.startswith("sqlite"):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        return create_async_engine(settings.database_url, hide_parameters=True,
                                   connect_args={"timeout": settings.sqlite_busy_timeout_seconds})
    connect_args: dict[str, object] = {}
    if "+asyncpg" in settings.database_url:
        # command_timeout: the client's own limit, a little over the server's statement
        # timeout, for when the server cannot say anything at all (restarted under a pooled
        # connection, a network that drops packets): no query, and no pool pre-ping, waits forever
        connect_args = {"server_settings": postgres_server_settings(settings),
                        "timeout": settings.db_connect_timeout_seconds,
                        "command_timeout": settings.db_statement_timeout_ms / 1000 + 2}
    return create_async_engine(settings.database_url, pool_pre_ping=True, hide_parameters=True,
                               pool_timeout=settings.db_pool_timeout_seconds, connect_args=connect_args)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade_schema(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest revision(s) of alembic/versions (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


async def at_head(engine: AsyncEngine) -> bool:
    """True when the database already carries the newest revision (one small read)."""
    try:
        async with engine.connect() as conn:
            found = {r[0] for r in (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()}
    except DBAPIError:
        return False  # no alembic_version yet: a new database
    return found == head_revisions()


async def migrate(settings: Settings, engine: AsyncEngine | None = None) -> None:
    """Bring the schema to the newest Alembic revision (alembic runs its own loop, so a thread).
    With the service's engine, a database already at the newest revision is left alone
    without starting Alembic (most starts)."""
    if engine is not None and await at_head(engine):
        return
    path = settings.sqlite_path
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(upgrade_schema, settings.database_url)
