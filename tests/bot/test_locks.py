"""Only one process does what must be done once (bot/locks.py), and global limits are global."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from types import SimpleNamespace

import pytest

from bot.channels.telegram_flood import RedisPacer
from bot.locks import Leader, LocalLease, RedisLease, make_lease
from bot.retention import RetentionJob
from bot.sessions import redis_client
from tests.conftest import REDIS_URL, need_service


@pytest.fixture
async def redis():
    need_service("Redis", 6379)
    client = redis_client(REDIS_URL)
    prefix = f"test:{secrets.token_hex(4)}:"
    yield client, prefix
    keys = [k async for k in client.scan_iter(match=f"*{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=["local", "redis"])
async def two_leases(request: pytest.FixtureRequest):
    """Two processes' leases on one name: in-process, or on Redis."""
    name = "job-" + secrets.token_hex(4)
    if request.param == "local":
        yield LocalLease(name, 0.4), LocalLease(name, 0.4)
        return
    need_service("Redis", 6379)
    a, b = redis_client(REDIS_URL), redis_client(REDIS_URL)
    yield RedisLease(a, name, 0.4, prefix="test:"), RedisLease(b, name, 0.4, prefix="test:")
    await a.aclose()
    await b.aclose()


async def test_one_holder_renewal_release_and_expiry(two_leases) -> None:
    first, second = two_leases
    assert await first.acquire()
    assert not await second.acquire()
    assert await first.renew()
    await first.release()
    assert await second.acquire() and not await first.acquire()
    assert not await first.renew()  # never ours
    await asyncio.sleep(0.5)  # second dies without releasing: the lease expires
    assert await first.acquire()
    assert not await second.renew()  # expired and taken: the old holder knows it lost


async def test_a_leader_takes_over_when_the_holder_stops(two_leases) -> None:
    running: list[str] = []

    def leader(name: str, lease) -> Leader:
        async def on() -> None:
            running.append(name)

        async def off() -> None:
            running.remove(name)
        return Leader(lease, on, off, interval=0.05)

    a, b = leader("a", two_leases[0]), leader("b", two_leases[1])
    await a.start()
    await b.start()
    try:
        await asyncio.sleep(0.3)
        assert running == ["a"] and a.held and not b.held
        await a.stop()  # a process stopping (or dying: then within the time to live)
        for _ in range(40):
            if running == ["b"]:
                break
            await asyncio.sleep(0.05)
        assert running == ["b"] and b.held
    finally:
        await a.stop()
        await b.stop()
    assert running == []


async def test_retention_runs_in_one_process_per_interval(redis) -> None:
    client, prefix = redis
    runs: list[int] = []
    ctx = SimpleNamespace(redis=client, store=SimpleNamespace(prefix=prefix))
    jobs = [RetentionJob(ctx, interval=1.0) for _ in range(3)]  # three processes
    for n, job in enumerate(jobs):
        async def run_once(n: int = n) -> tuple[int, int]:
            runs.append(n)
            return 0, 0
        job.run_once = run_once  # type: ignore[method-assign]
    ran = await asyncio.gather(*(job.run_if_ours() for job in jobs))
    assert sorted(ran) == [False, False, True] and len(runs) == 1
    assert not any(await asyncio.gather(*(job.run_if_ours() for job in jobs)))
    await asyncio.sleep(1.0)  # the next interval: one of them runs it again
    assert sum(await asyncio.gather(*(job.run_if_ours() for job in jobs))) == 1 and len(runs) == 2


async def test_redis_pacing_is_global_across_processes(redis) -> None:
    """Two processes' pacers: together at most `rate` a second, one chat at most one per interval."""
    client, prefix = redis
    other = redis_client(REDIS_URL)
    try:
        keyed = lambda chat_id: hashlib.sha256(str(chat_id).encode()).hexdigest()  # noqa: E731 (as ctx.user_keys)
        pacers = [RedisPacer(c, 0.0, 20, keyed, prefix=prefix) for c in (client, other)]
        started = time.monotonic()
        await asyncio.gather(*(pacers[n % 2].wait(1000 + n) for n in range(30)))
        assert time.monotonic() - started >= 29 / 20 * 0.95  # 30 messages at 20 a second
        chat = [RedisPacer(c, 0.2, 0, keyed, prefix=prefix) for c in (client, other)]
        started = time.monotonic()
        await asyncio.gather(*(chat[n % 2].wait(42) for n in range(5)))
        assert time.monotonic() - started >= 4 * 0.2 * 0.95  # five to one chat, 0.2 s apart
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        assert keys and all("42" not in k for k in keys), "the chat id itself is never a key"
    finally:
        await other.aclose()


def test_make_lease_falls_back_in_process() -> None:
    assert isinstance(make_lease(None, "x", 1.0), LocalLease)


async def test_only_one_process_polls_telegram_and_another_takes_over(settings_for, tmp_path) -> None:
    """Two processes on one Redis in polling mode: one calls getUpdates; when it stops, the
    other polls within the lease's time to live and answers what comes next."""
    need_service("Redis", 6379)
    from bot.app import AppContext
    from bot.channels.telegram import TelegramChannel
    from bot.sessions import RedisStore
    from tests.fakes.telegram_api import FakeTelegram, text_update

    prefix = f"test:{secrets.token_hex(4)}:"
    async with FakeTelegram() as tg:
        procs = []
        for _ in range(2):
            ctx = AppContext(settings_for(telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url,
                                          telegram_per_chat_interval=0.0, lock_ttl_seconds=3.0),
                             store=RedisStore(REDIS_URL, prefix=prefix))
            await ctx.start(watch=False)
            channel = TelegramChannel(ctx)
            channel.flood.overall_per_second = 0
            await channel.start()
            procs.append((ctx, channel))
        try:
            (_, first), (_, second) = procs
            await asyncio.sleep(0.3)
            assert [first.poller.held, second.poller.held] == [True, False]
            assert first.polling.running and not second.polling.running
            await tg.push(text_update(5_550_072_001, "/start"))
            await first.wait_updates(1)
            await first.stop()  # the polling process goes away
            for _ in range(100):
                if second.poller.held:
                    break
                await asyncio.sleep(0.05)
            assert second.poller.held and second.polling.running
            update_id = await tg.push(text_update(5_550_072_002, "/start"))
            await second.wait_update(update_id)
            assert tg.of("sendMessage", 5_550_072_002)
        finally:
            for ctx, channel in procs:
                await channel.stop()
                await ctx.content.stop()
                await ctx.store.close()
                await ctx.db.dispose()
