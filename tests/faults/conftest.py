"""Fixtures of the fault tests: the service on its own Redis and PostgreSQL, behind Twilio's webhook."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from fastapi import FastAPI

from bot.app import AppContext
from bot.channels.sms import SmsChannel
from bot.config import Settings
from bot.db import upgrade_schema
from bot.retention import SpoolReplayJob
from tests.bot.channels.sms_helpers import BASE_URL, Rig, gateway_settings
from tests.fakes.sms_gateways import FakeGateways
from tests.faults.servers import PostgresCluster, RedisServer


@pytest.fixture(scope="module")
def servers():
    """One Redis and one PostgreSQL cluster per test module, started and left running."""
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)  # the cluster runs as the postgres user, who must reach its folder
        (base / "redis").mkdir()
        redis = RedisServer(base / "redis")
        pg = PostgresCluster(base / "pg")
        pg.init()
        pg.start()
        redis.start()
        try:
            upgrade_schema(pg.url)
            yield redis, pg
        finally:
            for stop in (redis.stop, pg.stop):
                try:
                    stop()
                except Exception:
                    pass


class Service:
    """One running service ("process"): context, SMS channel and a client to its webhooks."""

    def __init__(self, settings: Settings, fake: FakeGateways) -> None:
        self.settings = settings
        self.fake = fake

    async def __aenter__(self) -> Rig:
        ctx = AppContext(self.settings)
        await ctx.start(watch=False)
        channel = SmsChannel(ctx)
        channel.core.http.retry_base_delay = 0.01
        app = FastAPI()
        app.include_router(channel.router)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
        self.rig = Rig(ctx, channel, client, self.fake)
        self.replay = SpoolReplayJob(ctx, self.settings.spool_replay_seconds)
        await self.replay.start()
        return self.rig

    async def __aexit__(self, *exc: object) -> None:
        rig = self.rig
        await self.replay.stop()
        await rig.client.aclose()
        await rig.channel.stop()
        await rig.ctx.content.stop()
        await rig.ctx.store.close()
        await rig.ctx.db.dispose()


@pytest.fixture
def fake():
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with FakeGateways() as gateways:
        yield gateways


@pytest.fixture
def service_settings(servers, tmp_path, fake):
    """Settings of a service on the test's own servers; the same data_dir (secret) each call."""
    redis, pg = servers
    redis_sync.Redis(port=redis.port).flushall()
    with psycopg_like(pg) as run:
        run("TRUNCATE feedback, processed_events, opt_outs")

    def make(**overrides) -> Settings:
        return Settings(**gateway_settings(fake, database_url=pg.url, redis_url=redis.url, data_dir=tmp_path,
                                           help_countries="SA", sms_claim_seconds=1, spool_replay_seconds=0.2,
                                           **overrides))
    return make


@contextlib.contextmanager
def psycopg_like(pg: PostgresCluster):
    """Run SQL on the test's cluster (asyncpg in a fresh loop: fixtures here are sync)."""
    import asyncio

    import asyncpg

    async def run_all(statements: list[str]) -> None:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/postgres")
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()

    statements: list[str] = []
    yield statements.append
    asyncio.run(run_all(statements))
