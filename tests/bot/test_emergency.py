"""Emergency numbers: the real files in content/emergency, and broken files giving clear errors."""

import datetime as dt
from pathlib import Path

import phonenumbers.shortnumberinfo as shortnumbers
import pytest

from bot.emergency import (
    KINDS,
    UN_MEMBER_STATES,
    EmergencyDataError,
    check_emergency,
    coverage_rows,
    load_emergency,
    missing_member_states,
    numbers_for,
)

CONTENT = Path(__file__).resolve().parents[2] / "content"

# Member states no public source could be found for yet (each is named in the hand-over report).
NOT_YET_SOURCED: set[str] = {
    "ER", "GQ", "GW", "KM", "MH", "ST", "TV",
}

# Police, ambulance, fire and general numbers Google's libphonenumber (ShortNumberMetadata,
# shipped in the `phonenumbers` package) does not list as emergency numbers for the country,
# each checked against the file's source: (country, number).
NOT_IN_LIBPHONENUMBER: set[tuple[str, str]] = {
    ("AO", "111"),
    ("BF", "16"),
    ("CF", "1212"),
    ("CM", "118"),
    ("CV", "112"),
    ("DZ", "1055"),
    ("DZ", "1548"),
    ("EG", "126"),
    ("FJ", "910"),
    ("GA", "177"),
    ("GH", "112"),
    ("GM", "996 8885"),
    ("GN", "117"),
    ("GN", "18"),
    ("HN", "911"),
    ("HT", "122"),
    ("HT", "3838 1111"),
    ("HT", "3839 1111"),
    ("IQ", "911"),
    ("KE", "911"),
    ("KG", "112"),
    ("KI", "188"),
    ("KP", "110"),
    ("LA", "1190"),
    ("LA", "1191"),
    ("LA", "1195"),
    ("LK", "1990"),
    ("LS", "1112"),
    ("LY", "1412"),
    ("MA", "112"),
    ("ML", "80 00 11 14"),
    ("ML", "80 00 11 15"),
    ("ML", "80 00 11 16"),
    ("MM", "191"),
    ("MR", "117"),
    ("MR", "120"),
    ("MV", "1478"),
    ("MV", "911"),
    ("MW", "990"),
    ("MZ", "112"),
    ("NA", "211111"),
    ("NG", "112"),
    ("NP", "1144"),
    ("PE", "106"),
    ("PG", "112"),
    ("PG", "1800 100"),
    ("SL", "117"),
    ("SM", "112"),
    ("SN", "123"),
    ("SR", "110"),
    ("SR", "113"),
    ("SS", "122"),
    ("SS", "777"),
    ("SV", "132"),
    ("TD", "2251 4242"),
    ("TH", "1155"),
    ("TN", "193"),
    ("UG", "112"),
    ("UZ", "102"),
    ("UZ", "103"),
    ("UZ", "112"),
    ("VU", "113"),
}


@pytest.fixture(scope="module")
def real():
    return load_emergency(CONTENT)


def test_the_un_member_state_list_has_193_states():
    assert len(UN_MEMBER_STATES) == 193


def test_real_files_load_without_problems():
    assert check_emergency(CONTENT) == []


def test_every_un_member_state_has_a_number_to_dial(real):
    assert set(missing_member_states(real)) == NOT_YET_SOURCED
    for country in UN_MEMBER_STATES - NOT_YET_SOURCED:
        assert numbers_for(real, country), country
        first = numbers_for(real, country)[0]
        # fire brigades and civil protection take rescue calls where no other number could be sourced
        assert first.kind in ("general", "police", "ambulance", "fire"), f"{country}: HELP must start with an emergency number"


def test_basic_numbers_are_emergency_numbers_for_libphonenumber(real):
    """An independent check against typos: Google's list of each country's emergency numbers."""
    unknown = set()
    for country, entry in real.items():
        for n in entry.numbers:
            if n.kind in ("general", "police", "ambulance", "fire") and not n.number.startswith("+"):
                if not shortnumbers.is_emergency_number(n.digits(), country):
                    unknown.add((country, n.number))
    assert unknown == NOT_IN_LIBPHONENUMBER


def test_specialised_lines_name_their_own_source_or_share_an_official_one(real):
    for country, entry in real.items():
        for n in entry.numbers:
            if n.kind in ("women", "trafficking", "child"):
                assert n.source or not entry.source_note, (
                    f"{country}: {n.kind} {n.number} needs an official source, not the general list")


