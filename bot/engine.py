"""The conversation engine: an Event and the session in, channel-neutral Replies out.

Plain Python on purpose: Telegram, the SMS gateways and the console are thin adapters that
translate to and from `Event` and `Reply`, so every channel says exactly the same thing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot import keywords
from bot.config import SHIPPED_LOCALES
from bot.content_model import STAGES, Item, Service
from bot.conversation import Choice, Event, Reply, Session
from bot.feedback import (AGE_BANDS, COMMENT_MAX, GENDERS, NEEDS, PROFILE_FIELDS, URGENCIES,
                          Feedback, FeedbackSink, daily_cap_key, rating_marker)
from bot.i18n import LANGUAGE_NAMES, Catalogs, N_, Translator, negotiate
from bot.library import Library
from bot.sessions import SessionStore

log = logging.getLogger(__name__)

SESSION_PREFIX = "s:"
# every namespace in the session store that holds something about one user_key
USER_NAMESPACES = ("s:", "sms:")
MAX_INPUT = 1000  # characters of a message we look at; the rest is ignored, not an error
_BIDI_AND_CONTROL = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff\ufff9-\ufffb]")

SECTION_LABELS = {
    "rights": N_("Know your rights"),
    "risks": N_("Risks and warning signs"),
    "before_you_go": N_("Before you go: checklist"),
}
STAGE_LABELS = {
    "thinking": N_("Thinking of going"),
    "preparing": N_("Preparing to go"),
    "transit": N_("On the way"),
    "destination": N_("In the country of work"),
    "returning": N_("Coming back home"),
}
NEED_LABELS = {
    "legal_aid": N_("Legal advice"), "shelter": N_("A safe place to stay"),
    "health": N_("Health care"), "gbv_support": N_("Support after violence"),
    "counselling": N_("Someone to talk to"), "work_wages": N_("Problem with work or wages"),
    "documents": N_("Documents or visa"), "money": N_("Money or debt"),
    "return": N_("Going back home"), "other": N_("Something else"),
}
URGENCY_LABELS = {"now": N_("Today"), "week": N_("This week"), "later": N_("Later")}
GENDER_LABELS = {"woman": N_("Woman"), "man": N_("Man"), "non_binary": N_("Non-binary"),
                 "another": N_("I describe myself another way"),
                 "prefer_not": N_("Prefer not to say")}
AGE_LABELS = {"under_18": N_("Under 18"), "18_24": "18–24", "25_34": "25–34", "35_44": "35–44",
              "45_54": "45–54", "55_plus": "55+", "prefer_not": N_("Prefer not to say")}
RATING_LABELS = {"yes": N_("Yes, helpful"), "no": N_("Not helpful"), "unsure": N_("Not sure")}


def clean_text(text: str | None) -> str:
    """Drop control and bidi-override characters, squeeze spaces, keep the first MAX_INPUT."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text[: MAX_INPUT * 4])
    text = _BIDI_AND_CONTROL.sub("", text)
    return " ".join(text.split())[:MAX_INPUT]


@dataclass
class Turn:
    """The context of one turn, so handlers take one argument and stay short."""

    event: Event
    session: Session
    t: Translator
    library: Library

    @property
    def locale(self) -> str:
        return self.t.locale

    def _(self, message: str) -> str:
        return self.t.gettext(message)


