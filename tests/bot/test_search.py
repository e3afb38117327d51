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


# -- the scripts of the new languages: vowel signs are part of the word, joiners and
# -- punctuation are not

def test_devanagari_bengali_and_sinhala_words_keep_their_vowel_signs():
    def words(*ws: str) -> list[str]:
        return [normalise(w) for w in ws]  # (compatibility-decomposed, as every indexed word is)

    assert tokens("राहदानी कहाँ छ?") == words("राहदानी", "कहाँ")  # one token per word, not split at ा
    assert tokens("পাসপোর্ট কোথায়") == words("পাসপোর্ট", "কোথায়")
    assert tokens("විදේශ රැකියා") == words("විදේශ", "රැකියා")
    assert normalise("राहदानी") != normalise("रहदन")  # the vowel signs are letters, not accents


def test_joiners_do_not_split_or_change_a_word():
    with_zwj, without = "ශ්\u200dරී ලංකා", "ශ්රී ලංකා"  # Sri Lanka, typed both ways
    assert tokens(with_zwj) == tokens(without) == [normalise("ශ්රී"), normalise("ලංකා")]


def test_ethiopic_punctuation_and_wordspace_separate_words():
    assert tokens("ፓስፖርት፡ኤጀንሲ።ውል፣ደመወዝ") == ["ፓስፖርት", "ኤጀንሲ", "ውል", "ደመወዝ"]
    assert tokens("मद्दत।सहयोग") == [normalise("मद्दत"), normalise("सहयोग")]  # the danda ends a sentence


def test_native_and_romanised_keywords_find_the_same_item():
    index = SearchIndex()
    index.add("passport", [("keywords", "राहदानी rahadani passport"), ("title", "राहदानी आफैंसँग राख्नुहोस्")])
    index.add("wages", [("keywords", "तलब talab"), ("title", "तलब")])
    assert index.search("राहदानी")[0] == "passport"
    assert index.search("rahadani")[0] == "passport"
    assert index.search("मेरो राहदानी कहाँ")[0] == "passport"
    assert index.search("talab") == ["wages"]
