"""Emergency numbers per country: content/emergency/<CC>.yaml, one reviewable file per country.

HELP must always give a number a woman can dial from where she is. Each file holds the
numbers of one country (police, ambulance, fire, one number for all, and where one exists a
line for violence against women, against trafficking or for children), the public page they
were checked against and the date. Nothing here is invented: a country whose numbers could
not be found in a public source has no file.

    country: SA
    numbers:
      - kind: general
        number: "911"
        note: {en: "Riyadh, Makkah and Eastern Province"}
      - kind: police
        number: "999"
    source: https://...          # the page the numbers were checked against
    source_note: ...             # optional: what kind of page it is, when not an official one
    last_verified: 2026-12-01

A number may carry its own `source` (women's and anti-trafficking lines come from an official
page or the operating organisation's page, often not the page of the basic numbers) and a
`dial_from_abroad` form ("+63 2 1348") where dialling from a foreign SIM needs it.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content_files import files_signature
from bot.countries import UN_MEMBER_STATES

# The order HELP shows them in: one number for everything first, then police and ambulance,
# then the specialised lines.
KINDS: tuple[str, ...] = ("general", "police", "ambulance", "women", "trafficking", "fire", "child")
Kind = Literal["general", "police", "ambulance", "women", "trafficking", "fire", "child"]

# The 193 UN member states: one list, in bot.countries (with its source).
TERRITORIES: frozenset[str] = frozenset({"HK", "MO", "TW", "PS", "XK"})
KNOWN_COUNTRIES: frozenset[str] = UN_MEMBER_STATES | TERRITORIES

# Digits, spaces, '-' and one leading '+'; at least two digits.
NUMBER_PATTERN = r"^\+?[0-9](?:[0-9 \-]*[0-9])?$"
_LOCALE = re.compile(r"^[a-z]{2,3}$")


class EmergencyNumber(BaseModel):
    """One number of one country."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind
    number: str = Field(pattern=NUMBER_PATTERN, max_length=30)
    note: dict[str, str] = Field(default_factory=dict)
    dial_from_abroad: str | None = Field(default=None, pattern=r"^\+[0-9][0-9 \-]*[0-9]$", max_length=30)
    source: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=500)

    @field_validator("number", mode="before")
    @classmethod
    def _number_is_text(cls, value: object) -> object:
        if isinstance(value, int):
            raise ValueError("write the number in quotes (\"112\"), or leading zeros and spaces are lost")
        return value

    @field_validator("note")
    @classmethod
    def _note(cls, value: dict[str, str]) -> dict[str, str]:
        if value and "en" not in value:
            raise ValueError("a note needs its English text (en)")
        for locale, text in value.items():
            if not _LOCALE.match(locale):
                raise ValueError(f"{locale!r} is not a language code")
            if not text.strip() or len(text) > 200:
                raise ValueError(f"note '{locale}' must be 1 to 200 characters")
        return value

    def digits(self) -> str:
        """The number as dialled: '+' and digits only."""
        return re.sub(r"[^0-9+]", "", self.number)


class EmergencyNumbers(BaseModel):
    """One country's file, content/emergency/<country>.yaml."""

    model_config = ConfigDict(extra="forbid")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    numbers: list[EmergencyNumber] = Field(min_length=1)
    source: str = Field(pattern=r"^https?://\S+$", max_length=500)
    source_note: str | None = Field(default=None, max_length=300)
    last_verified: dt.date

    @field_validator("numbers")
    @classmethod
    def _no_duplicates(cls, value: list[EmergencyNumber]) -> list[EmergencyNumber]:
        seen: set[tuple[str, str]] = set()
        for n in value:
            key = (n.kind, n.digits())
            if key in seen:
                raise ValueError(f"{n.kind} {n.number} is listed twice")
            seen.add(key)
        return value

    def ordered(self) -> list[EmergencyNumber]:
        """The numbers in HELP's order: general, police, ambulance, women, trafficking, fire, child."""
        return sorted(self.numbers, key=lambda n: KINDS.index(n.kind))


