"""SMS rendering: numbered choices, the short form and MORE pages, the segment budget, and
GSM-7 for Latin-script replies, over the whole content library in every language."""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import keywords
from bot.channels.sms_render import choices_block, gsm, plan_reply, render_sms
from bot.config import ROOT
from bot.content_files import read_library
from bot.conversation import Choice, Reply
from bot.engine import render_item
from bot.i18n import catalogs_for
from bot.languages import shipped_locales
from bot.library import Library
from bot.sms_encoding import encoding_of, segment_count
from tests.bot.channels.sms_helpers import billed_segments, has_non_latin_letter, is_gsm


@lru_cache(maxsize=1)
def library() -> Library:
    files = read_library(ROOT / "content")
    return Library(items=files.items, services=list(files.services.values()))


def t(locale: str):
    return catalogs_for(str(ROOT / "locales")).get(locale)


def test_choices_are_numbered_in_the_engines_order_and_the_menu_is_zero() -> None:
    reply = Reply("Pick one", "en", (Choice("Yes, helpful", "r:y:x"), Choice("Not helpful", "r:n:x"),
                                     Choice("Main menu", "m")))
    assert choices_block(reply, t("en")) == "Reply with a number:\n1 Yes, helpful\n2 Not helpful\n0 Main menu"
    fr = choices_block(Reply("x", "fr", (Choice("Oui", "ok:y"),)), t("fr"))
    assert fr == "Répondez par un numéro :\n1 Oui\n0 Menu principal"
    languages = Reply("x", "en", (Choice("English", "l:en"), Choice("العربية", "l:ar")))
    assert "\n0 " not in choices_block(languages, t("en"))  # no menu before a language is chosen
    assert choices_block(Reply("x", "en"), t("en")) == ""


def test_the_check_mark_of_chosen_needs_does_not_force_ucs2() -> None:
    reply = Reply("What do you need now?", "en", (Choice("✓ Legal advice", "nd:legal_aid"), Choice("Done", "nd:done")))
    (text,) = render_sms(reply, t("en"), 3)
    assert "* Legal advice" in text and encoding_of(text) == "GSM-7"


def test_a_short_reply_is_one_sms_and_nothing_is_paged() -> None:
    plan = plan_reply(Reply("Language saved.", "en", (Choice("Yes", "ok:y"),)), t("en"), 3)
    assert plan.now == ["Language saved.\n\nReply with a number:\n1 Yes\n0 Main menu"] and plan.later == []


@pytest.mark.parametrize("locale", shipped_locales())
@pytest.mark.parametrize("cap", [1, 3])
def test_every_item_in_every_language_fits_the_budget_and_the_right_encoding(locale, cap) -> None:
    lib = library()
    translator = t(locale)
    more = gsm(keywords.words("more", locale)[0].upper())
    for item in lib.items.values():
        reply = render_item(item, translator, lib)
        plan = plan_reply(reply, translator, cap)
        pages = plan.now + plan.later
        assert len(plan.now) == 1 and plan.later, item.id  # the full text is always on MORE
        assert more in plan.now[0]
        for page in pages:
            assert billed_segments(page) == segment_count(page) <= cap, (item.id, page)
            if locale in ("ar", "ru", "am", "ne", "bn", "si"):  # scripts with no GSM-7 letters
                assert not is_gsm(page)
            elif not has_non_latin_letter(page):
                assert is_gsm(page), (item.id, [c for c in page if not is_gsm(c)])
        # nothing is lost: every line of the full text is in the pages, in order
        joined = "\n".join(pages)
        for line in gsm(reply.text).splitlines():
            for word in line.split()[:3]:  # (a page without Hausa's ʼ is GSM-7: ƙ became k there)
                assert word in joined or gsm(word) in joined, (item.id, word)


def test_replacement_makes_french_cheaper_and_leaves_arabic_alone() -> None:
    lib = library()
    fr = t("fr")
    ar = t("ar")
    item = lib.items["domestic-workers-rights"]
    raw_fr = render_item(item, fr, lib).text
    assert encoding_of(raw_fr) == "UCS-2"  # curly apostrophes, « », n°
    assert encoding_of(gsm(raw_fr)) == "GSM-7" and segment_count(gsm(raw_fr)) < segment_count(raw_fr)
    raw_ar = render_item(item, ar, lib).text
    assert gsm(raw_ar) == raw_ar


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=1, max_size=600), cap=st.integers(min_value=1, max_value=4),
       labels=st.lists(st.text(min_size=1, max_size=30).filter(str.strip), max_size=5))
def test_any_text_and_choices_stay_within_the_budget(text, cap, labels) -> None:
    choices = tuple(Choice(label, f"i:{n}") for n, label in enumerate(labels))
    for page in render_sms(Reply(text, "en", choices), t("en"), cap):
        assert segment_count(page) <= cap
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in page)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_extra_replacement_never_costs_more_and_never_touches_non_latin(text) -> None:
    out = gsm(text)
    assert segment_count(out) <= segment_count(text)
    if out != text:
        assert encoding_of(out) == "GSM-7"
    if has_non_latin_letter(text):
        assert out == text


def test_only_replies_marked_shared_are_kept_laid_out() -> None:
    from bot.channels import sms_render

    before = sms_render._plan_shared.cache_info().currsize
    plan_reply(Reply("Your question is sent. Its code is K7Q2.", "en", (Choice("Yes", "ok:y"),)), t("en"), 3)
    assert sms_render._plan_shared.cache_info().currsize == before
    menu = Reply("What would you like to know?", "en", (Choice("Yes", "ok:y"),), shared=True)
    first = plan_reply(menu, t("en"), 3)
    first.now.append("changed by one caller")  # each caller gets its own lists
    assert plan_reply(menu, t("en"), 3).now == ["What would you like to know?\n\nReply with a number:\n1 Yes\n0 Main menu"]
    assert sms_render._plan_shared.cache_info().currsize == before + 1
