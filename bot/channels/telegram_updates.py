"""Receiving from Telegram: updates of different chats at once, of one chat in order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import (
    BaseUpdateProcessor,
)

from bot import metrics

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

CHANNEL = "telegram"



# -- receiving: one chat at a time, many chats at once -------------------------------------------

def _chat_of(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerChatUpdates(BaseUpdateProcessor):
    """Updates of different chats run concurrently; updates of one chat run in arrival order.

    The per-chat locks live in memory while a chat has an update in flight, then go.
    `on_done` is called after every update, processed or dropped (progress for tests and
    the benchmark; a health check could use it too).
    """

    def __init__(self, max_concurrent_updates: int = 256, on_done: Callable[[object], None] | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self._on_done = on_done

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = _chat_of(update)
        started, outcome = time.monotonic(), "error"
        try:
            if chat_id is None:
                await coroutine
                outcome = "ok"
                return
            lock, users = self._locks.get(chat_id) or (asyncio.Lock(), 0)
            self._locks[chat_id] = (lock, users + 1)
            try:
                async with lock:
                    await coroutine
            finally:
                lock, users = self._locks[chat_id]
                if users <= 1:
                    del self._locks[chat_id]
                else:
                    self._locks[chat_id] = (lock, users - 1)
            outcome = "ok"
        finally:
            metrics.observe_turn(CHANNEL, time.monotonic() - started, outcome)
            if self._on_done is not None:
                self._on_done(update)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
