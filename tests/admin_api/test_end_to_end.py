"""The README path: a new CSO creates keys, edits an Arabic text, has it reviewed and published,
and the bot answers with it without a restart: in this process at once, and in another process
(a second service context on the same database) through its revision poll.
"""

from __future__ import annotations

import asyncio

import httpx

from admin_api.__main__ import create_key
from admin_api.main import create_admin_app
from bot.app import AppContext
from bot.conversation import Event
from bot.sessions import MemoryStore


async def _bot_says(ctx: AppContext, item_id: str, user: str) -> str:
    """A woman chooses Arabic, then opens the item, as she would from the menu."""
    await ctx.engine.handle(Event("telegram", user, text="مرحبا"))
    await ctx.engine.handle(Event("telegram", user, payload="l:ar"))
    replies = (await ctx.engine.handle(Event("telegram", user, payload=f"i:{item_id}"))).replies
    assert replies[-1].locale == "ar"
    return replies[-1].text


async def test_a_cso_edits_arabic_gets_it_published_and_the_bot_says_it(ctx, settings_for) -> None:
    other = AppContext(settings_for(), store=MemoryStore())  # another process on the same database
    await other.start(watch=True)
    try:
        editor_key = await create_key(ctx.settings, "Migrant Women CSO", "editor")
        reviewer_key = await create_key(ctx.settings, "Migrant Women CSO", "reviewer")
        editor = {"Authorization": f"Bearer {editor_key}"}
        reviewer = {"Authorization": f"Bearer {reviewer_key}"}
        app = create_admin_app(ctx)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            listed = (await c.get("/items", params={"locale": "ar", "status": "published"}, headers=editor)).json()
            assert listed["items"], "the shipped library has published Arabic items"
            item_id = listed["items"][0]["id"]
            item = await c.get(f"/items/{item_id}", headers=editor)
            etag = item.headers["etag"]
            old = item.json()["translations"]["ar"]
            new_body = "نص جديد راجعته منظمتنا: لك الحق في يوم راحة كل أسبوع."
            r = await c.put(f"/items/{item_id}/translations/ar", headers={**editor, "If-Match": etag},
                            json={"title": old["title"], "body": new_body, "sms": old["sms"]})
            assert r.status_code == 200, r.text
            assert new_body not in await _bot_says(ctx, item_id, "a" * 40)  # a draft is not served
            r = await c.post(f"/items/{item_id}/submit", headers={**editor, "If-Match": r.headers["etag"]})
            assert r.json()["status"] == "in_review"
            r = await c.post(f"/items/{item_id}/approve", headers={**reviewer, "If-Match": r.headers["etag"]})
            assert r.status_code == 200 and r.json()["status"] == "published", r.text
        assert new_body in await _bot_says(ctx, item_id, "b" * 40)
        # the other process notices the new revision by itself (its poll runs every 0.2 s here)
        for _ in range(200):
            if other.content.library.revision == ctx.content.library.revision:
                break
            await asyncio.sleep(0.05)
        assert new_body in await _bot_says(other, item_id, "c" * 40)
    finally:
        await other.content.stop()
        await other.db.dispose()
