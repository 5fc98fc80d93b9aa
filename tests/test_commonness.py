"""Whether a word is common English (kbd.engines.commonness): the same answers from wordfreq's small
word list, which a compile of one note loads in a fraction of the large one's time."""

from __future__ import annotations

import pytest

from kbd.engines import commonness

wordfreq = pytest.importorskip("wordfreq")

# Words either side of COMMON_ZIPF (4.0), with their Zipf frequency in the large list.
NEAR_THE_LINE = {"graph": True, "settings": True, "integrity": True, "night": True, "memory": True,
                 "plugin": False, "taxonomy": False, "ontology": False, "melatonin": False, "hippocampus": False}


def test_common_words_come_from_the_small_word_list_with_the_large_lists_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    real_read = wordfreq.read_cBpack
    monkeypatch.setattr(wordfreq, "read_cBpack", lambda filename: read.append(filename) or real_read(filename))
    wordfreq.get_frequency_list.cache_clear()
    wordfreq.get_frequency_dict.cache_clear()
    commonness.is_common_word.cache_clear()
    try:
        answers = {word: commonness.is_common_word(word) for word in NEAR_THE_LINE}
    finally:
        commonness.is_common_word.cache_clear()
    assert answers == NEAR_THE_LINE
    assert read and all("small_en" in name for name in read), read
    for word in NEAR_THE_LINE:  # what the large list says: the same side of the line
        assert (wordfreq.zipf_frequency(word, "en") >= commonness.COMMON_ZIPF) == NEAR_THE_LINE[word]


def test_a_rarer_word_is_an_everyday_noun_and_a_rare_one_is_not() -> None:
    # EVERYDAY_NOUN_ZIPF (3.0): words a technical page writes as common nouns; "ontology" and "melatonin" stay
    # words a page can be about by density alone.
    for word, everyday in {"token": True, "workflow": True, "plugin": True, "repository": True,
                           "ontology": False, "melatonin": False, "hippocampus": False}.items():
        assert commonness.is_everyday_noun(word) == everyday, word
        assert (wordfreq.zipf_frequency(word, "en") >= commonness.EVERYDAY_NOUN_ZIPF) == everyday, word
