"""A language added through the admin API only: UI strings uploaded as a PO file, reviewed and
published, items translated, and the running bot offers it without a restart; deleting it
withdraws it. Zulu (`zu`) is a real language this repository does not ship; its strings here are
made up ("[zu] " before the English)."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n import language_name
from bot.ui_strings import PLURAL_FORMS, parse_po
from tests.admin_api.conftest import World
from tests.bot.conversation_driver import Woman

ZU = "zu"


def made_up_po(w: World, *, skip: int = 0) -> bytes:
    """Every template string as '[zu] <English>', leaving out the last `skip` strings."""
    import io

    catalog = Catalog(locale=ZU)
    entries = list(w.ctx.catalogs.template.values())
    for e in entries[:len(entries) - skip]:
        if e.plural:
            catalog.add((e.msgid, e.plural), tuple(f"[zu] {e.plural}" for _ in range(catalog.num_plurals)))
        else:
            catalog.add(e.msgid, f"[zu] {e.msgid}")
    out = io.BytesIO()
    write_po(out, catalog)
    return out.getvalue()


def po_headers(h: dict[str, str], **extra: str) -> dict[str, str]:
    return {**h, "Content-Type": "text/x-gettext-translation", **extra}


async def languages(w: World) -> dict[str, dict]:
    return {row["locale"]: row for row in (await w.client.get("/ui-strings", headers=w.h("global", "editor"))).json()}


async def todo(w: World) -> list[dict]:
    rows = (await w.client.get("/translations/todo", params={"locale": ZU}, headers=w.h("global", "editor"))).json()
    return [r for r in rows if r["kind"] == "language"]


async def translate_and_publish_items(w: World, count: int) -> None:
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    for item_id in sorted(w.ctx.content.library.items)[:count]:
        item = w.ctx.content.library.items[item_id]
        en = item.translations["en"]
        version = await w.version(item_id)
        r = await w.client.put(f"/items/{item_id}/translations/{ZU}", headers=ed, json={
            "title": f"[zu] {en.title}", "body": f"[zu] {en.body}", "sms": f"[zu] {en.sms}"[:300],
            "keywords": ["zuluword", *en.keywords[:3]], "version": version})
        assert r.status_code == 200, r.text
        r = await w.client.post(f"/items/{item_id}/submit", headers=rv, json={"version": r.json()["version"]})
        assert r.status_code == 200, r.text
        r = await w.client.post(f"/items/{item_id}/approve", headers=rv, json={"version": r.json()["version"]})
        assert r.status_code == 200, r.text


async def test_a_language_added_through_the_api_only_is_offered_without_a_restart(world: World) -> None:
    w = world
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    assert ZU not in w.ctx.catalogs.locales and ZU not in await languages(w)

    # the translators' PO file, uploaded: a draft, not offered
    r = await w.client.put(f"/ui-strings/{ZU}/po", headers=po_headers(ed), content=made_up_po(w))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft" and r.json()["missing"] == [] and r.headers["etag"] == '"1"'
    assert ZU not in w.ctx.catalogs.locales
    assert [row["needs"] for row in await todo(w)] == [["its working copy is draft", "its UI strings are not published"]]

    # reviewed and published: compiled at once, but not offered before enough items are in it
    r = await w.client.post(f"/ui-strings/{ZU}/submit", headers=rv, json={"version": 1})
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    r = await w.client.post(f"/ui-strings/{ZU}/approve", headers=rv, json={"version": 2})
    assert r.status_code == 200 and r.json()["status"] == "published", r.text
    state = (await languages(w))[ZU]
    assert state["translated"] == state["total"] and not state["offered"]
    needed = w.ctx.catalogs.min_items
    assert any("published items" in n for n in state["needs"])
    assert [row["needs"] for row in await todo(w)] == [state["needs"]]

    await translate_and_publish_items(w, needed)
    state = (await languages(w))[ZU]
    assert state["offered"] and state["needs"] == []
    assert await todo(w) == []
    assert ZU in w.ctx.catalogs.locales

    # the running bot: a phone set to Zulu gets Zulu, and the language list names it
    woman = Woman(w.ctx.engine, user_key="zu-woman".ljust(40, "z"), locale_hint="zu-ZA")
    await woman.says("/start")
    assert woman.text.startswith("[zu] ")
    await woman.says("LANG")
    assert language_name(ZU) == "IsiZulu" and woman.labels()[0] == "IsiZulu"  # hers first, in CLDR's words
    sections = await woman.picks("IsiZulu")
    assert sections.text.startswith("[zu] ") and sections.choices and all(c.label.startswith("[zu] ") for c in sections.choices)

    # the PO file comes back as it went in
    r = await w.client.get(f"/ui-strings/{ZU}/po", headers=ed)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/x-gettext-translation")
    sent = parse_po(made_up_po(w), ZU)
    back = parse_po(r.content, ZU)
    assert {k: v for k, v in back.items() if k != PLURAL_FORMS} == {k: v for k, v in sent.items() if k != PLURAL_FORMS}

    # deleting it withdraws it at once; her next message is answered in the default language
    r = await w.client.delete(f"/ui-strings/{ZU}", headers=rv)
    assert r.status_code == 204
    assert ZU not in w.ctx.catalogs.locales and ZU not in await languages(w)
    reply = await woman.says("MENU")
    assert not reply.text.startswith("[zu] ")


async def test_an_incomplete_catalog_is_published_but_not_offered(world: World) -> None:
    w = world
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    r = await w.client.put(f"/ui-strings/{ZU}/po", headers=po_headers(ed), content=made_up_po(w, skip=3))
    assert r.status_code == 201 and len(r.json()["missing"]) == 3
    await w.client.post(f"/ui-strings/{ZU}/submit", headers=rv, json={"version": 1})
    await w.client.post(f"/ui-strings/{ZU}/approve", headers=rv, json={"version": 2})
    await translate_and_publish_items(w, w.ctx.catalogs.min_items)
    state = (await languages(w))[ZU]
    assert not state["offered"] and "3 of" in state["needs"][0]
    assert ZU not in w.ctx.catalogs.locales


async def test_archiving_withdraws_a_shipped_language_and_approving_again_brings_it_back(world: World) -> None:
    w = world
    rv = w.h("global", "reviewer")
    assert "fr" in w.ctx.catalogs.locales
    version = (await w.client.get("/ui-strings/fr", headers=rv)).json()["version"]
    r = await w.client.post("/ui-strings/fr/archive", headers=rv, json={"version": version})
    assert r.status_code == 200 and "fr" not in w.ctx.catalogs.locales
    r = await w.client.post("/ui-strings/fr/approve", headers=rv, json={"version": version + 1})
    assert r.status_code == 409 and "archived" in r.json()["detail"]


async def test_bad_strings_get_a_422_naming_the_string(world: World) -> None:
    w = world
    ed = w.h("global", "editor")
    template = w.ctx.catalogs.template
    with_placeholder = next(m for m, e in template.items() if "{" in m and not e.plural)
    r = await w.client.put(f"/ui-strings/{ZU}", headers=ed, json={"messages": {with_placeholder: "[zu] no placeholder"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "messages", with_placeholder]
    r = await w.client.put(f"/ui-strings/{ZU}", headers=ed, json={"messages": {"Not a string of the bot": "x"}})
    assert r.status_code == 422 and "not a string the bot uses" in r.json()["detail"][0]["msg"]
    r = await w.client.put("/ui-strings/xx", headers=ed, json={"messages": {}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "locale"]
    r = await w.client.put("/ui-strings/en", headers=ed, json={"messages": {}})
    assert r.status_code == 422
    r = await w.client.put(f"/ui-strings/{ZU}/po", headers=po_headers(ed), content=b"\xff\xfe not a po file")
    assert r.status_code in (201, 422)  # Babel reads almost anything; nothing unsafe is stored
    assert (await w.client.get(f"/ui-strings/{ZU}", headers=w.h("global", "analyst"))).status_code in (200, 403, 404)
    # an analyst may not write
    r = await w.client.put(f"/ui-strings/{ZU}", headers=w.h("global", "analyst"), json={"messages": {}})
    assert r.status_code == 403
