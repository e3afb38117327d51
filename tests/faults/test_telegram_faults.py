"""Never silent on Telegram: the real python-telegram-bot client against the fake Bot API,
with the service's Redis stopped under it."""

from __future__ import annotations

from bot.app import AppContext
from bot.channels.telegram import TelegramChannel
from tests.fakes.telegram_api import FakeTelegram, text_update

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
