"""One harness for every SMS gateway's table of cases, in the manner of nyaruka/courier's
handler tests: a request in, the status and the texts she gets out, and for refused
requests proof that nothing was kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tests.bot.channels.sms_helpers import Rig


@dataclass(frozen=True)
class Case:
    label: str
    send: Callable[[Rig], Awaitable[httpx.Response]]  # the gateway's request
    status: int
    reply: str | None = None  # a text she must get (a substring); None: she gets nothing
    keeps_nothing: bool = False  # refused: the store and the database are as before
    before: tuple[Callable[[Rig], Awaitable[object]], ...] = ()  # earlier messages of the case


def texts_of(response: httpx.Response) -> list[str]:
    """Texts answered in the response itself (TwiML)."""
    if "xml" not in response.headers.get("content-type", ""):
        return []
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


async def run_case(rig: Rig, case: Case) -> None:
    for step in case.before:
        await step(rig)
    await rig.channel.drain()
    sent_before = len(rig.fake.sent)
    kept_before = (await rig.store_text(), await rig.database_text())
    response = await case.send(rig)
    assert response.status_code == case.status, (case.label, response.status_code, response.text)
    await rig.channel.drain()
    texts = texts_of(response) + [s.text for s in rig.fake.sent[sent_before:]]
    if case.reply is None:
        assert texts == [], (case.label, texts)
    else:
        assert any(case.reply in t for t in texts), (case.label, texts)
    if case.keeps_nothing:
        assert (await rig.store_text(), await rig.database_text()) == kept_before, case.label
