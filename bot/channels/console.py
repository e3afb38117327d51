"""A terminal chat with the engine: the same code path as the channels, for CSOs and developers."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.app import AppContext
from bot.conversation import Event, Reply
from bot.i18n import negotiate


def render(reply: Reply) -> str:
    """Numbered choices, the way SMS shows them."""
    lines = [reply.text]
    if reply.link:
        lines.append(reply.link)
    for n, choice in enumerate(reply.choices, start=1):
        lines.append(f"  {n}. {choice.label}")
    return "\n".join(lines)


async def chat(ctx: AppContext, lang: str | None, stdin: TextIO = sys.stdin,
               stdout: TextIO = sys.stdout) -> None:
    """Read lines, answer them; a number picks a choice. Ctrl-D or 'exit' ends."""
    user_key = ctx.user_keys.key("console", "local")
    loop = asyncio.get_running_loop()
    first = (Event("console", user_key, payload=f"l:{negotiate(lang)}") if lang
             else Event("console", user_key, text="/start"))
    for reply in (await ctx.engine.handle(first)).replies:
        print(render(reply), end="\n\n", file=stdout, flush=True)
    while True:
        print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line or line.strip().lower() in ("exit", "quit"):
            break
        for reply in (await ctx.engine.handle(Event("console", user_key, text=line, locale_hint=lang))).replies:
            print(render(reply), end="\n\n", file=stdout, flush=True)
