"""What goes into and comes out of the conversation engine: no channel types, just data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from bot.addresses import Address


@dataclass(frozen=True)
class Event:
    """One thing a woman did: typed text, or pressed / replied with a choice."""

    channel: str  # telegram | sms | whatsapp | console
    user_key: str  # keyed hash from bot.privacy, never a raw id
    text: str | None = None
    payload: str | None = None  # a Choice.payload she picked
    locale_hint: str | None = None  # e.g. Telegram's language_code
    unsupported: str | None = None  # sticker, photo, voice...: what she sent that we can't read
    country_hint: str | None = None  # her SIM's country (SMS): suggested to her, never assumed
    event_id: str | None = None  # keyed hash of the gateway's message id: what she gives counts once
    # where an answer to "Ask a person" can reach her (Telegram chat id; SMS phone + gateway),
    # filled by the channel; lives only in this event: never in the session, never logged
    reply_to: Address | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Choice:
    label: str
    payload: str  # short ASCII, at most 40 bytes: it rides in Telegram's callback data


@dataclass(frozen=True)
class Reply:
    """One message to send. `short` is the SMS form of a long text, when there is one."""

    text: str
    locale: str
    choices: tuple[Choice, ...] = ()
    link: str | None = None
    short: str | None = None
    replaces_menu: bool = False  # a navigation step: may edit the previous menu in place
    # only library and catalog text, the same for every woman who gets it (nothing of hers,
    # no code of her question): a channel may lay it out once and keep the layout
    shared: bool = False


# what the next typed text means: a menu search, a language name, a comment to keep, a
# country's name (for the question in Session.country_for), or her question to a person
State = Literal["menu", "lang", "comment", "country", "question"]
STATES: tuple[str, ...] = get_args(State)


@dataclass(frozen=True)
class TurnResult:
    """What the engine hands back to a channel for one event."""

    replies: list[Reply]
    locale: str  # her language after this turn
    forgotten: bool = False  # she just deleted her data: keep nothing more under her key


@dataclass
class Session:
    """Everything the bot remembers about one keyed-hash user, kept in the session store."""

    locale: str | None = None
    state: State = "menu"
    stage: str | None = None  # her migration stage, if she chose to say it
    country: str | None = None  # the country she asked about, if she chose to say it
    country_for: str | None = None  # the payload head a typed country name answers
    sim_country: str | None = None  # her SIM's country (SMS): offered in HELP for her to confirm
    choices: list[str] = field(default_factory=list)  # payloads of the last reply, for "reply 2"
    last_item: str | None = None
    consent: bool | None = None
    profile: dict[str, str] | None = None
    pending: str | None = None  # the feedback action waiting for consent
    needs: list[str] = field(default_factory=list)
    urgency: str | None = None

    @classmethod
    def from_dict(cls, data: dict | None) -> "Session":
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("state") not in STATES:  # sessions saved by older versions
            known["state"] = "menu"
        return cls(**known)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}
