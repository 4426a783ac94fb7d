"""summarizer.facts: what counts as a number, date or name, and when a source backs it.

The key property: a bullet that is a sentence of its source, or that sentence with any words
deleted, never gets an unsupported fact. Checked with hypothesis over the example reports and,
when `../shared/data` is there, over real news articles.
"""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from summarizer import facts
from summarizer.facts import Fact, SourceFacts, counts, extract, unsupported
from summarizer.reports import parse_report

from conftest import EXAMPLES, ROOT, SHARED_DATA

SOURCE = ("The Riverton City Council voted 7-2 on Tuesday to replace the Harbor Street Bridge, a $62 million "
          "plan. Work will close the crossing for about eighteen months from March. Mayor Elena Ruiz called it "
          "the end of a long wait. Council members Dana Okafor and Phil Brandt voted against it. Cars will use "
          "Mill Road, and 12 percent of traffic will move to the U.S. ferry line run by St. Mary's parish.")


def kinds(text: str) -> list[tuple[str, str, str]]:
    return [(f.kind, f.text, f.value) for f in extract(text)]


# ---- extraction ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("18", "18"), ("eighteen", "18"), ("Twenty-five", "25"), ("twenty five", "25"),
    ("a hundred and five", "105"), ("two million", "2000000"), ("1,000", "1000"), ("2.50", "2.5"),
    ("83rd", "83"), ("2.5m", "2500000"), ("$62 million", "62000000"), ("$62,000,000", "62000000"),
    ("€1.2bn", "1200000000"), ("the 1990s", "1990"), ("30k", "30000"),
])
def test_numbers_by_value(text, value):
    (f,) = [f for f in extract(text) if f.kind == "number"]
    assert f.value == value


@pytest.mark.parametrize("text, unit", [
    ("12%", "%"), ("12 percent", "%"), ("12 per cent", "%"), ("$62", "$"), ("£5m", "£"), ("62 million dollars", "$"),
    ("€5", "€"), ("62 people", ""), ("one percent", "%"),
])
def test_number_units(text, unit):
    (f,) = [f for f in extract(text) if f.kind == "number"]
    assert f.unit == unit


def test_lone_one_is_not_a_figure():
    assert [f for f in extract("One of them said no one came, but twenty-one did.") if f.kind == "number"] == [
        Fact("number", "twenty-one", 34, 44, "21", "", ("twenty-one",))]


def test_a_number_keeps_its_scale_but_not_its_currency_in_text():
    (f,) = extract("It costs $75 million.")
    assert (f.text, f.unit, f.value, f.words) == ("75 million", "$", "75000000", ("$", "75", "million"))


def test_dates():
    found = kinds("On Tuesday, March 3, Theresa May said May 4 was too late, as Jan. 2025 was.")
    assert ("date", "Tuesday", "tuesday") in found and ("date", "March", "march") in found
    assert ("name", "Theresa May", "theresa may") in found and ("date", "May", "may") in found
    assert ("date", "Jan", "january") in found
    assert not [f for f in extract("You may march on.") if f.kind == "date"]


@pytest.mark.parametrize("text, names", [
    ("The Harbor Bridge will close. Mayor Ana Ruiz said it. He left New York City.",
     ["Harbor Bridge", "Mayor Ana Ruiz", "New York City"]),
    ("He opposed U.S. proposals and met the U.N. envoy.", ["U.S.", "U.N."]),
    ("Dr. Amira Haddad met Martin Luther King Jr. in St. Louis.", ["Dr. Amira Haddad", "Martin Luther King Jr.", "St. Louis"]),
    ("Officials said Ruiz's office agreed.", ["Ruiz"]),  # possessive off; a sentence opener is no name
    ("Zelenskyy spoke. NASA agreed.", ["NASA"]),  # an acronym is a name even first
    ("Tottenham 's Andros Townsend scored , the U.S . team said .", ["Andros Townsend", "U.S"]),  # tokenized text
    ("In Riverton, the Mill City Council met.", ["Riverton", "Mill City Council"]),
])
def test_names(text, names):
    assert [f.text for f in extract(text) if f.kind == "name"] == names


def test_a_title_is_not_part_of_what_a_name_compares_by():
    (f,) = extract("She met Mayor Elena Ruiz.")
    assert (f.text, f.value, f.words) == ("Mayor Elena Ruiz", "elena ruiz", ("elena", "ruiz"))


def test_spans_point_at_the_text():
    text = "Mayor Elena Ruiz's $62 million plan passed 7-2 on Tuesday in the U.S. and the 83rd vote."
    for f in extract(text):
        assert text[f.start:f.end] == f.text


