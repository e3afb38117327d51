"""Getting help: emergency contacts for her country, and the services directory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content_model import Service
from bot.conversation import Choice, Reply
from bot.flows.profile import profile_fields
from bot.flows.screens import back, country_pick
from bot.payloads import SKIP, Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn

INTERNATIONAL_SHOWN = 3


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


def help_now(turn: Turn) -> Reply:
    session, lib = turn.session, turn.library
    country = session.country or profile_fields(turn)["current_country"]
    lines = [turn._("If you are in danger now, call the emergency number of the country you are in.")]
    local = lib.services_in(country, emergency=True) if country else []
    if local:
        lines.append(turn._("Help in {country}:").format(country=turn.t.country(country)))
        lines.extend(format_service(turn, s) for s in local)
    elif country:
        lines.append(turn._("We have no emergency contacts for {country} yet.").format(
            country=turn.t.country(country)))
    intl = lib.services_in(None)
    if intl:
        lines.append(turn._("International help:"))
        lines.extend(format_service(turn, s) for s in intl[:INTERNATIONAL_SHOWN])
    choices = []
    if not country:
        choices.append(Choice(turn._("Show help for my country"), Head.HELP_COUNTRY))
    choices.append(Choice(turn._("Find services"), pay(Head.SERVICES, country) if country else Head.SERVICES))
    choices.append(back(turn))
    return Reply("\n\n".join(lines), turn.locale, tuple(choices))


async def on_help(turn: Turn, country: str) -> list[Reply]:
    if country:
        turn.session.country = country if country in turn.library.countries() else None
    return [help_now(turn)]


async def on_help_country(turn: Turn, arg: str) -> list[Reply]:
    return [country_pick(turn, Head.HELP, turn._("Which country are you in?"))]


async def on_services(turn: Turn, country: str) -> list[Reply]:
    country = country or turn.session.country or ""
    if not country or country == SKIP:
        return [country_pick(turn, Head.SERVICES, turn._("Which country are you in, or asking about?"))]
    if country not in turn.library.countries():
        return [country_pick(turn, Head.SERVICES, turn._("Please choose a country from the list."))]
    turn.session.country = country
    services = turn.library.services_in(country)
    lines = [turn._("Services in {country}:").format(country=turn.t.country(country))]
    lines.extend(format_service(turn, s) for s in services)
    if not services:
        lines.append(turn._("We have no services listed there yet."))
    return [Reply("\n\n".join(lines), turn.locale,
                  (Choice(turn._("Get help now"), Head.HELP),
                   Choice(turn._("Other country"), pay(Head.SERVICES, SKIP)), back(turn)))]


HANDLERS = {
    Head.HELP: on_help,
    Head.HELP_COUNTRY: on_help_country,
    Head.SERVICES: on_services,
}
