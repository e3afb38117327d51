"""SMS encoding and billing: every segment costs the CSO money, so count exactly as carriers do.

The oracles below are written independently of bot.sms_encoding: they encode to real GSM 03.38
septets / UTF-16 code units and split the unit stream the way an SMSC does (153 septets or 67
code units per part, backing off one unit rather than ending a part on ESC or a high
surrogate).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sms_encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsInfo,
    analyse,
    encoding_of,
    paginate,
    segment_count,
    split_segments,
    to_gsm,
)

# --- independent oracle -------------------------------------------------------------------

# 3GPP TS 23.038 default alphabet, code points 0x00..0x7F in order (0x1B is ESC)
GSM_TABLE = (
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1b\u00c6\u00e6\u00df\u00c9"
    " !\"#\u00a4%&'()*+,-./0123456789:;<=>?"
    "\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"
    "\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"
)
ESC = 0x1B
GSM_EXT_CODES = {"\x0c": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C,
                 "~": 0x3D, "]": 0x3E, "|": 0x40, "\u20ac": 0x65}
GSM_CODE = {c: i for i, c in enumerate(GSM_TABLE) if i != ESC}
GSM_EXT_DECODE = {v: k for k, v in GSM_EXT_CODES.items()}


def oracle_encoding(text: str) -> str:
    return "GSM-7" if all(c in GSM_CODE or c in GSM_EXT_CODES for c in text) else "UCS-2"


def gsm_septets(text: str) -> list[int]:
    out: list[int] = []
    for c in text:
        if c in GSM_CODE:
            out.append(GSM_CODE[c])
        else:
            out += [ESC, GSM_EXT_CODES[c]]
    return out


def gsm_decode(septets: list[int]) -> str:
    out, i = [], 0
    while i < len(septets):
        if septets[i] == ESC:
            out.append(GSM_EXT_DECODE[septets[i + 1]])
            i += 2
        else:
            out.append(GSM_TABLE[septets[i]])
            i += 1
    return "".join(out)


def utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def utf16_decode(units: list[int]) -> str:
    return b"".join(u.to_bytes(2, "big") for u in units).decode("utf-16-be")


def oracle_units(text: str, encoding: str | None = None) -> int:
    encoding = encoding or oracle_encoding(text)
    return len(gsm_septets(text)) if encoding == "GSM-7" else len(utf16_units(text))


def oracle_split(text: str) -> list[str]:
    """SMSC-style split of the unit stream, never ending a part on ESC / a high surrogate."""
    if not text:
        return []
    gsm = oracle_encoding(text) == "GSM-7"
    units = gsm_septets(text) if gsm else utf16_units(text)
    single, per_part = (160, 153) if gsm else (70, 67)
    if len(units) <= single:
        return [text]
    parts, i = [], 0
    while i < len(units):
        end = min(i + per_part, len(units))
        if end < len(units) and (units[end - 1] == ESC if gsm
                                 else 0xD800 <= units[end - 1] <= 0xDBFF):
            end -= 1
        parts.append(units[i:end])
        i = end
    return [gsm_decode(p) if gsm else utf16_decode(p) for p in parts]


# --- strategies ---------------------------------------------------------------------------

GSM_CHARS = sorted(GSM_CODE)
EXT_CHARS = sorted(GSM_EXT_CODES)
LOOKALIKES = list(
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u2010\u2011\u2012\u2013"
    "\u2014\u2015\u2212\u2026\u00a0\u202f\u2009\u2007\u3000\u200b\u200c\u200d\u00ad\u2022"
    "\u2023\u25e6\u00ab\u00bb\u2039\u203a\uff21\uff5a\uff01\uff3b\u00e1\u00ed\u00f3\u00fa"
    "\u00e7\u00e2\u00ea\u00ee\u00f4\u00fb\u00eb\u00ef\u00e3\u00f5\u00c1\u00cd\u00d3\u00da"
    "\u00ca\u0301\u0308\t`\u0153\u0142"
)
emoji = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
arabic = st.characters(min_codepoint=0x0621, max_codepoint=0x064A)
cyrillic = st.characters(min_codepoint=0x0410, max_codepoint=0x044F)
NON_LATIN_SCRIPTS = {
    "arabic": arabic,
    "cyrillic": cyrillic,
    "devanagari": st.characters(min_codepoint=0x0905, max_codepoint=0x0939),
    "ethiopic": st.characters(min_codepoint=0x1200, max_codepoint=0x1248),
    "cjk": st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    "hebrew": st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA),
    "thai": st.characters(min_codepoint=0x0E01, max_codepoint=0x0E30),
    "greek small": st.characters(min_codepoint=0x03B1, max_codepoint=0x03C9),
    "greek capitals with tonos": st.sampled_from("\u0386\u0388\u0389\u038a\u038c\u038e\u038f"),
}
mixed_char = st.one_of(
    st.sampled_from(GSM_CHARS), st.sampled_from(EXT_CHARS), st.sampled_from(LOOKALIKES),
    emoji, arabic, cyrillic,
)
latinish_char = st.one_of(
    st.sampled_from(GSM_CHARS), st.sampled_from(EXT_CHARS), st.sampled_from(LOOKALIKES),
)

texts = st.one_of(
    st.text(),  # full Unicode incl. astral; Python strs cannot hold lone surrogates
    st.text(min_size=100, max_size=500),
    st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=500),
    st.text(alphabet=st.sampled_from(GSM_CHARS + EXT_CHARS * 3), max_size=500),
    st.text(alphabet=st.one_of(st.sampled_from(GSM_CHARS), st.sampled_from(LOOKALIKES)),
            max_size=500),
    st.text(alphabet=st.one_of(st.sampled_from(GSM_CHARS), emoji), max_size=300),
    st.text(alphabet=st.one_of(arabic, st.sampled_from(" ،.؟")), max_size=300),
    st.text(alphabet=st.one_of(cyrillic, st.sampled_from(" ,.\u2019\u201c\u201d")),
            max_size=300),
    st.text(alphabet=mixed_char, max_size=500),
)

PROPS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the alphabet -------------------------------------------------------------------------


def test_tables_match_3gpp_23038():
    assert len(GSM_TABLE) == 128
    assert GSM7_BASIC == frozenset(GSM_CODE)
    assert len(GSM7_BASIC) == 127
    assert GSM7_EXTENSION == frozenset(GSM_EXT_CODES)
    assert not GSM7_BASIC & GSM7_EXTENSION
    # the Greek capitals are the real Greek letters, not look-alike symbols (Ohm sign...)
    assert "\u03a9" in GSM7_BASIC and "\u2126" not in GSM7_BASIC
    assert "\u00c7" in GSM7_BASIC and "\u00e7" not in GSM7_BASIC
    assert "`" not in GSM7_BASIC and "\t" not in GSM7_BASIC


# --- known answers ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), [
    ("", "GSM-7", 0, 0),
    ("Hello", "GSM-7", 5, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("\u20ac" * 80, "GSM-7", 160, 1),
    ("\u20ac" * 81, "GSM-7", 162, 2),
    ("{}[]", "GSM-7", 8, 1),
    ("\u0436" * 70, "UCS-2", 70, 1),
    ("\u0436" * 71, "UCS-2", 71, 2),
    ("\u0436" * 134, "UCS-2", 134, 2),
    ("\u0436" * 135, "UCS-2", 135, 3),
    ("\U0001F600", "UCS-2", 2, 1),
    ("\U0001F600" * 35, "UCS-2", 70, 1),
    ("\U0001F600" * 36, "UCS-2", 72, 2),
    ("It\u2019s", "UCS-2", 4, 1),
    ("Hello \u20ac\U0001F600", "UCS-2", 9, 1),  # € is 1 UTF-16 unit once in UCS-2
])
def test_known_answers(text, encoding, units, segments):
    info = analyse(text)
    assert info == SmsInfo(encoding=encoding, units=units, segments=segments,
                           characters=len(text))
    assert encoding_of(text) == encoding
    assert segment_count(text) == segments


def test_arabic_sentence_is_ucs2():
    text = "\u0645\u0631\u062d\u0628\u0627\u060c \u0643\u064a\u0641 \u062d\u0627\u0644\u0643\u061f"
    assert encoding_of(text) == "UCS-2"
    assert analyse(text).units == len(text)


def test_escape_pair_on_153_boundary_moves_whole_to_next_part():
    text = "a" * 152 + "\u20ac" + "b" * 10  # € would be septets 153 and 154
    parts = split_segments(text)
    assert parts == ["a" * 152, "\u20ac" + "b" * 10]
    assert parts == oracle_split(text)


def test_wasted_septet_costs_an_extra_segment():
    text = "a" * 152 + "\u20ac" + "a" * 152  # 306 septets: naive ceil(306/153) says 2
    assert analyse(text).units == 306
    assert split_segments(text) == ["a" * 152, "\u20ac" + "a" * 151, "a"]
    assert segment_count(text) == 3


def test_surrogate_pair_on_67_boundary_moves_whole_to_next_part():
    text = "\u0436" * 66 + "\U0001F600" + "\u0436" * 10  # emoji would be units 67 and 68
    assert split_segments(text) == ["\u0436" * 66, "\U0001F600" + "\u0436" * 10]
    wasteful = "\u0436" * 66 + "\U0001F600" + "\u0436" * 66  # 134 units, naive says 2
    assert analyse(wasteful).units == 134
    assert segment_count(wasteful) == 3


def test_split_edges():
    assert split_segments("") == []
    assert split_segments("Hi") == ["Hi"]
    assert split_segments("a" * 161) == ["a" * 153, "a" * 8]
    assert split_segments("\u20ac" * 81) == ["\u20ac" * 76, "\u20ac" * 5]


@pytest.mark.parametrize(("before", "after"), [
    ("It\u2019s", "It's"),
    ("\u201cSafe\u201d \u2014 call 112\u2026", '"Safe" - call 112...'),
    ("Ou\u0300 e\u0302tes-vous\u00a0? Ça va, garçon \u00abok\u00bb",
     'Où etes-vous ? Ça va, garcon "ok"'),
    ("\u00bfD\u00f3nde est\u00e1 la embajada?", "\u00bfDonde esta la embajada?"),
    ("\u2022 passport\n\u2022 visa", "- passport\n- visa"),
    ("Ｈｅｌｌｏ！", "Hello!"),
    ("co\u00adop\u200bera\u2011tion", "coopera-tion"),
    ("na\u00efve \u0153uvre", "naive oeuvre"),
])
def test_to_gsm_known_answers(before, after):
    assert encoding_of(before) == "UCS-2"
    assert to_gsm(before) == after
    assert encoding_of(after) == "GSM-7"


@pytest.mark.parametrize("text", [
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u2018\u0434\u0440\u0443\u0433\u2019 \u2014 "
    "\u0437\u0432\u043e\u043d\u0438\u0442\u0435 112",  # Russian with curly quotes and a dash
    "\u0645\u0631\u062d\u0628\u0627 \u201cok\u201d",  # Arabic with curly quotes
    "\u1230\u120b\u121d \u2019",  # Amharic
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u2026",  # Nepali
    "Call us \U0001F4DE \u2019now\u2019",  # emoji keeps it UCS-2: nothing to gain
    "Kraków \u2019ok\u2019 ł \u0394\u03c9",  # Greek small omega is not GSM
    "\u038f\u03a3 \u2019",  # Greek capital omega with tonos: Ω is GSM, but it's not Latin
    "Press 1\ufe0f\u20e3 \u2019now\u2019",  # keycap emoji marks sit on a digit, not a letter
])
def test_to_gsm_leaves_text_that_stays_ucs2_alone(text):
    assert to_gsm(text) == text


def test_to_gsm_leaves_gsm_text_alone():
    text = "Hello {world} \u20ac5 \u00c7a \u00e9t\u00e9"
    assert to_gsm(text) == text


def test_to_gsm_refuses_when_expansion_would_cost_more():
    text = "\u2026" * 200  # 200 UCS-2 units = 3 segments; "..." * 200 = 600 septets = 4
    assert segment_count("..." * 200) > segment_count(text)
    assert to_gsm(text) == text
    assert to_gsm("\u2026" * 10) == "." * 30


# --- properties of splitting and counting -------------------------------------------------


@PROPS
@given(texts)
def test_analyse_agrees_with_oracle(text):
    info = analyse(text)
    assert info.encoding == oracle_encoding(text) == encoding_of(text)
    assert info.units == oracle_units(text)
    assert info.characters == len(text)
    assert info.segments == len(oracle_split(text)) == segment_count(text)


@PROPS
@given(texts)
def test_split_matches_smsc_and_rejoins(text):
    parts = split_segments(text)
    assert "".join(parts) == text
    assert parts == oracle_split(text)
    assert len(parts) == segment_count(text)
    encoding = encoding_of(text)
    single, per_part = (160, 153) if encoding == "GSM-7" else (70, 67)
    limit = single if len(parts) == 1 else per_part
    for part in parts:
        assert part
        assert oracle_units(part, encoding) <= limit
        # whole surrogate pairs only: strict UTF-16 encoding of each part never fails
        assert len(part.encode("utf-16-le")) // 2 == len(utf16_units(part))
        if encoding == "GSM-7":
            assert gsm_decode(gsm_septets(part)) == part  # no part starts with a bare ext char
    if len(parts) > 1:  # septet accounting: total units equal the parts' units (no ESC lost)
        assert sum(oracle_units(p, encoding) for p in parts) == oracle_units(text)
        # greedy: the next part's first char would not have fit in the previous part
        for prev, nxt in zip(parts, parts[1:], strict=False):
            assert oracle_units(prev + nxt[0], encoding) > per_part


# --- properties of to_gsm -----------------------------------------------------------------


@PROPS
@given(texts)
def test_to_gsm_never_costs_more_and_is_idempotent(text):
    converted = to_gsm(text)
    assert segment_count(converted) <= segment_count(text)
    assert to_gsm(converted) == converted
    if converted != text:
        assert encoding_of(text) == "UCS-2"
        assert encoding_of(converted) == "GSM-7"


def _has_non_latin_letter(text: str) -> bool:
    prefixes = ("ARABIC", "CYRILLIC", "DEVANAGARI", "ETHIOPIC", "CJK", "HEBREW", "THAI",
                "HANGUL", "BENGALI", "TAMIL", "GEORGIAN", "ARMENIAN", "MYANMAR", "KHMER",
                "GREEK", "HIRAGANA", "KATAKANA", "SINHALA", "GUJARATI", "GURMUKHI")
    return any(unicodedata.category(c).startswith("L") and c not in GSM_CODE
               and unicodedata.name(c, "").startswith(prefixes) for c in text)


@PROPS
@given(texts)
def test_to_gsm_never_touches_non_latin_scripts_in_any_text(text):
    if _has_non_latin_letter(text):
        assert to_gsm(text) == text


@PROPS
@given(st.text(alphabet=latinish_char, max_size=200),
       st.sampled_from(sorted(NON_LATIN_SCRIPTS)).flatmap(lambda k: NON_LATIN_SCRIPTS[k]),
       st.text(alphabet=latinish_char, max_size=200))
def test_to_gsm_never_touches_text_with_a_non_latin_letter(before, letter, after):
    text = before + letter + after
    assert _has_non_latin_letter(text)
    assert to_gsm(text) == text


# --- paginate -----------------------------------------------------------------------------

SUFFIXES = ["", "\nReply MORE", " >>", "\n\u041e\u0442\u0432\u0435\u0442 \u0415\u0429\u0401",
            "\u2026"]
word_char = st.one_of(
    st.sampled_from([c for c in GSM_CHARS if not c.isspace()]),
    st.sampled_from(EXT_CHARS[1:]),  # EXT_CHARS[0] is form feed, a space
    cyrillic, arabic, emoji,
)
words = st.text(alphabet=word_char, min_size=1, max_size=20)
separators = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "! ", "?\n", "  "])
prose = st.lists(st.tuples(words, separators), max_size=120).map(
    lambda xs: "".join(w + s for w, s in xs))


def _unsuffixed(pages: list[str], suffix: str) -> list[str]:
    out = []
    for i, page in enumerate(pages):
        if i < len(pages) - 1 and suffix:
            assert page.endswith(suffix)
            page = page[: -len(suffix)]
        out.append(page)
    return out


def _check_pages(text: str, pages: list[str], max_segments: int, suffix: str) -> list[str]:
    if segment_count(text) <= max_segments:
        assert pages == [text]
    for page in pages:
        assert segment_count(page) <= max_segments
    bodies = _unsuffixed(pages, suffix)
    for body in bodies[:-1]:
        assert body.strip()
    assert "".join("".join(b.split()) for b in bodies) == "".join(text.split())
    return bodies


@PROPS
@given(prose, st.integers(min_value=1, max_value=4), st.sampled_from(SUFFIXES))
def test_paginate_fits_budget_and_keeps_words(text, max_segments, suffix):
    pages = paginate(text, max_segments, suffix)
    bodies = _check_pages(text, pages, max_segments, suffix)
    # words of <= 20 chars always fit a page, so no word is ever cut in two
    assert [w for b in bodies for w in b.split()] == text.split()


@PROPS
@given(texts, st.integers(min_value=1, max_value=3), st.sampled_from(SUFFIXES))
def test_paginate_any_text(text, max_segments, suffix):
    _check_pages(text, paginate(text, max_segments, suffix), max_segments, suffix)


def test_paginate_prefers_paragraphs_then_sentences():
    para1 = ("Your passport belongs to you. No employer, agent or landlord may keep it, "
             "even for safekeeping.")
    para2 = ("If someone holds your documents, you can ask the embassy for help. "
             "Call the hotline any time, day or night, free of charge from any phone.")
    text = para1 + "\n\n" + para2
    assert segment_count(text) == 2
    pages = paginate(text, 1, "\nReply MORE")
    assert pages == [para1 + "\nReply MORE", para2]

    long_para = " ".join(f"Sentence number {i} is here." for i in range(12))
    pages = paginate(long_para, 1, " >>")
    for page in pages[:-1]:
        assert page.endswith(". >>")  # cut after a full stop, not mid-sentence
    assert " ".join(p.removesuffix(" >>") for p in pages) == long_para


def test_paginate_does_not_waste_a_page_on_a_short_first_paragraph():
    text = "Hi.\n\n" + " ".join(f"Sentence number {i} is here." for i in range(10))
    pages = paginate(text, 1, " >>")
    assert len(pages[0]) > 100
    assert pages[0].startswith("Hi.\n\nSentence number 0")


def test_paginate_falls_back_to_words_then_hard_split():
    text = ("word " * 60).strip()
    pages = paginate(text, 1)
    assert len(pages) == 2 and all(p.split() for p in pages)
    assert " ".join(pages).split() == text.split()

    long_word = "x" * 400
    pages = paginate(long_word, 1, "+")
    assert pages == ["x" * 159 + "+", "x" * 159 + "+", "x" * 82]


def test_paginate_keeps_combining_marks_and_surrogates_with_their_base():
    text = "e\u0301" * 100  # decomposed é: UCS-2, 200 units
    pages = paginate(text, 1)
    assert "".join(pages) == text
    assert all(not unicodedata.combining(p[0]) for p in pages)
    family = "\U0001F469\u200d\U0001F469\u200d\U0001F467"  # one emoji grapheme, 8 units
    pages = paginate(family * 20, 1)
    assert "".join(pages) == family * 20
    assert all(p.startswith(family) for p in pages)


def test_paginate_fitting_text_is_returned_as_is():
    assert paginate("  Hi there  ", 1, "MORE") == ["  Hi there  "]
    assert paginate("", 1) == [""]


def test_paginate_rejects_impossible_budgets():
    with pytest.raises(ValueError):
        paginate("a" * 500, 0)
    with pytest.raises(ValueError):
        paginate("a" * 500, 1, "\u0436" * 69)
