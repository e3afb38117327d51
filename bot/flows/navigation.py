"""Finding information: first contact, languages, the menu, sections, items, search, her situation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content_model import STAGES, Item
from bot.conversation import Choice, Reply
from bot.flows.screens import back, country_pick, is_country, language_choice, menu
from bot.i18n import Translator
from bot.labels import RATING_LABELS, SECTION_LABELS, STAGE_LABELS
from bot.library import Library
from bot.payloads import SKIP, Head, pay

if TYPE_CHECKING:
    from bot.engine import Turn


def welcome(turn: Turn) -> Reply:
    """First contact. With no language from her app (SMS): a short greeting in the language her
    number's country suggests, or the deployment's default, with LANG to change it. With one
    (Telegram): the language list, hers first, under what this service is and keeps."""
    if turn.event.locale_hint is None:
        turn.set_locale(turn.deps.catalogs.likely(turn.session.sim_country) or turn.deps.catalogs.negotiate(None))
        turn.session.state = "menu"
        # TRANSLATORS: the first SMS a woman gets, guessed from her phone's country: keep it under
        # 120 characters in every script (two SMS), and MENU and LANG as they are (both work in
        # every language); you may add your own word after each.
        return Reply(turn._("Hello. Free information on safe migration for women. We do not keep your number. "
                            "Reply MENU to start, LANG for another language."), turn.locale, shared=True)
    turn.session.state = "lang"
    text = "\n\n".join([
        turn._("Hello. This is a free service with information on safe migration for women: your rights, risks on the way, and where to get help."),  # noqa: E501
        turn._("What we keep: your language and menu choices, under a code that does not show your name or number. We do not keep your messages or your number, except a question you choose to send to a person, until it is closed. You can delete everything at any time."),  # noqa: E501
        turn._("Please choose your language."),
    ])
    return language_choice(turn, text)


async def on_start(turn: Turn, arg: str) -> list[Reply]:
    return [welcome(turn)] if turn.session.locale is None else [menu(turn)]


async def on_menu(turn: Turn, arg: str) -> list[Reply]:
    return [menu(turn)]


async def on_locale(turn: Turn, arg: str) -> list[Reply]:
    if arg not in turn.deps.catalogs.locales:
        return [menu(turn, turn._("That choice is no longer available. Here is the menu."))]
    turn.set_locale(arg)
    return [menu(turn, turn._("Language saved."))]


async def on_languages(turn: Turn, arg: str) -> list[Reply]:
    turn.session.state = "lang"
    return [language_choice(turn, turn._("Choose your language."))]


def language_from_text(turn: Turn, text: str) -> list[Reply]:
    """She typed a language's name or code while the language list was open."""
    wanted = text.casefold().strip()
    for loc in turn.deps.catalogs.locales:
        name = turn.deps.catalogs.name(loc)
        if wanted == loc or (len(wanted) >= 3 and name.casefold().startswith(wanted)):
            turn.set_locale(loc)
            return [menu(turn, turn._("Language saved."))]
    return [language_choice(turn, turn._("Please choose your language from the list."))]


async def on_section(turn: Turn, section: str) -> list[Reply]:
    if section not in SECTION_LABELS:
        return [menu(turn, turn._("That choice is no longer available. Here is the menu."))]
    session = turn.session
    key = ("section", turn.locale, section, session.stage, session.country)
    return list(turn.library.view(key, lambda: _section_list(turn, section)))


def _section_list(turn: Turn, section: str) -> tuple[Reply, ...]:
    """A topic's items that fit her stage and country (all of them when none fits)."""
    session = turn.session
    items = turn.library.in_section(section, session.stage, session.country)
    note = ""
    if not items and (session.stage or session.country):
        items = turn.library.in_section(section)
        note = turn._("Nothing matches your situation exactly, so here is everything on this topic.") + "\n\n"
    title = turn._(SECTION_LABELS[section])
    if not items:
        return (Reply(title + "\n\n" + turn._("There is nothing here yet."), turn.locale,
                      (back(turn),), replaces_menu=True),)
    choices = [Choice(item.text(turn.locale).title, pay(Head.ITEM, item.id)) for item in items]
    choices.append(back(turn))
    return (Reply(f"{note}{title}\n\n" + turn._("Choose a topic:"), turn.locale, tuple(choices),
                  replaces_menu=True, shared=True),)


