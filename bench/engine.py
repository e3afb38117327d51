"""Engine turns per second on one core, in-process state, beside a bare session read/write.

    python -m bench.engine [--turns 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.common import summary, table
from bot.app import AppContext
from bot.config import Settings
from bot.conversation import Event
from bot.sessions import MemoryStore


async def run(turns: int) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp / 'b.sqlite3'}",
                        data_dir=tmp, user_key_secret="bench")
    store = MemoryStore()
    ctx = AppContext(settings, store=store)
    await ctx.start(watch=False)
    item_ids = sorted(ctx.content.library.items)
    users = [ctx.user_keys.key("bench", n) for n in range(200)]
    for key in users:
        await ctx.engine.handle(Event("console", key, payload="l:fr"))
    # a woman browsing: menu, a section, an item, a search; none of these writes the database
    script = [("payload", "m"), ("payload", "s:rights"), ("payload", f"i:{item_ids[0]}"),
              ("text", "passeport"), ("payload", "s:risks"), ("payload", "h")]

    async def engine_turn(i: int) -> None:
        kind, value = script[i % len(script)]
        key = users[i % len(users)]
        event = Event("console", key, payload=value) if kind == "payload" else Event("console", key, text=value)
        await ctx.engine.handle(event)

    async def bare_turn(i: int) -> None:
        key = "s:" + users[i % len(users)]
        data = await store.get(key) or {}
        data["n"] = data.get("n", 0) + 1
        await store.set(key, data, 3600)

    rows = []
    for name, fn in (("bare session read+write", bare_turn), ("engine turn (no DB write)", engine_turn)):
        for i in range(min(500, turns)):  # warm-up
            await fn(i)
        latencies = []
        start = time.perf_counter()
        for i in range(turns):
            t0 = time.perf_counter()
            await fn(i)
            latencies.append(time.perf_counter() - t0)
        rows.append(summary(name, latencies, time.perf_counter() - start))
    await ctx.stop()
    return table(rows, baseline="bare session read+write")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=20000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, as the issue asks
    print("## Engine: turns on one core, in-process state\n")
    print(asyncio.run(run(args.turns)))


if __name__ == "__main__":
    main()
