"""Feedback aggregate latency over 1,000,000 records, SQLite and PostgreSQL, beside the bare SQL.

    python -m bench.feedback [--records 1000000] [--iterations 20] [--no-postgres]

For each backend: a scratch database (a temporary SQLite file; a PostgreSQL database created
on 127.0.0.1:5432 next to `test`, dropped afterwards), migrated, filled in bulk (executemany on
SQLite, COPY on PostgreSQL) with synthetic records, then, per query, p50/p99 of

* the bare SQL: the same GROUP BY (same WHERE) as text, COUNT(*) and SUM(rkey), rows fetched;
* the endpoint: the admin API's route function (`admin_api.api.routes.feedback.aggregate`),
  i.e. SQLAlchemy statement + GROUP BY + disclosure control (bot.disclosure.publish) + JSON.

The ratio is endpoint / bare at p50: what the disclosure control and the API layer add.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import os
import random
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.common import percentile
from bot.app import AppContext
from bot.config import Settings
from bot.sessions import MemoryStore

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
COLUMNS = ("kind", "day", "channel", "locale", "content_id", "theme", "rating", "need", "urgency", "country",
           "gender", "age_band", "origin_country", "current_country", "stage", "rkey")
START = dt.date(2024, 1, 1)
DAYS = 730
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 3, 31))  # a quarter: ~1/8 of the records


def synthetic(n: int, seed: int = 1, chunk: int = 100_000):
    """Records in chunks, shaped like the real thing: mostly women, skewed needs, some small groups."""
    rng = random.Random(seed)
    genders = ["woman"] * 14 + ["man"] * 3 + ["non_binary", "another", None, None]
    needs = ["legal_aid"] * 4 + ["work_wages"] * 4 + ["documents"] * 3 + ["shelter"] * 2 + [
        "health", "gbv_support", "counselling", "money", "return", "other"]
    stages = ["destination"] * 5 + ["preparing"] * 2 + ["thinking", "transit", "returning", None]
    countries = ["PH", "NP", "ET", "KE", "ID", "LB", "SA", "QA"]
    themes = ["work", "contracts", "documents", "gbv", "health", "money", "return", "trafficking"]
    channels = ["telegram"] * 3 + ["sms"] * 2 + ["whatsapp"]
    locales = ["en", "ar", "fr", "id", "es", "ru"]
    out = []
    for _ in range(n):
        rating = rng.random() < 0.25
        origin = rng.choice(countries[:4])
        now = rng.choice(countries[4:])
        out.append((
            "rating" if rating else "need", START + dt.timedelta(days=rng.randrange(DAYS)), rng.choice(channels),
            rng.choice(locales), f"item-{rng.randrange(30)}" if rating else None,
            rng.choice(themes) if rating else None, rng.choice(("yes", "yes", "no", "unsure")) if rating else None,
            None if rating else rng.choice(needs), None if rating else rng.choice(("now", "week", "later", None)),
            None if rating else now, rng.choice(genders), rng.choice(("18_24", "25_34", "35_44", None)),
            origin, now, rng.choice(stages), rng.randrange(2**32)))
        if len(out) == chunk:
            yield out
            out = []
    if out:
        yield out


def fill_sqlite(path: Path, n: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO feedback ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    for rows in synthetic(n):
        conn.executemany(sql, [(r[0], r[1].isoformat(), *r[2:]) for r in rows])
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def fill_postgres(dsn: str, n: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for rows in synthetic(n):
            await conn.copy_records_to_table("feedback", records=rows, columns=COLUMNS)
        await conn.execute("ANALYZE feedback")
    finally:
        await conn.close()


def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


CASES = [
    # name, route arguments, bare SQL, its parameters
    ("by=gender,need", {"by": "gender,need"},
     "SELECT gender, need, count(*), sum(rkey) FROM feedback WHERE kind = 'need' GROUP BY gender, need", {}),
    ("by=stage, one quarter", {"by": "stage", "period_from": PERIOD[0], "period_to": PERIOD[1]},
     "SELECT stage, count(*), sum(rkey) FROM feedback WHERE day >= :a AND day <= :b GROUP BY stage",
     {"a": PERIOD[0], "b": PERIOD[1]}),
]


async def measure(ctx: AppContext, iterations: int) -> list[dict]:
    from admin_api.api.routes.feedback import aggregate
    from admin_api.roles import Actor

    actor = Actor(key_id=0, prefix="bench", role="analyst", org_id=0, org_name="bench", countries=())
    results = []
    for name, args, sql, params in CASES:
        async def bare(session, sql=sql, params=params) -> None:  # type: ignore[no-untyped-def]
            (await session.execute(text(sql), params)).all()

        async def endpoint(session, args=args) -> None:  # type: ignore[no-untyped-def]
            response = await aggregate(actor=actor, ctx=ctx, session=session, **args)
            assert response.status_code == 200

        row = {"query": name}
        for label, fn in (("bare", bare), ("endpoint", endpoint)):
            async with ctx.sessionmaker() as session:
                for _ in range(2):  # warm-up: caches, plans
                    await fn(session)
                samples = []
                for _ in range(iterations):
                    t0 = time.perf_counter()
                    await fn(session)
                    samples.append(time.perf_counter() - t0)
            row[f"{label}_p50"] = percentile(samples, 50) * 1000
            row[f"{label}_p99"] = percentile(samples, 99) * 1000
        results.append(row)
    return results


async def run_backend(name: str, url: str, n: int, iterations: int, fill) -> list[dict]:  # type: ignore[no-untyped-def]
    tmp = Path(tempfile.mkdtemp(prefix="bench-feedback-"))
    settings = Settings(_env_file=None, database_url=url, data_dir=tmp, user_key_secret="bench",
                        redis_url=None)
    ctx = AppContext(settings, store=MemoryStore())
    await ctx.start(watch=False)
    try:
        t0 = time.perf_counter()
        await fill()
        print(f"  {name}: {n:,} records inserted in {time.perf_counter() - t0:.1f} s", flush=True)
        rows = await measure(ctx, iterations)
    finally:
        await ctx.stop()
    for r in rows:
        r["backend"] = name
    return rows


def render(rows: list[dict], n: int) -> str:
    out = [f"Feedback aggregates over {n:,} records: p50 / p99 in ms; ratio = endpoint p50 / bare SQL p50\n",
           "| backend | query | bare SQL p50 | bare SQL p99 | endpoint p50 | endpoint p99 | ratio (p50) |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['backend']} | {r['query']} | {r['bare_p50']:.1f} | {r['bare_p99']:.1f} | "
                   f"{r['endpoint_p50']:.1f} | {r['endpoint_p99']:.1f} | {r['endpoint_p50'] / r['bare_p50']:.2f}x |")
    return "\n".join(out)


async def main_async(n: int, iterations: int, postgres: bool) -> str:
    rows: list[dict] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-feedback-db-"))
    path = tmp / "feedback.sqlite3"
    try:
        rows += await run_backend("SQLite", f"sqlite+aiosqlite:///{path}", n, iterations,
                                  lambda: asyncio.to_thread(fill_sqlite, path, n))
    finally:
        for p in tmp.glob("feedback.sqlite3*"):
            p.unlink()
    if postgres:
        db = f"smb_bench_{os.getpid()}_{secrets.token_hex(3)}"
        try:
            await _pg_admin(f'CREATE DATABASE "{db}"')
        except OSError as exc:
            print(f"  PostgreSQL not reachable at 127.0.0.1:5432 ({exc}); skipped")
        else:
            try:
                rows += await run_backend("PostgreSQL", f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}", n,
                                          iterations, lambda: fill_postgres(f"postgresql://postgres@127.0.0.1:5432/{db}", n))
            finally:
                await _pg_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return render(rows, n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print("## Feedback aggregates: endpoint (GROUP BY + disclosure control + JSON) vs bare SQL\n", flush=True)
    print(asyncio.run(main_async(args.records, args.iterations, not args.no_postgres)))


if __name__ == "__main__":
    main()
