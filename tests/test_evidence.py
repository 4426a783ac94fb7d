"""summarizer.evidence: supporting sentences, highlights that tile the source, and warnings
that agree with summarizer.facts (never on the example reports' own sentences)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summarizer.evidence import (bullet_label, content_words, faithfulness_warnings, find_support,
                                 highlight_segments, source_sentences, unsupported_facts)
from summarizer.reports import parse_report

from conftest import EXAMPLES, ROOT

SEED = ROOT.parent / "shared" / "format" / "report_example.txt"


def _reports() -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.*"))}
    if SEED.exists():
        texts[SEED.name] = SEED.read_text(encoding="utf-8")
    return texts


REPORTS = _reports()
HARBOR = parse_report(REPORTS["harbor_bridge.txt"]).text


# ---- find_support ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, bullet, expected", [
    ("clinic_vaccines.txt", 0, "34 measles cases"),
    ("harbor_bridge.txt", 1, "eighteen months"),  # "18 months" in the bullet: numbers meet as digits
    ("harbor_bridge.txt", 2, "free shuttle ferry every 15 minutes"),
    ("solar_farm.md", 0, "signed a 25-year lease for the site"),
    ("solar_farm.md", 2, "county planning board approves"),
])
def test_support_picks_the_sentence_the_bullet_comes_from(name, bullet, expected):
    rep = parse_report(REPORTS[name])
    (s,) = find_support([rep.key_developments[bullet]], rep.text, top_k=1)
    assert len(s.spans) == 1 and expected in rep.text[slice(*s.spans[0])]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_every_sentence_is_its_own_best_support(name):
    text = parse_report(REPORTS[name]).text
    spans = source_sentences(text)
    support = find_support([text[a:b] for a, b in spans], text, top_k=1)
    assert [s.spans for s in support] == [[span] for span in spans]


def test_number_words_and_digits_are_the_same_words():
    assert content_words("eighteen months, $62 million") == content_words("18 months, $62,000,000")


def test_bullet_labels():
    assert bullet_label([0]) == "Bullet 1" and bullet_label([2, 0]) == "Bullets 1 + 3"


# ---- highlight_segments ----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_highlights_join_back_to_the_source(name):
    rep = parse_report(REPORTS[name])
    segments = highlight_segments(rep.text, find_support(rep.key_developments, rep.text))
    assert "".join(t for t, _ in segments) == rep.text
    assert any(label for _, label in segments)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Mayor Ruiz", "voted", "7-2", "on Tuesday", "the bridge", ".", ". ", "\n",
                                 "  ", "eighteen", "months", "U.S.", "é", ",", "Funding\n"]), max_size=40),
       st.lists(st.text(alphabet="Mayor Ruiz voted bridge 18 months.", max_size=30), max_size=4))
def test_highlights_tile_any_source(pieces, bullets):
    source = "".join(pieces)
    segments = highlight_segments(source, find_support(bullets, source))
    assert "".join(t for t, _ in segments) == source
    assert all(t for t, _ in segments)


# ---- warnings --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["clinic_vaccines.txt", "harbor_bridge.txt", "solar_farm.md"])
def test_no_warning_on_the_examples_own_bullets(name):
    rep = parse_report(REPORTS[name])
    assert faithfulness_warnings(rep.key_developments, rep.text) == []


def _shortenings(sentence: str) -> list[str]:
    """The sentence, each one-word deletion, and its skeleton of capitalised words and numbers
    (the deletions most likely to break a name or a figure: "Mill City Council" -> "Mill Council")."""
    words = sentence.split()
    out = [sentence, " ".join(w for w in words if w[:1].isupper() or any(c.isdigit() for c in w))]
    out += [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
    return [s for s in out if s]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_no_warning_on_any_sentence_of_the_reports_or_its_shortenings(name):
    for source in (parse_report(REPORTS[name]).text, REPORTS[name]):
        bullets = [b for a, e in source_sentences(source) for b in _shortenings(source[a:e])]
        assert faithfulness_warnings(bullets, source) == []


def test_abbreviations_are_not_mangled():
    source = ("He opposed U.S. proposals, the U.N. said. Dr. Amira Haddad met Sen. Ann Lee Jr. in St. Louis. "
              "The team 's coach left the U.S . Officials said so .")
    for bullet in ["He opposed U.S. proposals.", "Dr. Amira Haddad met Sen. Ann Lee Jr. in St. Louis.",
                   "The U.N. said he opposed U.S proposals.", "The team's coach left the U.S.",
                   "Amira Haddad met Ann Lee."]:
        assert unsupported_facts(bullet, source) == [], bullet
    assert unsupported_facts("He met the U.K. envoy.", source) == ["U.K."]


def test_warnings_on_invented_facts():
    bullets = ["The council approved a $62 million plan by a vote of 7-2.",
               "The plan costs $62 billion and closes the bridge for 20 months.",
               "Governor Jane Doe praised Dana Ruiz.",
               "Okafor said the Mill Council would decide.",  # "Mill Road", "Riverton City Council"
               "Riverton Council members Okafor and Brandt voted against it."]  # one sentence has them all
    assert faithfulness_warnings(bullets, HARBOR) == [
        (1, ["62 billion", "20"]), (2, ["Governor Jane Doe", "Dana Ruiz"]), (3, ["Mill Council"])]


def test_unsupported_facts_lists_each_missing_text_once():
    assert unsupported_facts("Jane Doe met Jane Doe in 2031 and 2031.", HARBOR) == ["Jane Doe", "2031"]
