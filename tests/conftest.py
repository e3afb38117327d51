"""Shared fixtures: a running service context on each backend the machine offers.

Every service test runs on SQLite + in-process state, and again on PostgreSQL + Redis at
127.0.0.1 when they answer. With REQUIRE_SERVICES=1 (set by .ci/run) a missing server is a
failure, not a skip, so CI cannot pass by quietly testing less.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import AppContext
from bot.config import ROOT, Settings
from bot.sessions import MemoryStore, RedisStore

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    """Run blocking set-up that calls asyncio.run (alembic) off the test's running event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def need_service(name: str, port: int) -> None:
    """Skip when a server is absent, unless CI requires it: then fail loudly."""
    if _reachable(port):
        return
    message = f"{name} is not reachable at 127.0.0.1:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


async def _load_repository_content(url: str) -> None:
    """content/ and locales/ into a migrated database, as a service's first start does."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.content_repository import load_files
    from bot.db import make_sessionmaker

    engine = create_async_engine(url)
    report = await load_files(make_sessionmaker(engine), ROOT / "content", locales_dir=ROOT / "locales")
    await engine.dispose()
    assert not report.errors, report.errors


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the repository's content loaded, copied for each test
    (migrating and loading 13 languages' content each time took most of a test's time)."""
    from bot.db import upgrade_schema

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    _in_thread(upgrade_schema, url)
    _in_thread(asyncio.run, _load_repository_content(url))
    return path


@pytest.fixture(scope="session")
def pg_database() -> str:
    """A fresh PostgreSQL database for this test run, migrated once, dropped at the end."""
    need_service("PostgreSQL", 5432)
    import asyncpg

    from bot.db import upgrade_schema

    name = f"smb_test_{os.getpid()}_{secrets.token_hex(3)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _in_thread(asyncio.run, admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    _in_thread(upgrade_schema, url)
    _in_thread(asyncio.run, _load_repository_content(url))
    _PG_SNAPSHOTS[url] = _in_thread(asyncio.run, _snapshot_pg(url))
    yield url
    _in_thread(asyncio.run, admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_PG_SNAPSHOTS: dict[str, "PgSnapshot"] = {}


class PgSnapshot:
    """Every row of the database just after the content load, and its serial sequences."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, list[str], list[tuple]]] = []  # table, columns, records
        self.sequences: list[tuple[str, str, str]] = []  # table, column, sequence


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _snapshot_pg(url: str) -> PgSnapshot:
    import asyncpg

    from bot.models import Base

    snapshot = PgSnapshot()
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for table in Base.metadata.sorted_tables:
            records = await conn.fetch(f'SELECT * FROM "{table.name}"')
            if records:
                snapshot.rows.append((table.name, list(records[0].keys()), [tuple(r) for r in records]))
        for table, column, sequence in await conn.fetch(
                "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL"):
            snapshot.sequences.append((table, column, sequence))
    finally:
        await conn.close()
    return snapshot


async def _reset_pg(url: str) -> None:
    """Empty every table, then put back the rows of the content load (faster than loading)."""
    import asyncpg

    from bot.models import Base

    snapshot = _PG_SNAPSHOTS[url]
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        async with conn.transaction():
            await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            for table, columns, records in snapshot.rows:
                await conn.copy_records_to_table(table, records=records, columns=columns)
            for table, column, sequence in snapshot.sequences:
                await conn.execute(f"SELECT setval('{sequence}', COALESCE((SELECT max(\"{column}\") FROM \"{table}\"), 0) + 1, false)")
    finally:
        await conn.close()


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        database_url=database_url, redis_url=None, data_dir=tmp_path / "var",
        user_key_secret="test-secret-" + secrets.token_hex(8), content_dir=ROOT / "content",
        locales_dir=ROOT / "locales", content_refresh_seconds=0.2,
        telegram_bot_token=None, telegram_webhook_url=None)
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


BACKENDS = ["sqlite-memory", "postgres-redis"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres-redis":
        need_service("PostgreSQL", 5432)
        need_service("Redis", 6379)
    return request.param


@pytest.fixture
async def settings_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A factory of settings on the chosen backend, with a clean database each test."""
    if backend == "sqlite-memory":
        db = tmp_path / "bot.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), db)
        url = f"sqlite+aiosqlite:///{db}"
    else:
        url = request.getfixturevalue("pg_database")
        await _reset_pg(url)

    def factory(**overrides: object) -> Settings:
        return make_settings(tmp_path, url, **overrides)

    return factory


@pytest.fixture
async def store(backend: str) -> AsyncIterator:
    if backend == "sqlite-memory":
        yield MemoryStore()
        return
    prefix = f"test:{secrets.token_hex(4)}:"
    redis_store = RedisStore(REDIS_URL, prefix=prefix)
    yield redis_store
    keys = [k async for k in redis_store._redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis_store._redis.delete(*keys)
    await redis_store.close()


@pytest.fixture
async def ctx(settings_for, store) -> AsyncIterator[AppContext]:
    """The whole service, started on the test's backend, content loaded from content/."""
    context = AppContext(settings_for(), store=store)
    await context.start(watch=False)
    yield context
    await context.content.stop()
    await context.db.dispose()
