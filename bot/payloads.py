"""Every choice a woman can make, as one table of payload heads.

A payload is what a button carries (Telegram's callback data) and what a numbered SMS reply
maps back to: a head, then optional arguments after colons ("i:recruitment-fees",
"r:y:recruitment-fees"). The engine dispatches on the head; renderers and tests name the
same constants. The values are short because Telegram allows 64 bytes of callback data and
they are kept in sessions: changing one breaks the buttons of every open chat.
"""

from __future__ import annotations

from enum import StrEnum


class Head(StrEnum):
    """Payload heads. The comment says what the arguments are."""

    START = "start"  # first contact, /start, "Start again"
    MENU = "m"  # the main menu
    LANGUAGES = "lang"  # the language list
    LOCALE = "l"  # l:<locale>: she picked a language
    SECTION = "s"  # s:<section>: rights | risks | before_you_go
    ITEM = "i"  # i:<item id>
    HELP = "h"  # h[:<country>]: emergency contacts
    HELP_COUNTRY = "hc"  # "which country are you in?" for help
    SERVICES = "sv"  # sv[:<country>|-]: services directory
    SITUATION = "me"  # "my situation": asks her stage, then country
    STAGE = "st"  # st:<stage>|-
    COUNTRY = "co"  # co:<country>|-
    TYPE_COUNTRY = "tc"  # tc:<head>: "another country": she types its name for that question
    DELETE = "d"  # d: ask; d:y delete; d:n keep
    FEEDBACK = "fb"  # the feedback menu
    CONSENT = "ok"  # ok:y | ok:n
    RATE = "r"  # r:<y|n|u>:<item id>
    COMMENT = "cm"  # cm[:<item id>]: she will type one line next
    NEEDS = "n"  # start the needs questions
    NEED = "nd"  # nd:<need>|done: toggle one need, or done
    URGENCY = "ur"  # ur:<now|week|later>|-
    NEED_COUNTRY = "nc"  # nc:<country>|-: last needs step, writes the records
    PROFILE_GENDER = "pg"  # pg:<gender>
    PROFILE_AGE = "pa"  # pa:<age band>
    PROFILE_ORIGIN = "po"  # po:<country>|-
    PROFILE_NOW = "pn"  # pn:<country>|-
    PROFILE_STAGE = "ps"  # ps:<stage>|-
    PROFILE_SKIP = "px"  # skip the remaining profile questions
    ASK = "q"  # "Ask a person": q (consent line) | q:y (she agrees: write it) | q:a (add to her open question)
    BAD_NUMBER = "bad-number"  # a typed number that is not in the list (never a button)


SKIP = "-"  # the argument of "skip" / "prefer not to say" in country and stage pickers

# heads that work before she has chosen a language
BEFORE_LANGUAGE = frozenset({Head.START, Head.LOCALE, Head.HELP, Head.DELETE})


def pay(head: Head, *args: str) -> str:
    """The payload string: pay(Head.RATE, "y", "fees") == "r:y:fees"."""
    return ":".join((head.value, *args))


def parse(payload: str) -> tuple[Head | None, str]:
    """(head, rest) for a payload; an unknown head (an old button) gives (None, rest)."""
    head, _, arg = payload.partition(":")
    try:
        return Head(head), arg
    except ValueError:
        return None, arg
