"""The conversation engine: an Event and the session in, a TurnResult of channel-neutral Replies out.

Plain Python on purpose: Telegram, the SMS gateways and the console are thin adapters that
translate to and from `Event` and `Reply`, so every channel says exactly the same thing.
The screens live in bot/flows/ (navigation, help, feedback, profile, deletion); this module
reads the session, turns typed text into a payload and dispatches on its head (bot.payloads)
through one table.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from bot import keywords
from bot.commands import TYPED, slash_command
from bot.conversation import Event, Reply, Session, TurnResult
from bot.feedback import CAP_PREFIX, RATED_PREFIX, FeedbackSink
from bot.flows import ask, country_choice, deletion, feedback, navigation, profile, support
from bot.flows.navigation import render_item
from bot.flows.screens import menu
from bot.i18n import Catalogs, Translator
from bot.library import Library
from bot.payloads import BEFORE_LANGUAGE, Head, parse, pay
from bot.personal_data import PersonalData
from bot.sessions import SessionStore

__all__ = ["Deps", "Engine", "Turn", "clean_text", "render_item"]

log = logging.getLogger(__name__)

SESSION_PREFIX = "s:"
UNREAD: Any = object()  # Engine.handle: the channel has not read her session for us
STORE_ERRORS = (RedisError, OSError, TimeoutError)  # the session store failed, not the turn
SHORT_TEXT_WORDS = 5  # up to this many words, a near country name is asked about before searching
MAX_INPUT = 1000  # characters of a message we look at; the rest is ignored, not an error
_BIDI_AND_CONTROL = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]")


def clean_text(text: str | None) -> str:
    """Drop control and bidi-override characters, squeeze spaces, keep the first MAX_INPUT."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text[: MAX_INPUT * 4])
    text = _BIDI_AND_CONTROL.sub("", text)
    return " ".join(text.split())[:MAX_INPUT]


@dataclass(frozen=True)
class Deps:
    """What the flows use besides the turn itself, built once by the Engine."""

    store: SessionStore
    feedback: FeedbackSink
    catalogs: Catalogs
    personal: PersonalData
    feedback_daily_cap: int
    comment_retention_days: int
    today: Callable[[], dt.date]
    help_countries: Callable[[], tuple[str, ...]]  # whose numbers HELP shows before she says where she is
    inbox: Any = None  # bot.inbox.InboxServices: "Ask a person" (None: not offered here)
    question_max_chars: int = 1000


@dataclass
class Turn:
    """The context of one turn, so every handler takes (turn, arg) and stays short."""

    event: Event
    session: Session
    t: Translator
    library: Library
    deps: Deps
    run: Callable[[str], Awaitable[list[Reply]]] = field(repr=False, default=None)  # type: ignore[assignment]
    forgotten: bool = False

    @property
    def locale(self) -> str:
        return self.t.locale

    def _(self, message: str) -> str:
        return self.t.gettext(message)

    def set_locale(self, locale: str) -> None:
        self.session.locale = locale
        self.t = self.deps.catalogs.get(locale)


Handler = Callable[[Turn, str], Awaitable[list[Reply]]]

# head -> handler: every payload a reply can carry is answered by exactly one of these
HANDLERS: dict[Head, Handler] = {
    **navigation.HANDLERS, **support.HANDLERS, **feedback.HANDLERS, **profile.HANDLERS,
    **deletion.HANDLERS, **country_choice.HANDLERS, **ask.HANDLERS,
}
assert set(HANDLERS) == set(Head), f"payload heads without a handler: {set(Head) - set(HANDLERS)}"


