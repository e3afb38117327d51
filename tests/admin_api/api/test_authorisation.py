"""Every route x every role x own / other organisation's records: 401, 403 and 404 exactly where due.

The table below is the specification. The first test fails when the app has a route the table
does not name (or the table names one the app lacks), so no route can ship unchecked.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

import pytest

from admin_api.main import create_admin_app
from bot.config import ROOT, Settings
from tests.admin_api.conftest import ROLES, World, item_data

ALL = set(ROLES)
READ = {"admin", "editor", "reviewer"}
EDIT = {"editor"}
SUBMIT = {"editor", "reviewer"}
REVIEW = {"reviewer"}
ADMIN = {"admin"}
FEEDBACK = {"admin", "analyst"}
RESPOND = {"responder"}

# (method, path): (roles allowed, kind of object in the path or None, body factory)
ROUTES: dict[tuple[str, str], tuple[set[str], str | None, Any]] = {
    ("GET", "/me"): (ALL, None, None),
    ("GET", "/keys"): (ADMIN, None, None),
    ("POST", "/keys"): (ADMIN, None, lambda: {"role": "analyst"}),
    ("POST", "/keys/{key_id}/expire"): (ADMIN, "key", lambda: {}),
    ("POST", "/keys/{key_id}/revoke"): (ADMIN, "key", None),
    ("GET", "/items"): (READ, None, None),
    ("POST", "/items"): (EDIT, None, lambda: item_data("new-" + secrets.token_hex(4), ["KE"])),
    ("GET", "/items/{item_id}"): (READ, "item", None),
    ("PATCH", "/items/{item_id}"): (EDIT, "item", lambda: {"last_reviewed": "2026-01-02"}),
    ("GET", "/items/{item_id}/published"): (READ, "item", None),
    ("PUT", "/items/{item_id}/translations/{locale}"): (
        EDIT, "item", lambda: {"title": "عنوان", "body": "نص", "sms": "نص"}),
    ("POST", "/items/{item_id}/translations/{locale}/review"): (REVIEW, "item", None),
    ("GET", "/items/{item_id}/translations"): (READ, "item", None),
    ("GET", "/translations/todo"): (READ, None, None),
    ("POST", "/items/{item_id}/submit"): (SUBMIT, "item", None),
    ("POST", "/items/{item_id}/approve"): (REVIEW, "item", None),
    ("POST", "/items/{item_id}/reject"): (REVIEW, "item", None),
    ("POST", "/items/{item_id}/archive"): (REVIEW, "item", None),
    ("GET", "/items/{item_id}/versions"): (READ, "item", None),
    ("GET", "/items/{item_id}/versions/{number}"): (READ, "item", None),
    ("GET", "/items/{item_id}/versions/{number}/diff"): (READ, "item", None),
    ("POST", "/items/{item_id}/versions/{number}/restore"): (SUBMIT, "item", None),
    ("GET", "/items/{item_id}/preview"): (READ, "item", None),
    ("GET", "/services"): (READ, None, None),
    ("POST", "/services"): (EDIT, None, lambda: {
        "id": "ke-new-" + secrets.token_hex(3), "country": "KE", "name": "Legal aid clinic",
        "categories": ["legal_aid"]}),
    ("GET", "/services/overdue"): (READ, None, None),
    ("GET", "/services/{service_id}"): (READ, "service", None),
    ("PATCH", "/services/{service_id}"): (EDIT, "service", lambda: {"hours": "9-17"}),
    ("POST", "/services/{service_id}/verify"): (EDIT, "service", None),
    ("GET", "/emergency"): (READ, None, None),
    ("GET", "/emergency/{country}"): (READ, "emergency", None),
    ("PUT", "/emergency/{country}"): (EDIT, "emergency", lambda: {
        "numbers": [{"kind": "police", "number": "999"}], "source": "https://example.org/numbers",
        "last_verified": "2026-01-02"}),
    ("GET", "/ui-strings"): (READ, None, None),
    ("GET", "/ui-strings/template"): (READ, None, None),
    ("GET", "/ui-strings/{locale}"): (READ, None, None),
    ("PUT", "/ui-strings/{locale}"): (EDIT, None, lambda: {"messages": {}}),
    ("GET", "/ui-strings/{locale}/po"): (READ, None, None),
    ("PUT", "/ui-strings/{locale}/po"): (EDIT, None, lambda: {}),
    ("POST", "/ui-strings/{locale}/submit"): (SUBMIT, None, None),
    ("POST", "/ui-strings/{locale}/approve"): (REVIEW, None, None),
    ("POST", "/ui-strings/{locale}/reject"): (REVIEW, None, None),
    ("POST", "/ui-strings/{locale}/archive"): (REVIEW, None, None),
    ("DELETE", "/ui-strings/{locale}"): (REVIEW, None, None),
    ("GET", "/export"): (READ, None, None),
    ("POST", "/import"): (EDIT, None, lambda: {"files": {}}),
    ("POST", "/import/zip"): (EDIT, None, "zip"),
    ("GET", "/audit"): (ADMIN, None, None),
    ("GET", "/feedback/aggregate"): (FEEDBACK, None, None),
    ("GET", "/feedback/timeseries"): (FEEDBACK, None, None),
    ("GET", "/feedback/helpfulness"): (FEEDBACK, None, None),
    ("GET", "/feedback/comments"): (FEEDBACK, None, None),
    # the inbox: responders only (the "responder" role is not in conftest.ROLES, so every role
    # iterated here must get 403; tests/admin_api/api/routes/test_inbox.py covers responders)
    ("GET", "/inbox/threads"): (RESPOND, None, None),
    ("GET", "/inbox/threads/{code}"): (RESPOND, None, None),
    ("POST", "/inbox/threads/{code}/claim"): (RESPOND, None, None),
    ("POST", "/inbox/threads/{code}/reply"): (RESPOND, None, lambda: {"text": "An answer"}),
    ("POST", "/inbox/threads/{code}/notes"): (RESPOND, None, lambda: {"text": "A note"}),
    ("POST", "/inbox/threads/{code}/close"): (RESPOND, None, None),
    ("PUT", "/inbox/threads/{code}/theme"): (RESPOND, None, lambda: {"theme": "money"}),
    ("GET", "/inbox/canned"): (RESPOND, None, None),
    ("POST", "/inbox/canned"): (RESPOND, None, lambda: {"locale": "en", "title": "Fees", "text": "Not allowed."}),
    ("DELETE", "/inbox/canned/{canned_id}"): (RESPOND, None, None),
    ("GET", "/inbox/settings"): (ADMIN, None, None),
    ("PUT", "/inbox/settings"): (ADMIN, None, lambda: {"languages": ["en"], "answer_time_hours": 24}),
    ("GET", "/inbox/insights/questions"): (FEEDBACK, None, None),
    ("GET", "/inbox/insights/answer-times"): (FEEDBACK, None, None),
}

OWN = {"kenya": {"item": "ke-item", "service": "ke-helpline", "emergency": "KE"},
       "global": {"item": "ph-item", "service": "ph-helpline", "emergency": "PH"}}
FOREIGN = {"item": "ph-item", "service": "ph-helpline", "emergency": "PH"}  # outside Kenya's countries


def _app_operations() -> set[tuple[str, str]]:
    from bot.app import AppContext

    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:",
                        user_key_secret="x", content_dir=ROOT / "content")
    schema = create_admin_app(AppContext(settings)).openapi()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_route_of_the_app_is_in_the_table() -> None:
    assert _app_operations() == set(ROUTES)


async def _call(w: World, method: str, template: str, org: str | None, role: str | None,
                target: str | None, headers: dict[str, str] | None = None) -> int:
    allowed, kind, body = ROUTES[(method, template)]
    path = template.replace("{locale}", "ar").replace("{number}", "1")
    if template == "/feedback/aggregate":
        path += "?by=gender,need"
    extra: dict[str, str] = dict(headers or {})
    if kind == "key":
        path = path.replace("{key_id}", target or "1")
    elif kind == "item":
        target = target or "ke-item"
        path = path.replace("{item_id}", target)
        if method != "GET":
            extra.setdefault("If-Match", f'"{await w.version(target)}"')
    elif kind == "service":
        target = target or "ke-helpline"
        path = path.replace("{service_id}", target)
        if method != "GET":
            async with w.ctx.sessionmaker() as session:
                from bot.models import Service as ServiceRow
                extra.setdefault("If-Match", f'"{(await session.get(ServiceRow, target)).version}"')
    elif kind == "emergency":
        target = target or "KE"
        path = path.replace("{country}", target)
        if method != "GET":
            async with w.ctx.sessionmaker() as session:
                from bot.models import EmergencyCountry
                extra.setdefault("If-Match", f'"{(await session.get(EmergencyCountry, target)).version}"')
    if org and role:
        extra.update(w.h(org, role))
    kwargs: dict[str, Any] = {"headers": extra}
    if body == "zip":
        from admin_api.library_io import zip_files
        kwargs["content"] = zip_files({})
        extra["Content-Type"] = "application/zip"
    elif body is not None:
        kwargs["json"] = body()
    response = await w.client.request(method, path, **kwargs)
    assert response.status_code < 500, (method, path, role, response.text)
    if response.status_code != 204:  # (no content, no type)
        assert response.headers["content-type"].startswith(
            ("application/json", "application/zip", "text/x-gettext-translation")), response.text
    return response.status_code


@pytest.mark.parametrize("method,template", sorted(ROUTES))
async def test_route_checks_key_role_and_organisation(world: World, method: str, template: str) -> None:
    allowed, kind, _ = ROUTES[(method, template)]
    w = world
    # no key, or a bad one: 401 before anything else
    assert await _call(w, method, template, None, None, OWN["kenya"].get(kind or "", None) or
                       (str(w.key_ids[("kenya", "spare")]) if kind == "key" else None)) == 401
    assert await _call(w, method, template, None, None, None,
                       {"Authorization": "Bearer smb_not-a-real-key"}) == 401
    for org, role in itertools.product(("kenya", "global"), ROLES):
        if kind == "key":
            own, foreign = str(w.key_ids[(org, "spare")]), str(w.key_ids[("global" if org == "kenya" else "kenya", "spare")])
        elif kind is not None:
            own = OWN[org][kind]
            foreign = FOREIGN[kind] if org == "kenya" else None
        else:
            own, foreign = None, None
        status = await _call(w, method, template, org, role, own)
        if role not in allowed:
            assert status == 403, (org, role, status)
            if foreign:
                assert await _call(w, method, template, org, role, foreign) == 403
            continue
        assert status not in (401, 403, 404), (org, role, status)
        if foreign:
            assert await _call(w, method, template, org, role, foreign) == 404, (org, role)


async def test_expired_and_revoked_keys_are_refused(world: World) -> None:
    w = world
    admin = w.h("kenya", "admin")
    spare = w.keys[("kenya", "spare")]
    assert (await w.client.get("/items", headers={"Authorization": f"Bearer {spare}"})).status_code == 200
    r = await w.client.post(f"/keys/{w.key_ids[('kenya', 'spare')]}/expire", headers=admin, json={})
    assert r.status_code == 200 and r.json()["active"] is False
    r = await w.client.get("/items", headers={"Authorization": f"Bearer {spare}"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    editor = w.keys[("kenya", "editor")]
    r = await w.client.post(f"/keys/{w.key_ids[('kenya', 'editor')]}/revoke", headers=admin)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert (await w.client.get("/items", headers={"Authorization": f"Bearer {editor}"})).status_code == 401


async def test_lists_and_exports_show_only_the_organisations_countries(world: World) -> None:
    w = world
    kenya = w.h("kenya", "editor")
    ids = {i["id"] for i in (await w.client.get("/items", params={"limit": 500}, headers=kenya)).json()["items"]}
    assert "ke-item" in ids and "ph-item" not in ids
    # global items (countries []) belong only to organisations without a country limit
    global_ids = {i["id"] for i in (await w.client.get("/items", params={"limit": 500},
                                                       headers=w.h("global", "editor"))).json()["items"]}
    assert {"ke-item", "ph-item"} <= global_ids and ids < global_ids
    services = (await w.client.get("/services", params={"limit": 500}, headers=kenya)).json()["services"]
    assert "ke-helpline" in {s["id"] for s in services}
    assert {s["country"] for s in services} == {"KE"}  # the shipped Kenyan entries too, nothing else
    files = (await w.client.get("/export", headers=kenya)).json()["files"]
    assert "items/ke-item.yaml" in files and "items/ph-item.yaml" not in files
    todo = {t["item_id"] for t in (await w.client.get("/translations/todo", headers=kenya)).json()}
    assert "ph-item" not in todo


async def test_a_limited_organisation_cannot_move_content_outside_its_countries(world: World) -> None:
    w = world
    kenya = w.h("kenya", "editor")
    r = await w.client.post("/items", headers=kenya, json=item_data("global-try", []))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "countries"]
    r = await w.client.patch("/items/ke-item", headers=kenya, json={"countries": ["KE", "PH"], "version": 1})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "countries"]
    r = await w.client.post("/services", headers=kenya, json={"id": "ph-x", "country": "PH", "name": "Other",
                                                              "categories": ["legal_aid"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "country"]
    r = await w.client.patch("/services/ke-helpline", headers=kenya, json={"country": "PH", "version": 1})
    assert r.status_code == 422


async def test_audit_log_shows_only_the_organisations_events(world: World) -> None:
    w = world
    await w.client.patch("/items/ph-item", headers=w.h("global", "editor"), json={"last_reviewed": "2026-01-01", "version": 1})
    await w.client.patch("/items/ke-item", headers=w.h("kenya", "editor"), json={"last_reviewed": "2026-01-01", "version": 1})
    kenya_events = (await w.client.get("/audit", headers=w.h("kenya", "admin"))).json()["events"]
    assert [e["target_id"] for e in kenya_events if e["action"] == "item.update"] == ["ke-item"]
    global_events = (await w.client.get("/audit", headers=w.h("global", "admin"))).json()["events"]
    assert [e["target_id"] for e in global_events if e["action"] == "item.update"] == ["ph-item"]
