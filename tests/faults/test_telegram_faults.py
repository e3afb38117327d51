"""Never silent, never lost on Telegram: the real python-telegram-bot client against the fake
Bot API, with the service's Redis stopped under it, and with the whole process killed
(SIGKILL) in the middle of a turn, in polling and in webhook mode."""

from __future__ import annotations

import asyncio

import redis as redis_sync

from bot.app import AppContext
from bot.channels.telegram import WEBHOOK_PATH, TelegramChannel
from tests.fakes.telegram_api import FakeTelegram, text_update
from tests.faults.servers import ServiceProcess

CHAT = 5_550_009_001


async def test_help_during_a_redis_outage_gets_numbers_on_telegram(service_settings, servers, fake):
    redis, _ = servers
    async with FakeTelegram() as tg:
        ctx = AppContext(service_settings(telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url,
                                          telegram_per_chat_interval=0.0))
        await ctx.start(watch=False)
        channel = TelegramChannel(ctx)
        channel.flood.backoff = 0.01
        await channel.start()
        try:
            redis.stop()
            try:
                mark = len(tg.calls)
                update_id = await tg.push(text_update(CHAT, "HELP", language_code="en"))
                await channel.wait_update(update_id, timeout=20)
                sent = [c for c in tg.calls[mark:] if c.method == "sendMessage" and c.chat_id == CHAT]
                assert sent and "911" in sent[0].text, [c.text for c in sent]
            finally:
                redis.start()
            # and once Redis is back, an ordinary turn works again
            mark = len(tg.calls)
            update_id = await tg.push(text_update(CHAT, "/menu", language_code="en"))
            await channel.wait_update(update_id, timeout=20)
            assert any(c.method == "sendMessage" and c.chat_id == CHAT for c in tg.calls[mark:])
        finally:
            await channel.stop()
            await ctx.content.stop()
            await ctx.db.dispose()


# -- a process killed in the middle of a turn ---------------------------------------------------

CHAT_KILLED = 5_550_009_002  # her answer was on its way when the process died
CHAT_DONE = 5_550_009_003  # answered just before, while the other turn was still in flight


def _service_env(servers, tmp_path, tg: FakeTelegram) -> dict[str, str]:
    redis, pg = servers
    redis_sync.Redis(port=redis.port).flushall()
    return {"DATABASE_URL": pg.url, "REDIS_URL": redis.url, "DATA_DIR": str(tmp_path),
            "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url,
            "TELEGRAM_PER_CHAT_INTERVAL": "0", "LOCK_TTL_SECONDS": "2", "LOG_LEVEL": "INFO"}


async def _kill_mid_turn(tg: FakeTelegram, process: ServiceProcess) -> tuple[int, int]:
    """Her update is mid-turn (its sendMessage hangs) when a second chat's turn completes;
    then the process is killed. Returns both update ids."""
    hold = tg.hold("sendMessage", chat_id=CHAT_KILLED)
    killed = await tg.push(text_update(CHAT_KILLED, "/help", language_code="en"))
    await asyncio.wait_for(hold.reached.wait(), 60)
    done = await tg.push(text_update(CHAT_DONE, "/start", language_code="en"))
    await tg.wait_for("sendMessage", 1, chat_id=CHAT_DONE, timeout=30)
    await asyncio.sleep(0.5)  # its done-marker is written after the send
    process.kill()
    hold.release()  # the dead process's request ends; Telegram may have delivered that message
    await tg.wait_for("sendMessage", 1, chat_id=CHAT_KILLED)
    return killed, done


async def test_polling_a_process_killed_mid_turn_leaves_the_update_for_the_next_one(servers, tmp_path):
    async with FakeTelegram() as tg:
        process = ServiceProcess(_service_env(servers, tmp_path, tg), tmp_path / "service.log")
        await process.start()
        try:
            await tg.wait_for("deleteWebhook", 1, timeout=60)
            await _kill_mid_turn(tg, process)
            answered_before = tg.count("sendMessage", CHAT_DONE)
            killed_sends = tg.count("sendMessage", CHAT_KILLED)
            await process.start()  # the restarted process polls from the unconfirmed update on
            await tg.wait_for("sendMessage", killed_sends + 1, chat_id=CHAT_KILLED, timeout=60)
            first, again = tg.of("sendMessage", CHAT_KILLED)[0], tg.of("sendMessage", CHAT_KILLED)[killed_sends]
            assert again.text == first.text  # the whole turn again, not a fallback
            await asyncio.sleep(1.0)
            assert tg.count("sendMessage", CHAT_DONE) == answered_before  # handled once, not again
        finally:
            process.kill()


async def test_webhook_a_process_killed_mid_turn_gets_telegrams_redelivery(servers, tmp_path):
    async with FakeTelegram() as tg:
        env = _service_env(servers, tmp_path, tg)
        process = ServiceProcess(env, tmp_path / "service.log")
        await process.start(TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{process.port}{WEBHOOK_PATH}",
                      TELEGRAM_WEBHOOK_SECRET="fault-test-secret")
        try:
            await tg.wait_for("setWebhook", 1, timeout=60)
            await _kill_mid_turn(tg, process)
            killed_sends = tg.count("sendMessage", CHAT_KILLED)
            answered_before = tg.count("sendMessage", CHAT_DONE)
            await process.start()  # same port and secret: Telegram's next try reaches the new process
            await tg.wait_for("sendMessage", killed_sends + 1, chat_id=CHAT_KILLED, timeout=60)
            for _ in range(100):  # the redelivery's 200 comes after its sends
                if tg.webhook_responses.count(200) >= 2:
                    break
                await asyncio.sleep(0.05)
            assert tg.count("sendMessage", CHAT_DONE) == answered_before
            assert 0 in tg.webhook_responses  # the killed turn's delivery got no answer, and was tried again
            assert tg.webhook_responses.count(200) == 2  # each update answered 200 exactly once
        finally:
            process.kill()
