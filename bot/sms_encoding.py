"""SMS encoding, billed-segment counting, GSM look-alike replacement and paging.

Every SMS the service sends costs the CSO money, and carriers bill per *segment*, not per
message. A text made only of GSM 03.38 characters travels as 7-bit GSM-7 (160 septets in a
single SMS, 153 per part once concatenated); one character outside that alphabet switches
the whole message to UCS-2/UTF-16 (70 code units single, 67 per part). So a single curly
apostrophe in an English reply can more than double its cost, while Arabic, Russian or
Amharic replies are UCS-2 whatever we do. This module counts exactly what carriers count,
swaps typographic look-alikes for their GSM-7 equivalents only when that makes the whole
message GSM-7 (never touching non-Latin text), and cuts long replies into pages that fit a
segment budget. Pure standard library, no I/O. National-language shift tables (Turkish,
Portuguese, Indian scripts) are deliberately not used: carrier support is patchy.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "SmsInfo",
    "analyse",
    "encoding_of",
    "segment_count",
    "split_segments",
    "to_gsm",
    "paginate",
    "cut_point",
]

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet in code order 0x00..0x7F; 0x1B (ESC) is the escape to the
# extension table, not a character, so it is left out of the set.
_GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_BASIC: frozenset[str] = frozenset(_GSM7_TABLE) - {"\x1b"}
"""Characters that cost one septet: the GSM 03.38 default alphabet."""

GSM7_EXTENSION: frozenset[str] = frozenset("^{}\\[~]|€\x0c")
"""Characters that cost two septets (ESC + char): the GSM 03.38 extension table."""

_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION

_SINGLE_LIMIT = {"GSM-7": 160, "UCS-2": 70}
_PART_LIMIT = {"GSM-7": 153, "UCS-2": 67}  # the rest of each part is the concatenation header


@dataclass(frozen=True)
class SmsInfo:
    """What a carrier will do with a text: encoding, billed units and billed segments."""

    encoding: Encoding
    units: int  # septets for GSM-7 (extension chars count 2), UTF-16 code units for UCS-2
    segments: int  # billed SMS parts, counted by actually splitting (see split_segments)
    characters: int  # code points


def encoding_of(text: str) -> Encoding:
    """GSM-7 when every character is in the GSM 03.38 tables, else UCS-2 for the whole text."""
    return "GSM-7" if _GSM7_ALL.issuperset(text) else "UCS-2"


def _cost(char: str, encoding: Encoding) -> int:
    """Units one code point takes: escape pairs and surrogate pairs take two."""
    if encoding == "GSM-7":
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


_EXTENSION_CHARS = tuple(GSM7_EXTENSION)


def _units(text: str, encoding: Encoding) -> int:
    """Total septets (GSM-7) or UTF-16 code units (UCS-2), counted in C: this runs many
    times for every reply the bot pages."""
    if encoding == "GSM-7":
        return len(text) + sum(map(text.count, _EXTENSION_CHARS))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2  # a lone surrogate is one unit


def _part_bounds(text: str, encoding: Encoding) -> Iterator[tuple[int, int]]:
    """Code-point spans of the carrier's concatenated parts: greedy, pairs never split."""
    limit = _PART_LIMIT[encoding]
    if _units(text, encoding) == len(text):  # every code point one unit: no pair to keep whole
        for start in range(0, len(text), limit):
            yield start, min(start + limit, len(text))
        return
    start, used = 0, 0
    for i, char in enumerate(text):
        cost = _cost(char, encoding)
        if used + cost > limit:  # an escape or surrogate pair would straddle: move it whole
            yield start, i
            start, used = i, 0
        used += cost
    yield start, len(text)


