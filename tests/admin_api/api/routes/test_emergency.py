"""Emergency numbers over the API: read, replace with versions, refuse bad numbers and other
organisations' countries, and HELP answering with the edited number at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from bot.models import AuditEvent, EmergencyCountry
from tests.admin_api.conftest import World
from tests.bot.conversation_driver import Woman

KE_NUMBERS = {
    "numbers": [
        {"kind": "police", "number": "999", "note": {"en": "Toll free."}},
        {"kind": "women", "number": "1195", "note": {"en": "A test line for violence against women."}},
    ],
    "source": "https://example.org/kenya-emergency",
    "last_verified": "2026-11-30",
}


async def _help_text(w: World, country_name: str) -> str:
    woman = Woman(w.ctx.engine, user_key=("help-" + country_name).ljust(40, "x"))
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.says(f"I am in {country_name}")
    await woman.says("HELP")
    return woman.replies[0].text


async def test_list_and_read_what_content_emergency_loaded(world: World) -> None:
    w = world
    listed = (await w.client.get("/emergency", headers=w.h("global", "reviewer"))).json()
    by_country = {c["country"]: c for c in listed["countries"]}
    assert listed["total"] == len(w.ctx.content.library.emergency) >= 150
    assert by_country["PH"]["kinds"][0] == "general" and by_country["PH"]["version"] == 1
    r = await w.client.get("/emergency/KE", headers=w.h("kenya", "editor"))
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    assert r.json()["country"] == "KE" and r.json()["numbers"][0]["number"] == "999"
    assert r.json()["source"].startswith("https://") and r.json()["last_verified"]


async def test_edit_with_the_etag_is_served_by_help_at_once_and_audited(world: World) -> None:
    w = world
    h = w.h("kenya", "editor")
    assert "1195" not in await _help_text(w, "Kenya")
    etag = (await w.client.get("/emergency/KE", headers=h)).headers["etag"]
    r = await w.client.put("/emergency/KE", headers={**h, "If-Match": etag}, json=KE_NUMBERS)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    assert [n["kind"] for n in r.json()["numbers"]] == ["police", "women"]
    assert [n.number for n in w.ctx.content.library.emergency_numbers("KE")] == ["999", "1195"]
    assert "1195" in await _help_text(w, "Kenya")  # no restart
    # stale: based on version 1 while the numbers are at 2
    stale = await w.client.put("/emergency/KE", headers=h, json={**KE_NUMBERS, "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    # no version and no If-Match: refused before anything is written
    assert (await w.client.put("/emergency/KE", headers=h, json=KE_NUMBERS)).status_code == 428
    async with w.ctx.sessionmaker() as session:
        event = (await session.scalars(select(AuditEvent).where(AuditEvent.target_type == "emergency"))).one()
    assert event.action == "emergency.update" and event.target_id == "KE"
    assert event.detail == {"version": 2, "kinds": ["police", "women"], "numbers": 2, "last_verified": "2026-11-30"}
    assert "Toll free" not in str(event.detail)


async def test_a_bad_number_is_a_422_naming_the_field(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    bad = {**KE_NUMBERS, "version": 1, "numbers": [{"kind": "police", "number": "call 999"}]}
    r = await w.client.put("/emergency/KE", headers=h, json=bad)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "numbers", 0, "number"]
    unquoted = {**KE_NUMBERS, "version": 1, "numbers": [{"kind": "police", "number": 999}]}
    r = await w.client.put("/emergency/KE", headers=h, json=unquoted)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "numbers", 0, "number"]
    twice = {**KE_NUMBERS, "version": 1, "numbers": [{"kind": "police", "number": "999"}] * 2}
    r = await w.client.put("/emergency/KE", headers=h, json=twice)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "numbers"]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = await w.client.put("/emergency/KE", headers=h, json={**KE_NUMBERS, "version": 1, "last_verified": future})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "last_verified"]
    r = await w.client.put("/emergency/KE", headers=h, json={**KE_NUMBERS, "version": 1, "numbers": []})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "numbers"]
    assert [n.number for n in w.ctx.content.library.emergency_numbers("KE")][0] == "999"
    assert (await w.client.get("/emergency/KE", headers=h)).json()["version"] == 1  # nothing written


async def test_another_organisations_country_is_a_404_like_a_missing_one(world: World) -> None:
    w = world
    kenya = w.h("kenya", "editor")
    assert (await w.client.get("/emergency/PH", headers=kenya)).status_code == 404
    r = await w.client.put("/emergency/PH", headers=kenya, json={**KE_NUMBERS, "version": 1})
    assert r.status_code == 404 and r.json()["detail"] == "emergency numbers not found"
    assert (await w.client.get("/emergency/ZZ", headers=w.h("global", "editor"))).status_code == 404
    listed = (await w.client.get("/emergency", headers=kenya)).json()
    assert [c["country"] for c in listed["countries"]] == ["KE"]
    assert (await w.client.get("/emergency/PH", headers=w.h("global", "editor"))).status_code == 200
    # readers read, editors edit
    assert (await w.client.put("/emergency/KE", headers=w.h("kenya", "reviewer"),
                               json={**KE_NUMBERS, "version": 1})).status_code == 403


async def test_a_country_with_no_numbers_gets_them_without_a_version(world: World) -> None:
    w = world
    h = w.h("global", "editor")
    country = "TV"  # Tuvalu: no public source found for content/emergency (yet)
    async with w.ctx.sessionmaker() as session, session.begin():
        await session.execute(delete(EmergencyCountry).where(EmergencyCountry.country == country))
    await w.ctx.content.refresh(force=True)
    assert w.ctx.content.library.emergency_numbers(country) == []
    assert (await w.client.put(f"/emergency/{country}", headers=h, json={**KE_NUMBERS, "version": 1})).status_code == 404
    r = await w.client.put(f"/emergency/{country}", headers=h, json=KE_NUMBERS)
    assert r.status_code == 201 and r.json()["version"] == 1 and r.headers["etag"] == '"1"'
    assert w.ctx.content.library.emergency_numbers(country)[0].number == "999"
    again = await w.client.put(f"/emergency/{country}", headers=h, json=KE_NUMBERS)
    assert again.status_code == 428
