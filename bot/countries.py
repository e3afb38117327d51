"""Countries: the set the service knows, and finding one in what a woman types.

(Over 400 lines on purpose: about half is data, the code sets and the alias, ambiguity and
lead-phrase tables in every language, kept beside the matcher that reads them.)

She can name the country she is in, or asks about, in her own words and language: "Saudi",
"KSA", "Dubai", "je suis en France", «أنا في الكويت», "saya di Malaysia", "я в России",
«नेपाल». `match_country` gives one country when the words name exactly one, a short list
("Did you mean…?") when they are ambiguous ("Congo", "Korea", "Guinea", Arabic «عمان»: Oman
or Amman?) or look like a typo, and nothing when nothing is close. It never raises, and it
never decides silently from a guess: only a whole-message name is an exact match; a country
found inside a longer sentence, or by spelling, is a candidate for her to confirm.

Names come from Babel's localized territory names (CLDR) in every locale the caller passes,
plus a table of short forms, capital and city names that women use. Plain Python: no
channel or HTTP types.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from babel import Locale, UnknownLocaleError

from bot.languages import shipped_locales

# The 193 member states of the United Nations, as ISO 3166-1 alpha-2 codes.
# Source: United Nations, "Member States", https://www.un.org/en/about-us/member-states
UN_MEMBER_STATES: frozenset[str] = frozenset("""
AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH CM CA
CF TD CL CN CO KM CG CR CI HR CU CY CZ KP CD DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ FI FR GA GM GE
DE GH GR GD GT GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI KW KG LA LV LB LS LR LY
LI LT LU MG MW MY MV ML MT MH MR MU MX FM MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG MK NO OM PK PW
PA PG PY PE PH PL PT QA KR MD RO RU RW KN LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO ZA SS ES LK
SD SR SE CH SY TJ TH TL TG TO TT TN TR TM TV UG UA AE GB TZ US UY UZ VU VE VN YE ZM ZW
""".split())

# Places women live, work in or come from that are not UN member states: Hong Kong, Macau,
# Taiwan, Palestine and the Holy See (the two UN observer states), Kosovo, Western Sahara,
# Puerto Rico.
MAIN_TERRITORIES: frozenset[str] = frozenset({"HK", "MO", "TW", "PS", "VA", "XK", "EH", "PR"})

# The other inhabited territories with their own ISO 3166-1 code (overseas departments and
# territories, dependencies, associated states): a phone number or a name may point at one.
OTHER_TERRITORIES: frozenset[str] = frozenset("""
AS AI AW AX BL BM BQ CC CK CW CX FK FO GF GG GI GL GP GU IM JE KY MF MP MQ MS NC NF NU PF PM PN RE
SH SJ SX TC TK VG VI WF YT
""".split())

TERRITORIES: frozenset[str] = MAIN_TERRITORIES | OTHER_TERRITORIES
COUNTRIES: frozenset[str] = UN_MEMBER_STATES | TERRITORIES

# The short picker, main destinations of women's labour migration first, then main origins.
# A channel shows a page of it and "Another country" after it (see `picker_page`).
PICKER: tuple[str, ...] = (
    "SA", "AE", "QA", "KW", "OM", "BH", "LB", "JO", "MY", "SG", "HK",
    "PH", "ID", "NP", "BD", "LK", "ET", "KE", "UG",
)

# Languages whose country names are matched by default: the shipped ones and those coming.
MATCH_LOCALES: tuple[str, ...] = tuple(dict.fromkeys(
    (*shipped_locales(), "am", "ne", "bn", "fil", "sw", "si", "ha")))

MAX_CANDIDATES = 5
_SPELLING_CUTOFF = 0.8  # difflib ratio: "Kuwiat" is 0.83 from "kuwait"; "maid" is 0.75 from "mali"
_MAX_INPUT = 200  # characters looked at; a country name is never longer

# Short forms, capitals and cities women name instead of the country, in any language.
# Written as people type them: matching ignores case, accents, punctuation and spaces.
ALIASES: dict[str, tuple[str, ...]] = {
    "SA": ("KSA", "Saudi", "Saudia", "Saudiya", "Riyadh", "Riyad", "Jeddah", "Jedda", "Jiddah", "Dammam",
           "Makkah", "Mecca", "Madinah", "Medina", "Arabie", "Arabie saoudite", "Arabia Saudita",
           "Arab Saudi", "Саудия", "Эр-Рияд", "Джидда", "السعودية", "الرياض", "جدة", "الدمام", "مكة",
           "साउदी", "সৌদি", "ሳውዲ", "ሳዑዲ", "ሳዑዲ አረቢያ"),
    "AE": ("UAE", "U.A.E.", "Emirates", "United Arab Emirates", "Dubai", "Abu Dhabi", "Sharjah", "Ajman",
           "Al Ain", "Ras Al Khaimah", "Fujairah", "EAU", "Emirats", "Emiratos", "UEA", "Emirat Arab",
           "Эмираты", "Объединённые Арабские Эмираты", "Дубай", "Абу-Даби", "الإمارات", "دبي", "أبوظبي",
           "ابو ظبي", "الشارقة", "दुबई", "দুবাই", "ዱባይ"),
    "QA": ("Doha", "Доха", "الدوحة"),
    "KW": ("Kuwait City", "Эль-Кувейт"),
    "OM": ("Muscat", "Mascate", "Маскат", "مسقط"),
    "BH": ("Manama", "Манама", "المنامة"),
    "LB": ("Beirut", "Beyrouth", "Beirute", "Бейрут", "بيروت"),
    "JO": ("Amman", "Амман"),
    "MY": ("KL", "Kuala Lumpur", "Penang", "Johor", "Johor Bahru", "Sabah", "Sarawak", "Куала-Лумпур"),
    "SG": ("Singapura",),
    "HK": ("HK", "Hongkong", "Hong Kong", "Гонконг", "هونغ كونغ", "هونج كونج", "हङकङ", "হংকং"),
    "MO": ("Macau", "Macao", "Makau", "Макао", "ماكاو"),
    "TW": ("Taipei", "Formosa"),
    "PS": ("Palestine", "Palestina", "Палестина", "فلسطين", "Gaza", "West Bank", "Cisjordanie", "غزة",
           "الضفة الغربية"),
    "US": ("USA", "US", "U.S.", "U.S.A.", "America", "United States of America", "Amerika", "EEUU", "EE. UU.",
           "Estados Unidos de America", "Etats-Unis d'Amerique", "Америка", "США", "أمريكا", "امريكا",
           "الولايات المتحدة الأمريكية"),
    "GB": ("UK", "U.K.", "England", "Britain", "Great Britain", "Scotland", "Wales", "Northern Ireland", "London",
           "Angleterre", "Grande-Bretagne", "Inglaterra", "Gran Bretaña", "Inggris", "Англия", "Британия",
           "Лондон", "بريطانيا", "إنجلترا", "انجلترا", "لندن"),
    "PH": ("Philippines", "Pilipinas", "Filipinas", "Manila", "Maynila"),
    "NP": ("Nepal", "नेपाल", "Kathmandu", "काठमाडौं"),
    "BD": ("Bangladesh", "বাংলাদেশ", "Dhaka", "ঢাকা"),
    "LK": ("Lanka", "Colombo", "இலங்கை"),
    "ET": ("Addis Ababa", "Addis Abeba", "ኢትዮጵያ", "አዲስ አበባ"),
    "KE": ("Nairobi",),
    "UG": ("Kampala",),
    "IN": ("Bharat", "भारत"),
    "ID": ("Jakarta",),
    "MM": ("Burma", "Birmanie", "Birmania", "Бирма", "بورما"),
    "CI": ("Ivory Coast", "Costa de Marfil", "Pantai Gading"),
    "CV": ("Cape Verde", "Cabo Verde"),
    "CZ": ("Czech Republic",),
    "NL": ("Holland",),
    "SZ": ("Swaziland",),
    "TR": ("Turkey", "Turkiye"),
    "TL": ("East Timor",),
    "VN": ("Viet Nam",),
    "LA": ("Lao PDR",),
    "RU": ("Russian Federation", "Moscow", "Москва"),
    "KR": ("Republic of Korea", "Korsel", "Seoul"),
    "KP": ("DPRK",),
    "CD": ("DRC", "DR Congo", "RDC", "RD Congo", "Democratic Republic of the Congo", "Kinshasa"),
    "CG": ("Republic of the Congo", "Brazzaville"),
    "MK": ("Macedonia",),
    "BA": ("Bosnia",),
    "TT": ("Trinidad",),
    "VA": ("Vatican", "Holy See"),
    "PG": ("PNG",),
    "DO": ("Dominicana",),
    "IL": ("Tel Aviv",),
    "IT": ("Italia",),
    "DE": ("Deutschland",),
    "KG": ("Kyrgyz Republic", "Кыргызстан"),
}

# Names that fit several countries: she is asked which one. These win over an exact name
# («عمان» is Oman, written without vowels it is also Amman, Jordan's capital).
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "Guinea": ("GN", "GW", "GQ", "PG"), "Guinée": ("GN", "GW", "GQ", "PG"), "Гвинея": ("GN", "GW", "GQ", "PG"),
    "غينيا": ("GN", "GW", "GQ", "PG"),
    "Congo": ("CD", "CG"), "Kongo": ("CD", "CG"), "Конго": ("CD", "CG"), "الكونغو": ("CD", "CG"),
    "Korea": ("KR", "KP"), "Corée": ("KR", "KP"), "Corea": ("KR", "KP"), "Корея": ("KR", "KP"),
    "كوريا": ("KR", "KP"),
    "Virgin Islands": ("VI", "VG"), "Îles Vierges": ("VI", "VG"), "Islas Vírgenes": ("VI", "VG"),
    "عمان": ("OM", "JO"),
    "Arab": ("SA", "AE"),  # Indonesian speech often says "Arab" for Saudi Arabia, sometimes the Gulf
    "Timor": ("TL", "ID"),  # Timor-Leste, or West Timor in Indonesia
    "SA": ("SA", "ZA"),     # Saudi Arabia, or South Africa
}

# Words before the country ("I am in", "je suis en", «أنا في», "saya di", "я в"), stripped
# repeatedly from the start; and words after it ("now"). Any language, whatever her locale.
LEAD_WORDS: tuple[str, ...] = (
    # en
    "i am", "i'm", "im", "i live", "i work", "i am living", "i'm living", "i am working", "i'm working",
    "i am going", "i'm going", "going", "i want to go", "i will go", "i come", "i am staying", "now", "currently",
    "in", "to", "from", "at", "the", "country", "my country is",
    # fr
    "je suis", "j'habite", "je vis", "je travaille", "je vais", "je viens", "je pars", "en", "au", "aux", "à",
    "dans", "de", "du", "d'", "le", "la", "les", "l'",
    # es
    "estoy", "vivo", "trabajo", "voy", "quiero ir", "soy", "vengo", "a", "al", "del", "el", "los", "las",
    # ar
    "أنا", "اعيش", "أعيش", "اعمل", "أعمل", "اشتغل", "أشتغل", "ذاهبة", "مسافرة", "في", "إلى", "الى", "من",
    # ru
    "я", "живу", "работаю", "еду", "нахожусь", "сейчас", "в", "во", "из", "на",
    # id
    "saya", "aku", "sy", "tinggal", "kerja", "bekerja", "mau", "ingin", "akan", "pergi", "sedang", "sekarang",
    "lagi", "di", "ke", "dari", "negara", "negeri",
    # fil, sw, ha, am, ne, bn
    "ako", "ay", "nasa", "sa", "taga", "mimi", "niko", "nipo", "ninaishi", "katika", "naenda",
    "ina", "እኔ", "म", "আমি",
)
TRAIL_WORDS: tuple[str, ...] = (
    "now", "please", "maintenant", "ahora", "الآن", "حاليا", "сейчас", "sekarang", "po", "ako", "ngayon",
    "ነኝ", "ውስጥ", "छु", "छ", "আছি",
)
# Locative endings glued to the name: Nepali «कतारमा» (in Qatar), Bengali «আরবে» (in Arabia).
_GLUED_SUFFIXES: tuple[str, ...] = ("मा", "তে", "ে")
# Russian case endings, so "в России", "в Кувейте", "в Эмиратах" find Россия, Кувейт, Эмираты.
_RU_ENDINGS: tuple[str, ...] = (
    "ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "ая", "яя", "ое", "ее", "ые", "ие", "ую", "юю",
    "ах", "ях", "ам", "ям", "ом", "ем", "ой", "ей", "ых", "их", "ов", "ев",
    "ы", "и", "а", "я", "е", "у", "ю", "о", "ь", "й",
)

# Display names where Babel's (CLDR's) main name is long or official: CLDR's own short forms.
SHORT_NAMES: dict[str, dict[str, str]] = {
    "HK": {"en": "Hong Kong", "fr": "Hong Kong", "es": "Hong Kong", "ar": "هونغ كونغ", "ru": "Гонконг",
           "id": "Hong Kong", "fil": "Hong Kong", "sw": "Hong Kong"},
    "MO": {"en": "Macao", "fr": "Macao", "es": "Macao", "ar": "ماكاو", "ru": "Макао", "id": "Makau",
           "fil": "Macao", "sw": "Macao"},
    "PS": {"en": "Palestine", "fr": "Palestine", "es": "Palestina", "ar": "فلسطين", "ru": "Палестина",
           "id": "Palestina", "fil": "Palestine"},
}


@dataclass(frozen=True, slots=True)
class CountryMatch:
    """What the words name: one country (`code`), a few to choose from (`candidates`), or nothing."""

    code: str | None = None
    candidates: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return self.code is not None

    @property
    def kind(self) -> str:
        """One of exact, candidates, none: for a dispatch table."""
        return "exact" if self.code else "candidates" if self.candidates else "none"

    def __bool__(self) -> bool:
        return self.code is not None or bool(self.candidates)


NO_MATCH = CountryMatch()


# ---- normalisation -------------------------------------------------------------------------

# combining marks that are accents or vowel marks on Latin, Greek, Cyrillic and Arabic letters
# (hamza above/below too: أ إ آ become ا); marks of Indic and other scripts are letters' parts
_STRIPPED_MARKS = (
    (0x0300, 0x036F), (0x0483, 0x0489), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670),
    (0x06D6, 0x06ED), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
)
# tatweel goes; alef wasla, alef maqsura, teh marbuta and Persian yeh/kaf to their common forms
_ARABIC = str.maketrans({"\u0640": None, "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك", "ۀ": "ه"})


def _stripped_mark(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _STRIPPED_MARKS)


def _keep(ch: str) -> str:
    if _stripped_mark(ch):
        return ""
    cat = unicodedata.category(ch)
    if cat[0] in "LNM":
        return ch
    return "" if cat in ("Cf", "Cs", "Co", "Cn") else " "


def normalize(text: str) -> str:
    """Lower case, no accents or Arabic vowel marks, punctuation as spaces, single-spaced."""
    folded = unicodedata.normalize("NFKD", text.casefold()).translate(_ARABIC)
    return " ".join("".join(_keep(ch) for ch in folded).split())


def _key(text: str) -> str:
    """The lookup key: normalized, without spaces ("Côte d’Ivoire" and "cote divoire" agree)."""
    return normalize(text).replace(" ", "")


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def _ru_stem(words: Iterable[str]) -> str:
    out = []
    for word in words:
        for ending in _RU_ENDINGS_N:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                word = word[: -len(ending)]
                break
        out.append(word)
    return "".join(out)


_RU_ENDINGS_N = tuple(sorted({normalize(e) for e in _RU_ENDINGS}, key=len, reverse=True))


# ---- the index -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Index:
    names: dict[str, frozenset[str]]   # key -> codes (more than one: ambiguous)
    stems: dict[str, frozenset[str]]   # Russian stem key -> codes
    keys: tuple[str, ...]              # every key, for spelling suggestions


def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError, AttributeError):
        return None


def _babel_names(locales: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    for loc in locales:
        parsed = _locale(loc)
        territories = parsed.territories if parsed else {}
        for code in COUNTRIES:
            name = territories.get(code)
            if not name:
                continue
            yield name, code
            short = re.sub(r"\s*\(.*?\)", "", name)  # "Myanmar (Burma)" -> "Myanmar"
            if short != name:
                yield short, code
            if name.startswith("ال") and " " not in name:  # Arabic "الكويت" also as "كويت"
                yield name[2:], code


def _add(table: dict[str, set[str]], key: str, codes: Iterable[str]) -> None:
    if key:
        table.setdefault(key, set()).update(codes)


@lru_cache(maxsize=16)
def _index(locales: tuple[str, ...]) -> _Index:
    names: dict[str, set[str]] = {}
    stems: dict[str, set[str]] = {}
    pairs = [(n, (c,)) for n, c in _babel_names(locales)]
    pairs += [(a, (c,)) for c, aliases in ALIASES.items() for a in aliases]
    for name, codes in pairs:
        _add(names, _key(name), codes)
        words = normalize(name).split()
        if any(_is_cyrillic(w) for w in words):
            _add(stems, _ru_stem(words), codes)
    for name, codes in AMBIGUOUS.items():  # these replace whatever single country the name had
        names[_key(name)] = set(codes)
    frozen = {k: frozenset(v) for k, v in names.items()}
    return _Index(frozen, {k: frozenset(v) for k, v in stems.items()}, tuple(sorted(frozen)))


def _locales_arg(locales: Iterable[str] | None) -> tuple[str, ...]:
    if locales is None:
        return MATCH_LOCALES
    try:
        given = [loc for loc in locales if isinstance(loc, str) and 0 < len(loc) <= 20]
    except TypeError:
        given = []
    return tuple(sorted({"en", *given}))


def warm(locales: Iterable[str] | None = None) -> None:
    """Build the name index now (about 0.2 s for 13 languages) rather than on her first message."""
    _index(_locales_arg(locales))


# ---- matching ------------------------------------------------------------------------------

_LEAD = tuple(sorted({tuple(normalize(w).split()) for w in LEAD_WORDS} - {()}, key=len, reverse=True))
_TRAIL = frozenset(normalize(w) for w in TRAIL_WORDS)
_FILLER = _TRAIL | {p[0] for p in _LEAD if len(p) == 1}  # never spelling-matched on their own ("saya")


def _forms(words: list[str]) -> list[list[str]]:
    """The words, then the words with one more leading phrase stripped each time."""
    while len(words) > 1 and words[-1] in _TRAIL:
        words = words[:-1]
    forms = [words]
    for _ in range(8):
        lead = next((p for p in _LEAD if len(p) < len(words) and tuple(words[: len(p)]) == p), None)
        if lead is None:
            break
        words = words[len(lead):]
        forms.append(words)
    return forms


def _variants(words: list[str]) -> list[str]:
    """Keys to try for one form: as typed, and without a glued locative ending or Arabic «ب»."""
    key = "".join(words)
    out = [key]
    out += [key[: -len(s)] for s in _GLUED_SUFFIXES if key.endswith(s) and len(key) > len(s) + 1]
    if key.startswith(("بال", "وال", "فال")):
        out.append(key[1:])
    return out


def _lookup(index: _Index, words: list[str]) -> frozenset[str]:
    for key in _variants(words):
        if key in index.names:
            return index.names[key]
    if any(_is_cyrillic(w) for w in words):
        return index.stems.get(_ru_stem(words), frozenset())
    return frozenset()


def _ordered(codes: Iterable[str]) -> tuple[str, ...]:
    """Candidates in a stable order (picker countries first), at most MAX_CANDIDATES."""
    rank = {c: i for i, c in enumerate(PICKER)}
    return tuple(sorted(dict.fromkeys(codes), key=lambda c: (rank.get(c, len(rank)), c)))[:MAX_CANDIDATES]


def _result(codes: frozenset[str]) -> CountryMatch:
    if len(codes) == 1:
        return CountryMatch(code=next(iter(codes)))
    return CountryMatch(candidates=_ordered(codes))


def _inside(index: _Index, words: list[str]) -> list[str]:
    """Countries named inside a longer sentence ("I work as a maid in Kuwait"), longest names first."""
    found: list[str] = []
    covered: set[int] = set()
    for n in range(min(4, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            span = set(range(i, i + n))
            if span & covered:
                continue
            key = "".join(words[i:i + n])
            codes = index.names.get(key) if len(key) >= 4 else None
            if codes:
                found += sorted(codes)
                covered |= span
    return found


def _spelling(index: _Index, words: list[str]) -> list[str]:
    """Countries whose names are spelt close to the words, closest first."""
    tries = ["".join(words)] + [w for w in words[:8] if len(w) >= 4 and w not in _FILLER]
    found: list[str] = []
    for key in dict.fromkeys(tries):
        if not 3 <= len(key) <= 40:
            continue
        for near in difflib.get_close_matches(key, index.keys, n=MAX_CANDIDATES * 2, cutoff=_SPELLING_CUTOFF):
            found += sorted(index.names[near])
    return found


def match_country(text: str | None, locales: Iterable[str] | None = None) -> CountryMatch:
    """The country `text` names, in any of `locales` (pass every shipped one, not only hers).

    Exact when the whole message (after "I am in…"-like words) is one country's name, short
    form or city; candidates when it fits several, names a country inside a longer sentence,
    or is spelt close to a name; nothing otherwise. Never raises.
    """
    if not isinstance(text, str):
        return NO_MATCH
    words = normalize(text[:_MAX_INPUT]).split()
    if not words:
        return NO_MATCH
    index = _index(_locales_arg(locales))
    forms = _forms(words)
    for form in forms:
        codes = _lookup(index, form)
        if codes:
            return _result(codes)
    near = _inside(index, words) or _spelling(index, forms[-1])
    return CountryMatch(candidates=_ordered(near)) if near else NO_MATCH


# ---- phone numbers, picker, names ----------------------------------------------------------

def country_from_phone(e164: str | None) -> str | None:
    """The country of a phone number's SIM ("+9665…" -> "SA"); None if non-geographic or unknown.

    Only a suggestion: the SIM's country is not always where she is. Ask her to confirm.
    """
    if not isinstance(e164, str) or not 4 <= len(e164.strip()) <= 32:
        return None
    raw = e164.strip()
    try:
        number = phonenumbers.parse(raw if raw.startswith("+") else "+" + raw, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    return region if region in COUNTRIES else None


@dataclass(frozen=True, slots=True)
class PickerPage:
    """One page of countries to pick from; `has_more` means show "Another country" after them."""

    codes: tuple[str, ...]
    page: int
    has_more: bool


def picker_order(locale: str = "en") -> tuple[str, ...]:
    """Every country: the PICKER ones first, then the others in the order of their names in `locale`."""
    rest = sorted(COUNTRIES - set(PICKER), key=lambda c: (normalize(country_name(c, locale)), c))
    return PICKER + tuple(rest)


def picker_page(page: int = 0, size: int = 8, locale: str = "en") -> PickerPage:
    """Page `page` (from 0) of `picker_order(locale)`, `size` countries a page."""
    size = max(1, size)
    page = max(0, page)
    order = _picker_order_cached(locale if isinstance(locale, str) else "en")
    start = page * size
    return PickerPage(order[start:start + size], page, start + size < len(order))


@lru_cache(maxsize=32)
def _picker_order_cached(locale: str) -> tuple[str, ...]:
    return picker_order(locale)


@lru_cache(maxsize=64)
def _territories(locale: str) -> dict[str, str]:
    parsed = _locale(locale) if isinstance(locale, str) else None
    return dict(parsed.territories) if parsed else {}


def country_name(code: str | None, locale: str = "en") -> str:
    """The country's name in `locale` (short CLDR form where the main one is long), else English, else the code."""
    if not isinstance(code, str) or not code:
        return ""
    code = code.upper()
    locale = locale if isinstance(locale, str) else "en"
    lang = locale.replace("-", "_").split("_")[0].lower()
    short = SHORT_NAMES.get(code, {})
    return (short.get(lang) or _territories(locale).get(code) or short.get("en")
            or _territories("en").get(code) or code)
