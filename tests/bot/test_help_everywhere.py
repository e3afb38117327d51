"""HELP gives a number she can dial, wherever she says she is, in words of her own language."""

from __future__ import annotations

import re

import pytest
from babel import Locale

from bot.emergency import UN_MEMBER_STATES
from bot.languages import shipped_locales
from tests.bot.conversation_driver import Woman

# A walk over every language checks words and layout, which do not depend on the database or
# the session store (every other test runs on both): it runs on the embedded backend only.
pytestmark = pytest.mark.parametrize("backend", ["sqlite-memory"], indirect=True)

I_AM_IN = {"en": "I am in {}", "fr": "je suis en {}", "es": "estoy en {}", "ar": "أنا في {}", "ru": "я в {}",
           "id": "saya di {}", "fil": "nasa {} ako", "sw": "niko {}", "ha": "ina {}", "am": "{} ውስጥ ነኝ",
           "ne": "म {} मा छु", "bn": "আমি {} দেশে আছি", "si": "මම {} රටේ ඉන්නවා"}
HELP = {"en": "HELP", "fr": "AIDE", "es": "AYUDA", "ar": "مساعدة", "ru": "ПОМОЩЬ", "id": "TOLONG", "fil": "TULONG",
        "sw": "MSAADA", "ha": "TAIMAKO", "am": "እርዳታ", "ne": "मद्दत", "bn": "সাহায্য", "si": "උදව්"}
DIALABLE = re.compile(r"(?<![\w/.])\+?\d[\d \-]{0,14}\d(?![\w/])")


def dialable_numbers(text: str) -> list[str]:
    return DIALABLE.findall(text)


@pytest.mark.parametrize("locale", shipped_locales())
async def test_help_after_naming_any_un_member_state_gives_a_number(ctx, locale):
    names = Locale.parse(locale).territories
    missing = []
    for n, code in enumerate(sorted(UN_MEMBER_STATES)):
        woman = Woman(ctx.engine, user_key=f"{locale}-{code}-{n}".ljust(40, "x"))
        await woman.says("hi")
        await woman.picks(f"l:{locale}")
        said = await woman.says(I_AM_IN[locale].format(names[code]))
        if any(c.payload == f"co:{code}" for c in said.choices):  # "did you mean…?": she picks hers
            await woman.picks(f"co:{code}")
        await woman.says(HELP[locale])
        first = woman.replies[0].text  # HELP's first message is the numbers
        if not dialable_numbers(first):
            missing.append(code)
    assert missing == [], f"no number right after the first line of HELP for {missing}"
