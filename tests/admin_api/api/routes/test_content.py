"""Content items over the API: search, edit per locale, concurrency, workflow, versions, translations."""

from __future__ import annotations

import asyncio

from tests.admin_api.conftest import World, item_data


async def _get(w: World, item_id: str, org: str = "global") -> dict:
    r = await w.client.get(f"/items/{item_id}", headers=w.h(org, "editor"))
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == f'"{r.json()["version"]}"'
    return r.json()


async def test_list_filters_and_searches(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    everything = (await w.client.get("/items", params={"limit": 500}, headers=h)).json()
    assert everything["total"] >= 2 and len(everything["items"]) == everything["total"]
    r = (await w.client.get("/items", params={"q": "right to rest", "locale": "en"}, headers=h)).json()
    assert {i["id"] for i in r["items"]} >= {"ke-item", "ph-item"}
    r = (await w.client.get("/items", params={"q": "الراحة", "locale": "ar"}, headers=h)).json()
    found = {i["id"]: i for i in r["items"]}
    assert {"ke-item", "ph-item"} <= set(found)
    assert all(i["title"] for i in r["items"])
    assert found["ph-item"]["title"] == "حقك في الراحة"  # `locale` picks the title shown
    for item_id in set(found) - {"ke-item", "ph-item"}:  # shipped items: only those with the word in Arabic
        ar = (await w.client.get(f"/items/{item_id}", headers=h)).json()["translations"]["ar"]
        assert "الراحة" in " ".join([ar["title"], ar["body"], ar["sms"], *(ar.get("keywords") or [])]).casefold(), item_id
    assert (await w.client.get("/items", params={"q": "الراحة", "locale": "fr"}, headers=h)).json()["total"] == 0
    r = (await w.client.get("/items", params={"country": "PH", "theme": "work", "stage": "destination"}, headers=h)).json()
    ids = {i["id"] for i in r["items"]}
    assert "ph-item" in ids and "ke-item" not in ids
    r = (await w.client.get("/items", params={"status": "draft"}, headers=h)).json()
    assert all(i["status"] == "draft" for i in r["items"])
    page = (await w.client.get("/items", params={"limit": 1, "offset": 1}, headers=h)).json()
    assert len(page["items"]) == 1 and page["items"][0]["id"] == everything["items"][1]["id"]
    r = await w.client.get("/items", params={"status": "gone"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "status"]


async def test_unknown_ids_are_404_json(world: World) -> None:
    w = world
    for path in ("/items/no-such-item", "/items/no-such-item/versions", "/items/ke-item/versions/999",
                 "/services/no-such-service", "/items/no-such-item/translations"):
        r = await w.client.get(path, headers=w.h("global", "editor"))
        assert r.status_code == 404 and "detail" in r.json(), path


async def test_stale_write_is_409_and_never_overwrites(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    item = await _get(w, "ph-item")
    first = {"title": "عنوان أول", "body": "النص الأول.", "sms": "النص الأول.", "version": item["version"]}
    second = {"title": "عنوان ثان", "body": "النص الثاني.", "sms": "النص الثاني.", "version": item["version"]}
    r1 = await w.client.put("/items/ph-item/translations/ar", headers=h, json=first)
    assert r1.status_code == 200 and r1.json()["version"] == item["version"] + 1
    r2 = await w.client.put("/items/ph-item/translations/ar", headers=h, json=second)
    assert r2.status_code == 409
    assert r2.json()["current_version"] == item["version"] + 1 and "detail" in r2.json()
    assert (await _get(w, "ph-item"))["translations"]["ar"]["body"] == "النص الأول."
    # If-Match works the same; a write naming no version at all is refused too
    r3 = await w.client.patch("/items/ph-item", headers={**h, "If-Match": f'"{item["version"]}"'},
                              json={"last_reviewed": "2026-01-01"})
    assert r3.status_code == 409
    r4 = await w.client.patch("/items/ph-item", headers=h, json={"last_reviewed": "2026-01-01"})
    assert r4.status_code == 428


async def test_concurrent_writes_on_one_version_let_exactly_one_through(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    version = (await _get(w, "ph-item"))["version"]
    bodies = [{"title": f"t{n}", "body": f"b{n}", "sms": f"s{n}", "version": version} for n in range(6)]
    results = await asyncio.gather(*(w.client.put("/items/ph-item/translations/fr", headers=h, json=b)
                                     for b in bodies))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * 5, codes
    winner = next(r for r in results if r.status_code == 200).json()["translations"]["fr"]["body"]
    assert (await _get(w, "ph-item"))["translations"]["fr"]["body"] == winner


async def test_validation_errors_name_the_field(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    version = (await _get(w, "ph-item"))["version"]
    r = await w.client.put("/items/ph-item/translations/ar", headers=h,
                           json={"title": "x" * 61, "body": "b", "sms": "s", "version": version})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "title"]
    r = await w.client.put("/items/ph-item/translations/xx", headers=h,
                           json={"title": "t", "body": "b", "sms": "s", "version": version})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "locale"]
    r = await w.client.put("/items/ph-item/translations/ar", headers=h,
                           json={"title": "t\x00", "body": "b", "sms": "s", "version": version})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title"]
    r = await w.client.post("/items", headers=h, json=item_data("bad-item", [], stages=[]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "stages"]
    r = await w.client.post("/items", headers=h, content=b"{not json", )
    assert r.status_code == 422


async def test_create_is_a_draft_the_bot_does_not_serve_until_approved(world: World) -> None:
    w = world
    r = await w.client.post("/items", headers=w.h("global", "editor"), json=item_data("brand-new", []))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft" and r.json()["live"] is False
    assert all(t["status"] == "needs_review" for t in r.json()["translations"].values())
    assert "brand-new" not in w.ctx.content.library.items
    assert (await w.client.post("/items", headers=w.h("global", "editor"), json=item_data("brand-new", []))).status_code == 409
    r = await w.client.post("/items/brand-new/submit", headers=w.h("global", "editor"), json={"version": 1})
    assert r.json()["status"] == "in_review"
    r = await w.client.post("/items/brand-new/approve", headers=w.h("global", "reviewer"), json={"version": 2})
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["live"]
    assert "brand-new" in w.ctx.content.library.items  # this process serves it at once


async def test_editing_a_published_item_keeps_serving_the_published_text(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    served = w.ctx.content.library.items["ph-item"].translations["en"].body
    item = await _get(w, "ph-item")
    r = await w.client.put("/items/ph-item/translations/en", headers=h,
                           json={"title": "New title", "body": "New body.", "sms": "New sms.", "version": item["version"]})
    assert r.json()["status"] == "draft" and r.json()["live"] is True
    await w.ctx.content.refresh()
    assert w.ctx.content.library.items["ph-item"].translations["en"].body == served
    published = (await w.client.get("/items/ph-item/published", headers=h)).json()
    assert published["translations"]["en"]["body"] == served


async def test_workflow_transitions_are_checked(world: World) -> None:
    w = world
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    v = (await _get(w, "ph-item"))["version"]
    r = await w.client.post("/items/ph-item/approve", headers=rv, json={"version": v})
    assert r.status_code == 409 and "only from" in r.json()["detail"]  # published, not in review
    r = await w.client.put("/items/ph-item/translations/ar", headers=ed,
                           json={"title": "ت", "body": "ن", "sms": "س", "version": v})
    v = r.json()["version"]
    r = await w.client.post("/items/ph-item/submit", headers=ed, json={"version": v})
    r = await w.client.post("/items/ph-item/reject", headers=rv, json={"version": r.json()["version"]})
    assert r.json()["status"] == "draft"
    r = await w.client.post("/items/ph-item/archive", headers=rv, json={"version": r.json()["version"]})
    assert r.json()["status"] == "archived" and r.json()["live"] is False
    assert "ph-item" not in w.ctx.content.library.items  # withdrawn from the bot at once
    assert (await w.client.get("/items/ph-item/published", headers=ed)).status_code == 404


async def test_versions_diff_and_restore(world: World) -> None:
    w = world
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    original = (await _get(w, "ph-item"))["translations"]["ar"]["body"]
    v = (await _get(w, "ph-item"))["version"]
    r = await w.client.put("/items/ph-item/translations/ar", headers=ed,
                           json={"title": "عنوان", "body": "نص خاطئ.", "sms": "نص.", "version": v})
    v = r.json()["version"]
    versions = (await w.client.get("/items/ph-item/versions", headers=ed)).json()
    assert [x["version"] for x in versions] == list(range(v, 0, -1))
    assert versions[0]["author"] == w.keys[("global", "editor")][:12] and versions[0]["summary"].startswith("ar:")
    d = (await w.client.get("/items/ph-item/versions/1/diff", headers=ed)).json()
    fields = {c["field"] for c in d["changes"]}
    assert "translations.ar.body" in fields and "translations.en.body" not in fields
    assert next(c for c in d["changes"] if c["field"] == "translations.ar.body")["before"] == original
    one = (await w.client.get("/items/ph-item/versions/1", headers=ed)).json()
    assert one["snapshot"]["translations"]["ar"]["body"] == original
    r = await w.client.post("/items/ph-item/versions/1/restore", headers=rv, json={"version": v})
    assert r.status_code == 200, r.text
    assert r.json()["translations"]["ar"]["body"] == original and r.json()["status"] == "draft"
    assert r.json()["version"] == v + 1
    latest = (await w.client.get("/items/ph-item/versions", headers=ed)).json()[0]
    assert latest["summary"] == "restored version 1"


async def test_translation_status_and_outdated_after_english_changes(world: World) -> None:
    w = world
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    states = {s["locale"]: s for s in (await w.client.get("/items/ph-item/translations", headers=ed)).json()}
    assert states["fr"]["state"] == "missing" and states["ar"]["state"] == "needs_review"
    assert states["en"]["state"] == "reviewed" and not states["ar"]["outdated"]
    v = (await _get(w, "ph-item"))["version"]
    r = await w.client.put("/items/ph-item/translations/en", headers=ed,
                           json={"title": "Rest days", "body": "You have a right to a weekly day off.",
                                 "sms": "A weekly day off is your right.", "version": v})
    states = {s["locale"]: s for s in (await w.client.get("/items/ph-item/translations", headers=ed)).json()}
    assert states["ar"]["outdated"] and states["en"]["state"] == "needs_review"
    todo = [t for t in (await w.client.get("/translations/todo", params={"locale": "ar"}, headers=ed)).json()
            if t["item_id"] == "ph-item"]
    assert todo and todo[0]["outdated"]
    r = await w.client.post("/items/ph-item/translations/ar/review", headers=rv, json={"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["translations"]["ar"]["status"] == "reviewed"
    states = {s["locale"]: s for s in (await w.client.get("/items/ph-item/translations", headers=ed)).json()}
    assert not states["ar"]["outdated"] and states["ar"]["state"] == "reviewed"
    r = await w.client.post("/items/ph-item/translations/fr/review", headers=rv, json={"version": r.json()["version"]})
    assert r.status_code == 404


async def test_every_write_is_audited_without_text(world: World) -> None:
    w = world
    v = (await _get(w, "ph-item"))["version"]
    await w.client.put("/items/ph-item/translations/ar", headers=w.h("global", "editor"),
                       json={"title": "سري", "body": "نص سري جدا.", "sms": "سري.", "version": v})
    events = (await w.client.get("/audit", params={"target_id": "ph-item"}, headers=w.h("global", "admin"))).json()["events"]
    assert events[0]["action"] == "translation.update" and events[0]["actor"] == w.keys[("global", "editor")][:12]
    assert events[0]["detail"]["locale"] == "ar" and "نص سري" not in str(events)
