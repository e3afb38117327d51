"""Conversations with the engine, written as what a woman types and what she gets back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.engine import SESSION_PREFIX
from bot.languages import shipped_locales
from bot.models import FeedbackRecord
from tests.bot.conversation_driver import Woman


async def test_first_contact_greets_states_what_is_kept_and_offers_languages(ctx):
    woman = Woman(ctx.engine, locale_hint="fr-CA")
    reply = await woman.says("bonjour")
    assert "Français" == reply.choices[0].label  # preselected from Telegram's language_code
    assert {c.payload for c in reply.choices} == {f"l:{loc}" for loc in shipped_locales()}
    assert "numéro" in reply.text  # the one-line privacy statement, in her language


async def test_choosing_a_language_opens_the_menu(ctx):
    woman = Woman(ctx.engine, locale_hint="en")  # an app that says her language: the language list
    await woman.says("hello")
    reply = await woman.picks("Español")
    assert reply.locale == "es"
    assert "Conozca sus derechos" in woman.labels()
    assert len(reply.choices) == 10  # topics, help, services, ask a person, feedback, situation, language, delete


async def test_a_number_picks_from_the_last_choices_like_sms(ctx):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    reply = await woman.says("1")  # Know your rights
    assert reply.text.startswith("Know your rights")
    assert reply.choices[-1].payload == "m"
    reply = await woman.says("0")
    assert len(reply.choices) == 10  # topics, help, services, ask a person, feedback, situation, language, delete


async def test_a_number_out_of_range_gets_a_clear_answer(ctx):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    reply = await woman.says("42")
    assert "not in the list" in reply.text and reply.choices


@pytest.mark.parametrize("word,locale", [("HELP", "en"), ("aide", "fr"), ("AYUDA", "es"),
                                         ("مساعدة", "ar"), ("ПОМОЩЬ", "ru"), ("tolong", "id")])
async def test_emergency_word_works_from_first_contact_in_its_language(ctx, word, locale):
    woman = Woman(ctx.engine)
    reply = await woman.says(word)
    assert reply.locale == locale
    assert any(c.payload == "m" for c in reply.choices)
    numbers = woman.replies[0].text  # the numbers come first, before she has said where she is
    assert numbers.startswith(("Emergency numbers in", ctx.catalogs.get(locale).gettext("Emergency numbers in {country}:")[:6]))
    assert any(n in numbers for n in ("911", "999", "112"))


async def test_emergency_word_works_in_the_middle_of_a_flow(ctx):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks("fb")
    await woman.picks("n")  # consent question
    reply = await woman.says("help!")
    assert woman.replies[0].text.startswith("Emergency numbers in")
    assert "If you are in danger now" in reply.text


async def test_help_for_her_country_lists_local_emergency_numbers(ctx):
    countries = ctx.content.library.countries()
    assert countries, "the services directory is empty"
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks("h")
    await woman.picks("hc")
    reply = await woman.picks(f"h:{countries[0]}")
    local = ctx.content.library.services_in(countries[0], emergency=True)
    for service in local:
        assert service.name in reply.text


async def test_free_text_searches_the_content_in_her_language(ctx):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:es")
    reply = await woman.says("pasaporte")
    assert reply.choices[0].payload.startswith("i:")
    item = await woman.picks(reply.choices[0].payload)
    assert "pasaporte" in item.text.lower()


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "\u202e\u202d\u2066", "\x00\x07\x1b",
                                  "x" * 10_000, "/unknowncommand", "🇵🇭 " * 500])
async def test_bad_input_gets_a_short_answer_and_keeps_the_session(ctx, text):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:ru")
    reply = await woman.says(text)
    assert reply.locale == "ru"
    assert reply.choices, "every reply offers a way on"
    assert len(reply.text) < 1000
    assert (await ctx.store.get(SESSION_PREFIX + woman.user_key))["locale"] == "ru"


@pytest.mark.parametrize("payload", ["i:does-not-exist", "zz:1", "l:xx", "r:q:nothing", "s:nope",
                                     "sv:QQ", "nd:flying", "pg:alien", "x" * 500, ":::"])
async def test_invalid_payloads_never_break_the_conversation(ctx, payload):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:ar")
    reply = await woman.picks(payload)
    assert reply.locale == "ar" and reply.choices


async def test_unsupported_message_kind_gets_a_polite_reply(ctx):
    from bot.conversation import Event
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:id")
    replies = (await ctx.engine.handle(Event("telegram", woman.user_key, unsupported="sticker"))).replies
    assert replies[0].locale == "id" and replies[0].choices


async def test_stage_and_country_filter_what_she_sees(ctx):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks("me")
    await woman.picks("st:returning")
    await woman.picks("co:-")
    reply = await woman.picks("s:before_you_go")
    shown = {c.payload[2:] for c in reply.choices if c.payload.startswith("i:")}
    lib = ctx.content.library
    expected = {i.id for i in lib.in_section("before_you_go", "returning")} or {i.id for i in lib.in_section("before_you_go")}
    assert shown == expected


async def test_delete_erases_the_session_at_once(ctx):
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:fr")
    assert await ctx.store.get(SESSION_PREFIX + woman.user_key)
    await woman.says("supprimer")
    reply = await woman.picks("d:y")
    assert reply.locale == "fr" and reply.choices
    assert await ctx.store.get(SESSION_PREFIX + woman.user_key) is None
    again = await woman.says("bonjour")
    assert "LANG" in again.text and not again.choices  # a stranger again: first contact's greeting


async def _records(ctx):
    async with ctx.sessionmaker() as s:
        return (await s.scalars(select(FeedbackRecord))).all()


async def test_rating_asks_consent_first_and_declining_keeps_nothing(ctx):
    item_id = next(iter(ctx.content.library.items))
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks(f"i:{item_id}")
    reply = await woman.picks("Yes, helpful")
    assert "without your name" in reply.text
    reply = await woman.picks("ok:n")
    assert "Nothing was kept" in reply.text
    assert await _records(ctx) == []


async def test_rating_with_consent_and_profile_is_stored_anonymously_once(ctx):
    item = next(iter(ctx.content.library.items.values()))
    woman = Woman(ctx.engine, channel="sms")
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks(f"i:{item.id}")
    await woman.picks(f"r:y:{item.id}")
    await woman.picks("ok:y")
    await woman.picks("pg:woman")
    await woman.picks("pa:25_34")
    await woman.picks("po:-")
    await woman.picks("pn:-")
    reply = await woman.picks("ps:destination")
    assert "Thank you" in reply.text
    await woman.picks(f"i:{item.id}")
    reply = await woman.picks(f"r:n:{item.id}")
    assert "already rated" in reply.text
    [record] = await _records(ctx)
    assert (record.kind, record.rating, record.content_id, record.theme) == ("rating", "yes", item.id, item.theme)
    assert (record.gender, record.age_band, record.stage, record.origin_country) == ("woman", "25_34", "destination", None)
    assert record.channel == "sms" and record.locale == "en"
    assert 0 <= record.rkey < 2**32


async def test_needs_flow_records_one_row_per_need_with_urgency_and_country(ctx):
    country = ctx.content.library.countries()[0]
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks("fb")
    await woman.picks("Tell us what you need")
    await woman.picks("ok:y")
    await woman.picks("px:")  # skips the profile
    await woman.picks("nd:legal_aid")
    reply = await woman.picks("nd:shelter")
    assert "✓ Legal advice" in woman.labels()
    await woman.picks("nd:done")
    await woman.picks("ur:now")
    reply = await woman.picks(f"nc:{country}")
    assert any(c.payload == f"sv:{country}" for c in reply.choices)
    records = await _records(ctx)
    assert sorted(r.need for r in records) == ["legal_aid", "shelter"]
    assert {(r.urgency, r.country, r.gender) for r in records} == {("now", country, None)}


async def test_comment_is_scrubbed_before_it_is_stored(ctx):
    item_id = next(iter(ctx.content.library.items))
    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks(f"i:{item_id}")
    await woman.picks(f"r:u:{item_id}")
    await woman.picks("ok:y")
    await woman.picks("px:")
    await woman.picks(f"cm:{item_id}")
    await woman.says("call me on +63 917 123 4567, the agency kept my passport P1234567")
    comments = [r.comment for r in await _records(ctx) if r.kind == "comment"]
    assert len(comments) == 1
    assert "917" not in comments[0] and "P1234567" not in comments[0]
    assert "agency kept my passport" in comments[0]


async def test_daily_cap_limits_feedback_per_person(ctx, settings_for):
    from bot.app import AppContext
    capped = AppContext(settings_for(feedback_daily_cap=2), store=ctx.store)
    await capped.start(watch=False)
    ids = list(capped.content.library.items)[:4]
    woman = Woman(capped.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    await woman.picks(f"r:y:{ids[0]}")
    await woman.picks("ok:y")
    await woman.picks("px:")
    for item_id in ids[1:]:
        reply = await woman.picks(f"r:y:{item_id}")
    assert "come back tomorrow" in reply.text
    assert len(await _records(capped)) == 2
    await capped.content.stop()
    await capped.db.dispose()


async def test_a_topic_list_follows_a_new_library_snapshot_at_once(ctx):
    """Topic lists and the menu are built once per snapshot: a publish shows at once."""
    from dataclasses import replace

    woman = Woman(ctx.engine)
    await woman.says("hi")
    await woman.picks("l:en")
    before = await woman.says("1")  # Know your rights
    first = before.choices[0]
    library = ctx.content.library
    kept = {k: v for k, v in library.items.items() if v.id != first.payload.split(":")[-1]}
    ctx.content.library = replace(library, items=kept)  # a new snapshot: its own views
    await woman.says("0")
    after = await woman.says("1")
    assert first.label not in [c.label for c in after.choices]
    assert [c.label for c in after.choices] != [c.label for c in before.choices]
