"""Engine replies as Telegram messages: keyboards, links, splitting, in every language."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.telegram_render import CALLBACK_DATA_LIMIT, TEXT_LIMIT, is_button_url, keyboard, render, split_text, utf16_len
from bot.config import ROOT
from bot.content_files import read_library
from bot.conversation import Choice, Reply
from bot.engine import render_item
from bot.i18n import catalogs_for
from bot.languages import shipped_locales
from bot.library import Library


def _buttons(message: dict) -> list:
    markup = message.get("reply_markup")
    return [b for row in markup.inline_keyboard for b in row] if markup else []


def test_choices_become_one_button_per_row_with_the_payload_as_callback_data() -> None:
    reply = Reply("Choose", "en", (Choice("Know your rights", "s:rights"), Choice("Main menu", "m")))
    [message] = render(reply)
    assert message["text"] == "Choose"
    rows = message["reply_markup"].inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("Know your rights", "s:rights")], [("Main menu", "m")]]
    assert message["link_preview_options"].is_disabled


def test_no_choices_no_keyboard() -> None:
    [message] = render(Reply("Just text", "en"))
    assert "reply_markup" not in message


def test_callback_data_over_64_bytes_is_dropped_not_sent() -> None:
    fine = "i:" + "x" * 62  # exactly 64 bytes
    too_long = "i:" + "é" * 32  # 66 bytes in UTF-8
    markup = keyboard((Choice("A", fine), Choice("B", too_long), Choice("C", "")))
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == [fine]
    assert len(fine.encode()) == CALLBACK_DATA_LIMIT


def test_a_link_is_a_button_above_the_choices_or_else_in_the_text() -> None:
    reply = Reply("Item", "fr", (Choice("Menu", "m"),), link="https://www.ilo.org/c189")
    [message] = render(reply, link_label="Ouvrir la source")
    first, second = _buttons(message)
    assert (first.text, first.url, first.callback_data) == ("Ouvrir la source", "https://www.ilo.org/c189", None)
    assert second.callback_data == "m"
    assert "ilo.org" not in message["text"]
    [fallback] = render(reply, link_button=False)
    assert fallback["text"] == "Item\n\nhttps://www.ilo.org/c189"
    assert [b.callback_data for b in _buttons(fallback)] == ["m"]
    [odd] = render(Reply("Call", "en", link="tel:+123"))
    assert odd["text"] == "Call\n\ntel:+123" and "reply_markup" not in odd


@pytest.mark.parametrize("url,ok", [("https://example.org/a?b=c", True), ("http://x.org", True),
                                    ("ftp://x.org", False), ("https://exa mple.org", False),
                                    ("javascript:alert(1)", False), ("", False), (None, False),
                                    ("https://" + "a" * 2100, False)])
def test_button_urls(url, ok) -> None:
    assert is_button_url(url) is ok


def test_telegram_counts_utf16_units() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("مرحبا") == 5
    assert utf16_len("🙂") == 2
    assert utf16_len("👩🏽‍⚕️") == len("👩🏽‍⚕️".encode("utf-16-le")) // 2


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    para = "a" * 50
    assert split_text(f"{para}\n\n{para}\n\n{para}", limit=110) == [f"{para}\n\n{para}", para]
    lines = "\n".join(["b" * 30] * 5)
    assert split_text(lines, limit=70) == ["b" * 30 + "\n" + "b" * 30] * 2 + ["b" * 30]
    words = " ".join(["word"] * 30)
    parts = split_text(words, limit=22)
    assert all(len(p) <= 22 for p in parts) and all(set(p.split()) == {"word"} for p in parts)
    assert " ".join(parts) == words
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_split_never_cuts_a_surrogate_pair_or_a_joiner_sequence() -> None:
    text = "🙂" * 10
    parts = split_text(text, limit=5)
    assert "".join(parts) == text and all(utf16_len(p) <= 5 for p in parts)
    accented = "e\u0301" * 10  # e + combining acute
    parts = split_text(accented, limit=5)
    assert "".join(parts) == accented and all(not p.startswith("\u0301") for p in parts)


def test_a_long_reply_keeps_the_keyboard_on_its_last_part() -> None:
    text = "\n\n".join("Paragraph %d. " % i + "word " * 200 for i in range(8))
    messages = render(Reply(text, "en", (Choice("Main menu", "m"),)))
    assert len(messages) > 1
    assert all(utf16_len(m["text"]) <= TEXT_LIMIT for m in messages)
    assert all("reply_markup" not in m for m in messages[:-1]) and "reply_markup" in messages[-1]
    assert messages[1]["text"].startswith("Paragraph")


def test_right_to_left_text_is_sent_as_it_is() -> None:
    text = "اعرفي حقوقك\n\nجواز السفر ملكك."
    [message] = render(Reply(text, "ar", (Choice("القائمة الرئيسية", "m"),)))
    assert message["text"] == text
    assert _buttons(message)[0].text == "القائمة الرئيسية"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=60)
                | st.just("🙂" * 40) | st.just("e\u0301" * 30), min_size=1, max_size=40),
       st.integers(min_value=8, max_value=120))
def test_split_loses_nothing_but_whitespace_at_cuts(pieces, limit) -> None:
    text = " ".join(pieces)
    parts = split_text(text, limit)
    assert all(utf16_len(p) <= limit for p in parts)
    assert all(p for p in parts) or parts == [""]
    squeeze = lambda s: "".join(s.split())  # noqa: E731
    assert squeeze("".join(parts)) == squeeze(text)


@pytest.mark.parametrize("locale", shipped_locales())
def test_every_item_in_every_language_renders_within_telegrams_limits(locale) -> None:
    files = read_library(ROOT / "content")
    lib = Library(items=files.items, services=list(files.services.values()))
    t = catalogs_for(str(ROOT / "locales")).get(locale)
    for item in lib.items.values():
        reply = render_item(item, t, lib)
        messages = render(reply, link_label=t.gettext("Open the source"))
        assert all(0 < utf16_len(m["text"]) <= TEXT_LIMIT for m in messages)
        for button in _buttons(messages[-1]):
            assert button.url or 1 <= len(button.callback_data.encode()) <= CALLBACK_DATA_LIMIT
        assert item.text(locale).title in messages[0]["text"]
