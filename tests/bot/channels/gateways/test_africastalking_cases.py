"""Africa's Talking's webhook as a table of cases: request in, status and texts out."""

from __future__ import annotations

import pytest

from bot.config import ROOT
from bot.i18n import catalogs_for
from bot.sms_encoding import to_gsm
from tests.bot.channels.gateway_cases import Case, run_case
from tests.bot.channels.sms_helpers import AT_KEY

PHONE = "+254700900601"  # Kenya: greeted in Swahili, the language of her number's country
SW = catalogs_for(str(ROOT / "locales")).get("sw").gettext
STOPPED = to_gsm(SW("You will get no more messages from us. To start again, send {start}."))[:24]


def _say(text, **kw):
    return lambda rig: rig.at_post(rig.at_form(PHONE, text, **kw))


def _unconfigured(rig):
    rig.ctx.settings.africastalking_api_key = None
    return rig.at_post(rig.at_form(PHONE, "hello"))


CASES = [
    Case("a first message is answered through the API", _say("hello"), 200, "LANG"),  # the greeting
    Case("the key may come in the query", lambda r: r.at_post(r.at_form(PHONE, "hello"), in_query=True), 200, "LANG"),
    Case("a wrong key is refused", lambda r: r.at_post(r.at_form(PHONE, "hello"), key="not-" + AT_KEY), 403,
         keeps_nothing=True),
    Case("no key is refused", lambda r: r.at_post(r.at_form(PHONE, "hello"), key="", in_query=True), 403,
         keeps_nothing=True),
    Case("an unconfigured gateway refuses everything", _unconfigured, 403, keeps_nothing=True),
    Case("a body over the limit is refused",
         lambda r: r.at_post(r.at_form(PHONE, "x" * (r.ctx.settings.max_body_bytes + 1))), 413, keeps_nothing=True),
    Case("a body that is not UTF-8 is a bad request",
         lambda r: r.client.post(f"/sms/africastalking/{AT_KEY}", content=b"from=%2B254&text=\xff\xfe",
                                 headers={"content-type": "application/x-www-form-urlencoded"}), 400, keeps_nothing=True),
    Case("a delivery report needs no answer",
         lambda r: r.at_post({"id": "ATXid_1", "status": "Success", "phoneNumber": PHONE}), 200),
    Case("a retry of an answered message is not answered again", _say("hello", msg_id="at-retry-1"), 200,
         before=(_say("hello", msg_id="at-retry-1"),)),
    Case("STOP gets our confirmation, in her language", _say("STOP"), 200, STOPPED, before=(_say("hello"),)),
    Case("HELP after STOP still gets the emergency contacts", _say("HELP"), 200, "999",  # Kenya's police
         before=(_say("hello"), _say("STOP"))),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
async def test_africastalking(rig, case: Case) -> None:
    await run_case(rig, case)
