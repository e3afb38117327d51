""""Delete my data" erases everything kept under her key, wherever it was registered."""

from __future__ import annotations

import dataclasses

import pytest

from bot.personal_data import PersonalData
from bot.sessions import MemoryStore
from tests.bot.conversation_driver import Woman
from tests.support import personal_keys


async def _rate_with_consent(woman: Woman, item_id: str) -> None:
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks(f"i:{item_id}")
    await woman.picks(f"r:y:{item_id}")  # asks consent first
    await woman.picks("ok:y")  # then the optional profile
    reply = await woman.picks("px:")  # skipped: the rating is kept
    assert "Thank you" in reply.text


async def test_delete_leaves_nothing_under_her_key(ctx):
    woman = Woman(ctx.engine)
    item_id = next(iter(ctx.content.library.items))
    await _rate_with_consent(woman, item_id)
    assert await personal_keys(ctx.store)  # session, rating marker, feedback cap
    await woman.says("delete")
    await woman.picks("d:y")
    assert await personal_keys(ctx.store) == []


async def test_delete_erases_rating_markers_of_items_archived_since_she_rated_them(ctx):
    woman = Woman(ctx.engine)
    item_id = next(iter(ctx.content.library.items))
    await _rate_with_consent(woman, item_id)
    library = ctx.content.library  # the item is archived: the published library no longer has it
    ctx.content.library = dataclasses.replace(
        library, items={k: v for k, v in library.items.items() if k != item_id})
    await woman.says("delete")
    await woman.picks("d:y")
    assert await personal_keys(ctx.store) == []


async def test_a_second_rating_of_the_same_item_is_not_counted(ctx):
    woman = Woman(ctx.engine)
    item_id = next(iter(ctx.content.library.items))
    await _rate_with_consent(woman, item_id)
    again = await woman.picks(f"r:n:{item_id}")
    assert "already rated" in again.text


async def test_after_deleting_she_can_rate_again_as_a_stranger(ctx):
    woman = Woman(ctx.engine)
    item_id = next(iter(ctx.content.library.items))
    await _rate_with_consent(woman, item_id)
    await woman.says("delete")
    await woman.picks("d:y")
    await _rate_with_consent(woman, item_id)


async def test_two_parts_cannot_share_a_namespace():
    personal = PersonalData(MemoryStore())
    personal.register_prefix("s:", "engine")
    personal.register_prefix("s:", "engine")  # the same owner again is fine
    with pytest.raises(ValueError):
        personal.register_prefix("s:", "sms")


async def test_every_forget_hook_runs_even_when_one_fails():
    store = MemoryStore()
    personal = PersonalData(store)
    personal.register_prefix("a:", "a")
    called = []

    async def broken(user_key: str) -> None:
        raise RuntimeError("database down")

    async def fine(user_key: str) -> None:
        called.append(user_key)

    personal.register_hook("broken", broken)
    personal.register_hook("fine", fine)
    await store.set("a:k", {"x": 1}, 60)
    with pytest.raises(RuntimeError):
        await personal.forget("k")
    assert called == ["k"] and await store.get("a:k") is None
