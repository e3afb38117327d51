"""The engine's Replies as SMS texts: numbered choices, the short form with MORE paging, and a
segment budget per message.

Pure functions, no I/O: the gateways (bot/channels/sms.py) keep the pages for MORE in the
session store, and the admin API's preview shows the same pages to an editor.

One reply becomes:
- now: the text she gets this turn. For an item that is its `short` SMS form, a line saying
  "reply MORE for the full text" and the numbered choices; for any other reply its text and
  the numbered choices ("1 ...", "2 ...", "0 Main menu").
- later: pages she gets one by one when she replies MORE (the rest of a reply too long for
  SMS_MAX_SEGMENTS, then the full text of an item, with its source link and choices again).
Every page is at most `max_segments` billed SMS, counted after the GSM-7 look-alike
replacement (curly quotes, dashes, non-breaking spaces...) so a Latin-script reply stays
GSM-7; Arabic and Russian are UCS-2 whatever we do and are paged on that count.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot import keywords
from bot.conversation import Reply
from bot.i18n import Translator
from bot.payloads import Head, pay
from bot.sms_encoding import analyse, cut_point, encoding_of, paginate, segment_count, to_gsm

MENU_PAYLOAD = Head.MENU
# the choices stay on the first page of a long reply while they take at most this share of it
CHOICES_SHARE = 2 / 3
_WIDEST_CHAR = "\U0001F600"
_UNITS_PER_SEGMENT = {"GSM-7": 153, "UCS-2": 67}
# marks in labels that would force UCS-2 on their own, and their plain stand-ins
_LABEL_MARKS = {"✓ ": "* ", "✓": "*"}
SHARED_KEPT = 4096  # shared replies laid out as SMS, kept in memory (every item in every language, menus)


# ordinal and degree signs in "n° 189" (fr) or "n.º 189" (es): no GSM-7 look-alike in
# bot.sms_encoding, and one of them would make a whole French reply UCS-2
_EXTRA_LOOKALIKES = str.maketrans({"°": "o", "º": "o", "ª": "a"})


def gsm(text: str) -> str:
    """to_gsm, plus the few stand-ins this content needs; all or nothing like to_gsm, so a
    text that stays UCS-2 (Arabic, Russian, a language list) is never altered."""
    out = to_gsm(text)
    if encoding_of(out) == "GSM-7":
        return out
    extra = to_gsm(text.translate(_EXTRA_LOOKALIKES))
    if encoding_of(extra) == "GSM-7" and segment_count(extra) <= segment_count(text):
        return extra
    return out


@dataclass(frozen=True)
class SmsPlan:
    """What to send now (one text per Reply) and what MORE shows next, page by page."""

    now: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)


def keyword(kind: str, locale: str) -> str:
    """The word she types for MORE, MENU... in her language, as we print it (upper case)."""
    return keywords.words(kind, locale)[0].upper()


def more_suffix(t: Translator) -> str:
    """Ends a page that has a next one."""
    return "\n" + t.gettext("Reply {more} to read on.").format(more=keyword("more", t.locale))


def _label(text: str) -> str:
    for mark, plain in _LABEL_MARKS.items():
        text = text.replace(mark, plain)
    return text


def _needs_zero(reply: Reply) -> bool:
    """The "0 menu" line, except on the menu itself and where the menu can't help yet."""
    payloads = {c.payload for c in reply.choices}
    if {pay(Head.SECTION, "rights"), Head.LANGUAGES, Head.DELETE} <= payloads:  # the main menu
        return False
    return not any(p.startswith(pay(Head.LOCALE, "")) or p == Head.START for p in payloads)


def _is_language_list(reply: Reply) -> bool:
    return bool(reply.choices) and all(c.payload.startswith(pay(Head.LOCALE, "")) for c in reply.choices)


def _language_pages(body: str, reply: Reply, t: Translator, max_segments: int) -> list[str]:
    """A language list too long for one page: her text whole on the first page, then the
    numbered names page by page, never cutting a line, and a new page where a name would turn
    a GSM-7 page into UCS-2 (a Latin-script page is never billed as UCS-2 for another script's
    name). Numbers are positions in the whole list, so any of them works from any page."""
    suffix = gsm(more_suffix(t))
    lines = [f"{n} {_label(c.label)}" for n, c in enumerate(reply.choices, start=1)]
    header = t.gettext("Reply with a number:")
    pages: list[str] = []
    current = [gsm(body.strip()) + "\n", header]  # a blank line between her text and the list
    if segment_count(gsm("\n".join([*current, lines[0]])) + suffix) > max_segments:
        # her text leaves no room for a name: it goes alone (paged if long), the list after it
        pages = _pages(body, t, max_segments)
        pages[-1] += suffix
        current = [header]
    shown = 0  # choice lines on the current page
    for line in lines:
        candidate = gsm("\n".join([*current, line]))
        grows_to_ucs2 = encoding_of(gsm("\n".join(current))) == "GSM-7" and encoding_of(candidate) == "UCS-2"
        if segment_count(candidate + suffix) <= max_segments and not (grows_to_ucs2 and shown):
            current.append(line)
            shown += 1
            continue
        pages.append(gsm("\n".join(current)) + suffix)
        current, shown = [line], 1
    pages.append(gsm("\n".join(current)))
    return pages


