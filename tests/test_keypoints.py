import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from summarizer import keypoints as kp


def test_markers_whitespace_and_case():
    raw = "Here are the key developments:\n- first point.\n*  second point\n• third\n1. fourth\n2) fifth\n\n"
    assert kp.clean_bullets(raw) == ["First point.", "Second point", "Third", "Fourth", "Fifth"]


def test_duplicates_and_near_duplicates_dropped_and_capped():
    raw = "- The council approved the bridge.\n- the council approved the bridge\n" \
          "- The council has approved the bridge.\n- Work starts in May.\n- Ferries will run.\n"
    assert kp.clean_bullets(raw, max_bullets=2) == ["The council approved the bridge.", "Work starts in May."]


def test_prose_split_into_sentences_for_seq2seq():
    raw = "The council voted 7-2. Work begins in April. A ferry will run."
    assert kp.clean_bullets(raw, by_sentence=True) == ["The council voted 7-2.", "Work begins in April.",
                                                       "A ferry will run."]


def test_pegasus_separator():
    assert kp.clean_bullets("One thing happened.<n>Another thing happened.") == [
        "One thing happened.", "Another thing happened."]


def test_truncated_last_item_dropped():
    raw = "- A full sentence.\n- Another full one.\n- And a cut off"
    assert kp.clean_bullets(raw, truncated=True) == ["A full sentence.", "Another full one."]
    assert len(kp.clean_bullets(raw, truncated=False)) == 3


def test_heading_line_then_prose_becomes_sentences():
    # SmolLM2 sometimes answers "Report:" and then copies prose until the token cap.
    raw = ("The report:\n\nTwo women were arrested in Rome. They carved their initials into a wall. "
           "Guards saw them. The letters were about eight inches long and scratched on a")
    assert kp.clean_bullets(raw, 3, truncated=True) == [
        "Two women were arrested in Rome.", "They carved their initials into a wall.", "Guards saw them."]
    assert kp.clean_bullets("Summary:\n- One thing.\n- Two things.") == ["One thing.", "Two things."]
    # a bullet that only ends with a colon is not a heading when it says something
    assert kp.clean_bullets("- Police named five suspects in the case so far:") == [
        "Police named five suspects in the case so far:"]


def test_renderers():
    b = ["One.", "Two."]
    assert kp.to_markdown(b) == "## Key Developments\n\n- One.\n- Two.\n"
    assert kp.to_text(b) == "- One.\n- Two.\n"
    assert json.loads(kp.to_json(b, model="m")) == {"bullets": b, "model": "m"}


@given(st.text(max_size=400), st.integers(1, 10))
def test_cleaner_properties(raw, n):
    out = kp.clean_bullets(raw, max_bullets=n)
    assert len(out) <= n
    for b in out:
        assert b == b.strip() and b and "\n" not in b
        assert not (b[0].islower() and b[0].upper() != b[0])
    for i, a in enumerate(out):
        for b in out[i + 1:]:
            assert kp.similar(a, b) < kp.NEAR_DUPLICATE


def test_repeated_sentences_inside_a_bullet_dropped():
    raw = "- The bridge will close in April. The bridge will close in April. Ferries will run.\n- Costs rose."
    assert kp.clean_bullets(raw) == ["The bridge will close in April. Ferries will run.", "Costs rose."]


# ---- fuzz: model output of any shape ----------------------------------------------------------
_PIECES = st.sampled_from(["- ", "* ", "• ", "1. ", "2) ", "<n>", "\n", "\r\n", " • ", "Here are the key developments:",
                           "Summary:\n", "The council voted.", "the council voted", " ", ".", "\"", "'", "`", "_",
                           "\u2028", "\x85", "\f", "\t", "é", "日本語。", "🙂", "—", ":"])
RAW = st.lists(st.one_of(_PIECES, st.text(max_size=10)), max_size=30).map("".join)


def _check_clean(raw: str, n: int | None, by_sentence: bool, truncated: bool) -> None:
    out = kp.clean_bullets(raw, max_bullets=n, by_sentence=by_sentence, truncated=truncated)
    assert isinstance(out, list)
    assert n is None or len(out) <= n
    for b in out:
        assert isinstance(b, str) and b.strip() and b == b.strip() and "\n" not in b


_CLEAN_ARGS = dict(raw=RAW, n=st.one_of(st.none(), st.integers(1, 8)), by_sentence=st.booleans(),
                   truncated=st.booleans())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_CLEAN_ARGS)
def test_fuzz_clean_bullets(raw, n, by_sentence, truncated):
    _check_clean(raw, n, by_sentence, truncated)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**_CLEAN_ARGS)
def test_fuzz_clean_bullets_10k(raw, n, by_sentence, truncated):
    _check_clean(raw, n, by_sentence, truncated)
