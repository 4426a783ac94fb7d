import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from transformers import AutoTokenizer

from summarizer.chunking import chunk_text, sentence_spans, split_sentences, token_counter


@pytest.fixture(scope="module")
def tok(tiny_causal):
    return AutoTokenizer.from_pretrained(tiny_causal)


def test_sentences_tile_the_text():
    text = "Mr. Smith went to Washington. He said hi!  Then he left?\nNew para here."
    spans = sentence_spans(text)
    assert "".join(text[a:b] for a, b in spans) == text
    assert split_sentences(text) == ["Mr. Smith went to Washington.", "He said hi!", "Then he left?",
                                     "New para here."]


def test_short_text_is_one_chunk(tok):
    assert chunk_text("One short sentence.", tok, 100) == ["One short sentence."]


def test_chunks_break_at_sentence_boundaries(tok, example_reports):
    text = example_reports["harbor_bridge.txt"]
    chunks = chunk_text(text, tok, 120)
    assert len(chunks) > 3 and "".join(chunks) == text
    count = token_counter(tok)
    assert max(count(chunks)) <= 120
    for c in chunks[:-1]:
        assert c.rstrip()[-1] in ".!?\"”" or c.endswith("\n")


def test_one_huge_line_without_breaks(tok):
    text = "word" * 25_000  # 100,000 characters, no sentence break, no space
    chunks = chunk_text(text, tok, 200)
    assert "".join(chunks) == text
    assert max(token_counter(tok)(chunks)) <= 200


words = st.sampled_from(["the", "council", "voted", "7-2", "on", "Tuesday", "Mr.", "é", "日本",
                         "$62", "million", ".", "!", "?", "\n", "\n\n", "  ", "bridge.", "x" * 40])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(words, max_size=300).map(" ".join), st.integers(8, 80))
def test_chunker_properties(tok, text, budget):
    chunks = chunk_text(text, tok, budget)
    assert "".join(chunks) == text  # nothing lost, nothing reordered
    assert all(chunks)
    assert all(n <= budget for n in token_counter(tok)(chunks))