class Engine:
    """Handles one event at a time; the session store is the only memory between turns."""

    def __init__(self, *, library: Callable[[], Library], store: SessionStore, catalogs: Catalogs,
                 feedback: FeedbackSink, session_ttl: int, personal: PersonalData | None = None,
                 feedback_daily_cap: int = 20, comment_retention_days: int = 180,
                 today: Callable[[], dt.date] | None = None,
                 help_countries: Callable[[], tuple[str, ...]] = tuple, inbox: Any = None,
                 question_max_chars: int = 1000) -> None:
        self._library = library
        self._store = store
        self._ttl = session_ttl
        personal = personal or PersonalData(store)
        personal.register_prefix(SESSION_PREFIX, "engine: sessions")
        personal.register_prefix(RATED_PREFIX, "feedback: items rated")
        personal.register_prefix(CAP_PREFIX, "feedback: daily cap")
        self.deps = Deps(store=store, feedback=feedback, catalogs=catalogs, personal=personal,
                         feedback_daily_cap=feedback_daily_cap, comment_retention_days=comment_retention_days,
                         today=today or (lambda: dt.datetime.now(dt.timezone.utc).date()),
                         help_countries=help_countries, inbox=inbox, question_max_chars=question_max_chars)

    # -- entry points -----------------------------------------------------------------

    async def handle(self, event: Event, *, session_data: Any = UNREAD,
                     writes: list[tuple[str, dict[str, Any] | None, int]] | None = None) -> TurnResult:
        """One turn. Never raises: the session survives errors, and when the session store
        itself is down she still gets an answer (HELP included), from a fresh session.

        A channel that has already read her session (`session_data`, read with
        `session_key`, None when there is none) saves the store a round trip; with `writes`
        the session to save is appended there (key, value, ttl) for the channel to write
        together with its own keys, instead of being saved here."""
        data, store_ok = (session_data, True) if session_data is not UNREAD else await self._read(event.user_key)
        session = Session.from_dict(data)
        locale = session.locale or self.deps.catalogs.negotiate(event.locale_hint)
        if event.country_hint and not session.sim_country:
            session.sim_country = event.country_hint
        turn = Turn(event, session, self.deps.catalogs.get(locale), self._library(), self.deps)
        turn.run = lambda payload: self._on_payload(turn, payload)
        try:
            replies = await self._dispatch(turn, first_contact=data is None and store_ok)
        except Exception as exc:  # the woman gets an answer, the log gets no message text
            log.error("engine: %s on channel %s for user %s", type(exc).__name__, event.channel, event.user_key[:12])
            turn.session = Session.from_dict(data) if data else Session(locale=locale)
            replies = [menu(turn, turn._("Sorry, something went wrong. Here is the menu."))]
            store_ok = store_ok and not isinstance(exc, STORE_ERRORS)
        if turn.forgotten:
            return TurnResult(replies, turn.locale, forgotten=True)
        if replies:
            turn.session.choices = [c.payload for c in replies[-1].choices]
        if store_ok:
            await self._save(event.user_key, turn.session, writes)
        return TurnResult(replies, turn.locale)

    async def _read(self, user_key: str) -> tuple[dict[str, Any] | None, bool]:
        """Her stored session, and whether the store answered."""
        try:
            return await self._store.get(SESSION_PREFIX + user_key), True
        except Exception as exc:
            log.error("engine: session store unavailable (%s); answering without it", type(exc).__name__)
            return None, False

    async def _save(self, user_key: str, session: Session,
                    writes: list[tuple[str, dict[str, Any] | None, int]] | None) -> None:
        if writes is not None:
            writes.append((SESSION_PREFIX + user_key, session.to_dict(), self._ttl))
            return
        try:
            await self._store.set(SESSION_PREFIX + user_key, session.to_dict(), self._ttl)
        except Exception as exc:
            log.error("engine: session not saved (%s)", type(exc).__name__)

    @staticmethod
    def session_key(user_key: str) -> str:
        """Where her session is kept in the store."""
        return SESSION_PREFIX + user_key

    async def locale_of(self, user_key: str) -> str | None:
        """Her chosen language, for messages a channel writes itself (STOP, MORE)."""
        data = await self._store.get(SESSION_PREFIX + user_key)
        return (data or {}).get("locale")

    async def forget(self, user_key: str) -> None:
        """Erase everything stored under this person's key, at once."""
        await self.deps.personal.forget(user_key)

    # -- dispatch ---------------------------------------------------------------------

    async def _dispatch(self, turn: Turn, first_contact: bool) -> list[Reply]:
        event, session = turn.event, turn.session
        if event.unsupported:
            return [menu(turn, turn._("I can only read text messages. Please type a word, or choose from the menu."))]
        text = clean_text(event.text)
        payload = event.payload
        if payload is None and text:
            help_locale = keywords.emergency(text)
            if help_locale:
                if session.locale is None:
                    turn.set_locale(help_locale)
                return await turn.run(Head.HELP)
            payload = self._command(turn, text)
        if payload is None and first_contact:
            return await turn.run(Head.START)
        if payload is not None:
            return await self._on_payload(turn, payload)
        return await self._typed(turn, text)

    async def _typed(self, turn: Turn, text: str) -> list[Reply]:
        """Free text that is no command: a comment, a language or country name, or a search."""
        state = turn.session.state
        if state == "question":  # her own words, uncut: the inbox checks length and masks numbers
            return await ask.submit(turn, turn.event.text or text)
        if not text:
            return [menu(turn, turn._("I did not get a message. Type a word, or choose from the menu."))]
        if state == "comment":
            return await feedback.save_comment(turn, text)
        if state == "lang":
            return navigation.language_from_text(turn, text)
        if state == "country":
            return await country_choice.from_text(turn, text)
        found = country_choice.said_country(turn, text)
        if found.exact:  # "I am in Kuwait": the menus, help and services now fit where she is
            return await turn.run(pay(Head.COUNTRY, found.code))
        if found.candidates and len(text.split()) <= SHORT_TEXT_WORDS:  # "I am in Guinea", "Kuwiat"
            return country_choice.did_you_mean(turn, found, Head.COUNTRY)
        return (navigation.search(turn, text) or country_choice.did_you_mean(turn, found, Head.COUNTRY)
                or ask.nothing_found(turn))

    @staticmethod
    def _command(turn: Turn, text: str) -> str | None:
        """Typed commands and numbered replies become the same payloads as buttons."""
        if text.startswith("/"):
            return slash_command(text)
        for kind, head in TYPED:
            if keywords.match(kind, text):
                return head
        stripped = text.strip(". )")
        if stripped.isdigit() and len(stripped) <= 3:
            number = int(stripped)
            if number == 0:
                return Head.MENU
            if 1 <= number <= len(turn.session.choices):
                return turn.session.choices[number - 1]
            return Head.BAD_NUMBER
        return None

    async def _on_payload(self, turn: Turn, payload: str) -> list[Reply]:
        head, arg = parse(payload)
        if head is None:
            return [menu(turn, turn._("That choice is no longer available. Here is the menu."))]
        if turn.session.locale is None and head not in BEFORE_LANGUAGE:
            return await turn.run(pay(Head.START))
        if turn.session.state == "question" and head != Head.ASK:
            turn.session.state = "menu"  # she left the question: her next words are no question
        return await HANDLERS[head](turn, arg)

