"""First contact by SMS: a short greeting in the language her number's country suggests, with
LANG to change it; and the language list paged so no SMS cuts a line and a Latin-script page
is never billed as UCS-2 because of another script's name."""

from __future__ import annotations

import re

import pytest

from bot.channels.sms_render import more_suffix
from bot.i18n import language_name
from bot.languages import shipped_locales
from bot.sms_encoding import analyse, encoding_of, to_gsm
from tests.bot.channels.sms_helpers import check_outgoing, language_number

# (her number, the language the first SMS is in): the corridors this service is for
FIRST_CONTACT = [
    ("+9779841000001", "ne"),   # Nepal
    ("+251911000001", "am"),    # Ethiopia (locales/likely.yaml: CLDR would say English)
    ("+8801711000001", "bn"),   # Bangladesh
    ("+94771000001", "si"),     # Sri Lanka
    ("+639171000001", "fil"),   # the Philippines (locales/likely.yaml: Filipino before English)
    ("+254711000001", "sw"),    # Kenya
    ("+22790000001", "ha"),     # Niger: Hausa, before French
    ("+966501000001", "ar"),    # Saudi Arabia
    ("+79161000001", "ru"),     # Russia
    ("+6281200000001", "id"),   # Indonesia
    ("+33612345678", "fr"),     # France
    ("+2348031000001", "en"),   # Nigeria: English (53%), then Hausa
]
GREETING = ("Hello. Free information on safe migration for women. We do not keep your number. "
            "Reply MENU to start, LANG for another language.")


@pytest.mark.parametrize(("phone", "locale"), FIRST_CONTACT)
async def test_first_sms_greets_in_her_likely_language_in_one_or_two_segments(rig, phone, locale):
    texts = await rig.twilio(phone, "hi")
    assert texts == [to_gsm(rig.ctx.catalogs.get(locale).gettext(GREETING))]
    greeting = texts[0]
    assert analyse(greeting).segments <= 2, (locale, analyse(greeting))
    assert "MENU" in greeting and "LANG" in greeting
    check_outgoing(rig, texts, locale)
    # MENU: the menu in that language; LANG: every language, hers first
    menu = "\n".join(await rig.twilio(phone, "MENU"))
    assert to_gsm(rig.ctx.catalogs.get(locale).gettext("Know your rights"))[:6] in menu
    listed = "\n".join(await rig.twilio(phone, "LANG"))
    assert re.search(rf"^1 {re.escape(to_gsm(language_name(locale)))}$", listed, re.M), listed


async def test_a_number_with_no_country_is_greeted_in_the_default_language(rig):
    texts = await rig.twilio("+447700900123", "hi")  # a UK drama number: no country
    assert texts == [GREETING]


@pytest.mark.parametrize("locale", shipped_locales())
async def test_the_language_list_by_sms_never_cuts_a_line_and_keeps_latin_pages_gsm7(rig, locale):
    phone = f"+4477009{shipped_locales().index(locale):02d}500"
    await rig.twilio(phone, "hello")
    await rig.twilio(phone, language_number(rig, "\n".join(await rig.twilio(phone, "LANG")), locale))
    pages = await rig.twilio(phone, "LANG")
    suffix = to_gsm(more_suffix(rig.ctx.catalogs.get(locale))).strip()
    for _ in range(10):  # MORE until the list ends
        if not pages[-1].rstrip().endswith(suffix):
            break
        pages += await rig.twilio(phone, "MORE")
    check_outgoing(rig, pages, locale)
    numbered = [m.groups() for page in pages for m in re.finditer(r"^(\d+) (.+)$", page, re.M)]
    names = [to_gsm(name) for _, name in numbered]  # (a UCS-2 page keeps "Français" as it is)
    assert sorted(int(n) for n, _ in numbered) == list(range(1, len(rig.ctx.catalogs.locales) + 1))
    assert set(names) == {to_gsm(language_name(loc)) for loc in rig.ctx.catalogs.locales}
    assert names[0] == to_gsm(language_name(locale))
    latin = {loc for loc in rig.ctx.catalogs.locales if encoding_of(language_name(loc)) == "GSM-7"}
    if locale in latin:  # her first page shows only names her phone shows as GSM-7
        assert encoding_of(pages[0]) == "GSM-7", pages[0]
