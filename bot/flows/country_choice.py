"""A country typed in her own words: "Another country", "I am in Kuwait", "Did you mean…?".

Names are matched by bot.countries in every language the service knows (Babel's names, short
forms like "KSA" or "Dubai", accents and case ignored). An exact match answers the question
she was asked; a near one asks "Did you mean…?"; nothing found asks again, never a dead end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import Choice, Reply
from bot.countries import CountryMatch, match_country
from bot.flows.screens import back, country_pick, menu
from bot.payloads import SKIP, Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn

# the questions a typed country can answer
ANSWERS = frozenset({Head.HELP, Head.SERVICES, Head.COUNTRY, Head.NEED_COUNTRY,
                     Head.PROFILE_ORIGIN, Head.PROFILE_NOW})


async def on_type_country(turn: Turn, target: str) -> list[Reply]:
    if target not in ANSWERS:
        return [menu(turn, turn._("That choice is no longer available. Here is the menu."))]
    turn.session.state = "country"
    turn.session.country_for = target
    return [Reply(turn._("Type the name of the country, in any language."), turn.locale,
                  (Choice(turn._("Skip"), pay(Head(target), SKIP)), back(turn)))]


async def from_text(turn: Turn, text: str) -> list[Reply]:
    """She typed a country's name for the question in session.country_for."""
    target = Head(turn.session.country_for) if turn.session.country_for in ANSWERS else Head.COUNTRY
    turn.session.state, turn.session.country_for = "menu", None
    found = match_country(text)
    if found.exact:
        return await turn.run(pay(target, found.code))
    if found.candidates:
        return did_you_mean(turn, found, target)
    turn.session.state, turn.session.country_for = "country", target  # her next words are tried again
    return [country_pick(turn, target, turn._("I did not recognise that country. Type it again, or choose from the list."))]


def did_you_mean(turn: Turn, found: CountryMatch, target: Head) -> list[Reply]:
    """The near matches as choices, then "Another country"; [] when there are none."""
    if not found.candidates:
        return []
    choices = [Choice(turn.t.country(code), pay(target, code)) for code in found.candidates]
    choices += [Choice(turn._("Another country"), pay(Head.TYPE_COUNTRY, target)), back(turn)]
    return [Reply(turn._("Did you mean one of these?"), turn.locale, tuple(choices))]


def said_country(turn: Turn, text: str) -> CountryMatch:
    """Exact when her whole message names one country ("Kuwait", "je suis en France")."""
    return match_country(text)


HANDLERS = {Head.TYPE_COUNTRY: on_type_country}