def _analyse(text: str) -> SmsInfo:
    """One pass shared by every public counter."""
    encoding = encoding_of(text)
    units = _units(text, encoding)
    if units == 0:
        segments = 0
    elif units <= _SINGLE_LIMIT[encoding]:
        segments = 1
    elif units == len(text):  # no escape or surrogate pair: plain division
        segments = -(-units // _PART_LIMIT[encoding])
    else:
        segments = sum(1 for _ in _part_bounds(text, encoding))
    return SmsInfo(encoding=encoding, units=units, segments=segments, characters=len(text))


def analyse(text: str) -> SmsInfo:
    """Encoding, units, billed segments and length of text, as a carrier would bill it."""
    return _analyse(text)


def segment_count(text: str) -> int:
    """How many SMS a carrier bills for text (0 for the empty string)."""
    return _analyse(text).segments


def split_segments(text: str) -> list[str]:
    """The parts a carrier sends: never splits an escape pair or a surrogate pair."""
    if not text:
        return []
    encoding = encoding_of(text)
    if _units(text, encoding) <= _SINGLE_LIMIT[encoding]:
        return [text]
    return [text[a:b] for a, b in _part_bounds(text, encoding)]


# --- look-alike replacement -------------------------------------------------------------

_REPLACEMENTS: dict[str, str] = {}


def _map(chars: str, to: str) -> None:
    """Register one GSM-7 stand-in for several look-alikes."""
    for c in chars:
        _REPLACEMENTS[c] = to


_map("\u2018\u2019\u201a\u201b\u2032\u2035\u00b4`\u2039\u203a\u275b\u275c", "'")
_map("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u275d\u275e", '"')
_map("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63", "-")
_map("\u2022\u2023\u25e6\u2043\u2219\u25cf\u25aa", "-")  # bullets
_map("\t", " ")
_map("\u2028\u2029\x85", "\n")
# invisible: zero-width space/joiners, word joiner, BOM, direction marks, soft hyphen. ZWNJ
# and ZWJ matter in Persian, Indic scripts and emoji, but those never become GSM-7, so the
# all-or-nothing rule in to_gsm keeps them there.
_map("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u00ad", "")
_REPLACEMENTS["\u2026"] = "..."
# Latin letters with no canonical decomposition to strip
_REPLACEMENTS.update({"đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "ħ": "h", "Ħ": "H",
                      "ŧ": "t", "Ŧ": "T", "œ": "oe", "Œ": "OE"})
# Hausa's hooked letters, as Hausa speakers write them on phones (b d k y). Its glottal stop ʼ
# is a modifier letter, not Latin: like every letter of another script it is never replaced.
_REPLACEMENTS.update({"ɓ": "b", "Ɓ": "B", "ɗ": "d", "Ɗ": "D", "ƙ": "k", "Ƙ": "K", "ƴ": "y", "Ƴ": "Y"})


def _is_latin_letter(char: str) -> bool:
    """Latin-script letter (so stripping its accents keeps a readable Latin word)."""
    return unicodedata.name(char, "").startswith("LATIN ")


def _replace_char(char: str) -> str:
    """GSM-7 stand-in for one character, or the character itself when there is none."""
    if char in _GSM7_ALL:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E:  # fullwidth ASCII forms
        return _replace_char(chr(code - 0xFEE0))
    if unicodedata.category(char) == "Zs":  # no-break, narrow, thin, figure, ideographic...
        return " "
    if _is_latin_letter(char):
        base = "".join(c for c in unicodedata.normalize("NFD", char)
                       if not unicodedata.category(c).startswith("M"))
        if base and all(c in _GSM7_ALL for c in base):
            return base
    return char


@functools.lru_cache(maxsize=4096)
def _char_class(char: str) -> tuple[bool, bool, str]:
    """(combining mark, Latin letter, GSM-7 stand-in) of one character, worked out once:
    to_gsm runs over every reply the bot sends, character by character."""
    if unicodedata.category(char).startswith("M"):
        return True, False, char
    return False, _is_latin_letter(char), _replace_char(char)


def _hopeless(text: str) -> bool:
    """Some character has no GSM-7 stand-in (and is no combining mark, which may be dropped):
    the whole text stays UCS-2 whatever to_gsm does (Arabic, Russian, a language list)."""
    for char in set(text) - _GSM7_ALL:
        mark, _, stand_in = _char_class(char)
        if not mark and not _GSM7_ALL.issuperset(stand_in):
            return True
    return False


def to_gsm(text: str) -> str:
    """Swap look-alikes (curly quotes, dashes, odd spaces, accents) for GSM-7 ones, but only
    when that makes the whole text GSM-7 and costs no more segments; else return text as is.
    """
    if encoding_of(text) == "GSM-7":
        return text
    normal = unicodedata.normalize("NFC", text)
    if _hopeless(normal):
        return text
    out: list[str] = []
    after_latin = False
    for char in normal:
        mark, latin, stand_in = _char_class(char)
        if mark:
            if after_latin:  # a leftover combining accent on a Latin letter: drop it
                continue
            out.append(char)
            continue
        after_latin = latin
        out.append(stand_in)
    result = "".join(out)
    if encoding_of(result) != "GSM-7" or segment_count(result) > segment_count(text):
        return text  # meaning-safe: non-Latin text, or still UCS-2, is never altered
    return result


# --- paging ------------------------------------------------------------------------------

_PARAGRAPH = re.compile(r"\n[^\S\n]*\n")
_LINE = re.compile(r"\n")
_SENTENCE = re.compile(r"[.!?\u2026\u3002\uff01\uff1f\u061f\u06d4\u0964\u0965\u1362\u1367]"
                       r"[\"'\u201d\u2019\u00bb)\]]*(?=\s)")
_WORD = re.compile(r"\s+")
_WIDEST_CHAR = "\U0001F600"  # forces UCS-2 and takes 2 units: the most one code point costs


def _is_grapheme_start(text: str, i: int) -> bool:
    """Cheap grapheme test: don't cut before a combining mark, ZWJ, variation selector or
    skin-tone modifier, after a ZWJ, or between CR and LF."""
    char, prev = text[i], text[i - 1]
    code = ord(char)
    if unicodedata.category(char).startswith("M") or char == "\u200d" or prev == "\u200d":
        return False
    if 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return False
    return not (prev == "\r" and char == "\n")


def _longest_fit(rest: str, fits, bound: int) -> int:  # type: ignore[no-untyped-def]
    """The longest prefix (at a grapheme boundary) that fits. fits is monotone in the prefix
    length, so bisect over every length for the longest that fits, then step back to the
    grapheme boundary at or before it (only those few characters are looked at)."""
    lo, hi = 0, bound + 1  # fits(lo) is taken as true, fits(hi) as false
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    for p in range(lo, 0, -1):
        if _is_grapheme_start(rest, p):
            return p
    return next(p for p in range(bound, 0, -1) if fits(p))  # one grapheme bigger than a page


def _counted_fit(rest: str, bound: int, max_segments: int, suffix: str):  # type: ignore[no-untyped-def]
    """fits(p): does the page rest[:p] (right-stripped) + suffix stay within max_segments?

    When every possible page has the same encoding and one unit per code point (all GSM-7
    without extension characters, or a UCS-2 suffix and no surrogate pairs), the count is
    plain arithmetic on the page's length; otherwise each page is counted in full."""
    whole = rest[: bound + 1] + suffix
    encoding = encoding_of(whole)
    plain = _units(whole, encoding) == len(whole) and (encoding == "GSM-7" or encoding_of(suffix) == "UCS-2")
    if not plain:
        return lambda p: segment_count(rest[:p].rstrip() + suffix) <= max_segments
    single, part = _SINGLE_LIMIT[encoding], _PART_LIMIT[encoding]
    most = single if max_segments == 1 else part * max_segments

    def fits(p: int) -> bool:
        return len(rest[:p].rstrip()) + len(suffix) <= most

    return fits


def cut_point(rest: str, max_segments: int, suffix: str) -> int:
    """Where to end the next page of rest: the latest paragraph, line or sentence break that
    still fills at least half a page, else the latest word break, else a hard cut."""

    # a page can't hold more code points than its best-case units (every char >= 1 unit)
    bound = min(len(rest) - 1, 160 if max_segments == 1 else 153 * max_segments)
    fits = _counted_fit(rest, bound, max_segments, suffix)
    longest = _longest_fit(rest, fits, bound)

    for pattern, at_end in ((_PARAGRAPH, False), (_LINE, False), (_SENTENCE, True)):
        for p in sorted((m.end() if at_end else m.start()
                         for m in pattern.finditer(rest, 0, longest + 1)), reverse=True):
            if p * 2 < longest:
                break
            if 0 < p <= longest and fits(p):
                return p
    for p in sorted((m.start() for m in _WORD.finditer(rest, 0, longest + 1)), reverse=True):
        if 0 < p <= longest and fits(p):
            return p
    return longest


def paginate(text: str, max_segments: int, more_suffix: str = "") -> list[str]:
    """Cut a long reply into pages of at most max_segments billed SMS each, suffix included,
    breaking at paragraphs, then lines and sentences, then words, so no page costs more."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if segment_count(text) <= max_segments:
        return [text]
    if segment_count(_WIDEST_CHAR + more_suffix) > max_segments:
        raise ValueError("more_suffix leaves no room for text within max_segments")
    pages: list[str] = []
    rest = text.strip()
    while segment_count(rest) > max_segments:
        cut = cut_point(rest, max_segments, more_suffix)
        pages.append(rest[:cut].rstrip() + more_suffix)
        rest = rest[cut:].lstrip()
    pages.append(rest)
    return pages

