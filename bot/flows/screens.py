"""Small screens several flows end on: the main menu, the language list, a country picker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import Choice, Reply
from bot.countries import COUNTRIES, picker_page
from bot.labels import SECTION_LABELS
from bot.payloads import SKIP, Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn


def back(turn: Turn) -> Choice:
    return Choice(turn._("Main menu"), Head.MENU)


def menu_choices(turn: Turn) -> tuple[Choice, ...]:
    _ = turn._
    return (
        *(Choice(_(label), pay(Head.SECTION, section)) for section, label in SECTION_LABELS.items()),
        Choice(_("Get help now"), Head.HELP),
        Choice(_("Find services"), Head.SERVICES),
        Choice(_("Ask a person"), Head.ASK),
        Choice(_("Give feedback"), Head.FEEDBACK),
        Choice(_("My situation (optional)"), Head.SITUATION),
        Choice(_("Change language"), Head.LANGUAGES),
        Choice(_("Delete my data"), Head.DELETE),
    )


def menu(turn: Turn, note: str | None = None) -> Reply:
    """The main menu, under a note from the catalog (never her words: the reply is shared)."""
    turn.session.state = "menu"
    intro = turn._("What would you like to know? Choose a topic, or type a few words.")
    choices = turn.library.view(("menu", turn.locale), lambda: menu_choices(turn))
    return Reply("\n\n".join(p for p in (note, intro) if p), turn.locale, choices,
                 replaces_menu=True, shared=True)


def language_choice(turn: Turn, text: str) -> Reply:
    """Every offered language, hers first, each in its own name, under a text from the catalog."""
    order = [turn.locale] + [loc for loc in turn.deps.catalogs.locales if loc != turn.locale]
    choices = tuple(Choice(turn.deps.catalogs.name(loc), pay(Head.LOCALE, loc)) for loc in order)
    return Reply(text, turn.locale, choices, replaces_menu=True, shared=True)


PICKER_SIZE = 8  # main destinations and origins shown as choices; any other is typed


def country_pick(turn: Turn, head: Head, question: str, skip_label: str | None = None) -> Reply:
    """The main destinations and origins, "Another country" (she types it), then "Skip"."""
    codes = picker_page(0, PICKER_SIZE, turn.locale).codes
    choices = [Choice(turn.t.country(c), pay(head, c)) for c in codes]
    choices.append(Choice(turn._("Another country"), pay(Head.TYPE_COUNTRY, head)))
    choices.append(Choice(skip_label or turn._("Skip"), pay(head, SKIP)))
    return Reply(question, turn.locale, tuple(choices), replaces_menu=True, shared=True)


def is_country(arg: str) -> bool:
    """Any UN member state or main territory, as its ISO code."""
    return arg in COUNTRIES
