"""The one write sequence (admin_api/api/writes.py), seen from outside: every write of an item or a
service answers with its new version as the ETag, saves a version (items), and audits what it touched."""

from __future__ import annotations

from typing import Any

import httpx

from tests.admin_api.conftest import World, item_data


def _written(r: httpx.Response, version: int) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    assert r.json()["version"] == version
    assert r.headers["etag"] == f'"{version}"'  # the version to send back on the next write
    return r.json()


async def _last_event(w: World, target_id: str) -> dict[str, Any]:
    r = await w.client.get("/audit", params={"target_id": target_id, "limit": 1}, headers=w.h("global", "admin"))
    return r.json()["events"][0]


async def _event_count(w: World, target_id: str) -> int:
    r = await w.client.get("/audit", params={"target_id": target_id}, headers=w.h("global", "admin"))
    return r.json()["total"]


async def test_every_item_write_answers_with_its_version_as_etag_and_is_saved_and_audited(world: World) -> None:
    w = world
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    _written(await w.client.post("/items", headers=ed, json=item_data("etag-item", [])), 1)
    event = await _last_event(w, "etag-item")
    assert (event["action"], event["detail"]) == ("item.create", {"version": 1, "locales": ["ar", "en"]})
    steps: list[tuple[str, str, dict[str, str], dict[str, Any], str, dict[str, Any]]] = [
        ("PATCH", "/items/etag-item", ed, {"last_reviewed": "2026-01-01"},
         "item.update", {"fields": ["last_reviewed"]}),
        ("PUT", "/items/etag-item/translations/fr", ed, {"title": "Repos", "body": "Le repos.", "sms": "Repos."},
         "translation.update", {"locale": "fr", "fields": ["title", "body", "sms", "keywords"]}),
        ("POST", "/items/etag-item/translations/ar/review", rv, {}, "translation.review", {"locale": "ar"}),
        ("POST", "/items/etag-item/submit", ed, {}, "item.submit", {"status": "in_review"}),
        ("POST", "/items/etag-item/reject", rv, {}, "item.reject", {"status": "draft"}),
        ("POST", "/items/etag-item/submit", ed, {}, "item.submit", {"status": "in_review"}),
        ("POST", "/items/etag-item/approve", rv, {}, "item.approve", {"status": "published"}),
        ("POST", "/items/etag-item/versions/1/restore", rv, {}, "item.restore", {"restored": 1}),
        ("POST", "/items/etag-item/archive", rv, {}, "item.archive", {"status": "archived"}),
    ]
    for version, (method, path, headers, body, action, detail) in enumerate(steps, start=2):
        r = await w.client.request(method, path, headers={**headers, "If-Match": f'"{version - 1}"'}, json=body)
        _written(r, version)
        event = await _last_event(w, "etag-item")
        assert (event["action"], event["detail"]) == (action, {**detail, "version": version}), path
    versions = (await w.client.get("/items/etag-item/versions", headers=ed)).json()
    assert [v["version"] for v in versions] == list(range(len(steps) + 1, 0, -1))  # one saved state per write


async def test_every_service_write_answers_with_its_version_as_etag_and_is_audited(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    r = await w.client.post("/services", headers=h, json={"id": "etag-line", "country": "KE", "name": "Line",
                                                          "categories": ["legal_aid"]})
    _written(r, 1)
    assert (await _last_event(w, "etag-line"))["detail"] == {"version": 1, "country": "KE"}
    _written(await w.client.patch("/services/etag-line", headers={**h, "If-Match": '"1"'}, json={"hours": "9-17"}), 2)
    assert (await _last_event(w, "etag-line"))["detail"] == {"version": 2, "fields": ["hours"]}
    _written(await w.client.post("/services/etag-line/verify", headers={**h, "If-Match": '"2"'}), 3)
    event = await _last_event(w, "etag-line")
    assert (event["action"], event["detail"]) == ("service.verify", {"version": 3, "fields": ["last_verified", "verified"]})


async def test_a_refused_write_writes_nothing(world: World) -> None:
    w = world
    ed, rv = w.h("global", "editor"), w.h("global", "reviewer")
    events = await _event_count(w, "ph-item")
    versions = len((await w.client.get("/items/ph-item/versions", headers=ed)).json())
    version = await w.version("ph-item")
    for r in (
        await w.client.patch("/items/ph-item", headers={**ed, "If-Match": f'"{version + 5}"'}, json={"theme": "work"}),
        await w.client.post("/items/ph-item/approve", headers={**rv, "If-Match": f'"{version}"'}),  # not in review
        await w.client.put("/items/ph-item/translations/ar", headers={**ed, "If-Match": f'"{version}"'},
                           json={"title": "t", "body": "b", "sms": "s" * 400}),
        await w.client.post("/items/ph-item/versions/99/restore", headers={**rv, "If-Match": f'"{version}"'}),
    ):
        assert r.status_code in (404, 409, 422), r.text
        assert "etag" not in r.headers
    assert await w.version("ph-item") == version
    assert await _event_count(w, "ph-item") == events
    assert len((await w.client.get("/items/ph-item/versions", headers=ed)).json()) == versions
