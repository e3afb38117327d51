"""Database engine, sessions and migrations: SQLite by default, PostgreSQL (asyncpg) the same way."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from alembic import command
from bot.config import ROOT, Settings


def make_engine(settings: Settings) -> AsyncEngine:
    """One engine per process; SQLite gets its folder and a busy timeout so writers queue."""
    path = settings.sqlite_path
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        return create_async_engine(settings.database_url, connect_args={"timeout": 30})
    return create_async_engine(settings.database_url, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade_schema(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


async def migrate(settings: Settings) -> None:
    """Bring the schema to the newest Alembic revision (alembic runs its own loop, so a thread)."""
    path = settings.sqlite_path
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(upgrade_schema, settings.database_url)
