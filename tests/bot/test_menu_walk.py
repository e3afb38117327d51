"""Walk every menu path in every shipped language: no dead end, no English, nothing too long."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from bot.config import ROOT
from bot.content_model import SECTIONS
from bot.languages import shipped_locales
from tests.bot.conversation_driver import Woman

# A walk over every language checks words and layout, which do not depend on the database or
# the session store (every other test runs on both): it runs on the embedded backend only.
pytestmark = pytest.mark.parametrize("backend", ["sqlite-memory"], indirect=True)

TELEGRAM_LIMIT = 4096


def _english_ui_strings(locale: str) -> set[str]:
    """UI strings whose translation differs from the English (French "International" is no leak)."""
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id for m in read_po(f)
                if isinstance(m.id, str) and len(m.id) >= 12 and m.string != m.id}


def _leaked_english(text: str, english: set[str]) -> list[str]:
    return [s for s in english if "{" not in s and s in text]


def _without(text: str, names: list[str]) -> str:
    for name in names:
        text = text.replace(name, "")
    return text


async def _walk(ctx, locale: str) -> dict[str, str]:
    """Breadth-first over every payload reachable from the menu, each from a fresh session."""
    seen: dict[str, str] = {}
    queue = ["m"]
    n = 0
    while queue:
        payload = queue.pop(0)
        if payload in seen:
            continue
        n += 1
        woman = Woman(ctx.engine, user_key=f"walk-{locale}-{n}".ljust(40, "0"))
        await woman.says("hi")
        await woman.picks(f"l:{locale}")
        await woman.picks(payload)
        seen[payload] = "\n".join(r.text for r in woman.replies)
        # a turn may send a message without choices (HELP's numbers) before the one with them
        assert woman.last.choices, f"dead end after {payload!r}"
        for r in woman.replies:
            assert r.locale == locale, (payload, r.locale)
            assert len(r.text) <= TELEGRAM_LIMIT, payload
            assert r.text.strip()
            assert all(len(c.payload.encode()) <= 40 for c in r.choices)
        for choice in woman.last.choices:
            if choice.payload not in seen and not choice.payload.startswith(("d:y", "l:")):
                queue.append(choice.payload)
    return seen


@pytest.mark.parametrize("locale", shipped_locales())
async def test_every_menu_path_in_every_locale(ctx, locale):
    english = _english_ui_strings(locale)
    seen = await _walk(ctx, locale)
    assert {f"s:{s}" for s in SECTIONS} <= set(seen)
    assert {f"i:{i}" for i in ctx.content.library.items} <= set(seen), "an item is unreachable from the menus"
    if locale != "en":
        # organisations and cited documents keep their own names ("International Labour Organization")
        names = [service.name for service in ctx.content.library.services]
        names += [source.title for item in ctx.content.library.items.values() for source in item.sources]
        leaks = {p: _leaked_english(_without(t, names), english) for p, t in seen.items()}
        leaks = {p: leak for p, leak in leaks.items() if leak}
        assert not leaks, f"English UI text in {locale}: {leaks}"


@pytest.mark.parametrize("locale", shipped_locales())
async def test_every_item_is_found_by_a_keyword_search_in_its_language(ctx, locale):
    lib = ctx.content.library
    missed = []
    for item in lib.items.values():
        tr = item.translations[locale]
        woman = Woman(ctx.engine, user_key=f"search-{locale}-{item.id}"[:40].ljust(40, "0"))
        await woman.says("hi")
        await woman.picks(f"l:{locale}")
        found = False
        for keyword in tr.keywords[:3] + [tr.title]:
            reply = await woman.says(keyword)
            if any(c.payload == f"i:{item.id}" for c in reply.choices):
                found = True
                break
        if not found:
            missed.append(item.id)
    assert not missed, f"{locale}: not found by its keywords or title: {missed}"
