"""Per-bullet support scores: copies are never warned, invented facts always are."""

from __future__ import annotations

import functools
import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import EXAMPLES, SHARED_DATA
from summarizer.evidence import source_sentences
from summarizer.reports import parse_report
from summarizer.support import BulletSupport, Calibration, default_calibration, score_bullets

HARBOR = parse_report((EXAMPLES / "harbor_bridge.txt").read_text(encoding="utf-8")).text


def _sources() -> list[str]:
    """Example report bodies, plus real articles when ../shared/data is there."""
    out = [parse_report(p.read_text(encoding="utf-8")).text for p in sorted(EXAMPLES.glob("*.*"))]
    for name, n in [("cnn_stories_20.jsonl", 20), ("summeval_cnndm_test_100.jsonl", 20)]:
        path = SHARED_DATA / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                out += [json.loads(line)["article"] for _, line in zip(range(n), f)]
    return out


SOURCES = _sources()


@functools.lru_cache(maxsize=None)
def _sentences(i: int) -> list[str]:
    return [SOURCES[i][a:b] for a, b in source_sentences(SOURCES[i])]


@st.composite
def shortened_sentences(draw) -> tuple[int, str]:
    """(source index, one of its sentences with any words deleted); the new first word may be
    capitalised and a full stop added, as the extractive model's compression does."""
    i = draw(st.integers(0, len(SOURCES) - 1))
    tokens = draw(st.sampled_from(_sentences(i))).split()
    keep = draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens)))
    bullet = " ".join(t for t, k in zip(tokens, keep) if k) or tokens[0]
    if draw(st.booleans()):
        bullet = bullet[:1].upper() + bullet[1:]
    if draw(st.booleans()) and not bullet.endswith("."):
        bullet += "."
    return i, bullet


def test_calibration_keeps_its_promises():
    cal = default_calibration()
    assert set(cal.weights) == {"novel_bigrams", "uncovered", "facts"}
    assert all(w >= 0 for w in cal.weights.values())
    assert 0 < cal.threshold < cal.copy_floor <= 1
    assert math.exp(-cal.weights["facts"]) < cal.threshold  # one invented fact alone warns


def test_every_sentence_copied_verbatim_scores_one():
    for i in range(len(SOURCES)):
        sentences = _sentences(i)
        for sentence, r in zip(sentences, score_bullets(sentences, SOURCES[i])):
            assert r.score == 1.0 and not r.warn and r.unsupported == [], (sentence, r)
            assert r.sentences or not re.search(r"\w", sentence)  # a lone quote mark cites nothing


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shortened_sentences())
def test_a_shortened_source_sentence_is_never_warned(case):
    i, bullet = case
    [r] = score_bullets([bullet], SOURCES[i])
    assert not r.warn, (bullet, r)
    assert r.score >= default_calibration().copy_floor


def test_scores_lie_in_0_1_and_cite_real_sentences():
    bullets = ["The council approved the bridge plan.", "Unrelated words about penguins in Peru.", "", "7-2"]
    results = score_bullets(bullets, HARBOR)
    assert len(results) == len(bullets) and all(isinstance(r, BulletSupport) for r in results)
    spans = set(source_sentences(HARBOR))
    for r in results:
        assert 0.0 <= r.score <= 1.0
        assert set(r.sentences) <= spans
    assert results[1].warn and any("penguins" in u for u in results[1].unsupported)


@pytest.mark.parametrize("bullet, item", [
    ("The project will cost $75 million.", "75 million"),  # a changed number
    ("The project will cost $62 billion.", "62 billion"),  # a changed scale
    ("Mayor John Smith called the vote the end of a very long wait.", "John Smith"),  # a new name
    ("Cars will be detoured to the Mill Road crossing, nine miles upstream.", "nine"),
])
def test_an_invented_fact_is_warned_and_named(bullet, item):
    [r] = score_bullets([bullet], HARBOR)
    assert r.warn and r.score < default_calibration().threshold
    assert any(item in u for u in r.unsupported), r.unsupported


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_changing_a_number_of_a_copied_sentence_warns(data):
    with_numbers = [(i, s) for i in range(len(SOURCES)) for s in _sentences(i)
                    if re.search(r"(?<![\w.,])\d{2,4}(?![\w.,])", s)]
    i, sentence = data.draw(st.sampled_from(with_numbers))
    m = data.draw(st.sampled_from(list(re.finditer(r"(?<![\w.,])\d{2,4}(?![\w.,])", sentence))))
    bullet = sentence[:m.start()] + "98765" + sentence[m.end():]  # a number no source here holds
    [r] = score_bullets([bullet], SOURCES[i])
    assert r.warn and "98765" in " ".join(r.unsupported), (bullet, r)


def test_a_paraphrase_scores_between_a_copy_and_an_invention():
    copy, paraphrase, invented = score_bullets([
        "The project will cost $62 million.",
        "The bridge replacement is expected to cost $62 million.",
        "The bridge replacement is expected to cost $90 million.",
    ], HARBOR)
    assert copy.score == 1.0 > paraphrase.score > invented.score


def test_calibration_file_round_trips(tmp_path):
    path = tmp_path / "support.json"
    path.write_text(json.dumps({"weights": {"novel_bigrams": 1.0, "uncovered": 1.0, "facts": 2.0},
                                "threshold": 0.5, "copy_floor": 0.6}))
    cal = Calibration.load(path)
    [r] = score_bullets(["Penguins were seen in Peru."], HARBOR, cal)
    f = r.features
    assert f["facts"] == 1  # Peru
    assert r.score == pytest.approx(math.exp(-(f["novel_bigrams"] + f["uncovered"] + 2 * f["facts"])), abs=1e-4)


def test_calibration_script_fits_and_writes(tmp_path, capsys):
    """The script end to end on a small SummEval-shaped file: copies rated 5, inventions 1."""
    from eval.calibrate_support import main

    rows = []
    for k, source in enumerate(SOURCES[:3] * 4):
        sentences = _sentences(k % 3)
        copy = "\n".join(sentences[:2])
        shuffled = "\n".join(" ".join(reversed(s.split())) for s in sentences[:2])
        invented = f"The mayor said {100 + k} penguins from Peru moved in. Officials denied it all."
        rows.append(dict(id=str(k), article=source, systems={"copy": copy, "mixed": shuffled, "made_up": invented},
                         human_scores={"copy": {"consistency": 5.0}, "mixed": {"consistency": 4.0},
                                       "made_up": {"consistency": 1.0}}))
    data = tmp_path / "summeval.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "support.json"
    assert main([str(data), "--output", str(out)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last["cv"]["recall_poor"] == 1.0 and last["cv"]["warn_rate_full"] == 0.0
    cal = Calibration.load(out)
    assert cal.threshold == 0.5 and math.exp(-cal.weights["facts"]) < cal.threshold
