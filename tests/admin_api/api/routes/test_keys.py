"""Keys over the API: shown once, stored hashed, listed by prefix, expired and revoked, audited."""

from __future__ import annotations

from sqlalchemy import select

from bot.models import ApiKey, AuditEvent
from tests.admin_api.conftest import World, auth


async def test_a_new_key_is_shown_once_and_stored_only_hashed(world: World) -> None:
    w = world
    admin = w.h("kenya", "admin")
    r = await w.client.post("/keys", headers=admin, json={"role": "editor", "label": "volunteer", "expires_days": 30})
    assert r.status_code == 201
    key = r.json()["key"]
    assert key.startswith("smb_") and len(key) > 40 and r.json()["prefix"] == key[:12]
    me = (await w.client.get("/me", headers=auth(key))).json()
    assert me == {"organisation": "kenya cso", "role": "editor", "key_prefix": key[:12], "countries": ["KE"]}
    listed = (await w.client.get("/keys", headers=admin)).json()
    assert key[:12] in {k["prefix"] for k in listed}
    assert key not in str(listed) and all("key" not in k for k in listed)
    async with w.ctx.sessionmaker() as session:
        rows = (await session.scalars(select(ApiKey))).all()
        events = (await session.scalars(select(AuditEvent))).all()
    assert all(key not in (r.key_hash, r.prefix, r.label) for r in rows)
    assert not any(key in str(e.detail) for e in events)
    assert any(e.action == "key.create" and e.detail.get("prefix") == key[:12] for e in events)


async def test_keys_of_another_organisation_are_invisible(world: World) -> None:
    w = world
    global_keys = (await w.client.get("/keys", headers=w.h("global", "admin"))).json()
    kenya_keys = (await w.client.get("/keys", headers=w.h("kenya", "admin"))).json()
    assert not {k["id"] for k in global_keys} & {k["id"] for k in kenya_keys}
    other = w.key_ids[("global", "editor")]
    assert (await w.client.post(f"/keys/{other}/revoke", headers=w.h("kenya", "admin"))).status_code == 404
    assert (await w.client.get("/me", headers=w.h("global", "editor"))).status_code == 200


async def test_revoke_and_expire_are_audited(world: World) -> None:
    w = world
    spare = w.key_ids[("kenya", "spare")]
    await w.client.post(f"/keys/{spare}/expire", headers=w.h("kenya", "admin"), json={"expires_at": "2020-01-01T00:00:00Z"})
    await w.client.post(f"/keys/{spare}/revoke", headers=w.h("kenya", "admin"))
    actions = [e["action"] for e in (await w.client.get("/audit", params={"target_type": "api_key"},
                                                        headers=w.h("kenya", "admin"))).json()["events"]]
    assert actions[:2] == ["key.revoke", "key.expire"]
    assert (await w.client.get("/me", headers=w.h("kenya", "spare"))).status_code == 401


async def test_an_analyst_reads_no_content(world: World) -> None:
    w = world
    h = w.h("global", "analyst")
    assert (await w.client.get("/me", headers=h)).status_code == 200
    for path in ("/items", "/items/ke-item", "/services", "/export", "/audit", "/keys"):
        r = await w.client.get(path, headers=h)
        assert r.status_code == 403 and r.json()["detail"], path