def choices_block(reply: Reply, t: Translator) -> str:
    """'Reply with a number:' and one numbered line per choice; 0 is always the menu.

    The numbers are the positions in reply.choices, which the engine maps back ("2" -> the
    second choice's payload), so a trailing "Main menu" choice is shown as 0 instead of n.
    """
    if not reply.choices:
        return ""
    choices = list(reply.choices)
    menu_label = t.gettext("Main menu")
    if choices[-1].payload == MENU_PAYLOAD:
        menu_label = _label(choices.pop().label)
    lines = [t.gettext("Reply with a number:")]
    lines += [f"{n} {_label(c.label)}" for n, c in enumerate(choices, start=1)]
    if _needs_zero(reply):
        lines.append(f"0 {menu_label}")
    return "\n".join(lines)


def _join(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _pages(text: str, t: Translator, max_segments: int) -> list[str]:
    """Cut text into pages within the budget, each page as GSM-7 as it can be."""
    suffix = gsm(more_suffix(t))
    text = gsm(text)
    pages = paginate(text, max_segments, suffix)
    out = []
    for page in pages:
        page = gsm(page)  # a stray UCS-2 character only costs the page that has it
        if segment_count(page) > max_segments:  # cannot happen with paginate; belt and braces
            page = paginate(page, max_segments)[0]
        out.append(page)
    return out


def _layout(body: str, block: str, t: Translator, max_segments: int, reply: Reply) -> list[str]:
    """Pages of a body followed by its numbered choices.

    All on one page when it fits. Otherwise, when the choices take at most CHOICES_SHARE of
    the first page, they stay on it (she can answer without paging: a language list, a
    topic list) under as much of the body as fits, and the body goes on page by page on MORE.
    Else body and choices are paged together, the choices on the last pages.
    """
    if block and _is_language_list(reply):
        return _language_pages(body, reply, t, max_segments)
    whole = gsm(_join(body, block))
    if segment_count(whole) <= max_segments:
        return [whole]
    if block:
        suffix = gsm(more_suffix(t) + "\n\n" + block)
        head_text = gsm(body.strip())
        info = analyse(head_text + suffix)
        room = _UNITS_PER_SEGMENT[info.encoding] * max_segments
        if (analyse(suffix).units <= room * CHOICES_SHARE
                and segment_count(_WIDEST_CHAR + suffix) <= max_segments
                and len(head_text) > 1):
            cut = cut_point(head_text, max_segments, suffix)
            rest = head_text[cut:].strip()
            first = head_text[:cut].rstrip() + suffix
            return [first] + (_pages(rest, t, max_segments) if rest else [])
    return _pages(_join(body, block), t, max_segments)


def plan_reply(reply: Reply, t: Translator, max_segments: int) -> SmsPlan:
    """One Reply as the SMS she gets now and the pages MORE shows after it."""
    if reply.shared:  # library and catalog text only: items, menus, topic and language lists
        kept = _plan_shared(reply, t, max_segments)
        return SmsPlan(now=list(kept.now), later=list(kept.later))
    return _plan(reply, t, max_segments)


@functools.lru_cache(maxsize=SHARED_KEPT)
def _plan_shared(reply: Reply, t: Translator, max_segments: int) -> SmsPlan:
    """A shared reply's pages, laid out once (cutting an item's full text into pages is the
    costliest part of an SMS turn, a menu's layout the most frequent). Only replies marked
    shared are kept: others can carry her own words or her question's code. A new library
    revision makes new Replies, so stale ones just age out."""
    return _plan(reply, t, max_segments)


def _plan(reply: Reply, t: Translator, max_segments: int) -> SmsPlan:
    block = choices_block(reply, t)
    if reply.short:
        hint = t.gettext("Reply {more} for the full text.").format(more=keyword("more", t.locale))
        full = _pages(_join(reply.text, reply.link, block), t, max_segments)
        alone = gsm(_join(reply.short, hint))
        if segment_count(gsm(_join(alone, block))) > max_segments >= segment_count(alone):
            # the short text whole rather than cut for the choices: they end the full text
            return SmsPlan(now=[alone], later=full)
        first = _layout(_join(reply.short, hint), block, t, max_segments, reply)
        return SmsPlan(now=first[:1], later=first[1:] + full)
    pages = _layout(reply.text, block, t, max_segments, reply)
    return SmsPlan(now=pages[:1], later=pages[1:])


def plan_sms(replies: Sequence[Reply], catalogs_get, max_segments: int) -> SmsPlan:
    """Several Replies of one turn: the first page of each now, MORE pages of the last one.

    `catalogs_get` is Catalogs.get: each reply is rendered in its own locale.
    """
    now: list[str] = []
    later: list[str] = []
    for reply in replies:
        plan = plan_reply(reply, catalogs_get(reply.locale), max_segments)
        now += plan.now
        later = plan.later  # MORE continues the last reply
    return SmsPlan(now=now, later=later)


def render_sms(reply: Reply, t: Translator, max_segments: int) -> list[str]:
    """Every SMS of one reply in order: what she gets now, then each page MORE would show."""
    plan = plan_reply(reply, t, max_segments)
    return plan.now + plan.later
