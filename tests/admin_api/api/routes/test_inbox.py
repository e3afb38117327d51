"""The responders' inbox over HTTP: settings, list, read, claim, reply (with items), notes, close,
themes, canned answers; isolation across organisations, roles, and bad input."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import update

from bot.addresses import Address
from bot.inbox import services_for
from bot.inbox_models import InboxThread
from tests.admin_api.conftest import add_published_item, auth, make_key
from tests.bot.test_outbox import FakeSender

CHAT_ID = "4242424242"


class Rig:
    def __init__(self, client, ctx) -> None:
        self.client, self.ctx = client, ctx
        self.keys: dict[tuple[str, str], str] = {}
        self.telegram, self.sms = FakeSender(), FakeSender()
        self.services = services_for(ctx, {"telegram": self.telegram, "sms": self.sms})

    def h(self, org: str, role: str) -> dict[str, str]:
        return auth(self.keys[(org, role)])

    async def ask(self, who: str, text: str = "My agency wants a second fee. Is that allowed?", **kw):
        kw.setdefault("locale", "en")
        kw.setdefault("channel", "telegram")
        kw.setdefault("country", "KE")
        address = kw.pop("address", Address("telegram", chat_id=CHAT_ID))
        result = await self.services.ask(who, address, text, **kw)
        assert result.outcome == "created", result
        return result.code

    async def delivered(self, sender: FakeSender, n: int) -> None:
        for _ in range(100):
            if len(sender.delivered) >= n:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(sender.delivered)} of {n} delivered")


@pytest.fixture
async def rig(client, ctx):
    r = Rig(client, ctx)
    for org, countries in (("kenya", ["KE"]), ("lebanon", ["LB"])):
        for role in ("admin", "editor", "reviewer", "analyst", "responder"):
            _, r.keys[(org, role)] = await make_key(ctx, f"{org} cso", role, countries)
        _, r.keys[(org, "responder2")] = await make_key(ctx, f"{org} cso", "responder", countries)
        response = await client.put("/inbox/settings", headers=r.h(org, "admin"), json={
            "languages": ["en", "ar"], "answer_time_hours": 24, "working_hours": "Sun-Thu 9-17"})
        assert response.status_code == 200, response.text
    await r.services.start()
    yield r
    await r.services.stop()


async def test_settings_are_for_admins_and_never_show_the_webhook_secret(rig) -> None:
    c = rig.client
    body = {"languages": ["en"], "answer_time_hours": 12, "webhook_url": "https://cso.example/hook",
            "webhook_secret": "a-long-enough-secret"}
    r = await c.put("/inbox/settings", headers=rig.h("kenya", "admin"), json=body)
    assert r.status_code == 200 and r.json()["webhook_secret_set"] is True
    assert "a-long-enough-secret" not in r.text
    assert (await c.get("/inbox/settings", headers=rig.h("kenya", "admin"))).json()["answer_time_hours"] == 12
    for role in ("responder", "editor", "analyst", "reviewer"):
        assert (await c.get("/inbox/settings", headers=rig.h("kenya", role))).status_code == 403
    for bad in ({"languages": ["xx"]}, {"webhook_url": "http://cso.example/hook"}, {"answer_time_hours": 0},
                {"webhook_url": "https://cso.example/hook", "webhook_secret": "short"}):
        assert (await c.put("/inbox/settings", headers=rig.h("kenya", "admin"), json=bad)).status_code == 422, bad


async def test_a_question_answered_end_to_end_with_an_item_rendered_for_her_channel(rig) -> None:
    await add_published_item(rig.ctx, "ke-item", ["KE"])
    c, h = rig.client, rig.h("kenya", "responder")
    calm = await rig.ask("her")
    urgent = await rig.ask("another", "He locked me in and took my passport")
    page = (await c.get("/inbox/threads", headers=h)).json()
    assert page["total"] == 2 and [t["code"] for t in page["threads"]] == [urgent, calm]  # urgent first
    detail = (await c.get(f"/inbox/threads/{calm}", headers=h)).json()
    assert detail["label"] == f"Question {calm}" and detail["messages"][0]["author"] == "asker"
    assert CHAT_ID not in str(detail) and "her" not in detail and "person" not in str(detail)
    assert (await c.post(f"/inbox/threads/{calm}/claim", headers=h)).json()["status"] == "claimed"
    r = await c.post(f"/inbox/threads/{calm}/reply", headers=h,
                     json={"text": "No. Fees are not allowed. Keep the receipts.", "items": ["ke-item"]})
    assert r.status_code == 201, r.text
    await rig.delivered(rig.telegram, 1)
    (address, texts), = rig.telegram.delivered.values()
    assert address.chat_id == CHAT_ID
    assert texts[0] == "No. Fees are not allowed. Keep the receipts." and "Test item ke-item" in texts[1]
    detail = (await c.get(f"/inbox/threads/{calm}", headers=h)).json()
    assert detail["status"] == "answered" and detail["delivery"] == "sent"
    assert detail["messages"][-1]["delivery"] == "sent" and detail["messages"][-1]["items"] == ["ke-item"]
    closed = (await c.post(f"/inbox/threads/{calm}/close", headers=h)).json()
    assert closed["status"] == "closed"
    assert [t["code"] for t in (await c.get("/inbox/threads", headers=h)).json()["threads"]] == [urgent]


async def test_an_sms_answer_carries_the_items_short_form(rig) -> None:
    await add_published_item(rig.ctx, "ke-item", ["KE"])
    code = await rig.ask("sms-her", address=Address("sms", phone="+254711000111", gateway="africastalking"),
                         channel="sms")
    r = await rig.client.post(f"/inbox/threads/{code}/reply", headers=rig.h("kenya", "responder"),
                              json={"text": "See below.", "items": ["ke-item"]})
    assert r.status_code == 201
    await rig.delivered(rig.sms, 1)
    (_, texts), = rig.sms.delivered.values()
    assert texts == ["See below.", "Test item ke-item: You have the right to rest."]


async def test_other_organisations_get_404_and_other_roles_403(rig) -> None:
    c = rig.client
    code = await rig.ask("her")
    other = rig.h("lebanon", "responder")
    assert (await c.get("/inbox/threads", headers=other)).json()["total"] == 0
    for method, path, body in (("GET", f"/inbox/threads/{code}", None), ("POST", f"/inbox/threads/{code}/claim", None),
                               ("POST", f"/inbox/threads/{code}/reply", {"text": "hi"}),
                               ("POST", f"/inbox/threads/{code}/notes", {"text": "hi"}),
                               ("POST", f"/inbox/threads/{code}/close", None),
                               ("PUT", f"/inbox/threads/{code}/theme", {"theme": "money"})):
        assert (await c.request(method, path, headers=other, json=body)).status_code == 404, path
        for role in ("admin", "editor", "reviewer", "analyst"):
            r = await c.request(method, path, headers=rig.h("kenya", role), json=body)
            assert r.status_code == 403, (path, role)
        assert (await c.request(method, path, json=body)).status_code == 401
    for role in ("admin", "editor", "reviewer", "analyst"):
        assert (await c.get("/inbox/threads", headers=rig.h("kenya", role))).status_code == 403
        assert (await c.get("/inbox/canned", headers=rig.h("kenya", role))).status_code == 403
    assert (await c.get("/inbox/threads/ZZZZZZ", headers=rig.h("kenya", "responder"))).status_code == 404


async def test_bad_input(rig) -> None:
    c, h = rig.client, rig.h("kenya", "responder")
    code = await rig.ask("her")
    assert (await c.post(f"/inbox/threads/{code}/reply", headers=h, json={"text": "  "})).status_code == 422
    assert (await c.post(f"/inbox/threads/{code}/reply", headers=h, json={})).status_code == 422
    huge = await c.post(f"/inbox/threads/{code}/reply", headers=h, json={"text": "x" * 4001})
    assert huge.status_code == 413 and huge.json()["detail"]
    r = await c.post(f"/inbox/threads/{code}/reply", headers=h, json={"text": "See this", "items": ["no-such-item"]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "items", 0]
    assert (await c.post(f"/inbox/threads/{code}/reply", headers=h, json={"text": "a\x00b"})).status_code == 422
    assert (await c.put(f"/inbox/threads/{code}/theme", headers=h, json={"theme": "cooking"})).status_code == 422
    assert (await c.get("/inbox/threads", headers=h, params={"status": "lost"})).status_code == 422
    # claimed by one responder: the other gets 409 with a reason
    assert (await c.post(f"/inbox/threads/{code}/claim", headers=h)).status_code == 200
    r = await c.post(f"/inbox/threads/{code}/reply", headers=rig.h("kenya", "responder2"), json={"text": "Hello"})
    assert r.status_code == 409 and r.json()["detail"]["reason"] == "claimed"
    assert (await c.post(f"/inbox/threads/{code}/close", headers=h)).status_code == 200
    r = await c.post(f"/inbox/threads/{code}/reply", headers=h, json={"text": "One more thing"})
    assert r.status_code == 409 and r.json()["detail"] == {"reason": "closed", "message": "this question is closed"}


async def test_deleted_by_the_person_who_asked(rig) -> None:
    c, h = rig.client, rig.h("kenya", "responder")
    code = await rig.ask("her")
    await rig.services.asking.forget("her")
    detail = (await c.get(f"/inbox/threads/{code}", headers=h)).json()
    assert detail["status"] == "deleted" and detail["status_note"] == "deleted by the person who asked"
    assert detail["messages"] == []
    r = await c.post(f"/inbox/threads/{code}/reply", headers=h, json={"text": "Hello?"})
    assert r.status_code == 409 and r.json()["detail"]["reason"] == "deleted"
    assert (await c.post(f"/inbox/threads/{code}/claim", headers=h)).status_code == 409


async def test_notes_themes_filters_and_paging(rig) -> None:
    c, h = rig.client, rig.h("kenya", "responder")
    first = await rig.ask("a")
    second = await rig.ask("b", locale="ar", text="هل يحق لصاحب العمل أخذ جوازي؟")
    note = await c.post(f"/inbox/threads/{first}/notes", headers=h, json={"text": "Check the agency licence"})
    assert note.status_code == 201 and note.json()["author"] == "note"
    assert rig.telegram.calls == []  # notes are never sent
    assert (await c.put(f"/inbox/threads/{first}/theme", headers=h, json={"theme": "fair_recruitment"})).json()["theme"] \
        == "fair_recruitment"
    async with rig.ctx.sessionmaker() as session, session.begin():
        await session.execute(update(InboxThread).where(InboxThread.code == first).values(
            created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=30)))

    async def codes(**params):
        return [t["code"] for t in (await c.get("/inbox/threads", headers=h, params=params)).json()["threads"]]

    assert await codes(locale="ar") == [second]
    assert await codes(older_than_hours=24) == [first]
    assert await codes(newer_than_hours=24) == [second]
    assert await codes(country="LB") == []
    assert await codes(limit=1) == [first] and await codes(limit=1, offset=1) == [second]
    assert await codes(status="open") == [first, second]
    assert await codes(status="closed") == []


async def test_canned_answers_per_organisation_and_language(rig) -> None:
    c, h = rig.client, rig.h("kenya", "responder")
    made = await c.post("/inbox/canned", headers=h, json={"locale": "ar", "title": "رسوم", "text": "لا يجوز أخذ رسوم."})
    assert made.status_code == 201
    await c.post("/inbox/canned", headers=h, json={"locale": "en", "title": "Fees", "text": "Fees are not allowed."})
    assert [x["title"] for x in (await c.get("/inbox/canned", headers=h, params={"locale": "ar"})).json()["canned"]] == ["رسوم"]
    assert (await c.get("/inbox/canned", headers=h)).json()["total"] == 2
    other = rig.h("lebanon", "responder")
    assert (await c.get("/inbox/canned", headers=other)).json()["total"] == 0
    assert (await c.delete(f"/inbox/canned/{made.json()['id']}", headers=other)).status_code == 404
    assert (await c.delete(f"/inbox/canned/{made.json()['id']}", headers=h)).json() == {"deleted": made.json()["id"]}
    assert (await c.post("/inbox/canned", headers=h, json={"locale": "en", "title": "", "text": "x"})).status_code == 422
