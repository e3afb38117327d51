"""Her question as text: cleaning, checking, masking, and the danger words that make it urgent."""

from __future__ import annotations

import unicodedata

from bot.keywords import KEYWORDS, emergency
from bot.privacy import scrub
from bot.search import normalise, without_punctuation

# Words and phrases that mark a question urgent wherever they appear, in every shipped
# language: the unambiguous emergency words of bot/keywords.py's HELP list (its plain "help",
# "help me" words count only in a short message, as in the chat: bot.keywords.emergency, since
# "can you help me understand my contract" is no emergency) and signs of violence,
# confinement or threat. Over-marking costs a responder a look; missing one costs more.
DANGER_WORDS: dict[str, tuple[str, ...]] = KEYWORDS.get("danger", {})  # locales/<code>/words.yaml
# languages that attach conjunctions and prepositions to the word (Arabic و، ف، ب): matched inside words
INSIDE_WORDS = frozenset({"ar"})


def _clean_words(text: str) -> str:
    # normalise() drops diacritics, so "frappée" and "violación" match their plain spellings
    return " " + " ".join(without_punctuation(normalise(text).replace("ё", "е")).replace("/", " ").split()) + " "


_PHRASES = tuple(sorted({_clean_words(w) for loc, words in DANGER_WORDS.items() if loc not in INSIDE_WORDS
                         for w in words}))
_INSIDE = tuple(sorted({_clean_words(w).strip() for loc in INSIDE_WORDS for w in DANGER_WORDS.get(loc, ())}))


def is_urgent(text: str) -> bool:
    """True when the text holds a danger word or phrase, in any shipped language."""
    if emergency(text):
        return True
    cleaned = _clean_words(text)
    return any(p in cleaned for p in _PHRASES) or any(p in cleaned for p in _INSIDE)


def clean(text: str) -> str:
    """Drop control and format characters (keeping line breaks), trim each line."""
    kept = []
    for ch in text:
        if ch in "\n\t":
            kept.append(ch)
        elif unicodedata.category(ch)[0] == "C" and ch != "\u200d":  # ZWJ joins emoji
            continue
        else:
            kept.append(ch)
    lines = [" ".join(line.split()) for line in "".join(kept).split("\n")]
    return "\n".join(line for line in lines if line).strip()


def problem(text: str, max_chars: int) -> str | None:
    """Why a question cannot be taken ("empty", "too_long"), or None. Emoji only counts as empty."""
    if not any(ch.isalnum() for ch in text):
        return "empty"
    if len(text) > max_chars:
        return "too_long"
    return None


def mask(text: str) -> str:
    """Phone numbers, e-mail addresses, links and ID-like numbers masked, as feedback comments."""
    return scrub(text)