def test_numbers_come_in_helps_order(real):
    for country in real:
        kinds = [n.kind for n in numbers_for(real, country)]
        assert kinds == sorted(kinds, key=KINDS.index)
    assert numbers_for(real, None) == []
    assert numbers_for(real, "ZZ") == []


def test_coverage_rows_name_every_country_once(real):
    rows = coverage_rows(real)
    assert [r[0] for r in rows] == sorted(real)


# --- broken files ---------------------------------------------------------------------------

GOOD = """\
country: {cc}
numbers:
  - kind: police
    number: "999"
  - kind: women
    number: "+63 2 1348"
    note: {{en: "24 hours"}}
source: https://example.org/numbers
last_verified: 2026-11-30
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "emergency"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_good_file_loads_in_helps_order(tmp_path):
    data = load_emergency(write(tmp_path, "PH.yaml", GOOD.format(cc="PH")), today=dt.date(2026, 12, 1))
    assert [n.kind for n in numbers_for(data, "ph")] == ["police", "women"]
    assert numbers_for(data, "PH")[1].digits() == "+6321348"


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("SA.yaml", GOOD.format(cc="PH"), "emergency/SA.yaml: file name must be the country code (PH.yaml)"),
    ("ZZ.yaml", GOOD.format(cc="ZZ"), "emergency/ZZ.yaml: ZZ is not a UN member state or a listed territory"),
    ("PH.yaml", GOOD.format(cc="PH").replace('"999"', '"999 ext. 2"'),
     "emergency/PH.yaml: numbers.0.number: '999 ext. 2' is not a phone number"),
    ("PH.yaml", GOOD.format(cc="PH").replace('"999"', '"99+9"'),
     "emergency/PH.yaml: numbers.0.number: '99+9' is not a phone number"),
    ("PH.yaml", GOOD.format(cc="PH").replace('"999"', "999"),
     "emergency/PH.yaml: numbers.0.number: Value error, write the number in quotes"),
    ("PH.yaml", GOOD.format(cc="PH").replace("kind: police", "kind: embassy"),
     "emergency/PH.yaml: numbers.0.kind: 'embassy' is not a kind (general, police, ambulance"),
    ("PH.yaml", GOOD.format(cc="PH").replace("source: https://example.org/numbers\n", ""),
     "emergency/PH.yaml: source: required field is missing"),
    ("PH.yaml", GOOD.format(cc="PH").replace("last_verified: 2026-11-30\n", ""),
     "emergency/PH.yaml: last_verified: required field is missing"),
    ("PH.yaml", GOOD.format(cc="PH").replace("2026-11-30", "2027-01-01"),
     "emergency/PH.yaml: last_verified 2027-01-01 is in the future"),
    ("PH.yaml", GOOD.format(cc="PH").replace("{en: ", "{fr: "),
     "emergency/PH.yaml: numbers.1.note: Value error, a note needs its English text (en)"),
    ("PH.yaml", GOOD.format(cc="PH").replace("kind: women", "kind: police").replace('"+63 2 1348"', '"9-9-9"'),
     "emergency/PH.yaml: numbers: Value error, police 9-9-9 is listed twice"),
    ("PH.yaml", "country: PH\nnumbers: []\nsource: https://x.org\nlast_verified: 2026-11-30\n",
     "emergency/PH.yaml: numbers: List should have at least 1 item"),
    ("NO.yaml", GOOD.format(cc="NO"), "emergency/NO.yaml: country: write the code in quotes"),
    ("PH.yaml", "country: PH\n  numbers: [", "emergency/PH.yaml: not valid YAML"),
    ("PH.yaml", "- just a list\n", "emergency/PH.yaml: must be a mapping"),
    ("PH.yml", GOOD.format(cc="PH"), "emergency/PH.yml: not a .yaml file"),
])
def test_bad_files_give_precise_errors(tmp_path, name, text, expected):
    content = write(tmp_path, name, text)
    problems = check_emergency(content, today=dt.date(2026, 12, 1))
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(EmergencyDataError) as caught:
        load_emergency(content, today=dt.date(2026, 12, 1))
    assert caught.value.problems == problems


def test_one_broken_file_does_not_hide_the_good_ones(tmp_path):
    write(tmp_path, "PH.yaml", GOOD.format(cc="PH"))
    write(tmp_path, "SA.yaml", GOOD.format(cc="SA").replace('"999"', '"abc"'))
    problems = check_emergency(tmp_path, today=dt.date(2026, 12, 1))
    assert len(problems) == 1 and problems[0].startswith("emergency/SA.yaml")
