"""The peer educators' inbox: list latency with 100,000 threads, and outbound delivery throughput.

    python -m bench.inbox [--threads 100000] [--iterations 200] [--answers 500] [--limited 300] [--no-postgres]

(a) Inbox list latency. 100,000 threads of one organisation (70% closed, 30% live, 5% urgent,
    six languages, eight countries) on SQLite and, if reachable, on PostgreSQL at
    127.0.0.1:5432 (a database of its own next to `test`, dropped afterwards), migrated as the
    service migrates. Three rows per case, in the same run: the bare `SELECT ... ORDER BY ...
    LIMIT 50` (the floor), `bot.inbox.responding.list_threads` (the same page plus its total,
    as ORM rows), and `GET /api/v1/inbox/threads` through the admin API in-process (key check,
    rate limit, JSON).
(b) Outbound delivery throughput. N answers, each to its own woman's chat, written by
    `responding.reply` (thread + outbox row in one transaction), then delivered by the outbox
    (taskiq in-process, 20 jobs at a time, atomic claims, AES-GCM address decryption, marks)
    through the real python-telegram-bot client with the bot's FloodControl to the local fake
    Bot API (tests.fakes.telegram_api), beside a bare loop of `send_message` calls in the same
    run. Telegram's limit (30 messages a second overall, about one a second per chat) is
    lifted for one row and kept for another, where it sets the pace, as it should.

The Telegram sender here is a stand-in of the `bot.outbox.Sender` shape (send each text with
`Bot.send_message`, remember sent idempotency keys), as the channels' own senders are wired
elsewhere; the costs it measures (client, flood control, outbox) are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import secrets
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert, text

from bench.common import summary, table
from bot.app import AppContext
from bot.config import Settings
from bot.languages import shipped_locales
from bot.sessions import MemoryStore

PG = "postgresql://postgres@127.0.0.1:5432"
COUNTRIES = ("LB", "JO", "SA", "AE", "QA", "KW", "MY", "KE")
LIVE = ("open", "claimed", "answered")
LIVE_INDEX = ("CREATE INDEX ix_bench_live_threads ON inbox_threads (org_id, urgent DESC, created_at, id) "
              "WHERE status IN ('open', 'claimed', 'answered')")
BARE_LIST = ("SELECT id, code, locale, channel, country, status, urgent, created_at FROM inbox_threads "
             "WHERE org_id = :org AND status IN ('open', 'claimed', 'answered'){extra} "
             "ORDER BY urgent DESC, created_at, id LIMIT 50")


def settings_for(url: str, tmp: Path, **extra: object) -> Settings:
    return Settings(_env_file=None, database_url=url, data_dir=tmp, user_key_secret="bench",
                    admin_rate_limit_per_minute=10_000_000, **extra)


async def fill(ctx: AppContext, org_id: int, n: int) -> None:
    from bot.inbox_models import InboxThread

    rng = random.Random(14)
    now = time.time()
    rows = []
    for i in range(n):
        created = dt.datetime.fromtimestamp(now - rng.uniform(0, 90 * 86400), dt.timezone.utc)
        status = "closed" if rng.random() < 0.7 else rng.choice(LIVE)
        rows.append({"code": f"B{i:07d}", "org_id": org_id, "locale": rng.choice(shipped_locales()),
                     "channel": rng.choice(("telegram", "sms")), "country": rng.choice(COUNTRIES),
                     "stage": "destination", "status": status, "urgent": rng.random() < 0.05,
                     "created_at": created, "last_message_at": created,
                     "answered_at": created + dt.timedelta(hours=5) if status in ("answered", "closed") else None})
    async with ctx.sessionmaker() as session:
        for start in range(0, n, 5000):
            await session.execute(insert(InboxThread.__table__), rows[start:start + 5000])
        await session.commit()
        if session.bind.dialect.name == "postgresql":
            await session.execute(text("ANALYZE inbox_threads"))
        else:
            await session.execute(text("ANALYZE"))
        await session.commit()


async def timed(fn, iterations: int) -> tuple[list[float], float]:
    for _ in range(5):  # warm-up
        await fn()
    latencies = []
    start = time.perf_counter()
    for _ in range(iterations):
        t0 = time.perf_counter()
        await fn()
        latencies.append(time.perf_counter() - t0)
    return latencies, time.perf_counter() - start


async def list_case(ctx: AppContext, client: httpx.AsyncClient, key: str, org_id: int, backend: str,
                    params: dict[str, str], iterations: int) -> list[dict]:
    """The bare SELECT, list_threads and the HTTP route for one filter, in turn."""
    from bot.inbox import responding

    extra = " AND country = :c AND locale = :l" if params else ""
    sql = text(BARE_LIST.format(extra=extra))
    args = {"org": org_id, **({"c": params["country"], "l": params["locale"]} if params else {})}
    flt = responding.ThreadFilter(country=params.get("country"), locale=params.get("locale"))

    async def bare() -> None:
        async with ctx.sessionmaker() as session:
            assert len((await session.execute(sql, args)).all()) == 50

    async def listed() -> None:
        async with ctx.sessionmaker() as session:
            rows, total = await responding.list_threads(session, org_id, flt, 50, 0)
            assert len(rows) == 50 and total > 50

    async def http() -> None:
        r = await client.get("/inbox/threads", params={"limit": 50, **params}, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200 and len(r.json()["threads"]) == 50, r.text

    return [summary(name, *await timed(fn, iterations))
            for name, fn in ((f"{backend} bare SELECT ... LIMIT 50", bare),
                             (f"{backend} list_threads (page + total)", listed),
                             (f"{backend} GET /inbox/threads", http))]


async def list_latency(backend: str, url: str, n: int, iterations: int) -> str:
    from admin_api.main import create_admin_app
    from tests.admin_api.conftest import make_key, make_org

    tmp = Path(tempfile.mkdtemp(prefix="bench-inbox-"))
    ctx = AppContext(settings_for(url, tmp), store=MemoryStore())
    await ctx.start(watch=False)
    out = []
    try:
        org_id = await make_org(ctx, "bench cso", list(COUNTRIES))
        _, key = await make_key(ctx, "bench cso", "responder", list(COUNTRIES))
        t0 = time.perf_counter()
        await fill(ctx, org_id, n)
        print(f"  {backend}: {n:,} threads written in {time.perf_counter() - t0:.1f} s", flush=True)
        app = create_admin_app(ctx)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client:
            for label in ("", ", with the suggested partial index"):
                if label:  # what an index on live threads in list order would give (not in the schema)
                    async with ctx.sessionmaker() as session:
                        await session.execute(text(LIVE_INDEX))
                        await session.execute(text("ANALYZE"))
                        await session.commit()
                for case, params in (("live, urgent first", {}), ("live, country LB, Arabic", {"country": "LB", "locale": "ar"})):
                    rows = await list_case(ctx, client, key, org_id, backend, params, iterations)
                    out.append(f"**{backend}, {case}{label}**\n\n" + table(rows, baseline=rows[0]["name"]))
    finally:
        await ctx.stop()
    return "\n\n".join(out)


async def pg_database() -> str | None:
    import asyncpg

    name = f"smb_bench_inbox_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        conn = await asyncpg.connect(f"{PG}/test", timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"  PostgreSQL not reachable at 127.0.0.1:5432 ({exc}); skipped", flush=True)
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG}/test")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# --- (b) outbound delivery --------------------------------------------------------------

class BenchTelegramSender:
    """A `bot.outbox.Sender` over a python-telegram-bot Bot: each text with send_message."""

    def __init__(self, bot, store) -> None:
        self.bot, self.store = bot, store
        self.sent_at: list[float] = []
        self._sent: set[str] = set()  # a real sender asks the shared store; one process here

    async def send(self, address, texts, *, idempotency_key, locale=None):
        from bot.outbox import DeliveryResult

        if idempotency_key in self._sent:
            return DeliveryResult.sent()
        for message in texts:
            if self.bot is not None:  # None: the outbox alone, nothing sent
                await self.bot.send_message(chat_id=int(address.chat_id), text=message)
        await self.store.first_time("sent:" + idempotency_key, 86400)  # what a real sender records
        self._sent.add(idempotency_key)
        self.sent_at.append(time.perf_counter())
        return DeliveryResult.sent()


async def bare_loop(bot, n: int, chat0: int, in_flight: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(in_flight)

    async def one(i: int) -> None:
        async with gate:
            t0 = time.perf_counter()
            await bot.send_message(chat_id=chat0 + i, text=f"An answer to question {i}.")
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    if in_flight == 1:
        for i in range(n):
            await one(i)
    else:
        await asyncio.gather(*(one(i) for i in range(n)))
    return latencies, time.perf_counter() - start


async def outbox_run(tg, n: int, chat0: int, *, limits: bool, null: bool = False,
                     direct: bool = False) -> tuple[list[float], float]:
    from telegram.ext import ExtBot

    from bot.addresses import Address
    from bot.channels.telegram_flood import FloodControl
    from bot.inbox import responding, services_for
    from bot.inbox_models import InboxSettings, InboxThread
    from tests.admin_api.conftest import make_org

    tmp = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    settings = settings_for(f"sqlite+aiosqlite:///{tmp / 'b.sqlite3'}", tmp, outbox_sweep_seconds=3600.0,
                            inbox_daily_questions=10, telegram_per_chat_interval=1.0)
    ctx = AppContext(settings, store=MemoryStore())
    await ctx.start(watch=False)
    flood = FloodControl(settings.telegram_per_chat_interval)
    if not limits:
        flood.overall_per_second = 0
        flood.pacer.interval = 0
    bot = ExtBot(tg.token, base_url=tg.base_url, rate_limiter=flood)
    await bot.initialize()
    sender = BenchTelegramSender(None if null else bot, ctx.store)
    services = services_for(ctx, {"telegram": sender})
    try:
        org_id = await make_org(ctx, "bench cso", ["LB"])
        async with ctx.sessionmaker() as session:
            session.add(InboxSettings(org_id=org_id, accepting=True, languages=[], answer_time_hours=24))
            await session.commit()
        await services.start()
        ids = []
        for i in range(n):
            res = await services.ask(f"bench-woman-{i}", Address("telegram", chat_id=str(chat0 + i)),
                                     "My employer keeps my passport. What can I do?", locale="en",
                                     channel="telegram", country="LB")
            async with ctx.sessionmaker() as session:
                thread = await responding.get_thread(session, org_id, res.code)
                assert isinstance(thread, InboxThread)
                answer = "You have the right to keep your passport. Here is what you can do safely."
                _, row = await responding.reply(session, thread, "bench", answer, [answer], [])
                await session.commit()
                ids.append(row.id)
        start = time.perf_counter()
        if direct:  # no taskiq: Outbox.deliver one after another
            for outbox_id in ids:
                await services.outbox.deliver(outbox_id)
        await services.dispatcher.kick(*ids)
        while len(sender.sent_at) < n:
            await asyncio.sleep(0.01)
        wall = time.perf_counter() - start
        return [t - start for t in sender.sent_at], wall
    finally:
        await services.stop()
        await bot.shutdown()
        await ctx.stop()


async def delivery(answers: int, limited: int) -> str:
    from telegram import Bot

    from tests.fakes.telegram_api import FakeTelegram

    rows = []
    async with FakeTelegram() as tg:
        bare = Bot(tg.token, base_url=tg.base_url)
        await bare.initialize()
        await bare_loop(bare, 20, 8_000_000_000, 1)  # warm-up
        rows.append(summary("bare loop of send_message, one at a time", *await bare_loop(bare, answers, 8_100_000_000, 1)))
        rows.append(summary("bare send_message, 20 in flight", *await bare_loop(bare, answers, 8_200_000_000, 20)))
        await bare.shutdown()
        rows.append(summary("Outbox.deliver one at a time, no taskiq (sender sends nothing)",
                            *await outbox_run(tg, answers, 8_240_000_000, limits=False, null=True, direct=True)))
        rows.append(summary("outbox via taskiq in-process (sender sends nothing)",
                            *await outbox_run(tg, answers, 8_250_000_000, limits=False, null=True)))
        rows.append(summary("outbox -> PTB + FloodControl, limits lifted",
                            *await outbox_run(tg, answers, 8_300_000_000, limits=False)))
        rows.append(summary("outbox -> PTB + FloodControl, Telegram's limits (30/s)",
                            *await outbox_run(tg, limited, 8_400_000_000, limits=True)))
    note = ("p50/p99 are per call for the bare rows, and from the kick to each answer sent for the "
            "outbox rows (a batch: the p99 is nearly the whole run).")
    return table(rows, baseline="bare loop of send_message, one at a time") + "\n\n" + note


async def main_async(args: argparse.Namespace) -> str:
    parts = ["### (a) Inbox list latency, 100,000 threads\n" if args.threads == 100_000
             else f"### (a) Inbox list latency, {args.threads:,} threads\n"]
    tmp = Path(tempfile.mkdtemp(prefix="bench-inbox-db-"))
    parts.append(await list_latency("SQLite", f"sqlite+aiosqlite:///{tmp / 'inbox.sqlite3'}", args.threads,
                                    args.iterations))
    if not args.no_postgres:
        db = await pg_database()
        if db:
            try:
                parts.append(await list_latency("PostgreSQL", f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
                                                args.threads, args.iterations))
            finally:
                await drop_database(db)
    parts.append(f"### (b) Outbound delivery, {args.answers} answers (limited row: {args.limited})\n")
    parts.append(await delivery(args.answers, args.limited))
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--answers", type=int, default=500)
    parser.add_argument("--limited", type=int, default=300)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, like the other benchmarks
    print("## Inbox: list latency and outbound delivery throughput\n", flush=True)
    print(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
