"""Keyword search over the published content, one small inverted index per language.

Hand-written because the library is a few hundred short texts per language held in memory:
a search engine would be a server to run for what a dict does in microseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable

_WORD = re.compile(r"\w+", re.UNICODE)
WEIGHTS = {"keywords": 5.0, "title": 3.0, "sms": 1.0, "body": 1.0}


def normalise(text: str) -> str:
    """Casefold and drop diacritics and Arabic vowel marks, so 'Pasaporte' finds 'pasaporte'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ـ", "")


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
