"""By SMS too: after "I am in <country>" in her language, HELP's first SMS has a number she
can dial, for every UN member state, and never a link alone."""

from __future__ import annotations

import re

import pytest

from bot.emergency import UN_MEMBER_STATES
from bot.languages import shipped_locales
from tests.bot.test_help_everywhere import HELP, I_AM_IN, dialable_numbers

# A walk over every language checks words and layout, which do not depend on the database or
# the session store (every other test runs on both): it runs on the embedded backend only.
pytestmark = pytest.mark.parametrize("backend", ["sqlite-memory"], indirect=True)


def _numbered(text: str) -> dict[str, str]:
    return {m.group(2).strip(): m.group(1) for m in re.finditer(r"^(\d+) (.+)$", text, re.M)}


@pytest.mark.parametrize("locale", shipped_locales())
async def test_help_by_sms_after_naming_any_un_member_state(rig, locale):
    t = rig.ctx.catalogs.get(locale)
    failures = []
    for n, code in enumerate(sorted(UN_MEMBER_STATES)):
        phone = f"+4477009{shipped_locales().index(locale)}{n:04d}"
        await rig.twilio(phone, "hello")  # the greeting, in English: a number with no country
        await rig.twilio(phone, "LANG")
        await rig.twilio(phone, str(shipped_locales().index(locale) + 1))
        said = "\n".join(await rig.twilio(phone, I_AM_IN[locale].format(t.country(code))))
        choice = _numbered(said).get(t.country(code))
        if choice:  # "Did you mean…?": she picks hers by its number
            await rig.twilio(phone, choice)
        first = (await rig.twilio(phone, HELP[locale]))[0]
        if not dialable_numbers(first.split("\n", 1)[1]):  # after the title line with the country's name
            failures.append(code)
    assert failures == []
