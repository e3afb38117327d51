"""Anonymous feedback: consent first, then ratings, one-line comments and service needs.

Markers and caps are written only after the record is: a write that fails leaves her free
to try again, and counts nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import Choice, Reply
from bot.feedback import COMMENT_MAX, NEEDS, RATINGS, URGENCIES, Feedback, cap_key, rated_field, rated_key
from bot.flows.profile import profile_fields, profile_question
from bot.flows.screens import back, country_pick, is_country, menu
from bot.labels import NEED_LABELS, URGENCY_LABELS
from bot.payloads import SKIP, Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn

RATED_TTL = 365 * 86400
CAP_WINDOW = 86400
RATING_BY_LETTER = {r[0]: r for r in RATINGS}  # "y" -> "yes" ...


def consent(turn: Turn, pending: str) -> Reply:
    turn.session.pending = pending
    text = turn._("Before you answer: we keep your answers without your name, number or chat, only as counts that help women's organisations plan services. Comments are deleted after {days} days. You can skip any question, and say no: everything else still works.").format(days=turn.deps.comment_retention_days)  # noqa: E501
    return Reply(text, turn.locale, (Choice(turn._("Yes, I agree"), pay(Head.CONSENT, "y")),
                                     Choice(turn._("No, thank you"), pay(Head.CONSENT, "n"))))


def thanks_enough(turn: Turn) -> Reply:
    return menu(turn, turn._("Thank you! You have given a lot of feedback today. Please come back tomorrow."))


async def on_feedback(turn: Turn, arg: str) -> list[Reply]:
    session = turn.session
    choices = [Choice(turn._("Tell us what you need"), Head.NEEDS)]
    if session.last_item and session.last_item in turn.library.items:
        title = turn.library.items[session.last_item].text(turn.locale).title
        choices.append(Choice(turn._("Rate: {title}").format(title=title)[:60], pay(Head.ITEM, session.last_item)))
    choices.append(back(turn))
    return [Reply(turn._("Your feedback shapes this service. What would you like to do?"), turn.locale, tuple(choices))]


async def on_consent(turn: Turn, answer: str) -> list[Reply]:
    session = turn.session
    session.consent = answer == "y"
    pending, session.pending = session.pending, None
    if not session.consent:
        return [menu(turn, turn._("No problem. Nothing was kept. You can still use everything."))]
    if session.profile is None:
        session.pending = pending
        return [profile_question(turn, 0)]
    return await turn.run(pending or Head.MENU)


def _asked_consent(turn: Turn, head: Head, arg: str) -> Reply | None:
    """The consent question when she has not agreed yet; None when she has."""
    if turn.session.consent:
        return None
    return consent(turn, pay(head, arg) if arg else head)


async def _within_cap(turn: Turn) -> bool:
    count = await turn.deps.store.incr(cap_key(turn.event.user_key), CAP_WINDOW)
    return count <= turn.deps.feedback_daily_cap


async def _uncount(turn: Turn) -> None:
    await turn.deps.store.incr(cap_key(turn.event.user_key), CAP_WINDOW, amount=-1)


async def on_rate(turn: Turn, arg: str) -> list[Reply]:
    asked = _asked_consent(turn, Head.RATE, arg)
    if asked:
        return [asked]
    letter, _, item_id = arg.partition(":")
    rating = RATING_BY_LETTER.get(letter)
    item = turn.library.items.get(item_id)
    if rating is None or item is None:
        return [menu(turn)]
    store, user_key = turn.deps.store, turn.event.user_key
    follow = (Choice(turn._("Add a comment"), pay(Head.COMMENT, item.id)), back(turn))
    if await store.hexists(rated_key(user_key), rated_field(user_key, item.id)):
        return [Reply(turn._("You already rated this. Thank you!"), turn.locale, follow)]
    if not await _within_cap(turn):
        return [thanks_enough(turn)]
    try:
        await turn.deps.feedback.add([Feedback(kind="rating", channel=turn.event.channel, locale=turn.locale,
                                               content_id=item.id, theme=item.theme, rating=rating,
                                               **profile_fields(turn))], turn.event.event_id)
    except Exception:
        await _uncount(turn)
        raise
    await store.hset_once(rated_key(user_key), rated_field(user_key, item.id), "1", RATED_TTL)
    return [Reply(turn._("Thank you. Your answer helps us improve."), turn.locale, follow)]


async def on_comment(turn: Turn, item_id: str) -> list[Reply]:
    if turn.session.consent is None:
        return [consent(turn, pay(Head.COMMENT, item_id) if item_id else Head.COMMENT)]
    turn.session.state = "comment"
    turn.session.last_item = item_id or turn.session.last_item
    return [Reply(turn._("Write one line: what would make this better? Please do not write names, phone numbers or addresses."),  # noqa: E501
                  turn.locale, (Choice(turn._("Skip"), Head.MENU),))]


async def save_comment(turn: Turn, text: str) -> list[Reply]:
    item_id = turn.session.last_item
    turn.session.state = "menu"
    if not item_id or not turn.session.consent:
        return [menu(turn)]
    if not await _within_cap(turn):
        return [thanks_enough(turn)]
    country = profile_fields(turn)["current_country"] or turn.session.country
    try:
        await turn.deps.feedback.add_comment(item_id, turn.locale, turn.event.channel, text[:COMMENT_MAX], country,
                                             turn.event.event_id)
    except Exception:
        await _uncount(turn)
        raise
    return [menu(turn, turn._("Thank you. We removed any numbers or addresses before keeping your comment."))]


def needs_question(turn: Turn) -> Reply:
    chosen = set(turn.session.needs)
    choices = [Choice(("✓ " if need in chosen else "") + turn._(NEED_LABELS[need]), pay(Head.NEED, need))
               for need in NEEDS]
    choices.append(Choice(turn._("Done"), pay(Head.NEED, "done")))
    choices.append(back(turn))
    text = turn._("What do you need now? Choose all that apply, then choose Done.")
    if chosen:
        text += "\n" + turn._("Chosen: {needs}").format(
            needs=", ".join(turn._(NEED_LABELS[n]) for n in turn.session.needs))
    return Reply(text, turn.locale, tuple(choices), replaces_menu=True)


async def on_needs(turn: Turn, arg: str) -> list[Reply]:
    asked = _asked_consent(turn, Head.NEEDS, arg)
    if asked:
        return [asked]
    turn.session.needs, turn.session.urgency = [], None
    return [needs_question(turn)]


async def on_need(turn: Turn, need: str) -> list[Reply]:
    session = turn.session
    if not session.consent:
        return [consent(turn, Head.NEEDS)]
    if need in NEEDS:
        session.needs = [n for n in session.needs if n != need] if need in session.needs else session.needs + [need]
        return [needs_question(turn)]
    if not session.needs:
        return [needs_question(turn)]
    choices = tuple(Choice(turn._(URGENCY_LABELS[u]), pay(Head.URGENCY, u)) for u in URGENCIES)
    return [Reply(turn._("How soon do you need it?"), turn.locale,
                  choices + (Choice(turn._("Skip"), pay(Head.URGENCY, SKIP)),))]


async def on_urgency(turn: Turn, urgency: str) -> list[Reply]:
    if not turn.session.consent:
        return [consent(turn, Head.NEEDS)]
    turn.session.urgency = urgency if urgency in URGENCIES else None
    return [country_pick(turn, Head.NEED_COUNTRY, turn._("Where are you now? This is optional."))]


async def on_need_country(turn: Turn, arg: str) -> list[Reply]:
    """The last needs step writes the records."""
    session = turn.session
    if not session.consent:
        return [consent(turn, Head.NEEDS)]
    country = arg if is_country(arg) else None
    needs, urgency = session.needs, session.urgency
    if not needs:
        return [menu(turn)]
    if not await _within_cap(turn):
        session.needs, session.urgency = [], None
        return [thanks_enough(turn)]
    try:
        await turn.deps.feedback.add([Feedback(kind="need", channel=turn.event.channel, locale=turn.locale,
                                               need=need, urgency=urgency, country=country,
                                               **profile_fields(turn)) for need in needs], turn.event.event_id)
    except Exception:
        await _uncount(turn)
        raise
    session.needs, session.urgency = [], None
    text = turn._("Thank you. Your answer helps organisations plan services for women.")
    choices: list[Choice] = []
    if country:
        choices.append(Choice(turn._("Services in {country}").format(country=turn.t.country(country)),
                              pay(Head.SERVICES, country)))
    choices += [Choice(turn._("Get help now"), Head.HELP), back(turn)]
    session.state = "menu"
    return [Reply(text, turn.locale, tuple(choices))]


HANDLERS = {
    Head.FEEDBACK: on_feedback,
    Head.CONSENT: on_consent,
    Head.RATE: on_rate,
    Head.COMMENT: on_comment,
    Head.NEEDS: on_needs,
    Head.NEED: on_need,
    Head.URGENCY: on_urgency,
    Head.NEED_COUNTRY: on_need_country,
}
