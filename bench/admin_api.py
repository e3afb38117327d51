"""Admin API throughput on loopback: content reads, searches and updates with p50/p99, beside a bare
FastAPI endpoint in the same run. A library of 2,000 items in 6 languages on SQLite; the API runs
as `python -m admin_api serve` in its own process, driven by httpx with 8 requests in flight.

    python -m bench.admin_api [--items 2000] [--reads 2000] [--updates 500] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import summary, table
from bot.config import Settings
from bot.languages import shipped_locales

BARE_APP = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/bare")
async def bare() -> dict:
    return {"status": "ok", "items": 2000}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _item(n: int) -> dict:
    body = ("You have the right to keep your own passport. " * 14).strip()
    return {
        "id": f"bench-item-{n:05d}", "section": ("rights", "risks", "before_you_go")[n % 3],
        "theme": ("work", "documents", "money", "health")[n % 4], "stages": ["destination"],
        "countries": [] if n % 2 else [("PH", "KE", "LB", "QA")[n % 4]], "related": [],
        "gcm_objectives": [6], "sources": [{"title": "ILO C189", "url": "https://www.ilo.org/c189"}],
        "translations": {loc: {"status": "needs_review", "title": f"Item {n} ({loc})",
                               "body": f"{body} [{loc} {n}]", "sms": f"Short text {n} in {loc}.",
                               "keywords": ["passport", f"k{n}"]} for loc in shipped_locales()},
    }


async def _prepare(settings: Settings, items: int) -> str:
    """An empty service database filled with the bench library, published; returns an editor key."""
    from admin_api.__main__ import create_key
    from bot.app import AppContext
    from bot.content_model import Item
    from bot.content_repository import _with_source_hashes, apply_item, bump_revision, publish_row
    from bot.models import ContentItem

    ctx = AppContext(settings)
    await ctx.start(watch=False)
    async with ctx.sessionmaker() as session:
        for n in range(items):
            row = ContentItem(id=f"bench-item-{n:05d}", version=1, updated_by="bench")
            apply_item(row, _with_source_hashes(Item.model_validate(_item(n))))
            publish_row(row)
            session.add(row)
        await bump_revision(session)
        await session.commit()
    await ctx.stop()
    return await create_key(settings, "Bench CSO", "editor")


def _wait(port: int, path: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def _drive(name: str, n: int, concurrency: int, request) -> dict:  # type: ignore[no-untyped-def]
    """n requests, `concurrency` in flight; latency per request, throughput over the wall time."""
    latencies: list[float] = []
    counter = iter(range(n))
    errors = 0

    async def worker(w: int) -> None:
        nonlocal errors
        for i in counter:
            t0 = time.perf_counter()
            response = await request(w, i)
            latencies.append(time.perf_counter() - t0)
            if response.status_code >= 400:
                errors += 1
                if errors == 1:
                    print(f"{name}: first error {response.status_code} {response.text[:200]}", file=sys.stderr)

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    row = summary(name, latencies, time.perf_counter() - start)
    if errors:
        row["name"] += f" ({errors} errors)"
    return row


async def run(args: argparse.Namespace) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="bench-admin-"))
    (tmp / "content" / "items").mkdir(parents=True)
    (tmp / "content" / "services").mkdir()
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}",
           "DATA_DIR": str(tmp), "USER_KEY_SECRET": "bench", "CONTENT_DIR": str(tmp / "content"),
           "ADMIN_RATE_LIMIT_PER_MINUTE": "100000000", "LOG_LEVEL": "WARNING", "REDIS_URL": ""}
    env.pop("REDIS_URL")
    settings = Settings(_env_file=None, database_url=env["DATABASE_URL"], data_dir=tmp,
                        user_key_secret="bench", content_dir=tmp / "content")
    t0 = time.perf_counter()
    key = await _prepare(settings, args.items)
    print(f"library: {args.items} items x {len(shipped_locales())} locales, built in {time.perf_counter() - t0:.1f} s\n")
    api_port, bare_port = _free_port(), _free_port()
    api = subprocess.Popen([sys.executable, "-m", "admin_api", "serve", "--host", "127.0.0.1", "--port", str(api_port)],
                           env=env, stdout=subprocess.DEVNULL)
    bare = subprocess.Popen([sys.executable, "-c", BARE_APP, str(bare_port)], env=env, stdout=subprocess.DEVNULL)
    try:
        _wait(bare_port, "/bare", bare)
        _wait(api_port, "/api/v1/openapi.json", api)
        headers = {"Authorization": f"Bearer {key}"}
        ids = [f"bench-item-{n:05d}" for n in range(args.items)]
        rng = random.Random(7)
        limits = httpx.Limits(max_connections=args.concurrency)
        rows = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bare_port}", limits=limits) as bare_client:
            for _ in range(200):
                await bare_client.get("/bare")
            rows.append(await _drive("bare FastAPI endpoint (constant JSON)", args.reads, args.concurrency,
                                     lambda w, i: bare_client.get("/bare")))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}/api/v1", headers=headers,
                                     limits=limits, timeout=60) as c:
            for i in range(100):
                await c.get(f"/items/{ids[i]}")
            rows.append(await _drive("content read: GET /items/{id}", args.reads, args.concurrency,
                                     lambda w, i: c.get(f"/items/{rng.choice(ids)}")))
            rows.append(await _drive("content search: GET /items?q=&locale= (2,000 scanned)", max(20, args.reads // 20),
                                     args.concurrency,
                                     lambda w, i: c.get("/items", params={"q": f"k{rng.randrange(args.items)}",
                                                                         "locale": "fr", "limit": 20})))
            versions: dict[str, int] = {}

            async def update(w: int, i: int) -> httpx.Response:
                item_id = ids[i % len(ids)]  # one write per item and version: no self-inflicted conflicts
                version = versions.get(item_id) or int((await c.get(f"/items/{item_id}")).headers["etag"].strip('"'))
                locale = shipped_locales()[i % len(shipped_locales())]
                response = await c.put(f"/items/{item_id}/translations/{locale}", headers={"If-Match": f'"{version}"'},
                                       json={"title": f"Updated {i}", "body": f"Updated body {i}.", "sms": f"Updated {i}."})
                if response.status_code == 200:
                    versions[item_id] = response.json()["version"]
                return response

            for item_id in ids[: args.updates]:  # read the versions first, so the timed part is the write
                versions[item_id] = int((await c.get(f"/items/{item_id}")).headers["etag"].strip('"'))
            rows.append(await _drive("content update: PUT .../translations/{locale}", args.updates,
                                     args.concurrency, update))
    finally:
        for proc in (api, bare):
            proc.terminate()
            proc.wait(timeout=10)
    return table(rows, baseline="bare FastAPI endpoint (constant JSON)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print("## Admin API on loopback (SQLite, one uvicorn worker, httpx client, "
          f"{args.concurrency} in flight)\n")
    print(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
