"""Helpers several test packages share: a real server on loopback, and what a store holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from bot.channels.sms import OPTOUT_INDEX


@asynccontextmanager
async def serve_on_loopback(app: Any) -> AsyncIterator[str]:
    """Serve `app` under uvicorn on 127.0.0.1 (a free port) in this event loop; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                            access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.02)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# keys about the whole service, none about a person: left out of what the store is said to keep
SERVICE_WIDE = frozenset({OPTOUT_INDEX})


async def store_text(store: Any) -> str:
    """Every key and value in the session store (in-process or Redis), as text to search."""
    if hasattr(store, "_data"):
        return "\n".join(f"{k}={store._data[k][1]}" for k in await store_keys(store))
    out = []
    for key in await store_keys(store):
        name = store._prefix + key
        value = await store._redis.get(name) if await store._redis.type(name) == "string" else ""
        out.append(f"{name}={value}")
    return "\n".join(out)


async def store_keys(store: Any) -> list[str]:
    """Every live key in the session store (in-process or Redis), without the Redis prefix
    (and without the service-wide ones)."""
    if hasattr(store, "_data"):
        return [key for key in store._data if key not in SERVICE_WIDE]
    prefix = store._prefix
    return [key[len(prefix):] async for key in store._redis.scan_iter(match=prefix + "*")
            if key[len(prefix):] not in SERVICE_WIDE]


# what may stay after "delete my data": ids of messages already answered (hashes of the
# gateway's or Telegram's message ids, nothing about the person)
NOT_PERSONAL = ("smsid:", "tgu:")


async def personal_keys(store: Any) -> list[str]:
    return [k for k in await store_keys(store) if not k.startswith(NOT_PERSONAL)]
