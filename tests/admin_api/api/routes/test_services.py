"""The services directory over the API: create, edit with versions, verification and overdue list."""

from __future__ import annotations

import datetime as dt

from tests.admin_api.conftest import World


async def test_create_edit_and_the_bot_sees_it_at_once(world: World) -> None:
    w = world
    h = w.h("kenya", "editor")
    r = await w.client.post("/services", headers=h, json={
        "id": "ke-legal", "country": "KE", "name": "Legal aid clinic", "categories": ["legal_aid"],
        "phone": "+254 700 000000", "description": {"en": "Free legal advice."}})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]  # in the Kenyan organisation's namespace (admin_api/ids.py)
    assert sid.startswith("ke-legal-o")
    assert r.json()["version"] == 1 and r.json()["overdue"] is True
    assert any(s.id == sid for s in w.ctx.content.library.services)
    r = await w.client.patch(f"/services/{sid}", headers=h, json={"hours": "Mon-Fri 9-17", "version": 1})
    assert r.status_code == 200 and r.json()["hours"] == "Mon-Fri 9-17" and r.json()["version"] == 2
    stale = await w.client.patch(f"/services/{sid}", headers=h, json={"hours": "never", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    r = await w.client.patch(f"/services/{sid}", headers=h, json={"active": False, "version": 2})
    assert r.json()["active"] is False
    assert not any(s.id == sid for s in w.ctx.content.library.services)
    dup = await w.client.post("/services", headers=h, json={"id": sid, "country": "KE", "name": "Again",
                                                            "categories": ["legal_aid"]})
    assert dup.status_code == 409


async def test_overdue_list_and_verification(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    overdue = {s["id"] for s in (await w.client.get("/services/overdue", headers=h)).json()["services"]}
    assert "ke-helpline" in overdue and "ph-helpline" not in overdue  # never verified / verified today
    r = await w.client.post("/services/ke-helpline/verify", headers=h, json={"version": 1, "source": "https://example.org/ke"})
    assert r.status_code == 200 and r.json()["last_verified"] == dt.date.today().isoformat()
    assert r.json()["verified"] and r.json()["source"] == "https://example.org/ke"
    overdue = {s["id"] for s in (await w.client.get("/services/overdue", headers=h)).json()["services"]}
    assert "ke-helpline" not in overdue
    old = (dt.date.today() - dt.timedelta(days=w.ctx.settings.verification_overdue_days + 1)).isoformat()
    r = await w.client.patch("/services/ke-helpline", headers=h, json={"last_verified": old, "version": 2})
    assert r.json()["overdue"] is True
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    r = await w.client.post("/services/ke-helpline/verify", headers=h, json={"version": 3, "last_verified": future})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "last_verified"]
    listed = (await w.client.get("/services", params={"overdue": "true", "country": "KE"}, headers=h)).json()
    assert [s["id"] for s in listed["services"]] == ["ke-helpline"]


async def test_service_edits_are_audited(world: World) -> None:
    w = world
    await w.client.patch("/services/ke-helpline", headers=w.h("kenya", "editor"), json={"hours": "24/7", "version": 1})
    events = (await w.client.get("/audit", params={"target_type": "service"}, headers=w.h("kenya", "admin"))).json()
    assert events["events"][0]["action"] == "service.update" and events["events"][0]["detail"]["fields"] == ["hours"]


async def test_a_taken_id_is_a_clean_409_and_the_existing_entry_is_untouched(world: World) -> None:
    import warnings

    from sqlalchemy.exc import SAWarning

    w = world
    h = w.h("global", "editor")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)  # no second row with the same id in the session
        dup = await w.client.post("/services", headers=h, json={"id": "ke-helpline", "country": "KE",
                                                                "name": "Again", "categories": ["legal_aid"]})
    assert dup.status_code == 409
    r = await w.client.get("/services/ke-helpline", headers=h)
    assert r.status_code == 200 and r.json()["name"] != "Again"
