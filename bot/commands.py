"""One table of commands: Telegram's command menu and handlers, and the engine's typed commands.

`/name` on Telegram (and typed anywhere) and the keyword words of bot.keywords ("MENU",
"AIDE", ...) all become the same payloads as the buttons.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_
from bot.payloads import Head


@dataclass(frozen=True)
class Command:
    name: str  # without the slash
    head: Head
    description: str  # the command menu's label, translated at use


# in the order Telegram's command menu shows them
COMMANDS: tuple[Command, ...] = (
    Command("start", Head.START, N_("Start again")),
    Command("menu", Head.MENU, N_("Main menu")),
    Command("language", Head.LANGUAGES, N_("Change language")),
    Command("help", Head.HELP, N_("Get help now")),
    Command("delete", Head.DELETE, N_("Delete my data")),
)
BY_NAME = {c.name: c for c in COMMANDS}

# words she can type in any shipped language (bot.keywords kinds) and what they do;
# "help" is not here: emergency words are matched first, from anywhere, by the engine
TYPED: tuple[tuple[str, Head], ...] = (
    ("menu", Head.MENU),
    ("lang", Head.LANGUAGES),
    ("delete", Head.DELETE),
)


def slash_command(text: str) -> Head:
    """'/delete@MyBot now' -> Head.DELETE; an unknown command shows the menu."""
    name = text.split()[0].split("@")[0].lstrip("/").lower()
    command = BY_NAME.get(name)
    return command.head if command else Head.MENU
