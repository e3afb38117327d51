"""ConfirmingPoller: Telegram hears an update is done only after its turn (real PTB Bot, fake API)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from telegram import Bot, Update

from bot.channels import telegram_polling
from bot.channels.telegram_polling import ConfirmingPoller
from tests.fakes.telegram_api import FakeTelegram, text_update

ALLOWED = ["message", "edited_message", "callback_query"]


def _offsets(tg: FakeTelegram) -> list[int | None]:
    return [None if c.params.get("offset") in (None, "") else int(c.params["offset"]) for c in tg.calls
            if c.method == "getUpdates"]


async def _until(check, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


@contextlib.asynccontextmanager
async def polling(bot: Bot, handle):
    """A ConfirmingPoller running over `handle` for the block, stopped after it."""
    poller = ConfirmingPoller(bot, handle, timeout=1, allowed_updates=ALLOWED)
    await poller.start()
    try:
        yield poller
    finally:
        await poller.stop()


@pytest.fixture
async def tg():
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg):
    async with Bot(tg.token, base_url=tg.base_url) as b:
        yield b


async def test_an_update_in_flight_is_not_confirmed_and_is_handed_over_once(tg, bot) -> None:
    release, seen = asyncio.Event(), []

    async def handle(update: Update) -> bool:
        seen.append(update.update_id)
        await release.wait()
        return True

    async with polling(bot, handle):
        uid = await tg.push(text_update(5_550_080_001, "hello"))
        await _until(lambda: seen == [uid])
        await asyncio.sleep(1.2)  # several polls while the turn is in flight
        assert all(o is None or o <= uid for o in _offsets(tg))
        assert seen == [uid] and tg.updates  # Telegram still holds it
        release.set()
        await _until(lambda: any(o is not None and o > uid for o in _offsets(tg)))
        assert seen == [uid]


async def test_a_later_update_does_not_confirm_an_earlier_one_still_in_flight(tg, bot) -> None:
    release, seen = asyncio.Event(), []

    async def handle(update: Update) -> bool:
        seen.append(update.update_id)
        if update.effective_chat.id == 5_550_080_002:
            await release.wait()
        return True

    async with polling(bot, handle):
        slow = await tg.push(text_update(5_550_080_002, "hello"))
        await _until(lambda: slow in seen)
        fast = await tg.push(text_update(5_550_080_003, "hello"))
        await _until(lambda: fast in seen)
        await asyncio.sleep(1.0)
        assert all(o is None or o <= slow for o in _offsets(tg))
        assert seen == [slow, fast]  # each handed over once, though Telegram sent both again
        release.set()
        await _until(lambda: any(o is not None and o > fast for o in _offsets(tg)))


async def test_an_update_nobody_could_answer_is_tried_again(tg, bot, monkeypatch) -> None:
    monkeypatch.setattr(telegram_polling, "RETRY_UNANSWERED", 0.2)
    attempts: list[int] = []

    async def handle(update: Update) -> bool:
        attempts.append(update.update_id)
        return len(attempts) > 1  # the first time, not even the fallback answer went out

    async with polling(bot, handle):
        uid = await tg.push(text_update(5_550_080_004, "HELP"))
        await _until(lambda: len(attempts) == 2)
        await _until(lambda: any(o is not None and o > uid for o in _offsets(tg)))
        assert attempts == [uid, uid]


async def test_stopping_waits_for_the_turn_then_confirms_it(tg, bot) -> None:
    started, finished = asyncio.Event(), []

    async def handle(update: Update) -> bool:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(update.update_id)
        return True

    poller = ConfirmingPoller(bot, handle, timeout=1, allowed_updates=ALLOWED)
    await poller.start()
    uid = await tg.push(text_update(5_550_080_005, "hello"))
    await asyncio.wait_for(started.wait(), 10)
    await poller.stop()
    assert finished == [uid]
    assert _offsets(tg)[-1] == uid + 1 and not tg.updates  # confirmed on the way out
