"""content check's scope rule and glossaries (content/glossary/<locale>.yaml)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import ROOT
from bot.content_check import Glossary, check_glossaries, read_glossaries
from bot.content_files import FileLibrary
from bot.content_model import Item, Service
from bot.languages import shipped_locales

EN = Glossary(
    locale="en", enforce_scope=True, enforce_terms=True,
    cites=[r"\b[Cc]onventions?\b", r"\bC\d{2,3}\b"],
    scope_phrases=["ratified", "where it applies"],
    terms=[{"term": "forced labour", "use": ["forced labour"], "avoid": ["forced labor"], "why": "one spelling"}],
)


def _item(body: str, sms: str = "Short form.", title: str = "A title") -> Item:
    tr = {"status": "reviewed", "title": title, "body": body, "sms": sms, "keywords": ["x"]}
    return Item(id="x-item", section="rights", theme="work", stages=["destination"],
                sources=[{"title": "ILO C189"}], translations={"en": tr})


def _lib(*items: Item, services: tuple[Service, ...] = ()) -> FileLibrary:
    return FileLibrary(items={i.id: i for i in items}, services={s.id: s for s in services})


def _problems(lib: FileLibrary, glossary: Glossary = EN) -> list[str]:
    return [p for p in check_glossaries(lib, {"en": glossary}).problems if "glossary/" not in p]


def test_scope_rule_fails_a_citation_without_a_scope_sentence():
    body = "The ILO Domestic Workers Convention (No. 189) gives you a weekly rest day."
    problems = _problems(_lib(_item(body)))
    assert len(problems) == 1
    assert "body cites 'Convention' but has no scope sentence" in problems[0]


def test_scope_rule_passes_a_citation_with_a_scope_sentence():
    body = ("The ILO Domestic Workers Convention (No. 189) gives you a weekly rest day. "
            "It binds only the countries that ratified it.")
    assert _problems(_lib(_item(body))) == []


def test_scope_rule_checks_the_sms_form_on_its_own():
    body = "C189 gives you a weekly rest day. It binds only the countries that ratified it."
    problems = _problems(_lib(_item(body, sms="C189: a weekly rest day.")))
    assert len(problems) == 1 and "sms cites 'C189'" in problems[0]
    assert _problems(_lib(_item(body, sms="C189, where ratified: a weekly rest day."))) == []


def test_a_text_without_citation_needs_no_scope_sentence():
    assert _problems(_lib(_item("Keep your passport. Ask a trusted group."))) == []


def test_scope_rule_not_enforced_is_only_a_warning():
    lenient = EN.model_copy(update={"enforce_scope": False})
    found = check_glossaries(_lib(_item("C189 gives you rest.")), {"en": lenient})
    assert not [p for p in found.problems if "glossary/" not in p]
    assert len(found.warnings) == 1 and "no scope sentence" in found.warnings[0]


def test_an_avoided_term_fails_the_check_in_items_and_services():
    item = _item("Forced Labor is a crime.", title="Forced labor")
    service = Service(id="xx-line", country="GB", name="A line", categories=["trafficking"], phone="100",
                      description={"en": "A helpline against forced labor."})
    problems = _problems(_lib(item, services=(service,)))
    assert len(problems) == 3
    assert all("uses 'forced labor'" in p and "'forced labour'" in p for p in problems)
    assert any(": en: title uses" in p for p in problems) and any(": en: body uses" in p for p in problems)
    assert any(p.startswith("services/gb.yaml: xx-line: en: description") for p in problems)


def test_a_missing_glossary_is_a_problem():
    found = check_glossaries(_lib(), {"en": EN})
    assert sorted(found.problems) == sorted(f"glossary/{loc}.yaml is missing" for loc in shipped_locales() if loc != "en")


def test_read_glossaries_reports_broken_files(tmp_path: Path):
    (tmp_path / "glossary").mkdir()
    (tmp_path / "glossary" / "en.yaml").write_text(yaml.safe_dump(
        {"locale": "en", "cites": ["("], "scope_phrases": ["ratified"]}), encoding="utf-8")
    (tmp_path / "glossary" / "fr.yaml").write_text(yaml.safe_dump(
        {"locale": "es", "cites": ["x"], "scope_phrases": ["y"]}), encoding="utf-8")
    errors: list[str] = []
    assert read_glossaries(tmp_path, errors) == {}
    assert any("cites" in e and "not a regular expression" in e for e in errors)
    assert any("locale must be the file name (fr)" in e for e in errors)


def test_the_shipped_glossaries_parse_and_english_enforces_both_rules():
    errors: list[str] = []
    glossaries = read_glossaries(ROOT / "content", errors)
    assert errors == []
    assert set(glossaries) == set(shipped_locales())
    assert glossaries["en"].enforce_scope and glossaries["en"].enforce_terms
    ar = glossaries["ar"]
    assert ar.avoided("هذا من العمل القسري") and not ar.avoided("هذا من العمل الجبري")
