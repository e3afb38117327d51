"""Crawls of every menu path through the real channels, in every shipped language: Telegram
(python-telegram-bot against the fake Bot API) and SMS (signed Twilio webhooks). No dead end,
no English UI text, no Telegram message over 4,096 characters, no SMS over its segment cap."""

from __future__ import annotations

import re

import pytest

from bot import keywords
from bot.channels.sms_render import more_suffix
from bot.languages import shipped_locales
from bot.sms_encoding import to_gsm
from tests.bot.channels.sms_helpers import check_outgoing, language_number
from tests.bot.channels.test_telegram import Person, webhook_rig
from tests.bot.test_menu_walk import _english_ui_strings, _leaked_english, _without
from tests.fakes.telegram_api import callback_update

# A walk over every language checks words and layout, which do not depend on the database or
# the session store (every other test runs on both): it runs on the embedded backend only.
pytestmark = pytest.mark.parametrize("backend", ["sqlite-memory"], indirect=True)

SKIP = ("d:y", "l:")  # deleting her data and changing language end the walk of that branch


def _known_names(ctx) -> list[str]:
    """Names that stay in their own language: organisations, cited documents."""
    names = [service.name for service in ctx.content.library.services]
    return names + [source.title for item in ctx.content.library.items.values() for source in item.sources]


def _leaks(ctx, locale: str, text: str, english: set[str]) -> list[str]:
    return [] if locale == "en" else _leaked_english(_without(text, _known_names(ctx)), english)


@pytest.mark.parametrize("locale", shipped_locales())
async def test_telegram_crawl_of_every_menu_path(settings_for, store, locale) -> None:
    english = _english_ui_strings(locale)
    async with webhook_rig(settings_for, store) as rig:
        woman = Person(rig, 880_000 + shipped_locales().index(locale), locale)
        await woman.says("/start")
        start = await woman.presses(f"l:{locale}")
        assert not _leaks(rig.ctx, locale, start, english)
        queue, seen, problems = ["m"], set(), []
        while queue:
            data = queue.pop(0)
            if data in seen:
                continue
            seen.add(data)
            message = woman.current_keyboard()
            out = await rig.deliver(callback_update(woman.chat_id, data, message, language_code=locale))
            mine = [c for c in out if c.chat_id == woman.chat_id]
            text = "\n".join(c.text for c in mine)
            newest = [m for (chat, _), m in sorted(rig.tg.messages.items()) if chat == woman.chat_id][-1]
            if not newest.get("reply_markup"):  # (an edit that changes nothing is not sent again)
                problems.append(f"dead end after {data!r}")
            if any(len(c.text.encode("utf-16-le")) // 2 > 4096 for c in mine):
                problems.append(f"over 4,096 characters after {data!r}")
            leaked = _leaks(rig.ctx, locale, text, english)
            if leaked:
                problems.append(f"English after {data!r}: {leaked}")
            for call in mine:
                for b in call.buttons:
                    cb = b.get("callback_data")
                    if cb and cb not in seen and not cb.startswith(SKIP):
                        queue.append(cb)
        assert {f"i:{i}" for i in rig.ctx.content.library.items} <= seen, "an item is unreachable on Telegram"
        assert problems == [], problems[:10]


_NUMBERED = re.compile(r"^(\d+) ", re.M)


@pytest.mark.parametrize("locale", shipped_locales())
async def test_sms_crawl_of_every_menu_path(rig, locale) -> None:
    """Every numbered choice, depth first from the menu, replayed from MENU each time."""
    english = _english_ui_strings(locale)
    phone = f"+4477009{shipped_locales().index(locale):02d}777"
    await rig.twilio(phone, "hello")
    await rig.twilio(phone, language_number(rig, "\n".join(await rig.twilio(phone, "LANG")), locale))
    problems: list[str] = []
    visited = 0
    more = to_gsm(keywords.words("more", locale)[0].upper())
    suffix = to_gsm(more_suffix(rig.ctx.catalogs.get(locale))).strip()

    async def visit(path: tuple[str, ...]) -> str:
        nonlocal visited
        visited += 1
        texts = await rig.twilio(phone, "MENU")
        for number in path:
            texts = await rig.twilio(phone, number)
        for _ in range(12):  # a long reply goes on by MORE: the whole of it, every number in it
            if not texts or not to_gsm(texts[-1]).rstrip().endswith(suffix):
                break
            texts = texts + await rig.twilio(phone, more)
        check_outgoing(rig, texts, locale)
        text = "\n".join(texts)
        ways_on = (_NUMBERED.search(text), "MENU" in text.upper(), more in to_gsm(text).upper())
        if not texts or not any(ways_on):  # a numbered choice, MENU, or MORE for the rest
            problems.append(f"dead end after {path}")
        leaked = _leaks(rig.ctx, locale, text, english)
        if leaked:
            problems.append(f"English after {path}: {leaked}")
        return text

    menu = await visit(())
    for section in sorted({m for m in _NUMBERED.findall(menu)} - {"0"}, key=int):
        page = await visit((section,))
        if section in ("1", "2", "3"):  # the three sections: every item, and the first item's choices
            for item in sorted(set(_NUMBERED.findall(page)) - {"0"}, key=int):
                item_page = await visit((section, item))
                if item == "1":
                    for choice in sorted(set(_NUMBERED.findall(item_page)) - {"0"}, key=int):
                        await visit((section, item, choice))
    assert visited >= 3 + len(rig.ctx.content.library.items) // 2
    assert problems == [], problems[:10]
