"""Telegram updates per second through the real python-telegram-bot client, beside a bare echo bot.

    python -m bench.telegram [--users 40] [--rounds 3]

Both bots long-poll the same local Bot API server (tests.fakes.telegram_api) in the same run,
on one core, with the same update processor (chats concurrent, one chat in order). Each of
`--users` women runs a scripted conversation, one update at a time (the next when the last
was handled): /start, her language, a section, an item, the menu, a typed search, help, the
menu. The echo bot answers each text with the same text and each button with
answerCallbackQuery + the button's data. Latency is from the update reaching the server to
the bot having handled it (replies sent).

Rows:
* bare PTB echo bot: the floor, what python-telegram-bot and the HTTP round trips cost;
* this bot, limits lifted: the engine, session store, idempotency, rendering, edits;
* this bot, Telegram's limits: 30 messages a second overall and one a second per chat, as
  in production; it shows the flood limits, not the code, set the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bench.common import summary, table
from bot.app import AppContext
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import PerChatUpdates
from bot.config import Settings
from bot.sessions import MemoryStore
from tests.fakes.telegram_api import FakeTelegram, callback_update, text_update

CHAT0 = 9_000_000_000


class Done:
    """Which update ids have been handled, and when."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}
        self.tick = asyncio.Event()

    def __call__(self, update: object) -> None:
        if isinstance(update, Update):
            self.at[update.update_id] = time.perf_counter()
            self.tick.set()

    async def wait(self, update_id: int) -> float:
        while update_id not in self.at:
            self.tick.clear()
            await self.tick.wait()
        return self.at[update_id]


def script(item_id: str) -> list[tuple[str, str]]:
    return [("text", "/start"), ("button", "l:fr"), ("button", "s:rights"), ("button", f"i:{item_id}"),
            ("button", "m"), ("text", "passeport"), ("button", "h"), ("button", "m")]


async def woman(tg: FakeTelegram, done: Done, chat_id: int, steps: list[tuple[str, str]],
                rounds: int, latencies: list[float]) -> None:
    for _ in range(rounds):
        for kind, value in steps:
            last = None
            ours = [m for (c, _), m in tg.messages.items() if c == chat_id]
            if ours:
                last = ours[-1]
            update = (text_update(chat_id, value, language_code="fr") if kind == "text"
                      else callback_update(chat_id, value, last, language_code="fr"))
            start = time.perf_counter()
            update_id = await tg.push(update)
            latencies.append(await done.wait(update_id) - start)


async def drive(tg: FakeTelegram, done: Done, users: int, rounds: int, steps: list[tuple[str, str]],
                first_chat: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    start = time.perf_counter()
    await asyncio.gather(*(woman(tg, done, first_chat + n, steps, rounds, latencies) for n in range(users)))
    return latencies, time.perf_counter() - start


async def echo_bot(tg: FakeTelegram, done: Done) -> Application:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, update.callback_query.data)

    app = (Application.builder().token(tg.token).base_url(tg.base_url)
           .concurrent_updates(PerChatUpdates(on_done=done)).job_queue(None).build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(button))
    await app.initialize()
    await app.updater.start_polling(timeout=25)
    await app.start()
    return app


async def stop(app: Application) -> None:
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def our_bot(tg: FakeTelegram, done: Done, ctx: AppContext, *, limits: bool) -> TelegramChannel:
    channel = TelegramChannel(ctx)
    channel.application.update_processor._on_done = lambda update: (channel._update_done(update), done(update))
    if not limits:
        channel.flood.overall_per_second = 0
        channel.flood.pacer.interval = 0
    await channel.start()
    return channel


async def run(users: int, rounds: int) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="bench-telegram-"))
    rows = []
    async with FakeTelegram() as tg:
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp / 'b.sqlite3'}",
                            data_dir=tmp, user_key_secret="bench", telegram_bot_token=tg.token,
                            telegram_api_base_url=tg.base_url, telegram_per_chat_interval=1.0)
        ctx = AppContext(settings, store=MemoryStore())
        await ctx.start(watch=False)
        steps = script(sorted(i for i in ctx.content.library.items if ctx.content.library.items[i].section == "rights")[0])

        done = Done()
        app = await echo_bot(tg, done)
        await drive(tg, done, 5, 1, steps, CHAT0)  # warm-up
        latencies, wall = await drive(tg, done, users, rounds, steps, CHAT0 + 1000)
        rows.append(summary("bare PTB echo bot", latencies, wall))
        await stop(app)

        for limits, first in ((False, 2000), (True, 3000)):
            done = Done()
            channel = await our_bot(tg, done, ctx, limits=limits)
            if not limits:
                await drive(tg, done, 5, 1, steps, CHAT0 + 100)  # warm-up
            n_users, n_rounds = (users, rounds) if not limits else (users, 1)
            latencies, wall = await drive(tg, done, n_users, n_rounds, steps, CHAT0 + first)
            name = "this bot, Telegram's limits on" if limits else "this bot, limits lifted"
            rows.append(summary(name, latencies, wall))
            await channel.stop()
        await ctx.stop()
    return table(rows, baseline="bare PTB echo bot")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, like the other benchmarks
    print("## Telegram: updates handled per second, real python-telegram-bot client, local Bot API server\n")
    print(f"{args.users} women at once, each a scripted conversation of {len(script('x'))} updates "
          f"x {args.rounds} rounds (1 round with Telegram's limits on); bot and server share one core.\n")
    print(asyncio.run(run(args.users, args.rounds)))


if __name__ == "__main__":
    main()
