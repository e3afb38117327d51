"""Keyword search over the published content, one small inverted index per language.

Hand-written because the library is a few hundred short texts per language held in memory:
a search engine would be a server to run for what a dict does in microseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable


def _mark_ranges() -> str:
    """Every combining mark of the Basic Multilingual Plane as a regex class body: Python's
    `\\w` leaves them out, which cuts Devanagari, Bengali and Sinhala words at every vowel sign."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


WORD_CHARS = r"\w" + _mark_ranges() + r"\u200c\u200d"  # letters, digits, marks, ZWNJ and ZWJ
_WORD = re.compile(f"[{WORD_CHARS}]+")
_NOT_WORD = re.compile(f"[^{WORD_CHARS}\\s/]+")
WEIGHTS = {"keywords": 5.0, "title": 3.0, "sms": 1.0, "body": 1.0}
# Accents on Latin, Greek and Cyrillic letters and Arabic's short vowels are dropped, so
# "Pasaporte" finds "pasaporte" and "عَمَل" finds "عمل". Marks that are letters' vowels in
# other scripts (Devanagari, Bengali, Sinhala, Ethiopic...) are the word itself and stay.
_DROPPED_MARKS = frozenset(
    [*range(0x0300, 0x0370), *range(0x064B, 0x0660), 0x0670, *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00),
     *range(0x20D0, 0x2100), *range(0xFE20, 0xFE30)])
# joiners change how a conjunct is drawn, not the word (Sinhala "ශ්‍රී" is typed both ways);
# the tatweel only stretches Arabic
_INVISIBLE = [0x200C, 0x200D, 0x0640, 0x00AD, 0xFEFF]
_DROP = dict.fromkeys([*_DROPPED_MARKS, *_INVISIBLE])  # one str.translate pass, in C


def normalise(text: str) -> str:
    """Casefold, drop accents and Arabic vowel marks, keep other scripts' vowel signs, and drop
    joiners, so the same word typed in different ways is one token."""
    return unicodedata.normalize("NFKD", text.casefold()).translate(_DROP)


def without_punctuation(text: str) -> str:
    """Punctuation of any script (Ethiopic ። ፣, the danda ।, Arabic ،) as spaces; '/' is kept."""
    return _NOT_WORD.sub(" ", text)


def tokens(text: str) -> list[str]:
    return [t for t in _WORD.findall(normalise(text)) if len(t) > 1 and not t.isdigit()]


class SearchIndex:
    """token -> {doc id: weight}; prefixes of 4+ letters match, a cheap stemmer for all scripts."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[str, float]] = defaultdict(dict)
        self._prefixes: dict[str, set[str]] = defaultdict(set)

    def add(self, doc_id: str, fields: Iterable[tuple[str, str]]) -> None:
        for field, text in fields:
            weight = WEIGHTS[field]
            for tok in tokens(text):
                postings = self._postings[tok]
                postings[doc_id] = max(postings.get(doc_id, 0.0), weight)
                if len(tok) >= 4:
                    for n in range(4, len(tok) + 1):
                        self._prefixes[tok[:n]].add(tok)

    def _matches(self, tok: str) -> set[str]:
        found = {tok} if tok in self._postings else set()
        if len(tok) >= 4:
            found |= self._prefixes.get(tok, set())  # query is a prefix of an indexed word
            for n in range(len(tok) - 1, 3, -1):  # an indexed word is a prefix of the query
                if tok[:n] in self._postings:
                    found.add(tok[:n])
                    break
        return found

    def search(self, text: str, limit: int = 3) -> list[str]:
        scores: dict[str, float] = defaultdict(float)
        for tok in set(tokens(text)):
            for match in self._matches(tok):
                exact = 1.0 if match == tok else 0.6
                for doc_id, weight in self._postings[match].items():
                    scores[doc_id] += weight * exact
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [doc_id for doc_id, _ in ranked[:limit]]
