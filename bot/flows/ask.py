""""Ask a person": the consent line, her question, the acknowledgement, follow-ups.

A peer educator of an organisation covering her country reads the question in the admin
API's inbox (bot/inbox) and the answer comes back later through the outbox, in this chat.
The flow never sees more of her than the engine does: the channel address arrives in
`Event.reply_to` and goes straight to the inbox, which stores it encrypted while her
question is open. A question with danger words gets her country's emergency numbers at
once, before anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import Choice, Reply
from bot.flows.screens import back, menu, menu_choices
from bot.flows.support import help_now, her_country
from bot.i18n import N_
from bot.inbox.text import is_urgent
from bot.payloads import Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn

ASK_LABEL = N_("Ask a person")
NOTHING_FOUND = N_("I did not find anything for those words. Try other words, or choose a topic.")
OR_ASK = N_("You can also ask a person: a peer educator who knows your country.")


def ask_choice(turn: Turn) -> Choice:
    return Choice(turn._(ASK_LABEL), Head.ASK)


def nothing_found(turn: Turn) -> list[Reply]:
    """A search found nothing: other words, a topic, or a person."""
    note = "\n\n".join((turn._(NOTHING_FOUND), turn._(OR_ASK)))
    reply = menu(turn, note)
    choices = (ask_choice(turn), *(c for c in reply.choices if c.payload != Head.ASK))
    return [Reply(reply.text, reply.locale, choices, replaces_menu=True)]


def _consent(turn: Turn) -> Reply:
    _ = turn._
    text = "\n\n".join((
        _("Ask a person: a peer educator from an organisation that works in your country will read your question and answer you here."),  # noqa: E501
        _("They never see your number, your name or this chat. We keep your question, and where to send the answer in a locked form, only until your question is closed."),  # noqa: E501
        _("Answers usually come within the time the organisation says. We tell you that time when you send your question."),  # noqa: E501
        _("Do not write your name or your number in the question."),
        _("You can delete your question at any time: choose Delete my data in the menu."),
    ))
    return Reply(text, turn.locale, (Choice(_("Write my question"), pay(Head.ASK, "y")), back(turn)))


def _write(turn: Turn, text: str) -> Reply:
    turn.session.state = "question"
    return Reply(text, turn.locale, (back(turn),))


async def on_ask(turn: Turn, arg: str) -> list[Reply]:
    inbox = turn.deps.inbox
    if inbox is None or turn.event.reply_to is None:
        return [menu(turn, turn._("Sorry, you cannot ask a person from here. Please use Telegram or SMS."))]
    code = await inbox.asking.live_thread(turn.event.user_key)
    if code:
        return [_write(turn, turn._("Your question {code} is still open. Write what you want to add, in one message.").format(code=code))]  # noqa: E501
    if arg == "y":
        return [_write(turn, turn._("Write your question in one message, in your own words. Do not write your name or your number."))]  # noqa: E501
    return [_consent(turn)]


def _ack(turn: Turn, result, added: bool) -> Reply:  # noqa: ANN001 (bot.inbox.AskResult)
    _ = turn._
    if added:
        first = _("Thank you. We added this to your question {code}.").format(code=result.code)
    else:
        first = _("Thank you. Your question is sent. Its code is {code}.").format(code=result.code)
    hours = result.answer_time_hours or 48
    lines = [first, turn.t.ngettext(
        "A peer educator will answer here, usually within {hours} hour.",
        "A peer educator will answer here, usually within {hours} hours.", hours).format(hours=hours)]
    if result.working_hours:
        lines.append(_("They work: {hours}").format(hours=result.working_hours))
    lines.append(_("To add something, choose Add to my question. To delete your question, choose Delete my data in the menu."))  # noqa: E501
    turn.session.state = "menu"
    choices = (Choice(_("Add to my question"), pay(Head.ASK, "a")), *menu_choices(turn))
    return Reply("\n\n".join(lines), turn.locale, tuple(c for c in choices if c.payload != Head.ASK))


async def submit(turn: Turn, raw: str) -> list[Reply]:
    """The text she typed while asked for her question (or an addition to it)."""
    inbox = turn.deps.inbox
    address = turn.event.reply_to
    if inbox is None or address is None:
        return [menu(turn, turn._("Sorry, you cannot ask a person from here. Please use Telegram or SMS."))]
    result = await inbox.ask(turn.event.user_key, address, raw, locale=turn.locale, channel=address.channel,
                             country=her_country(turn), stage=turn.session.stage)
    # danger words get the numbers whatever became of the question (too long, over the limit...)
    urgent = result.urgent or (result.outcome not in ("created", "added") and is_urgent(raw))
    replies = list(help_now(turn)) if urgent else []  # the numbers first, at once
    outcome = result.outcome
    if outcome in ("created", "added"):
        replies.append(_ack(turn, result, added=outcome == "added"))
    elif outcome == "empty":
        replies.append(_write(turn, turn._("Your message has no words. Please write your question in words, or choose Main menu.")))  # noqa: E501
    elif outcome == "too_long":
        limit = turn.deps.question_max_chars
        replies.append(_write(turn, turn.t.ngettext(
            "Your question is too long. Please write it again in at most {n} character.",
            "Your question is too long. Please write it again in at most {n} characters.", limit).format(n=limit)))
    elif outcome == "limit":
        replies.append(menu(turn, turn._("You have sent many questions today. Please write again tomorrow. If you are in danger, choose Get help now.")))  # noqa: E501
    else:  # unavailable
        replies.append(menu(turn, turn._("Sorry, no one can answer questions in your language or for your country right now. Please try again later, or choose Find services.")))  # noqa: E501
    return replies


HANDLERS = {Head.ASK: on_ask}
