"""Long polling that confirms an update to Telegram only once it has been handled.

Why not python-telegram-bot's `Updater`: it confirms a batch (the `offset` of the next
`getUpdates`) as soon as it has fetched it, before the updates are processed, and once more
when it stops. A process killed in the middle of a turn has then confirmed an update nobody
answered, and Telegram never sends it again. Here the offset is the lowest update id not yet
handled, so Telegram keeps every update until its answer went out (or the fallback answer,
when the turn failed), and a restarted process gets the unfinished ones again. An update that
was handled and is then delivered once more (restart, a second poller) is dropped by the
channel's `only_once` marker.

Telegram sends unconfirmed updates first in every reply, so while a turn is in flight a poll
returns at once with it; the poller then waits for a turn to finish (at most `IN_FLIGHT_WAIT`),
and a little longer (`COALESCE`) so that one poll confirms several, before it asks again,
instead of spinning on replies it has already seen.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

log = logging.getLogger(__name__)

IN_FLIGHT_WAIT = 0.5  # seconds to wait for a turn to finish when a poll brought nothing new
COALESCE = 0.05  # then this long, so one poll confirms the turns that finish together
RETRY_UNANSWERED = 5.0  # seconds before an update nobody could answer is tried again
MAX_BACKOFF = 30.0


class ConfirmingPoller:
    """`getUpdates` in a loop; each new update goes to `handle`, which returns True once she
    was answered. Telegram is told an update is done only after that."""

    def __init__(self, bot: Bot, handle: Callable[[Update], Awaitable[bool]], *, timeout: int,
                 allowed_updates: list[str], limit: int = 100) -> None:
        self.bot = bot
        self.handle = handle
        self.timeout = timeout
        self.allowed_updates = allowed_updates
        self.limit = limit
        self._in_flight: dict[int, asyncio.Task[bool]] = {}
        self._unanswered: dict[int, float] = {}  # update id -> when to try it again
        self._handled: set[int] = set()  # done, but above a lower unfinished one
        self._next: int | None = None  # one past the highest update id fetched
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def offset(self) -> int | None:
        """What `getUpdates` confirms: everything below the lowest unfinished update."""
        unfinished = [*self._in_flight, *self._unanswered]
        if self._next is not None:
            unfinished.append(self._next)
        return min(unfinished) if unfinished else None

    async def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="telegram-poller")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop asking; let turns in flight finish (up to `grace` seconds), then confirm what
        was handled. A turn still running after that is cancelled and stays unconfirmed."""
        if self._task is None:
            return
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None
        if self._in_flight:
            _, late = await asyncio.wait(list(self._in_flight.values()), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self.offset is not None:
            try:
                await self.bot.get_updates(offset=self.offset, limit=1, timeout=0,
                                           allowed_updates=self.allowed_updates)
            except TelegramError as exc:
                log.info("telegram: could not confirm handled updates at stop (%s)", type(exc).__name__)

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                updates = await self.bot.get_updates(offset=self.offset, limit=self.limit, timeout=self.timeout,
                                                     allowed_updates=self.allowed_updates)
                failures = 0
            except InvalidToken:
                log.error("telegram: the bot token was refused; polling stops")
                raise
            except TelegramError as exc:
                failures += 1
                delay = min(MAX_BACKOFF, 0.5 * 2 ** failures) * (0.5 + random.random() / 2)
                log.warning("telegram: getUpdates failed (%s); again in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            started = sum(self._start(update) for update in updates)
            self._forget_confirmed()
            if updates:
                log.debug("telegram: getUpdates gave %d updates, %d new; %d in flight, confirmed below %s",
                          len(updates), started, len(self._in_flight), self.offset)
            if not started and (self._in_flight or self._unanswered):
                await self._wait_for_progress()

    def _start(self, update: Update) -> bool:
        """Hand a fetched update over, unless it is in flight, handled, or not due again yet."""
        uid = update.update_id
        if uid in self._in_flight or uid in self._handled:
            return False
        if uid in self._unanswered:
            if time.monotonic() < self._unanswered[uid]:
                return False
            del self._unanswered[uid]
        elif self._next is not None and uid < self._next:
            return False  # confirmed earlier: Telegram should not send it, and we do not act twice
        self._next = max(self._next or 0, uid + 1)
        task = asyncio.create_task(self.handle(update), name=f"telegram-update-{uid}")
        self._in_flight[uid] = task
        task.add_done_callback(lambda t, uid=uid: self._finished(uid, t))
        return True

    def _finished(self, uid: int, task: asyncio.Task[bool]) -> None:
        self._in_flight.pop(uid, None)
        answered = not task.cancelled() and task.exception() is None and task.result()
        if answered:
            self._handled.add(uid)
        elif not task.cancelled():
            self._unanswered[uid] = time.monotonic() + RETRY_UNANSWERED

    def _forget_confirmed(self) -> None:
        offset = self.offset
        if offset is not None:
            self._handled = {uid for uid in self._handled if uid >= offset}

    async def _wait_for_progress(self) -> None:
        timeout = IN_FLIGHT_WAIT
        if self._unanswered:
            timeout = max(0.05, min(timeout, min(self._unanswered.values()) - time.monotonic()))
        if self._in_flight:
            done, _ = await asyncio.wait(list(self._in_flight.values()), timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if done:
                await asyncio.sleep(COALESCE)
        else:
            await asyncio.sleep(timeout)