def test_digits_writes_numbers_as_digits():
    assert facts.digits("eighteen months, $62 million and 1,000 homes") == "18 months, $62000000 and 1000 homes"


def test_sentences_keep_a_title_with_its_name():
    text = "The clinics need no appointment. Dr. Amira Haddad said so.\nThe Vote\nIt passed."
    assert [text[a:b] for a, b in facts.sentences(text)] == [
        "The clinics need no appointment.", "Dr. Amira Haddad said so.", "The Vote", "It passed."]


# ---- support ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bullet", [
    "The council approved the $62,000,000 plan by 7-2.",  # "$62 million"
    "Work will close the crossing for 18 months.",  # "eighteen months"
    "It is a $62m plan.",
    "Mayor Ruiz called it the end of a long wait.",  # the title needs no match
    "Elena Ruiz's office agreed.",
    "Twelve percent of traffic moves to the ferry.",  # 12 percent
    "The U.S ferry line will run from March.",
    "The vote was on Tuesday.",
    "Council members Okafor and Brandt voted against it.",
    "Riverton City Council voted.",
    "Mill Road will take the cars.",
])
def test_supported(bullet):
    assert unsupported(bullet, SOURCE) == []


@pytest.mark.parametrize("bullet, missing", [
    ("Work will close the crossing for 20 months.", ["20"]),  # a changed number
    ("The plan costs $62 billion.", ["62 billion"]),  # the scale changed
    ("The plan costs 62 million euros.", ["62 million"]),  # another currency
    ("Governor Jane Doe praised it.", ["Governor Jane Doe"]),  # a name from nowhere
    ("Praise came from Elena Okafor.", ["Elena Okafor"]),  # two real names glued
    ("The Mill City Council voted.", ["Mill City Council"]),  # real words, never together in a sentence
    ("The bridge closes in June.", ["June"]),
    ("The vote was on Friday.", ["Friday"]),
    ("13 percent of traffic moves.", ["13"]),
    ("It passed 8-1.", ["8", "1"]),
])
def test_unsupported(bullet, missing):
    assert [f.text for f in unsupported(bullet, SOURCE)] == missing


def test_units_must_agree_when_both_sides_give_one():
    src = SourceFacts("The tax rose 12 percent to $40 this year.")
    assert unsupported("It rose $12.", src) and unsupported("It rose to 40%.", src)
    assert not unsupported("It rose by 12.", src) and not unsupported("It cost 40 dollars.", src)


def test_counts():
    got = counts("Mayor Ruiz said 18 months. Governor Doe said 20 in June.", SOURCE)
    assert got == {"numbers": 2, "numbers_supported": 1, "dates": 1, "dates_supported": 0,
                   "names": 2, "names_supported": 1}


def test_source_facts_accepts_a_string_or_a_prebuilt_index():
    src = SourceFacts(SOURCE)
    bullet = "Governor Jane Doe approved $62 billion."
    assert unsupported(bullet, src) == unsupported(bullet, SOURCE)
    assert src.in_one_sentence(["dana", "brandt"]) and not src.in_one_sentence(["elena", "okafor"])


# ---- the key property, over real articles -----------------------------------------------------
def _shared_articles() -> list[str]:
    """A sample of real articles when ../shared/data is there: plain CNN stories, and tokenized
    CNN/DM test articles (used here only as source text)."""
    out: list[str] = []
    for name, n in [("cnn_stories_20.jsonl", 20), ("summeval_cnndm_test_100.jsonl", 40),
                    ("bbc_news_summary.jsonl", 10), ("inshorts_news_4304.jsonl", 10)]:
        path = SHARED_DATA / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                out += [json.loads(line)["article"] for _, line in zip(range(n), f)]
    return out


def _sources() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.*"))]
    seed = ROOT.parent / "shared" / "format" / "report_example.txt"
    if seed.exists():
        texts.append(seed.read_text(encoding="utf-8"))
    bodies = [parse_report(t).text for t in texts]  # what the app checks bullets against
    return bodies + texts + _shared_articles()


SOURCES = _sources()


@functools.lru_cache(maxsize=None)
def _indexed(i: int) -> tuple[SourceFacts, list[str]]:
    src = SourceFacts(SOURCES[i])
    return src, [src.source[a:b] for a, b in src.spans]


@st.composite
def shortened_sentences(draw) -> tuple[int, str]:
    """(source index, a sentence of it with any words deleted); like the extractive model's
    compression, the new first word may be capitalised and a full stop added."""
    i = draw(st.integers(0, len(SOURCES) - 1))
    sentence = draw(st.sampled_from(_indexed(i)[1]))
    tokens = sentence.split()
    keep = draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens)))
    bullet = " ".join(t for t, k in zip(tokens, keep) if k) or tokens[0]
    if draw(st.booleans()):
        bullet = bullet[0].upper() + bullet[1:] + "."
    return i, bullet


