""""Delete my data": asked once, then everything registered in bot.personal_data is erased."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import Choice, Reply
from bot.flows.screens import menu
from bot.payloads import Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn


async def on_delete(turn: Turn, answer: str) -> list[Reply]:
    if answer == "y":
        await turn.deps.personal.forget(turn.event.user_key)
        turn.forgotten = True
        return [Reply(turn._("Done. We deleted your language, your choices, your answers about you and your questions. To remove this chat from your phone, delete the chat too. Send any message to start again."),  # noqa: E501
                      turn.locale, (Choice(turn._("Start again"), Head.START),))]
    if answer == "n":
        return [menu(turn, turn._("Nothing was deleted."))]
    return [Reply(turn._("Delete everything we keep about you (language, choices, answers about you, your questions to a person)? Feedback you already gave stays, but it cannot be linked to you."),  # noqa: E501
                  turn.locale, (Choice(turn._("Yes, delete"), pay(Head.DELETE, "y")),
                                Choice(turn._("No, go back"), pay(Head.DELETE, "n"))))]


HANDLERS = {Head.DELETE: on_delete}
