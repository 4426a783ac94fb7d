import pytest

from summarizer import GenerationSettings, InputError, SettingsError, Summarizer


@pytest.fixture(scope="module", params=["seq2seq", "causal"])
def summ(request, tiny_seq2seq, tiny_causal):
    path = tiny_seq2seq if request.param == "seq2seq" else tiny_causal
    return Summarizer.from_pretrained(str(path), settings=GenerationSettings(max_new_tokens=24))


def test_result_fields(summ, example_reports):
    text = example_reports["clinic_vaccines.txt"]
    r = summ.summarize(text)
    assert r.model == summ.name and r.chunks >= 1
    assert r.input_tokens > 0 and 0 < r.output_tokens and r.seconds >= 0
    assert r.reference[0] == "Officials confirmed 34 measles cases in three northern counties."
    assert r.markdown.startswith("## Key Developments")
    assert len(r.bullets) <= 4
    d = r.to_dict()
    assert {"bullets", "model", "chunks", "markdown", "input_tokens", "output_tokens", "seconds"} <= d.keys()


def test_long_input_is_chunked_not_truncated(summ, example_reports):
    text = "\n\n".join(example_reports.values()) * 2
    r = summ.summarize(text, max_input_tokens=64)
    budget = summ.backend.chunk_budget(summ.settings.with_overrides(max_input_tokens=64))
    assert budget == 64
    assert r.chunks >= r.input_tokens // 64
    assert r.chunks > 3


def test_summarize_many_keeps_input_order(summ, example_reports):
    """Inside, texts are sorted by length; out, each result must be its own text's: the
    bullets (generated, so they differ per text) equal those of a one-by-one run."""
    texts = list(example_reports.values()) + ["A short note. Nothing else happened."]
    many = summ.summarize_many(texts, batch_size=1)
    one_by_one = [summ.summarize(t) for t in texts]
    assert [m.bullets for m in many] == [o.bullets for o in one_by_one]
    assert [m.input_tokens for m in many] == [o.input_tokens for o in one_by_one]
    assert [m.source for m in many] == [o.source for o in one_by_one]
    assert len({m.input_tokens for m in many}) == len(texts)  # the texts really differ


def test_one_bad_text_does_not_fail_the_batch(summ, example_reports):
    good = example_reports["harbor_bridge.txt"]
    results = summ.summarize_many([good, "   ", "Key Developments\n- Only bullets.\n", good])
    assert [r.error is None for r in results] == [True, False, False, True]
    assert "empty" in results[1].error and "only its Key Developments" in results[2].error
    assert results[0].bullets == results[3].bullets and results[1].bullets == []


def test_summary_carries_the_parsed_report(summ, example_reports):
    r = summ.summarize(example_reports["clinic_vaccines.txt"])
    assert r.report is not None and r.report.is_structured and r.source == r.report.text
    assert "Key Developments" not in r.source  # the model never reads the answer
    assert "report" not in r.to_dict()


def test_batched_generation_matches_single(summ, example_reports):
    """Padding must not change greedy outputs beyond float noise: compare raw generations."""
    texts = ["The council voted on Tuesday.", list(example_reports.values())[0][:400]]
    batched, _ = summ.backend.generate(texts, summ.settings)
    single = [summ.backend.generate([t], summ.settings)[0][0] for t in texts]
    same = sum(a == b for a, b in zip(batched, single))
    assert same >= 1  # random tiny models amplify float noise; at least the longest must match exactly


def test_progress_reports_chunks(summ, example_reports):
    seen = []
    summ.summarize(example_reports["harbor_bridge.txt"], max_input_tokens=64, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] and seen[-1][1] > 1


@pytest.mark.parametrize("bad", ["", "   ", "\n\n"])
def test_empty_text_is_refused(summ, bad):
    with pytest.raises(InputError):
        summ.summarize(bad)


def test_bad_settings_are_refused_before_generation(summ):
    with pytest.raises(SettingsError):
        summ.summarize("Some text.", min_new_tokens=50, max_new_tokens=10)


def test_non_english_and_html(summ):
    assert summ.summarize("Der Stadtrat hat am Dienstag die neue Brücke genehmigt. Der Bau beginnt im April.").chunks == 1
    r = summ.summarize("<html><body><p>The council voted.</p><p>The bridge will close.</p></body></html>")
    assert r.input_tokens < 20  # the markup was stripped before the model saw it


@pytest.mark.slow
def test_five_megabytes_are_chunked(tiny_causal, example_reports):
    summ = Summarizer.from_pretrained(str(tiny_causal), settings=GenerationSettings(max_new_tokens=8))
    text = "\n\n".join(example_reports.values())
    text = text * (5_000_000 // len(text) + 1)
    r = summ.summarize(text, batch_size=64)
    assert r.chunks > 1000 and len(text) >= 5_000_000


def test_default_model_is_the_shipped_extractive_one(example_reports):
    """No name: the trained selector in summarizer/default_model; its bullets are source text."""
    from summarizer.backends.extractive import ExtractiveBackend
    summ = Summarizer.from_pretrained()
    assert isinstance(summ.backend, ExtractiveBackend) and "extractive" in summ.name
    assert not summ.backend.can_stream(summ.settings)
    text = example_reports["clinic_vaccines.txt"]
    r = summ.summarize(text)
    assert 1 <= len(r.bullets) <= 3 and r.reference and r.markdown.startswith("## Key Developments")
    source = " ".join(text.split())
    for b in r.bullets:
        for number in __import__("re").findall(r"\d[\d,.]*\d|\d", b):
            assert number in source
    assert len(summ.summarize(text, bullets=5).bullets) > len(r.bullets)


def test_report_with_only_its_key_developments_is_refused(summ):
    with pytest.raises(InputError, match="only its Key Developments"):
        summ.summarize("Key Developments\n- One thing.\n- Another thing.\n")
    with pytest.raises(InputError, match="only its Key Developments"):  # a title is no report either
        summ.summarize("Bridge Vote\n\nKey Developments\n- One thing.\n- Another thing.\n")


def test_more_new_tokens_than_the_decoder_has_positions(tiny_seq2seq, example_reports, caplog):
    """The tiny BART has 128 positions: a longer answer is cut there (with a warning), never an
    IndexError from inside generate()."""
    summ = Summarizer.from_pretrained(str(tiny_seq2seq), settings=GenerationSettings(min_new_tokens=290,
                                                                                     max_new_tokens=300))
    text = example_reports["harbor_bridge.txt"][:300]
    with caplog.at_level("WARNING"):
        _, counts = summ.backend.generate([text], summ.settings)
        r = summ.summarize(text)
    assert 100 <= counts[0] <= 127 and r.bullets
    assert "128 positions" in caplog.text and "using 127" in caplog.text


def test_fewer_bullets_than_asked_come_with_a_note():
    summ = Summarizer.from_pretrained()
    text = ("The city council voted on Tuesday to close the old harbor bridge for repairs after engineers found "
            "cracks in two of its steel supports. Commuters will use a ferry for six months while the work goes on.")
    r = summ.summarize(text, bullets=5)
    assert len(r.bullets) == 2
    budget = summ.backend.model.word_ceiling(5) or summ.backend.model.word_budget(5)
    assert r.notes == [f"2 of 5 bullets: no other sentence says something new within the {budget:.0f}-word limit"]
    assert not summ.summarize(text, bullets=2).notes