class EmergencyDataError(ValueError):
    """content/emergency holds broken files; `problems` says precisely what and where."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in content/emergency: " + "; ".join(problems[:5]))
        self.problems = problems


def _explain(err: dict) -> str:
    """One pydantic error as a line a reviewer can act on."""
    loc = ".".join(str(p) for p in err["loc"]) or "file"
    msg = err["msg"]
    if err["type"] == "missing":
        msg = "required field is missing"
    elif err["type"] == "string_pattern_mismatch" and err["loc"][-1] in ("number", "dial_from_abroad"):
        msg = f"{err['input']!r} is not a phone number (digits, spaces, '-' and a leading '+' only)"
    elif err["loc"] == ("country",) and isinstance(err.get("input"), bool):
        msg = 'write the code in quotes (country: "NO"): YAML reads a bare NO as false'
    elif err["type"] == "literal_error":
        msg = f"{err['input']!r} is not a kind ({', '.join(KINDS)})"
    return f"{loc}: {msg}"


def _read_file(path: Path, today: dt.date) -> tuple[EmergencyNumbers | None, list[str]]:
    where = f"emergency/{path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        return None, [f"{where}: not valid YAML: {exc}"]
    if not isinstance(data, dict):
        return None, [f"{where}: must be a mapping with country, numbers, source and last_verified"]
    try:
        parsed = EmergencyNumbers.model_validate(data)
    except ValidationError as exc:
        return None, [f"{where}: {_explain(err)}" for err in exc.errors()]
    problems = []
    if path.stem != parsed.country:
        problems.append(f"{where}: file name must be the country code ({parsed.country}.yaml)")
    if parsed.country not in KNOWN_COUNTRIES:
        problems.append(f"{where}: {parsed.country} is not a UN member state or a listed territory")
    if parsed.last_verified > today:
        problems.append(f"{where}: last_verified {parsed.last_verified} is in the future")
    return (None if problems else parsed), problems


_PARSED: dict[tuple, tuple[dict[str, EmergencyNumbers], list[str]]] = {}


def read_emergency(content_dir: Path, today: dt.date | None = None) -> tuple[dict[str, EmergencyNumbers], list[str]]:
    """Every valid file by country, and one precise line per problem; a broken file is skipped
    whole. Reused (callers must not change it) while no file and not the day changed."""
    today = today or dt.date.today()
    signature = (today, files_signature(Path(content_dir) / "emergency"))
    if signature not in _PARSED:
        _PARSED.clear()
        _PARSED[signature] = _read_emergency(content_dir, today)
    return _PARSED[signature]


def _read_emergency(content_dir: Path, today: dt.date) -> tuple[dict[str, EmergencyNumbers], list[str]]:
    found: dict[str, EmergencyNumbers] = {}
    problems: list[str] = []
    folder = Path(content_dir) / "emergency"
    for path in sorted(folder.glob("*")):
        if path.suffix != ".yaml":
            if path.is_file() and path.name != "README.md":
                problems.append(f"emergency/{path.name}: not a .yaml file")
            continue
        parsed, errs = _read_file(path, today)
        problems.extend(errs)
        if parsed is not None:
            found[parsed.country] = parsed
    return found, problems


def load_emergency(content_dir: Path, today: dt.date | None = None) -> dict[str, EmergencyNumbers]:
    """Every country's numbers; raises EmergencyDataError listing every problem if any file is broken."""
    found, problems = read_emergency(content_dir, today)
    if problems:
        raise EmergencyDataError(problems)
    return found


def check_emergency(content_dir: Path, today: dt.date | None = None) -> list[str]:
    """What `content check` reports: one line per broken file or field (empty when all is well)."""
    return read_emergency(content_dir, today)[1]


def missing_member_states(data: dict[str, EmergencyNumbers]) -> list[str]:
    """UN member states with no file (no number could be sourced for them)."""
    return sorted(UN_MEMBER_STATES - set(data))


def numbers_for(data: dict[str, EmergencyNumbers], country: str | None) -> list[EmergencyNumber]:
    """A country's numbers in HELP's order (general, police, ambulance, women, trafficking, fire,
    child); [] for an unknown country or none."""
    entry = data.get((country or "").upper())
    return entry.ordered() if entry else []


def coverage_rows(data: dict[str, EmergencyNumbers]) -> list[tuple[str, str, dt.date]]:
    """(country, its kinds in HELP's order, last verified), for `content check`'s table."""
    rows = []
    for country in sorted(data):
        kinds = []
        for n in data[country].ordered():
            if n.kind not in kinds:
                kinds.append(n.kind)
        rows.append((country, " ".join(kinds), data[country].last_verified))
    return rows