class Engine:
    """Handles one event at a time; the session store is the only memory between turns."""

    def __init__(self, *, library: Callable[[], Library], store: SessionStore, catalogs: Catalogs,
                 feedback: FeedbackSink, session_ttl: int, feedback_daily_cap: int = 20,
                 comment_retention_days: int = 180, today: Callable[[], dt.date] | None = None) -> None:
        self._library = library
        self._store = store
        self._catalogs = catalogs
        self._feedback = feedback
        self._ttl = session_ttl
        self._cap = feedback_daily_cap
        self._retention = comment_retention_days
        self._today = today or (lambda: dt.datetime.now(dt.timezone.utc).date())

    # -- entry point --------------------------------------------------------------------

    async def handle(self, event: Event) -> list[Reply]:
        """One turn. Never raises for anything a user can send; the session survives errors."""
        data = await self._store.get(SESSION_PREFIX + event.user_key)
        session = Session.from_dict(data)
        first_contact = data is None
        locale = session.locale or negotiate(event.locale_hint)
        turn = Turn(event, session, self._catalogs.get(locale), self._library())
        try:
            replies = await self._dispatch(turn, first_contact)
        except Exception:  # the woman gets an answer, the log gets no message text
            log.exception("engine error on channel %s for user %s", event.channel, event.user_key[:12])
            turn.session = Session.from_dict(data) if data else Session(locale=locale, state="menu")
            replies = [self._menu(turn, self._gettext(turn, "Sorry, something went wrong. Here is the menu."))]
        if turn.session.state == "deleted":
            return replies
        if replies:
            turn.session.choices = [c.payload for c in replies[-1].choices]
        await self._store.set(SESSION_PREFIX + event.user_key, turn.session.to_dict(), self._ttl)
        return replies

    @staticmethod
    def _gettext(turn: Turn, message: str) -> str:
        return turn.t.gettext(message)

    async def _dispatch(self, turn: Turn, first_contact: bool) -> list[Reply]:
        event, session = turn.event, turn.session
        if event.unsupported:
            return [self._menu(turn, turn._("I can only read text messages. Please type a word, or choose from the menu."))]
        text = clean_text(event.text)
        payload = event.payload
        if payload is None and text:
            help_locale = keywords.emergency(text)
            if help_locale:
                if session.locale is None:
                    self._set_locale(turn, help_locale)
                return [self._help_now(turn)]
            payload = self._command(turn, text)
        if payload is None and first_contact:
            return [self._welcome(turn)]
        if payload is not None:
            return await self._on_payload(turn, payload)
        if session.state == "comment" and text:
            return await self._save_comment(turn, text)
        if session.state == "lang" and text:
            return self._language_from_text(turn, text)
        if not text:
            return [self._menu(turn, turn._("I did not get a message. Type a word, or choose from the menu."))]
        return [self._search(turn, text)]

    def _command(self, turn: Turn, text: str) -> str | None:
        """Typed commands and numbered replies become the same payloads as buttons."""
        if text.startswith("/"):
            command = text.split()[0].split("@")[0].lower()
            return {"/start": "start", "/menu": "m", "/language": "lang", "/help": "h",
                    "/delete": "d"}.get(command, "m")
        if keywords.match("menu", text):
            return "m"
        if keywords.match("lang", text):
            return "lang"
        if keywords.match("delete", text):
            return "d"
        stripped = text.strip(". )")
        if stripped.isdigit() and len(stripped) <= 3:
            number = int(stripped)
            if number == 0:
                return "m"
            if 1 <= number <= len(turn.session.choices):
                return turn.session.choices[number - 1]
            return "bad-number"
        return None

    # -- payloads -----------------------------------------------------------------------

    async def _on_payload(self, turn: Turn, payload: str) -> list[Reply]:
        session = turn.session
        head, _, arg = payload.partition(":")
        if session.locale is None and head not in ("l", "h", "start", "d"):
            return [self._welcome(turn)]
        if head == "start":
            return [self._welcome(turn)] if session.locale is None else [self._menu(turn)]
        if head == "m":
            session.state = "menu"
            return [self._menu(turn)]
        if head == "l" and arg in SHIPPED_LOCALES:
            self._set_locale(turn, arg)
            session.state = "menu"
            return [self._menu(turn, turn._("Language saved."))]
        if head == "lang":
            session.state = "lang"
            return [self._language_choice(turn, turn._("Choose your language."))]
        if head == "s" and arg in SECTION_LABELS:
            return [self._section(turn, arg)]
        if head == "i":
            return [self._item(turn, arg)]
        if head == "h":
            if arg:
                session.country = arg if arg in turn.library.countries() else None
            return [self._help_now(turn)]
        if head == "hc":
            return [self._country_pick(turn, "h", turn._("Which country are you in?"))]
        if head == "sv":
            return [self._services(turn, arg or session.country)]
        if head == "me":
            return [self._filters(turn)]
        if head == "st":
            session.stage = arg if arg in STAGES else None
            return [self._country_pick(turn, "co", turn._("Which country do you want information about? This is optional."))]
        if head == "co":
            session.country = arg if len(arg) == 2 else None
            session.state = "menu"
            return [self._menu(turn, turn._("Saved. The menus now show what fits your situation."))]
        if head == "d":
            return await self._delete(turn, arg)
        if head in ("fb", "r", "cm", "n", "ok"):
            return await self._feedback_payload(turn, head, arg)
        if head in ("nd", "ur", "nc"):
            return await self._need_step(turn, head, arg)
        if head in ("pg", "pa", "po", "pn", "ps", "px"):
            return await self._profile_step(turn, head, arg)
        if head == "bad-number":
            return [self._again(turn)]
        return [self._menu(turn, turn._("That choice is no longer available. Here is the menu."))]

    # -- screens ------------------------------------------------------------------------

    def _set_locale(self, turn: Turn, locale: str) -> None:
        turn.session.locale = locale
        turn.t = self._catalogs.get(locale)

    def _back(self, turn: Turn) -> Choice:
        return Choice(turn._("Main menu"), "m")

    def _welcome(self, turn: Turn) -> Reply:
        turn.session.state = "lang"
        text = "\n\n".join([
            turn._("Hello. This is a free service with information on safe migration for women: your rights, risks on the way, and where to get help."),
            turn._("What we keep: your language and menu choices, under a code that does not show your name or number. We never keep your messages or your number. You can delete everything at any time."),
            turn._("Please choose your language."),
        ])
        return self._language_choice(turn, text)

    def _language_choice(self, turn: Turn, text: str) -> Reply:
        order = [turn.locale] + [loc for loc in SHIPPED_LOCALES if loc != turn.locale]
        choices = tuple(Choice(LANGUAGE_NAMES[loc], f"l:{loc}") for loc in order)
        return Reply(text, turn.locale, choices, replaces_menu=True)

    def _language_from_text(self, turn: Turn, text: str) -> list[Reply]:
        wanted = text.casefold().strip()
        for loc, name in LANGUAGE_NAMES.items():
            if wanted == loc or (len(wanted) >= 3 and name.casefold().startswith(wanted)):
                self._set_locale(turn, loc)
                return [self._menu(turn, turn._("Language saved."))]
        return [self._language_choice(turn, turn._("Please choose your language from the list."))]

    def _menu_choices(self, turn: Turn) -> tuple[Choice, ...]:
        _ = turn._
        return (
            *(Choice(_(label), f"s:{section}") for section, label in SECTION_LABELS.items()),
            Choice(_("Get help now"), "h"),
            Choice(_("Find services"), "sv"),
            Choice(_("Give feedback"), "fb"),
            Choice(_("My situation (optional)"), "me"),
            Choice(_("Change language"), "lang"),
            Choice(_("Delete my data"), "d"),
        )

    def _menu(self, turn: Turn, note: str | None = None) -> Reply:
        turn.session.state = "menu"
        intro = turn._("What would you like to know? Choose a topic, or type a few words.")
        return Reply("\n\n".join(p for p in (note, intro) if p), turn.locale,
                     self._menu_choices(turn), replaces_menu=True)

    def _again(self, turn: Turn) -> Reply:
        return self._menu(turn, turn._("That number is not in the list. Please choose again, or reply 0 for the menu."))

    def _section(self, turn: Turn, section: str) -> Reply:
        session = turn.session
        items = turn.library.in_section(section, session.stage, session.country)
        note = ""
        if not items and (session.stage or session.country):
            items = turn.library.in_section(section)
            note = turn._("Nothing matches your situation exactly, so here is everything on this topic.") + "\n\n"
        title = turn._(SECTION_LABELS[section])
        if not items:
            return Reply(title + "\n\n" + turn._("There is nothing here yet."), turn.locale,
                         (self._back(turn),), replaces_menu=True)
        choices = [Choice(item.text(turn.locale).title, f"i:{item.id}") for item in items]
        choices.append(self._back(turn))
        return Reply(f"{note}{title}\n\n" + turn._("Choose a topic:"), turn.locale, tuple(choices),
                     replaces_menu=True)

    def _item(self, turn: Turn, item_id: str) -> Reply:
        item = turn.library.items.get(item_id)
        if item is None:
            return self._menu(turn, turn._("That information is not available any more. Here is the menu."))
        turn.session.last_item = item.id
        turn.session.state = "item"
        return render_item(item, turn.t, turn.library)

    def _search(self, turn: Turn, text: str) -> Reply:
        found = turn.library.search(turn.locale, text)
        if not found:
            return self._menu(turn, turn._("I did not find anything for those words. Try other words, or choose a topic."))
        turn.session.state = "search"
        intro = turn.t.ngettext("I found this:", "I found these:", len(found))
        choices = [Choice(item.text(turn.locale).title, f"i:{item.id}") for item in found]
        choices.append(Choice(turn._("Get help now"), "h"))
        choices.append(self._back(turn))
        return Reply(intro, turn.locale, tuple(choices))

    # -- help and services --------------------------------------------------------------

    def _format_service(self, turn: Turn, service: Service) -> str:
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

    def _help_now(self, turn: Turn) -> Reply:
        session, lib = turn.session, turn.library
        country = session.country or self._profile_fields(turn)["current_country"]
        lines = [turn._("If you are in danger now, call the emergency number of the country you are in.")]
        local = lib.services_in(country, emergency=True) if country else []
        if local:
            lines.append(turn._("Help in {country}:").format(country=turn.t.country(country)))
            lines.extend(self._format_service(turn, s) for s in local)
        elif country:
            lines.append(turn._("We have no emergency contacts for {country} yet.").format(
                country=turn.t.country(country)))
        intl = lib.services_in(None)
        if intl:
            lines.append(turn._("International help:"))
            lines.extend(self._format_service(turn, s) for s in intl[:3])
        choices = []
        if not country:
            choices.append(Choice(turn._("Show help for my country"), "hc"))
        choices.append(Choice(turn._("Find services"), f"sv:{country}" if country else "sv"))
        choices.append(self._back(turn))
        return Reply("\n\n".join(lines), turn.locale, tuple(choices))

    def _country_pick(self, turn: Turn, head: str, question: str) -> Reply:
        countries = turn.library.countries()
        choices = [Choice(turn.t.country(c), f"{head}:{c}") for c in countries]
        choices.append(Choice(turn._("Skip"), f"{head}:-"))
        return Reply(question, turn.locale, tuple(choices), replaces_menu=True)

    def _services(self, turn: Turn, country: str | None) -> Reply:
        if not country or country == "-":
            return self._country_pick(turn, "sv", turn._("Which country are you in, or asking about?"))
        if country not in turn.library.countries():
            return self._country_pick(turn, "sv", turn._("Please choose a country from the list."))
        turn.session.country = country
        services = turn.library.services_in(country)
        lines = [turn._("Services in {country}:").format(country=turn.t.country(country))]
        lines.extend(self._format_service(turn, s) for s in services)
        if not services:
            lines.append(turn._("We have no services listed there yet."))
        return Reply("\n\n".join(lines), turn.locale,
                     (Choice(turn._("Get help now"), "h"), Choice(turn._("Other country"), "sv:-"),
                      self._back(turn)))

    def _filters(self, turn: Turn) -> Reply:
        choices = [Choice(turn._(label), f"st:{stage}") for stage, label in STAGE_LABELS.items()]
        choices.append(Choice(turn._("Skip"), "st:-"))
        return Reply(turn._("Where are you in your migration? This is optional: it helps us show what fits you. We keep it only in your session."),
                     turn.locale, tuple(choices), replaces_menu=True)

    # -- delete -------------------------------------------------------------------------

    async def _delete(self, turn: Turn, arg: str) -> list[Reply]:
        if arg == "y":
            await self.forget(turn.event.user_key, turn.library)
            turn.session.state = "deleted"
            return [Reply(turn._("Done. We deleted your language, your choices and your answers about you. To remove this chat from your phone, delete the chat too. Send any message to start again."),
                          turn.locale, (Choice(turn._("Start again"), "start"),))]
        if arg == "n":
            return [self._menu(turn, turn._("Nothing was deleted."))]
        turn.session.state = "delete"
        return [Reply(turn._("Delete everything we keep about you (language, choices, answers about you)? Feedback you already gave stays, but it cannot be linked to you."),
                      turn.locale, (Choice(turn._("Yes, delete"), "d:y"), Choice(turn._("No, go back"), "d:n")))]

    async def forget(self, user_key: str, library: Library | None = None) -> None:
        """Erase everything stored under this person's key, at once."""
        library = library or self._library()
        keys = [ns + user_key for ns in USER_NAMESPACES]
        keys += [rating_marker(user_key, item_id) for item_id in library.items]
        keys.append(daily_cap_key(user_key, self._today()))
        await self._store.delete(*keys)

    # -- feedback -----------------------------------------------------------------------

    def _consent(self, turn: Turn, pending: str) -> Reply:
        turn.session.pending = pending
        turn.session.state = "consent"
        text = turn._("Before you answer: we keep your answers without your name, number or chat, only as counts that help women's organisations plan services. Comments are deleted after {days} days. You can skip any question, and say no: everything else still works.").format(days=self._retention)
        return Reply(text, turn.locale, (Choice(turn._("Yes, I agree"), "ok:y"), Choice(turn._("No, thank you"), "ok:n")))

    async def _feedback_payload(self, turn: Turn, head: str, arg: str) -> list[Reply]:
        session = turn.session
        if head == "fb":
            choices = [Choice(turn._("Tell us what you need"), "n")]
            if session.last_item and session.last_item in turn.library.items:
                title = turn.library.items[session.last_item].text(turn.locale).title
                choices.append(Choice(turn._("Rate: {title}").format(title=title)[:60], f"i:{session.last_item}"))
            choices.append(self._back(turn))
            return [Reply(turn._("Your feedback shapes this service. What would you like to do?"), turn.locale, tuple(choices))]
        if head == "ok":
            session.consent = arg == "y"
            pending, session.pending = session.pending, None
            if not session.consent:
                return [self._menu(turn, turn._("No problem. Nothing was kept. You can still use everything."))]
            if session.profile is None:
                session.pending = pending
                return [self._profile_question(turn, 0)]
            return await self._on_payload(turn, pending or "m")
        if session.consent is None:
            return [self._consent(turn, f"{head}:{arg}" if arg else head)]
        if session.consent is False:
            if head == "n" or head == "r":
                # she said no before; asking again is her choice, made by pressing it
                return [self._consent(turn, f"{head}:{arg}" if arg else head)]
        if head == "n":
            session.needs, session.urgency = [], None
            return [self._needs_question(turn)]
        if head == "r":
            return await self._rate(turn, arg)
        if head == "cm":
            session.state = "comment"
            session.last_item = arg or session.last_item
            return [Reply(turn._("Write one line: what would make this better? Please do not write names, phone numbers or addresses."),
                          turn.locale, (Choice(turn._("Skip"), "m"),))]
        return [self._menu(turn)]

    async def _within_cap(self, turn: Turn) -> bool:
        count = await self._store.incr(daily_cap_key(turn.event.user_key, self._today()), 2 * 86400)
        return count <= self._cap

    def _profile_fields(self, turn: Turn) -> dict[str, str | None]:
        profile = turn.session.profile or {}
        return {f: (None if profile.get(f) in (None, "prefer_not", "-") else profile.get(f))
                for f in PROFILE_FIELDS}

    async def _rate(self, turn: Turn, arg: str) -> list[Reply]:
        letter, _, item_id = arg.partition(":")
        rating = {"y": "yes", "n": "no", "u": "unsure"}.get(letter)
        item = turn.library.items.get(item_id)
        if rating is None or item is None:
            return [self._menu(turn)]
        follow = (Choice(turn._("Add a comment"), f"cm:{item.id}"), self._back(turn))
        if not await self._store.first_time(rating_marker(turn.event.user_key, item.id), 365 * 86400):
            return [Reply(turn._("You already rated this. Thank you!"), turn.locale, follow)]
        if not await self._within_cap(turn):
            return [self._menu(turn, turn._("Thank you! You have given a lot of feedback today. Please come back tomorrow."))]
        await self._feedback.add([Feedback(kind="rating", channel=turn.event.channel, locale=turn.locale,
                                           content_id=item.id, theme=item.theme, rating=rating,
                                           **self._profile_fields(turn))])
        return [Reply(turn._("Thank you. Your answer helps us improve."), turn.locale, follow)]

    async def _save_comment(self, turn: Turn, text: str) -> list[Reply]:
        item_id = turn.session.last_item
        turn.session.state = "menu"
        if not item_id or not turn.session.consent:
            return [self._menu(turn)]
        if not await self._within_cap(turn):
            return [self._menu(turn, turn._("Thank you! You have given a lot of feedback today. Please come back tomorrow."))]
        country = self._profile_fields(turn)["current_country"] or turn.session.country
        await self._feedback.add_comment(item_id, turn.locale, turn.event.channel, text[:COMMENT_MAX], country)
        return [self._menu(turn, turn._("Thank you. We removed any numbers or addresses before keeping your comment."))]

    def _needs_question(self, turn: Turn) -> Reply:
        turn.session.state = "needs"
        chosen = set(turn.session.needs)
        choices = [Choice(("✓ " if need in chosen else "") + turn._(NEED_LABELS[need]), f"nd:{need}")
                   for need in NEEDS]
        choices.append(Choice(turn._("Done"), "nd:done"))
        choices.append(self._back(turn))
        text = turn._("What do you need now? Choose all that apply, then choose Done.")
        if chosen:
            text += "\n" + turn._("Chosen: {needs}").format(
                needs=", ".join(turn._(NEED_LABELS[n]) for n in turn.session.needs))
        return Reply(text, turn.locale, tuple(choices), replaces_menu=True)

    async def _need_step(self, turn: Turn, head: str, arg: str) -> list[Reply]:
        session = turn.session
        if not session.consent:
            return [self._consent(turn, "n")]
        if head == "nd":
            if arg in NEEDS:
                session.needs = [n for n in session.needs if n != arg] if arg in session.needs else session.needs + [arg]
                return [self._needs_question(turn)]
            if not session.needs:
                return [self._needs_question(turn)]
            choices = tuple(Choice(turn._(URGENCY_LABELS[u]), f"ur:{u}") for u in URGENCIES)
            return [Reply(turn._("How soon do you need it?"), turn.locale, choices + (Choice(turn._("Skip"), "ur:-"),))]
        if head == "ur":
            session.urgency = arg if arg in URGENCIES else None
            return [self._country_pick(turn, "nc", turn._("Where are you now? This is optional."))]
        # head == "nc": the last step writes the records
        country = arg if len(arg) == 2 else None
        needs, urgency = session.needs, session.urgency
        session.needs, session.urgency = [], None
        if not needs:
            return [self._menu(turn)]
        if not await self._within_cap(turn):
            return [self._menu(turn, turn._("Thank you! You have given a lot of feedback today. Please come back tomorrow."))]
        await self._feedback.add([Feedback(kind="need", channel=turn.event.channel, locale=turn.locale,
                                           need=need, urgency=urgency, country=country,
                                           **self._profile_fields(turn)) for need in needs])
        text = turn._("Thank you. Your answer helps organisations plan services for women.")
        choices: list[Choice] = []
        if country:
            choices.append(Choice(turn._("Services in {country}").format(country=turn.t.country(country)), f"sv:{country}"))
        choices += [Choice(turn._("Get help now"), "h"), self._back(turn)]
        turn.session.state = "menu"
        return [Reply(text, turn.locale, tuple(choices))]

    # -- optional profile ---------------------------------------------------------------

    _PROFILE_STEPS = ("pg", "pa", "po", "pn", "ps")

    def _profile_question(self, turn: Turn, step: int) -> Reply:
        session = turn.session
        session.state = "profile"
        session.profile_step = step
        skip_all = Choice(turn._("Skip these questions"), "px:")
        prefer_not = turn._("Prefer not to say")
        if step == 0:
            intro = turn._("A few optional questions about you. They help show what women need. Skip any of them.")
            choices = tuple(Choice(turn._(GENDER_LABELS[g]), f"pg:{g}") for g in GENDERS)
            return Reply(intro + "\n\n" + turn._("How do you describe yourself?"), turn.locale, choices + (skip_all,))
        if step == 1:
            choices = tuple(Choice(turn._(AGE_LABELS[a]) if a in ("under_18", "prefer_not") else AGE_LABELS[a], f"pa:{a}")
                            for a in AGE_BANDS)
            return Reply(turn._("How old are you?"), turn.locale, choices + (skip_all,))
        if step in (2, 3):
            head = self._PROFILE_STEPS[step]
            question = turn._("Which country are you from?") if step == 2 else turn._("Which country are you in now?")
            reply = self._country_pick(turn, head, question)
            choices = tuple(c if not c.payload.endswith(":-") else Choice(prefer_not, f"{head}:-") for c in reply.choices)
            return Reply(question, turn.locale, choices + (skip_all,))
        choices = tuple(Choice(turn._(label), f"ps:{stage}") for stage, label in STAGE_LABELS.items())
        return Reply(turn._("Where are you in your migration?"), turn.locale,
                     choices + (Choice(prefer_not, "ps:-"), skip_all))

    async def _profile_step(self, turn: Turn, head: str, arg: str) -> list[Reply]:
        session = turn.session
        profile = dict(session.profile or {})
        if head != "px":
            allowed = {"pg": GENDERS, "pa": AGE_BANDS, "ps": STAGES}.get(head)
            field = PROFILE_FIELDS[self._PROFILE_STEPS.index(head)]
            valid = (arg in allowed) if allowed else (len(arg) == 2 and arg.isalpha() and arg.isupper())
            profile[field] = arg if valid else "prefer_not"
            session.profile = profile
            step = self._PROFILE_STEPS.index(head) + 1
            if step < len(self._PROFILE_STEPS):
                return [self._profile_question(turn, step)]
        session.profile = profile  # asked once: even an empty profile means "don't ask again"
        pending, session.pending = session.pending, None
        session.state = "menu"
        return await self._on_payload(turn, pending or "fb")


def render_item(item: Item, t: Translator, library: Library) -> Reply:
    """The reply for one item, shared by the engine and the admin API's preview so both say the same."""
    _ = t.gettext
    tr = item.text(t.locale)
    sources = "; ".join(s.title for s in item.sources)
    sources_label = _("Sources")
    text = f"{tr.title}\n\n{tr.body}\n\n{sources_label}: {sources}"
    choices = [Choice(_(RATING_LABELS[r]), f"r:{r[0]}:{item.id}") for r in ("yes", "no", "unsure")]
    for rel in item.related[:2]:
        other = library.items.get(rel)
        if other is not None:
            choices.append(Choice(other.text(t.locale).title, f"i:{rel}"))
    choices.append(Choice(_(SECTION_LABELS[item.section]), f"s:{item.section}"))
    choices.append(Choice(_("Main menu"), "m"))
    link = next((s.url for s in item.sources if s.url), None)
    return Reply(text, t.locale, tuple(choices), link=link, short=f"{tr.title}: {tr.sms}")