def _never_unsupported(case: tuple[int, str]) -> None:
    i, bullet = case
    assert unsupported(bullet, _indexed(i)[0]) == [], bullet


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shortened_sentences())
def test_a_shortened_source_sentence_is_never_unsupported(case):
    _never_unsupported(case)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shortened_sentences())
def test_a_shortened_source_sentence_is_never_unsupported_10k(case):
    _never_unsupported(case)


def test_every_source_sentence_is_supported_whoever_splits_it():
    from summarizer.chunking import split_sentences
    from summarizer.evidence import source_sentences

    checked = 0
    for i, text in enumerate(SOURCES):
        src, ours = _indexed(i)
        theirs = split_sentences(text) + [text[a:b] for a, b in source_sentences(text)]
        for sentence in ours + theirs:
            assert unsupported(sentence, src) == [], sentence
            checked += 1
    assert checked > 50


def test_the_property_is_not_empty():
    """The sources hold enough facts for the property to mean something."""
    found = [f.kind for i in range(len(SOURCES)) for f in _indexed(i)[0].facts]
    assert found.count("number") > 20 and found.count("name") > 20 and found.count("date") > 3


# ---- and the other way: invented facts are caught ---------------------------------------------
@settings(max_examples=200, deadline=None)
@given(shortened_sentences(), st.integers(100, 10**7), st.data())
def test_an_invented_number_is_caught(case, number, data):
    i, bullet = case
    src = _indexed(i)[0]
    assume(str(number) not in src.numbers and str(number) not in SOURCES[i])
    tokens = bullet.split()
    at = data.draw(st.integers(0, len(tokens)))
    bullet = " ".join([*tokens[:at], f"{number:,}", *tokens[at:]])
    assert any(f.kind == "number" and f"{number:,}" in f.text for f in unsupported(bullet, src)), bullet


@settings(max_examples=200, deadline=None)
@given(shortened_sentences(), st.data())
def test_an_invented_name_is_caught(case, data):
    i, bullet = case
    tokens = bullet.split()
    at = data.draw(st.integers(1, max(1, len(tokens))))
    bullet = " ".join([*tokens[:at], "Zorblat Quexmire", *tokens[at:]])
    assert any(f.kind == "name" and "Zorblat Quexmire" in f.text for f in unsupported(bullet, _indexed(i)[0]))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SOURCES) - 1), st.data())
def test_two_names_glued_from_different_sentences_are_caught(i, data):
    src = _indexed(i)[0]
    names = [f for f in src.facts if f.kind == "name" and len(f.words) == len(f.text.split())
             and not f.text.endswith(".")]
    assume(len(names) >= 2)
    a, b = data.draw(st.sampled_from(names)), data.draw(st.sampled_from(names))
    assume(not src.in_one_sentence(a.words + b.words))
    bullet = f"Officials said {a.text} {b.text} agreed."
    glued = [f for f in extract(bullet) if f.kind == "name"]
    assume(len(glued) == 1 and glued[0].words == a.words + b.words)  # "Queen" + "Ann Lee": a title, not glue
    assert unsupported(bullet, src) == glued, bullet


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12)), max_size=12),
       st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12)), max_size=12))
def test_the_linear_overlap_scan_agrees_with_checking_every_span(spans, probes):
    """facts checks each word against the numbers already found in one forward scan (it was
    `any()` over every span for every word: minutes on a long report)."""
    from summarizer.facts import _overlap_test

    spans = [(a, a + n) for a, n in spans]
    hit = _overlap_test(spans)
    for a, n in sorted(probes):
        assert hit(a, a + n) == any(s < a + n and a < e for s, e in spans)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=' \t\n.!?:;"“(-aAbBzZ12', max_size=40), st.integers(0, 40))
def test_sentence_openings_read_without_copying_the_text(text, start):
    from summarizer.chunking import is_title_abbr
    from summarizer.facts import _DOTTED, _OPENING_PUNCT, _WORD, _opens_sentence

    start = min(start, len(text))
    before = text[:start].rstrip(_OPENING_PUNCT)  # the plain reading it replaced
    if not before or before[-1] in "\n!?:;":
        expected = True
    elif before[-1] != ".":
        expected = False
    else:
        prev = _WORD.findall(before[-12:])
        expected = not (prev and before[:-1].endswith(prev[-1])
                        and (is_title_abbr(prev[-1]) or bool(_DOTTED.fullmatch(prev[-1]))))
    assert _opens_sentence(text, start) == expected
