"""Getting help: emergency numbers for where she is, the services directory.

HELP always gives numbers she can dial: her country's emergency numbers (content/emergency)
first, so on SMS the first number is in the first message, then the local emergency
services, then international help. With no country known it gives the numbers of her SIM's
country (to confirm) or of the deployment's countries, and asks where she is.

Where we have no numbers for a country, HELP says so and gives 112 and 911: the mobile
standard makes every GSM/UMTS/LTE phone treat both as emergency calls and the network routes
them to its local emergency service, with or without a SIM (3GPP TS 22.101, "Service
aspects; Service principles", section 10: emergency calls).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content_model import Service
from bot.conversation import Choice, Reply
from bot.emergency import EmergencyNumber
from bot.flows.profile import profile_fields
from bot.flows.screens import back, country_pick, is_country
from bot.labels import ANY_MOBILE, KIND_LABELS
from bot.payloads import SKIP, Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn

INTERNATIONAL_SHOWN = 3


def format_number(turn: Turn, number: EmergencyNumber) -> str:
    line = f"{turn._(KIND_LABELS[number.kind])}: {number.number}"
    note = number.note.get(turn.locale)
    if note:
        line += f" ({note})"
    if number.dial_from_abroad:
        line += " / " + turn._("from a foreign phone: {number}").format(number=number.dial_from_abroad)
    return line


def format_service(turn: Turn, service: Service) -> str:
    parts = [service.name]
    if service.phone:
        parts.append(turn._("Phone: {phone}").format(phone=service.phone))
    if service.hours:
        parts.append(turn._("Hours: {hours}").format(hours=service.hours))
    if service.url:
        parts.append(service.url)
    description = service.description.get(turn.locale) or service.description.get("en")
    if description:
        parts.append(description)
    if not service.verified:
        parts.append(turn._("We could not check these details yet. Please check them before you rely on them."))
    return "\n".join(parts)


def numbers_block(turn: Turn, country: str) -> str | None:
    numbers = turn.library.emergency_numbers(country)
    if not numbers:
        return None
    title = turn._("Emergency numbers in {country}:").format(country=turn.t.country(country))
    return "\n".join([title, *(format_number(turn, n) for n in numbers)])


def her_country(turn: Turn) -> str | None:
    return turn.session.country or profile_fields(turn)["current_country"]


def numbers_first(turn: Turn, blocks: list[str]) -> Reply:
    """HELP's first message: the numbers alone, so the first SMS always carries them (even
    UCS-2 ones, 67 characters a segment)."""
    return Reply("\n\n".join(blocks), turn.locale, shared=True)


def danger_line(turn: Turn) -> str:
    return turn._("If you are in danger now, call the emergency number of the country you are in.")


def help_for(turn: Turn, country: str) -> list[Reply]:
    lib = turn.library
    block = numbers_block(turn, country) or "\n".join([
        turn._("We have no emergency numbers for {country} yet.").format(country=turn.t.country(country)),
        turn._(ANY_MOBILE)])
    lines = [danger_line(turn)]
    local = lib.services_in(country, emergency=True)
    if local:
        lines.append(turn._("Help in {country}:").format(country=turn.t.country(country)))
        lines.extend(format_service(turn, s) for s in local)
    lines.extend(international(turn))
    choices = (Choice(turn._("Find services"), pay(Head.SERVICES, country)),
               Choice(turn._("I am in another country"), Head.HELP_COUNTRY), back(turn))
    return [numbers_first(turn, [block]), Reply("\n\n".join(lines), turn.locale, choices, shared=True)]


def international(turn: Turn) -> list[str]:
    intl = turn.library.services_in(None)[:INTERNATIONAL_SHOWN]
    return [turn._("International help:"), *(format_service(turn, s) for s in intl)] if intl else []


def help_anywhere(turn: Turn) -> list[Reply]:
    """No country yet: her SIM's country (hers to confirm) or the deployment's, then the question."""
    sim = turn.session.sim_country
    shown = [sim] if sim and turn.library.emergency_numbers(sim) else list(turn.deps.help_countries())
    blocks = [b for b in (numbers_block(turn, c) for c in shown) if b] or [turn._(ANY_MOBILE)]
    lines = [danger_line(turn), *international(turn), turn._("Which country are you in?")]
    picker = country_pick(turn, Head.HELP, "")
    first = (Choice(turn._("Yes, I am in {country}").format(country=turn.t.country(sim)), pay(Head.HELP, sim)),) if sim else ()
    return [numbers_first(turn, blocks),
            Reply("\n\n".join(lines), turn.locale, first + picker.choices[:-1] + (back(turn),), shared=True)]


def help_now(turn: Turn) -> list[Reply]:
    """HELP: two messages, the numbers first, then the services and what to choose next."""
    country = her_country(turn)
    return help_for(turn, country) if country else help_anywhere(turn)


async def on_help(turn: Turn, country: str) -> list[Reply]:
    if is_country(country):
        turn.session.country = country
    elif country == SKIP:
        return help_anywhere(turn)
    return help_now(turn)


async def on_help_country(turn: Turn, arg: str) -> list[Reply]:
    return [country_pick(turn, Head.HELP, turn._("Which country are you in?"))]


async def on_services(turn: Turn, country: str) -> list[Reply]:
    country = country or turn.session.country or ""
    if not country or country == SKIP:
        return [country_pick(turn, Head.SERVICES, turn._("Which country are you in, or asking about?"))]
    if not is_country(country):
        return [country_pick(turn, Head.SERVICES, turn._("Please choose a country from the list."))]
    turn.session.country = country
    services = turn.library.services_in(country)
    lines = [turn._("Services in {country}:").format(country=turn.t.country(country))]
    lines.extend(format_service(turn, s) for s in services)
    if not services:
        lines.append(turn._("We have no services listed there yet."))
        lines.extend(b for b in (numbers_block(turn, country),) if b)
        lines.extend(international(turn))
    return [Reply("\n\n".join(lines), turn.locale,
                  (Choice(turn._("Get help now"), Head.HELP),
                   Choice(turn._("Other country"), pay(Head.SERVICES, SKIP)), back(turn)), shared=True)]


HANDLERS = {
    Head.HELP: on_help,
    Head.HELP_COUNTRY: on_help_country,
    Head.SERVICES: on_services,
}
