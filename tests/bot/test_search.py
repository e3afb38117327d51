"""Keyword search, per language, tolerant of case, accents and simple word endings."""

from bot.search import SearchIndex, normalise, tokens


def test_normalise_drops_case_accents_and_arabic_marks():
    assert normalise("Pasaporte ÉTÉ") == "pasaporte ete"
    assert normalise("جَوَاز") == "جواز"


def test_tokens_skip_single_letters_and_numbers():
    assert tokens("I paid 2000 fees!") == ["paid", "fees"]


def test_search_ranks_keywords_over_body_and_matches_word_forms():
    index = SearchIndex()
    index.add("fees", [("keywords", "fee recruiter"), ("title", "No fees"), ("body", "x")])
    index.add("passport", [("keywords", "passport"), ("title", "Passport"), ("body", "fees are mentioned")])
    assert index.search("fees")[0] == "fees"
    assert index.search("recruiters") == ["fees"]
    assert index.search("passports") == ["passport"]
    assert index.search("nothing here") == []