async def on_item(turn: Turn, item_id: str) -> list[Reply]:
    item = turn.library.items.get(item_id)
    if item is None:
        return [menu(turn, turn._("That information is not available any more. Here is the menu."))]
    turn.session.last_item = item.id
    return [render_item(item, turn.t, turn.library)]


def search(turn: Turn, text: str) -> list[Reply]:
    """Items matching her words; [] when nothing does."""
    found = turn.library.search(turn.locale, text, country=turn.session.country)
    if not found:
        return []
    intro = turn.t.ngettext("I found this:", "I found these:", len(found))
    choices = [Choice(item.text(turn.locale).title, pay(Head.ITEM, item.id)) for item in found]
    choices.append(Choice(turn._("Get help now"), Head.HELP))
    choices.append(back(turn))
    return [Reply(intro, turn.locale, tuple(choices))]


async def on_situation(turn: Turn, arg: str) -> list[Reply]:
    choices = [Choice(turn._(label), pay(Head.STAGE, stage)) for stage, label in STAGE_LABELS.items()]
    choices.append(Choice(turn._("Skip"), pay(Head.STAGE, SKIP)))
    return [Reply(turn._("Where are you in your migration? This is optional: it helps us show what fits you. We keep it only in your session."),  # noqa: E501
                  turn.locale, tuple(choices), replaces_menu=True)]


async def on_stage(turn: Turn, stage: str) -> list[Reply]:
    turn.session.stage = stage if stage in STAGES else None
    return [country_pick(turn, Head.COUNTRY, turn._("Which country do you want information about? This is optional."))]


async def on_country(turn: Turn, country: str) -> list[Reply]:
    turn.session.country = country if is_country(country) else None
    return [menu(turn, turn._("Saved. The menus now show what fits your situation."))]


async def on_bad_number(turn: Turn, arg: str) -> list[Reply]:
    return [menu(turn, turn._("That number is not in the list. Please choose again, or reply 0 for the menu."))]


def render_item(item: Item, t: Translator, library: Library) -> Reply:
    """The reply for one item, shared by the engine and the admin API's preview so both say the same."""
    _ = t.gettext
    tr = item.text(t.locale)
    sources = "; ".join(s.title for s in item.sources)
    sources_label = _("Sources")
    text = f"{tr.title}\n\n{tr.body}\n\n{sources_label}: {sources}"
    choices = [Choice(_(RATING_LABELS[r]), pay(Head.RATE, r[0], item.id)) for r in ("yes", "no", "unsure")]
    for rel in item.related[:2]:
        other = library.items.get(rel)
        if other is not None:
            choices.append(Choice(other.text(t.locale).title, pay(Head.ITEM, rel)))
    choices.append(Choice(_(SECTION_LABELS[item.section]), pay(Head.SECTION, item.section)))
    choices.append(Choice(_("Main menu"), Head.MENU))
    link = next((s.url for s in item.sources if s.url), None)
    return Reply(text, t.locale, tuple(choices), link=link, short=f"{tr.title}: {tr.sms}", shared=True)


HANDLERS = {
    Head.START: on_start,
    Head.MENU: on_menu,
    Head.LOCALE: on_locale,
    Head.LANGUAGES: on_languages,
    Head.SECTION: on_section,
    Head.ITEM: on_item,
    Head.SITUATION: on_situation,
    Head.STAGE: on_stage,
    Head.COUNTRY: on_country,
    Head.BAD_NUMBER: on_bad_number,
}
