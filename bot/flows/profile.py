"""The optional profile, asked once after consent: gender, age band, origin, where she is, stage.

Every answer can be "prefer not to say", and "skip these questions" ends it; the answers go
into her feedback records as coarse fields, never with anything that identifies her.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content_model import STAGES
from bot.conversation import Choice, Reply
from bot.feedback import AGE_BANDS, GENDERS, PROFILE_FIELDS
from bot.flows.screens import country_pick, is_country
from bot.labels import AGE_LABELS, GENDER_LABELS, STAGE_LABELS, TRANSLATED_AGE_LABELS
from bot.payloads import SKIP, Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn

# the questions in order, each with the profile field its answer fills
STEPS: tuple[tuple[Head, str], ...] = tuple(zip(
    (Head.PROFILE_GENDER, Head.PROFILE_AGE, Head.PROFILE_ORIGIN, Head.PROFILE_NOW, Head.PROFILE_STAGE),
    PROFILE_FIELDS, strict=True))
ALLOWED = {Head.PROFILE_GENDER: GENDERS, Head.PROFILE_AGE: AGE_BANDS, Head.PROFILE_STAGE: STAGES}
NOT_SAID = ("prefer_not", SKIP)


def profile_fields(turn: Turn) -> dict[str, str | None]:
    """Her answers as record fields; "prefer not to say" and skipped ones are None."""
    profile = turn.session.profile or {}
    return {f: (None if profile.get(f) in (None, *NOT_SAID) else profile.get(f)) for f in PROFILE_FIELDS}


def _gender(turn: Turn) -> tuple[str, tuple[Choice, ...]]:
    intro = turn._("A few optional questions about you. They help show what women need. Skip any of them.")
    choices = tuple(Choice(turn._(GENDER_LABELS[g]), pay(Head.PROFILE_GENDER, g)) for g in GENDERS)
    return intro + "\n\n" + turn._("How do you describe yourself?"), choices


def _age(turn: Turn) -> tuple[str, tuple[Choice, ...]]:
    choices = tuple(Choice(turn._(AGE_LABELS[a]) if a in TRANSLATED_AGE_LABELS else AGE_LABELS[a],
                           pay(Head.PROFILE_AGE, a)) for a in AGE_BANDS)
    return turn._("How old are you?"), choices


def _country(turn: Turn, head: Head, question: str) -> tuple[str, tuple[Choice, ...]]:
    return question, country_pick(turn, head, question, skip_label=turn._("Prefer not to say")).choices


def _stage(turn: Turn) -> tuple[str, tuple[Choice, ...]]:
    choices = tuple(Choice(turn._(label), pay(Head.PROFILE_STAGE, stage)) for stage, label in STAGE_LABELS.items())
    return turn._("Where are you in your migration?"), choices + (
        Choice(turn._("Prefer not to say"), pay(Head.PROFILE_STAGE, SKIP)),)


def _origin(turn: Turn) -> tuple[str, tuple[Choice, ...]]:
    return _country(turn, Head.PROFILE_ORIGIN, turn._("Which country are you from?"))


def _now(turn: Turn) -> tuple[str, tuple[Choice, ...]]:
    return _country(turn, Head.PROFILE_NOW, turn._("Which country are you in now?"))


QUESTIONS = (_gender, _age, _origin, _now, _stage)  # in the order of STEPS


def profile_question(turn: Turn, step: int) -> Reply:
    text, choices = QUESTIONS[step](turn)
    return Reply(text, turn.locale, choices + (Choice(turn._("Skip these questions"), pay(Head.PROFILE_SKIP)),))


async def _finish(turn: Turn) -> list[Reply]:
    session = turn.session
    session.profile = dict(session.profile or {})  # asked once: even an empty profile means "don't ask again"
    pending, session.pending = session.pending, None
    session.state = "menu"
    return await turn.run(pending or Head.FEEDBACK)


def _answer(head: Head):
    step = [h for h, _ in STEPS].index(head)
    field = STEPS[step][1]
    allowed = ALLOWED.get(head)

    async def on_answer(turn: Turn, arg: str) -> list[Reply]:
        valid = (arg in allowed) if allowed else is_country(arg)
        turn.session.profile = {**(turn.session.profile or {}), field: arg if valid else "prefer_not"}
        if step + 1 < len(STEPS):
            return [profile_question(turn, step + 1)]
        return await _finish(turn)

    on_answer.__name__ = f"on_{field}"
    return on_answer


async def on_skip(turn: Turn, arg: str) -> list[Reply]:
    return await _finish(turn)


HANDLERS = {**{head: _answer(head) for head, _ in STEPS}, Head.PROFILE_SKIP: on_skip}
