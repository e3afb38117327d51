"""Words a woman can type from anywhere, in every shipped language.

Kept as data rather than gettext strings because each has several spellings per language,
and the emergency words must work whatever language the session is set to.
"""

from __future__ import annotations

import re

from bot.search import normalise

KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "help": {  # straight to emergency contacts
        "en": ("help", "sos", "emergency", "help me"),
        "fr": ("aide", "au secours", "urgence", "aidez moi"),
        "es": ("ayuda", "socorro", "emergencia", "auxilio"),
        "ar": ("مساعدة", "ساعدني", "النجدة", "نجدة", "طوارئ"),
        "ru": ("помощь", "помогите", "спасите", "сос"),
        "id": ("tolong", "bantu", "darurat", "bantuan", "tolong saya"),
    },
    "menu": {
        "en": ("menu", "start", "/start", "/menu", "home"),
        "fr": ("menu", "accueil"),
        "es": ("menu", "menú", "inicio"),
        "ar": ("القائمة", "قائمة", "البداية"),
        "ru": ("меню", "начало", "старт"),
        "id": ("menu", "mulai"),
    },
    "lang": {
        "en": ("lang", "language", "/language"),
        "fr": ("langue",),
        "es": ("idioma", "lengua"),
        "ar": ("لغة", "اللغة"),
        "ru": ("язык",),
        "id": ("bahasa",),
    },
    "delete": {
        "en": ("delete", "/delete", "delete my data"),
        "fr": ("supprimer", "effacer"),
        "es": ("borrar", "eliminar"),
        "ar": ("حذف", "احذف", "امسح"),
        "ru": ("удалить", "стереть"),
        "id": ("hapus", "hapus data"),
    },
    "stop": {
        "en": ("stop", "unsubscribe", "cancel", "end", "quit"),
        "fr": ("arret", "arrêt", "stop"),
        "es": ("parar", "alto", "baja"),
        "ar": ("توقف", "الغاء", "إلغاء"),
        "ru": ("стоп", "отписаться"),
        "id": ("berhenti", "stop"),
    },
    "more": {
        "en": ("more", "next"),
        "fr": ("plus", "suite"),
        "es": ("mas", "más", "siguiente"),
        "ar": ("المزيد", "مزيد", "التالي"),
        "ru": ("еще", "ещё", "дальше"),
        "id": ("lagi", "lanjut"),
    },
}

_PUNCT = re.compile(r"[^\w\s/]+", re.UNICODE)


def _clean(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", normalise(text)).split())


_INDEX: dict[str, dict[str, str]] = {}  # kind -> normalised word -> locale
for _kind, _by_locale in KEYWORDS.items():
    for _locale, _words in _by_locale.items():
        for _word in _words:
            _INDEX.setdefault(_kind, {}).setdefault(_clean(_word), _locale)


def match(kind: str, text: str) -> str | None:
    """The locale whose keyword of this kind the whole message is, or None."""
    return _INDEX[kind].get(_clean(text))


def emergency(text: str) -> str | None:
    """Locale of an emergency word in a short message ('help', 'AYUDA!', 'tolong saya')."""
    cleaned = _clean(text)
    if cleaned in _INDEX["help"]:
        return _INDEX["help"][cleaned]
    words = cleaned.split()
    if 0 < len(words) <= 4:
        for n in (2, 1):
            for i in range(len(words) - n + 1):
                found = _INDEX["help"].get(" ".join(words[i:i + n]))
                if found:
                    return found
    return None


def words(kind: str, locale: str) -> tuple[str, ...]:
    return KEYWORDS[kind].get(locale, KEYWORDS[kind]["en"])
