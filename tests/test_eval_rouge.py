"""eval.rouge and eval.stats: known values on hand-made pairs, parity with rouge_score, CIs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from eval.rouge import (ROUGE_TYPES, aggregate, as_percent, lcs_length, lsum_text, score_all, score_pair,
                        score_pairs, sentence_lines)
from eval.stats import bootstrap_ci, paired_bootstrap


def f1(s):
    return round(s.fmeasure, 6)


# ---- hand-made pairs with values worked out on paper ---------------------------------------
def test_known_values_unigram_bigram_lcs():
    # ref: the cat sat on a mat / pred: the cat sat on the mat
    s = score_pair("the cat sat on the mat", "the cat sat on a mat")
    assert f1(s["rouge1"]) == round(5 / 6, 6)  # the, cat, sat, on, mat
    assert f1(s["rouge2"]) == round(3 / 5, 6)  # the cat, cat sat, sat on
    assert f1(s["rougeL"]) == round(5 / 6, 6)  # LCS "the cat sat on mat"
    assert s["rouge1"].precision == pytest.approx(5 / 6) and s["rouge1"].recall == pytest.approx(5 / 6)


def test_precision_and_recall_are_not_swapped():
    s = score_pair("police arrested two men", "police arrested two men on friday night")
    assert s["rouge1"].precision == pytest.approx(1.0)
    assert s["rouge1"].recall == pytest.approx(4 / 7)


def test_porter_stemming_is_on():
    s = score_pair("Officials reported rising prices", "officials report rise in price")
    # official, report, rise, price match after stemming; "in" only in the reference
    assert s["rouge1"].precision == pytest.approx(1.0)
    assert s["rouge1"].recall == pytest.approx(4 / 5)


def test_rougelsum_rewards_matching_sentences_in_any_order():
    ref = "The mayor resigned on Monday.\nA new vote is set for May."
    pred = "A new vote is set for May.\nThe mayor resigned on Monday."
    s = score_pair(pred, ref)
    assert s["rouge1"].fmeasure == pytest.approx(1.0)
    assert s["rougeLsum"].fmeasure == pytest.approx(1.0)
    assert s["rougeL"].fmeasure < 0.6  # plain LCS over the whole text sees one order only


def test_one_paragraph_is_split_into_sentences_for_lsum():
    ref = "The mayor resigned on Monday. A new vote is set for May."
    pred = "A new vote is set for May. The mayor resigned on Monday."
    assert score_pair(pred, ref)["rougeLsum"].fmeasure == pytest.approx(1.0)
    assert score_pair(pred, ref, split=False)["rougeLsum"].fmeasure < 0.6


def test_sentence_lines_handles_tokenized_text_and_bullets():
    tokenized = ("Sterling was exposed on monday . 24 hours later pictures emerged . "
                 "' i 'm happy , ' said bolt . This is pimpin now ! ! !")
    assert sentence_lines(tokenized) == ["Sterling was exposed on monday .", "24 hours later pictures emerged .",
                                         "' i 'm happy , ' said bolt .", "This is pimpin now ! ! !"]
    assert sentence_lines("First bullet\n\n  Second bullet. It has two sentences.\n") == \
        ["First bullet", "Second bullet.", "It has two sentences."]
    assert sentence_lines("Mr. Smith met Dr. Jones in St. Louis on Jan. 5.") == \
        ["Mr. Smith met Dr. Jones in St. Louis on Jan. 5."]
    assert lsum_text("A b. C d.") == "A b.\nC d."


def test_empty_sides_score_zero():
    for pred, ref in [("", "some reference"), ("some prediction", ""), ("", ""), ("  \n ", "x y"),
                      ("!!! ...", "words here")]:
        s = score_pair(pred, ref)
        assert all(s[t].fmeasure == 0.0 for t in ROUGE_TYPES), (pred, ref)


def test_lcs_length_known_cases():
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert lcs_length([], ["a"]) == 0
    assert lcs_length(["a", "b"], ["c"]) == 0
    assert lcs_length(["x"] * 70, ["x"] * 65) == 65  # longer than one machine word


def test_score_pairs_is_mean_f1_times_100():
    preds = ["the cat sat on the mat", "nothing in common"]
    refs = ["the cat sat on a mat", "completely different words"]
    out = score_pairs(preds, refs)
    assert set(out) == set(ROUGE_TYPES)
    assert out["rouge1"] == pytest.approx(100 * (5 / 6 + 0) / 2)
    assert out["rouge2"] == pytest.approx(100 * (3 / 5) / 2)
    with pytest.raises(ValueError):
        score_pairs(["a"], [])


# ---- parity with rouge_score ---------------------------------------------------------------
def assert_same_as_rouge_score(preds, refs):
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    ours = score_all(preds, refs)
    for p, r, o in zip(preds, refs, ours):
        theirs = scorer.score(lsum_text(r), lsum_text(p))
        for t in ROUGE_TYPES:
            assert o[t].precision == pytest.approx(theirs[t].precision, abs=1e-12), (t, p, r)
            assert o[t].recall == pytest.approx(theirs[t].recall, abs=1e-12), (t, p, r)
            assert o[t].fmeasure == pytest.approx(theirs[t].fmeasure, abs=1e-12), (t, p, r)


def test_same_numbers_as_rouge_score_on_example_reports(example_reports):
    from summarizer.reports import parse_report

    reps = [parse_report(t) for t in example_reports.values()]
    refs = [r.reference for r in reps]
    preds = ["\n".join(sentence_lines(r.text)[:k]) for r in reps for k in (1, 3)] + [reps[0].text]
    refs = [ref for ref in refs for _ in (1, 3)] + [refs[1]]
    assert_same_as_rouge_score(preds, refs)


VOCAB = ["the", "council", "voted", "votes", "voting", "to", "close", "closed", "bridge", "on", "monday",
         "a", "new", "school", "said", "officials", "12", "percent", ".", ",", "'s", "\n", "Bridge", "2024"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(VOCAB), max_size=40), st.lists(st.sampled_from(VOCAB), max_size=40))
def test_same_numbers_as_rouge_score_on_random_texts(pred_words, ref_words):
    assert_same_as_rouge_score([" ".join(pred_words)], [" ".join(ref_words)])


def test_engine_rouge_score_gives_the_same_result():
    preds, refs = ["The council voted. Bridge closed."], ["Council votes to close the bridge."]
    a, b = score_all(preds, refs), score_all(preds, refs, engine="rouge_score")
    assert [f1(a[0][t]) for t in ROUGE_TYPES] == [f1(b[0][t]) for t in ROUGE_TYPES]
    with pytest.raises(ValueError):
        score_all(preds, refs, engine="nope")


# ---- bootstrap -----------------------------------------------------------------------------
def test_bootstrap_ci_of_a_known_distribution():
    values = [0.0] * 50 + [100.0] * 50  # mean 50, standard error 5
    lo, hi = bootstrap_ci(values, n_resamples=2000, seed=1)
    assert lo < 50 < hi
    assert 50 - 1.96 * 5 - 1.5 < lo < 50 - 1.96 * 5 + 1.5
    assert 50 + 1.96 * 5 - 1.5 < hi < 50 + 1.96 * 5 + 1.5
    assert bootstrap_ci(values, seed=1) == bootstrap_ci(values, seed=1)  # reproducible


def test_bootstrap_ci_edge_cases():
    assert bootstrap_ci([]) == (0.0, 0.0)
    assert bootstrap_ci([7.0]) == (7.0, 7.0)
    assert bootstrap_ci([3.0] * 20) == (3.0, 3.0)
    narrow = bootstrap_ci([0.0, 100.0] * 500, seed=0)
    wide = bootstrap_ci([0.0, 100.0] * 5, seed=0)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_aggregate_means_and_ci_bounds():
    per = [as_percent(s) for s in score_all(["a b c", "a b", "x"], ["a b c", "a b c d", "y"])]
    agg = aggregate(per, bootstrap=500, seed=0)
    expected = (100 + 100 * (2 * 1 * 0.5 / 1.5) + 0) / 3
    assert agg["rouge1"]["f1"] == pytest.approx(expected, abs=1e-3)
    for t in ROUGE_TYPES:
        lo, hi = agg[t]["ci95"]
        assert 0 <= lo <= agg[t]["f1"] <= hi <= 100


def test_paired_bootstrap():
    a = [50.0 + (i % 7) for i in range(60)]
    same = paired_bootstrap(a, a)
    assert same["diff"] == 0 and same["p_value"] == 1.0 and same["ci95"] == [0.0, 0.0]
    better = paired_bootstrap([x + 5 for x in a], a, n_resamples=1000)
    assert better["diff"] == pytest.approx(5) and better["ci95"] == [pytest.approx(5), pytest.approx(5)]
    assert better["p_value"] == pytest.approx(2 / 1001)
    noisy = paired_bootstrap([x + (1 if i % 2 else -1) for i, x in enumerate(a)], a)
    assert noisy["p_value"] > 0.5 and noisy["ci95"][0] < 0 < noisy["ci95"][1]
    with pytest.raises(ValueError):
        paired_bootstrap([1.0], [1.0, 2.0])


# ---- evaluate metric module ----------------------------------------------------------------
def test_evaluate_loads_the_offline_metric():
    import evaluate

    from eval import METRIC_PATH

    rouge = evaluate.load(METRIC_PATH)
    preds = ["The mayor resigned. A vote is set for May.", "Nothing matches"]
    refs = ["A vote is set for May.\nThe mayor resigned on Monday.", "Entirely other words"]
    agg = rouge.compute(predictions=preds, references=refs)
    direct = score_pairs(preds, refs)
    assert set(agg) == set(ROUGE_TYPES)
    for t in ROUGE_TYPES:
        assert 100 * agg[t] == pytest.approx(direct[t])
    each = rouge.compute(predictions=preds, references=refs, use_aggregator=False, rouge_types=["rouge1"])
    assert list(each) == ["rouge1"] and len(each["rouge1"]) == 2 and each["rouge1"][1] == 0.0
    multi = rouge.compute(predictions=["the cat sat"], references=[["a dog ran", "the cat sat"]])
    assert math.isclose(multi["rouge1"], 1.0)
