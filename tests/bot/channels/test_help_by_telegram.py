"""On Telegram too (the real python-telegram-bot client against the fake Bot API): after
"I am in <country>", HELP's first message has a number she can dial, for every UN member state."""

from __future__ import annotations

from bot.app import AppContext
from bot.channels.telegram import TelegramChannel
from bot.emergency import UN_MEMBER_STATES
from tests.bot.test_help_everywhere import dialable_numbers
from tests.fakes.telegram_api import FakeTelegram, callback_update, text_update

CHAT_BASE = 5_551_000_000


async def test_help_on_telegram_after_naming_any_un_member_state(settings_for, store):
    async with FakeTelegram() as tg:
        ctx = AppContext(settings_for(telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url,
                                      telegram_per_chat_interval=0.0), store=store)
        await ctx.start(watch=False)
        channel = TelegramChannel(ctx)
        channel.flood.backoff = 0.01
        channel.flood.overall_per_second = 0
        await channel.start()
        failures = []
        try:
            for n, code in enumerate(sorted(UN_MEMBER_STATES)):
                chat = CHAT_BASE + n
                sent = await _say(tg, channel, chat, "hello")
                assert sent
                await _say(tg, channel, chat, None, press="l:en")
                said = await _say(tg, channel, chat, f"I am in {ctx.catalogs.get('en').country(code)}")
                choice = next((b for m in said for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                               for b in row if b.get("callback_data") == f"co:{code}"), None)
                if choice:  # "Did you mean…?": she presses hers
                    await _say(tg, channel, chat, None, press=f"co:{code}")
                first = (await _say(tg, channel, chat, "HELP"))[0]["text"]
                if not dialable_numbers(first.split("\n", 1)[-1]):
                    failures.append(code)
        finally:
            await channel.stop()
            await ctx.content.stop()
            await ctx.db.dispose()
        assert failures == []


def _keyboard(tg: FakeTelegram, chat: int) -> dict:
    """The newest message in her chat that has buttons, as it is now."""
    return [m for (c, _), m in sorted(tg.messages.items()) if c == chat and m.get("reply_markup")][-1]


async def _say(tg: FakeTelegram, channel: TelegramChannel, chat: int, text: str | None,
               press: str | None = None) -> list[dict]:
    """Her message (or the button she presses), and what the bot sent to her chat in answer."""
    mark = len(tg.calls)
    update = callback_update(chat, press, _keyboard(tg, chat)) if press else text_update(chat, text, language_code="en")
    await channel.wait_update(await tg.push(update), timeout=20)
    return [c.params for c in tg.calls[mark:] if c.method in ("sendMessage", "editMessageText") and c.chat_id == chat]
