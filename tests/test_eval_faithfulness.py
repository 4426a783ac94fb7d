"""eval.faithfulness and eval.lengths on hand-made texts."""

from __future__ import annotations

import pytest

from eval import faithfulness, lengths

SOURCE = ("The Harbor Bridge will close for 18 months from March 2025, officials said on Monday. "
          "Repairs cost $1,200,000 and Mayor Ana Ruiz said 2.5 percent of traffic would move to "
          "the Ferry Line.")


def test_numbers_are_normalised():
    assert faithfulness.numbers("1,200,000 people, 2.50 percent, the 83rd minute, 2025.") == \
        ["1200000", "2.5", "83", "2025"]


def test_number_words_and_scales_count_as_numbers():
    assert faithfulness.numbers("eighteen months, $62 million, twenty-five homes") == ["18", "62000000", "25"]


def test_names_join_words_and_drop_sentence_starters():
    found = faithfulness.names("The Harbor Bridge will close. Mayor Ana Ruiz said it. He left New York City.")
    assert found == ["Harbor Bridge", "Mayor Ana Ruiz", "New York City"]


def test_proxies_of_a_faithful_prediction():
    pred = "Harbor Bridge closes for 18 months from March 2025.\nRepairs cost $1,200,000."
    p = faithfulness.article_proxies(pred, SOURCE)
    assert p["numbers_in_source"] == 1.0
    assert p["names_in_source"] == 1.0
    assert p["novel_1gram"] == pytest.approx(1 / 14)  # "closes" is the only new word of 14 ("1 200 000")


def test_proxies_catch_invented_numbers_and_names():
    pred = "The Harbor Bridge closes for 24 months. Governor Tom Hale approved 18 projects."
    p = faithfulness.article_proxies(pred, SOURCE)
    assert p["numbers_in_source"] == pytest.approx(1 / 2)  # 24 invented, 18 found
    assert p["names_in_source"] == pytest.approx(1 / 2)  # Governor Tom Hale invented
    assert p["novel_2gram"] > 0.5


def test_proxies_agree_with_the_app_warnings():
    from summarizer.evidence import unsupported_facts

    source = "Work will close the bridge for about eighteen months. The plan costs $62 million, Mayor Elena Ruiz said."
    pred = "The bridge closes for 18 months.\nMayor Ruiz backs the $62,000,000 plan."
    p = faithfulness.article_proxies(pred, source)
    assert p["numbers_in_source"] == 1.0 and p["names_in_source"] == 1.0
    assert unsupported_facts(pred, source) == []
    bad = "The bridge closes for 20 months.\nGovernor Tom Hale backs the $62 billion plan."
    p = faithfulness.article_proxies(bad, source)
    assert p["numbers_in_source"] == 0.0 and p["names_in_source"] == 0.0
    assert unsupported_facts(bad, source) == ["20", "Governor Tom Hale", "62 billion"]


def test_tokenized_source_and_plain_prediction():
    source = "Tottenham 's Andros Townsend scored in the 83rd minute , the U.S . team said ."
    p = faithfulness.article_proxies("Andros Townsend's goal came in the 83rd minute for the U.S. team.", source)
    assert p["numbers_in_source"] == 1.0 and p["names_in_source"] == 1.0


def test_tokenized_contractions_are_not_novel_words():
    """The model reads a tokenized source as plain text and writes "can't"; "ca n't" in the source
    is the same word, not a novel "can"."""
    source = "The club ca n't sign him , the manager said . He wo n't leave , his agent said ."
    p = faithfulness.article_proxies("The club can't sign him, the manager said.", source)
    assert p["novel_1gram"] == 0.0 and p["novel_2gram"] == 0.0


def test_undefined_proxies_are_none_and_left_out_of_the_mean():
    rows = [faithfulness.article_proxies("no numbers here", SOURCE),
            faithfulness.article_proxies("It closes in 2025.", SOURCE)]
    assert rows[0]["numbers_in_source"] is None and rows[1]["numbers_in_source"] == 1.0
    assert faithfulness.article_proxies("", SOURCE)["novel_1gram"] is None
    total = faithfulness.overall(rows)
    assert total["numbers_in_source"] == {"mean": 100.0, "articles": 1}


def test_words_are_rouge_tokens_without_stemming():
    from eval.rouge import tokens

    for text in [SOURCE, "Café owners' 3.5% rise -- U.S.-based\nfirms", "", "¿Qué? 12,000 ans"]:
        assert faithfulness.words(text) == list(tokens(text, stem=False))


def test_tokenized_and_plain_text_give_the_same_words():
    assert faithfulness.words("England 's 0-0 draw , he said .") == faithfulness.words("England's 0-0 draw, he said.")
    p = faithfulness.article_proxies("England's 0-0 draw.", "Tottenham 's 0-0 draw with England 's team .")
    assert p["novel_1gram"] == 0.0


def test_lengths_count_words_and_bullets():
    got = lengths.article_lengths("First bullet here\nSecond one. And a third.", "One reference sentence.")
    assert got == {"prediction_words": 8, "prediction_bullets": 3, "reference_words": 3, "reference_bullets": 1}
    assert lengths.overall([got, {k: 0 for k in got}])["prediction_words"] == 4.0
