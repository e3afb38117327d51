"""Feedback kept while the database is down, replayed in order when it returns.

Nothing she gives is lost: when a feedback write fails, the record (already anonymous: coarse
fields and a scrubbed comment, no key of hers) goes into a durable spool, and a background
replayer writes it later, in order, exactly once (each entry carries a dedupe key checked
against `processed_events` in the same transaction as the insert).

Two spools behind one interface:
- `DiskSpool`, the embedded default: one JSON file per entry in DATA_DIR/spool, written to a
  temporary name, fsynced and renamed, so a crash leaves either the whole entry or none;
  it survives a process restart.
- `RedisSpool`, with REDIS_URL: a Redis stream (XADD / XRANGE / XDEL); durable across
  restarts with Redis's append-only file (docker-compose.yml runs Redis with AOF).
`ChainSpool` tries Redis and falls back to the disk when Redis is what failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis

log = logging.getLogger(__name__)


class Spool(Protocol):
    async def append(self, entry: dict[str, Any]) -> None: ...
    async def pending(self, limit: int = 100) -> list[tuple[str, dict[str, Any]]]: ...
    async def remove(self, entry_id: str) -> None: ...


class DiskSpool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _write(self, entry: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.directory / (name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(entry, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.directory / name)
        with contextlib.suppress(OSError):  # make the rename itself durable
            fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    async def append(self, entry: dict[str, Any]) -> None:
        await asyncio.to_thread(self._write, entry)

    async def pending(self, limit: int = 100) -> list[tuple[str, dict[str, Any]]]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json"))[:limit]:
            try:
                out.append((path.name, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                log.error("spool: unreadable entry %s left in place", path.name)
        return out

    async def remove(self, entry_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / entry_id).unlink()


class RedisSpool:
    STREAM = "spool:feedback"

    def __init__(self, redis: aioredis.Redis, prefix: str = "smb:") -> None:
        self._redis = redis
        self._stream = prefix + self.STREAM

    async def append(self, entry: dict[str, Any]) -> None:
        await self._redis.xadd(self._stream, {"entry": json.dumps(entry, ensure_ascii=False)})

    async def pending(self, limit: int = 100) -> list[tuple[str, dict[str, Any]]]:
        rows = await self._redis.xrange(self._stream, count=limit)
        return [(rid if isinstance(rid, str) else rid.decode(), json.loads(fields["entry"])) for rid, fields in rows]

    async def remove(self, entry_id: str) -> None:
        await self._redis.xdel(self._stream, entry_id)


class ChainSpool:
    """Redis first, the disk when Redis fails; replays both (disk first: it is older)."""

    def __init__(self, first: Spool, fallback: DiskSpool) -> None:
        self._first = first
        self._fallback = fallback

    async def append(self, entry: dict[str, Any]) -> None:
        try:
            await self._first.append(entry)
        except Exception as exc:
            log.error("spool: Redis unavailable (%s); keeping the entry on disk", type(exc).__name__)
            await self._fallback.append(entry)

    async def pending(self, limit: int = 100) -> list[tuple[str, dict[str, Any]]]:
        on_disk = [("disk:" + i, e) for i, e in await self._fallback.pending(limit)]
        try:
            in_redis = [("redis:" + i, e) for i, e in await self._first.pending(limit)]
        except Exception:
            in_redis = []
        return (on_disk + in_redis)[:limit]

    async def remove(self, entry_id: str) -> None:
        where, _, rest = entry_id.partition(":")
        await (self._fallback if where == "disk" else self._first).remove(rest)


def new_key() -> str:
    """A dedupe key for an entry that has no message id (the console)."""
    return uuid.uuid4().hex
