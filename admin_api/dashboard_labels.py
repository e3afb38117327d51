"""The dashboard's words, from the bot's catalogs, so the page works in every offered language.

The page asks `GET /api/v1/dashboard/labels?lang=xx` (public: words only, no data) and lays
itself out from the answer; the feedback dimensions use the same labels as the bot's buttons.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, Catalogs, language_name
from bot.labels import GENDER_LABELS, NEED_LABELS, RATING_LABELS, STAGE_LABELS

# the page's own sentences; {k}, {n}, {t}, {e} are filled in by the page
UI: dict[str, str] = {
    "title": N_("Feedback insights"),
    "key": N_("API key (analyst or admin)"),
    "open": N_("Open"),
    "logout": N_("Forget key"),
    "keynote": N_("The key stays in this browser tab only and is forgotten when the tab closes."),
    "from": N_("From"),
    "to": N_("To"),
    "country": N_("Country (e.g. KE)"),
    "stage": N_("Migration stage"),
    "locale": N_("Language"),
    "channel": N_("Channel"),
    "interval": N_("Trend by"),
    "apply": N_("Apply"),
    "any": N_("All"),
    "week": N_("Week"),
    "month": N_("Month"),
    "byGender": N_("Needs by gender"),
    "byStage": N_("Needs by migration stage"),
    "helpfulness": N_("Helpfulness by theme"),
    "trend": N_("Needs over time"),
    "csv": "CSV",
    "loading": N_("Loading…"),
    "total": N_("Needs recorded: {n}"),
    "totalHidden": N_("Needs recorded: fewer than {k}"),
    "hidden": N_("Hidden: fewer than {k}, or hidden so that a smaller group cannot be worked out"),
    "hiddenShort": N_("hidden"),
    "empty": N_("No records for these filters."),
    "noise": N_("Counts are records (one per need chosen or rating given), not people. Every number carries a small, consistent random adjustment, and hatched bars hide groups too small to show safely."),  # noqa: E501
    "badKey": N_("This key was not accepted."),
    "noRole": N_("This key's role cannot read feedback: use an analyst or admin key."),
    "failed": N_("Could not load the figures: {e}"),
    "notStated": N_("Not stated"),
    "ready": N_("Updated {t}"),
}
THEME_LABELS = {
    "fair_recruitment": N_("Fair recruitment"), "contracts": N_("Contracts"), "documents": N_("Documents"),
    "work": N_("Work"), "trafficking": N_("Trafficking"), "gbv": N_("Gender-based violence"),
    "health": N_("Health"), "money": N_("Money"), "return": N_("Return"),
    "safe_use": N_("Using this service safely"),
}
CHANNEL_LABELS = {"telegram": "Telegram", "sms": "SMS", "whatsapp": "WhatsApp", "console": N_("Console")}
DIMENSIONS = {"need": NEED_LABELS, "gender": GENDER_LABELS, "stage": STAGE_LABELS,
              "rating": RATING_LABELS, "theme": THEME_LABELS, "channel": CHANNEL_LABELS}


def labels(catalogs: Catalogs, lang: str | None) -> dict[str, Any]:
    """Every word of the page in one language (the offered language nearest to `lang`)."""
    t = catalogs.get(catalogs.negotiate(lang))
    return {
        "lang": t.locale,
        "dir": "rtl" if t.rtl else "ltr",
        "languages": {loc: language_name(loc) for loc in catalogs.locales},
        "ui": {key: t.gettext(text) for key, text in UI.items()},
        "labels": {dim: {value: t.gettext(text) for value, text in table.items()}
                   for dim, table in DIMENSIONS.items()}
               | {"locale": {loc: language_name(loc) for loc in catalogs.locales}},
    }
