"""The web UI: a live `python app.py` server on a free port, driven with gradio_client,
with the tiny models; plus the evidence helpers the page shows (summarizer/evidence.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from summarizer import Summarizer, parse_report
from summarizer.evidence import (find_support, highlight_segments, source_sentences,
                                 unsupported_facts)
from summarizer.inputs import clean_text

ROOT = Path(__file__).resolve().parent.parent
SHORT_REPORT = ("The Riverton City Council voted 7-2 on Tuesday night to replace the aging Harbor Street "
                "Bridge. Mayor Elena Ruiz said work will start in April.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(model: Path, models_dir: Path, log_path: Path, *extra: str, timeout: float = 180,
                env: dict | None = None):
    """`python app.py` in a subprocess on a free port; yields its URL, stops it afterwards."""
    import httpx

    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               TOKENIZERS_PARALLELISM="false", **(env or {}))
    cmd = [sys.executable, str(ROOT / "app.py"), "--model", str(model), "--models-dir", str(models_dir),
           "--port", str(port), *extra]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory, tiny_causal) -> Path:
    """A models folder offering the tiny causal model by name."""
    d = tmp_path_factory.mktemp("models")
    (d / "tiny-causal").symlink_to(tiny_causal, target_is_directory=True)
    (d / "not-a-model").mkdir()  # folders without a config are not offered
    return d


@pytest.fixture(scope="module")
def server(tiny_seq2seq, models_dir, tmp_path_factory):
    log = tmp_path_factory.mktemp("app-log") / "app.log"
    with running_app(tiny_seq2seq, models_dir, log) as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server, verbose=False)


def bullets_of(markdown: str) -> list[str]:
    return [line[2:] for line in markdown.splitlines() if line.startswith("- ")]


# ---- API against the live server -----------------------------------------------------------
def test_summarize_endpoint_matches_the_library(client, tiny_seq2seq):
    md, highlights, warnings, stats, md_file, json_file = client.predict(
        SHORT_REPORT, api_name="/summarize", length="short")
    direct = Summarizer.from_pretrained(str(tiny_seq2seq), device="cpu").summarize(SHORT_REPORT, length="short")
    assert md.strip() == direct.markdown.strip() and md.startswith("## Key Developments")
    assert bullets_of(md) == direct.bullets and direct.bullets
    assert "chunks: 1" in stats and f"{direct.output_tokens:,} out" in stats and "tiny-bart" in stats

    # Downloads hold the same bullets, plus settings and evidence.
    assert Path(md_file).read_text(encoding="utf-8") == direct.markdown
    data = json.loads(Path(json_file).read_text(encoding="utf-8"))
    assert data["bullets"] == direct.bullets and data["settings"]["length"] == "short"
    assert [s["score"] for s in data["support"]] == [s.score for s in direct.support]

    # The highlighted source is the text the model read, each bullet's best sentences labelled.
    source = parse_report(clean_text(SHORT_REPORT)).text
    assert "".join(h["token"] for h in highlights) == source
    for h in highlights:
        if h["class_or_confidence"]:
            assert h["class_or_confidence"].startswith("Bullet")

    # Every bullet's score is shown; warnings are exactly the bullets below the threshold.
    for i, sup in enumerate(direct.support, 1):
        assert f"Bullet {i}: {sup.score:.2f}" in warnings
        assert (f"**Bullet {i}**" in warnings) == sup.warn


def test_engine_ct2_serves_the_same_bullets(client, tiny_seq2seq, models_dir, tmp_path):
    """`app.py --engine ct2`: the same model through CTranslate2 float32 writes what transformers
    writes (greedy), and the stats line says which engine ran."""
    from gradio_client import Client

    md, *_, stats, _, _ = client.predict(SHORT_REPORT, api_name="/summarize", length="short", beams=1)
    with running_app(tiny_seq2seq, models_dir, tmp_path / "app.log", "--engine", "ct2", "--dtype", "float32",
                     env={"KD_CACHE": str(tmp_path / "cache")}) as url:  # the conversion stays out of ~/.cache
        md_ct2, *_, stats_ct2, _, _ = Client(url, verbose=False).predict(SHORT_REPORT, api_name="/summarize",
                                                                        length="short", beams=1)
    assert bullets_of(md_ct2) == bullets_of(md) and bullets_of(md)
    assert "ctranslate2" in stats_ct2 and "ctranslate2" not in stats


def test_default_extractive_model_bullets_are_backed_by_the_source(client, example_reports):
    from summarizer.names import EXTRACTIVE_CONFIG, EXTRACTIVE_DIR

    if not (EXTRACTIVE_DIR / EXTRACTIVE_CONFIG).exists():
        pytest.skip("the shipped extractive default model is absent")
    report = example_reports["harbor_bridge.txt"]
    md, highlights, warnings, stats, _, _ = client.predict(report, "default", 3, api_name="/summarize")
    bullets = bullets_of(md)
    assert 1 <= len(bullets) <= 3 and "(default)" in stats
    # Bullets are trimmed source sentences: every one is highlighted, none carries an invented fact.
    # Checked without the app's own matcher: a bullet is a source sentence with words deleted,
    # so its words occur, in order, in the sentence highlighted for it.
    for i, bullet in enumerate(bullets, 1):
        mine = [h["token"] for h in highlights if h["class_or_confidence"]
                and str(i) in [x.strip() for x in h["class_or_confidence"].split("Bullet")[-1].lstrip("s").split("+")]]
        assert mine, (i, bullet)
        words = [w.strip(".,;:'\"") for w in bullet.split()]
        assert any(is_subsequence([w.lower() for w in words if w],
                                  [w.strip(".,;:'\"").lower() for w in sentence.split()]) for sentence in mine), \
            (bullet, mine)
    assert "⚠️" not in warnings


def test_a_note_on_fewer_bullets_reaches_the_page(client):
    text = ("The city council voted on Tuesday to close the old harbor bridge for repairs after engineers found "
            "cracks in two of its steel supports. Commuters will use a ferry for six months while the work goes on.")
    md, _, warnings, _, _, _ = client.predict(text, "default", 5, api_name="/summarize")
    assert len(bullets_of(md)) == 2 and "2 of 5 bullets" in warnings


def is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(w == b for b in it) for w in small)


def test_generation_controls_reach_the_model(client, tiny_seq2seq):
    md, *_ , stats, _, json_file = client.predict(SHORT_REPORT, bullets=1, max_new_tokens=8, beams=2,
                                                  api_name="/summarize")
    data = json.loads(Path(json_file).read_text(encoding="utf-8"))
    assert data["settings"]["bullets"] == 1 and data["settings"]["num_beams"] == 2
    assert data["settings"]["max_new_tokens"] == 8
    assert len(bullets_of(md)) <= 1
    assert data["output_tokens"] <= 8


def test_long_report_is_chunked(client, tiny_seq2seq, example_reports):
    report = example_reports["harbor_bridge.txt"]
    md, _, _, stats, _, _ = client.predict(report, max_new_tokens=8, api_name="/summarize")
    direct = Summarizer.from_pretrained(str(tiny_seq2seq), device="cpu").summarize(report, max_new_tokens=8)
    assert direct.chunks > 1  # the tiny BART reads 128 tokens at a time
    assert f"chunks: {direct.chunks}" in stats and md.strip() == direct.markdown.strip()


def test_bullets_stream_for_a_single_chunk(client):
    job = client.submit(SHORT_REPORT, api_name="/summarize", length="short")
    final = job.result(timeout=120)
    outputs = job.outputs()
    assert any(o[3] == "Generating…" for o in outputs), [o[3] for o in outputs]
    assert outputs[-1][0] == final[0] and final[3].startswith("Model:")
    # With beam search there is nothing to stream: only the start and the final result.
    job = client.submit(SHORT_REPORT, beams=2, max_new_tokens=16, api_name="/summarize")
    job.result(timeout=120)
    assert not any(o[3] == "Generating…" for o in job.outputs())


def test_page_answers_while_a_long_report_runs(client, server, example_reports):
    import httpx

    # The example twenty times (~200 tiny-BART chunks): seconds of work on any machine, so the
    # page is fetched while it runs.
    long_report = "\n\n".join([example_reports["harbor_bridge.txt"]] * 20)
    t0 = time.monotonic()
    job = client.submit(long_report, length="short", api_name="/summarize")
    # Once the job runs, its status moves on to PROGRESS (the progress bar) and ITERATING.
    while job.status().code.name not in {"PROCESSING", "PROGRESS", "ITERATING", "FINISHED"}:
        time.sleep(0.05)
    page = httpx.get(server, timeout=30)
    info = httpx.get(server + "gradio_api/info", timeout=30)
    answered = time.monotonic() - t0
    still_running = not job.done()
    job.result(timeout=300)
    took = time.monotonic() - t0
    assert page.status_code == 200 and info.status_code == 200
    assert still_running, f"the report finished before the page was fetched ({took:.1f} s, page at {answered:.1f} s)"


def test_other_models_from_the_models_dir(client, models_dir):
    info = client.view_api(print_info=False, return_format="dict")
    params = info["named_endpoints"]["/summarize"]["parameters"]
    assert params[0]["parameter_name"] == "text"
    choices = str(params[1]["type"])
    assert str((models_dir / "tiny-causal").resolve()) in choices and "not-a-model" not in choices
    md, *_, stats, _, _ = client.predict(SHORT_REPORT, str((models_dir / "tiny-causal").resolve()),
                                          max_new_tokens=8, api_name="/summarize")
    assert md.startswith("## Key Developments") and "tiny-llama" in stats


@pytest.mark.parametrize("text, model, message", [
    ("", None, "There is no text to summarize"),
    ("   \n\t ", None, "There is no text to summarize"),
    ("x" * 200_001, None, "the limit here is 200,000 characters"),
    ("Key Developments\n- The council voted.\n", None, "only its Key Developments"),
    ("<html><body><script>var x = 1;</script></body></html>", None, "input is empty"),
    # Only listed models load; anything else gets the same answer whether it exists or not.
    (SHORT_REPORT, "no-such-org/no-such-model", "is not offered here"),
    (SHORT_REPORT, "/nonexistent/model/folder", "is not offered here"),
    (SHORT_REPORT, "/etc/passwd", "is not offered here"),
    (SHORT_REPORT, "/etc", "is not offered here"),
    (SHORT_REPORT, "../../", "is not offered here"),
])
def test_errors_are_one_line_messages(client, text, model, message):
    from gradio_client.exceptions import AppError

    kwargs = {"model": model} if model else {}
    with pytest.raises(AppError) as err:
        client.predict(text, api_name="/summarize", **kwargs)
    assert message in str(err.value) and "Traceback" not in str(err.value)
    assert "\n" not in str(err.value).strip()


@pytest.mark.parametrize("kwargs, message", [
    ({"bullets": "abc"}, "bullets must be a whole number from 1 to 20"),
    ({"bullets": None}, "bullets must be a whole number"),
    ({"bullets": 0}, "bullets must be a whole number"),
    ({"model": 5}, "model must be a name from the model list"),
    ({"length": "huge"}, "length must be one of short, medium, long"),
    ({"length": ["short"]}, "length must be one of short, medium, long"),  # unhashable: no TypeError
    ({"beams": -1}, "beams must be a whole number"),
])
def test_api_arguments_of_the_wrong_type_get_the_reason(client, kwargs, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as err:
        client.predict(SHORT_REPORT, api_name="/summarize", **kwargs)
    assert message in str(err.value) and "Traceback" not in str(err.value)


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "--port must be from 1 to 65535"),
    (["--max-chars", "-1"], "--max-chars must be from 1"),
    (["--device", "foo"], "unknown device"),
    (["--engine", "ct2", "--dtype", "int3"], "unknown compute type"),
    (["--dtype", "int8"], "unknown dtype"),  # int8 is for --engine ct2 only
])
def test_bad_start_up_flags_are_one_line_errors(args, message, capsys):
    from app import parse_args

    with pytest.raises(SystemExit) as e:
        parse_args(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and message in err and "Traceback" not in err, err


def test_a_port_in_use_is_a_one_line_error(capsys):
    from app import parse_args

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(SystemExit) as e:
            parse_args(["--port", str(s.getsockname()[1])])
    assert e.value.code == 2 and "is in use" in capsys.readouterr().err


def test_server_keeps_working_after_errors(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError):
        client.predict("", api_name="/summarize")
    md, *_ = client.predict(SHORT_REPORT, max_new_tokens=8, api_name="/summarize")
    assert md.startswith("## Key Developments")


# ---- in-process: cache, uploads -----------------------------------------------------------
def test_model_cache_is_bounded_lru(tiny_seq2seq, tiny_causal, tmp_path):
    from app import ModelCache

    third = tmp_path / "another-bart"
    third.symlink_to(tiny_seq2seq, target_is_directory=True)
    cache = ModelCache(size=2, device="cpu")
    a = cache.get(str(tiny_seq2seq))
    cache.get(str(tiny_causal))
    assert cache.get(str(tiny_seq2seq)) is a  # loaded once, then reused
    cache.get(str(third))  # evicts the least recently used: tiny_causal
    assert cache.names() == [str(tiny_seq2seq), str(third)]


def test_model_choices_list_local_folders(models_dir, tiny_seq2seq):
    from app import AppConfig, model_choices

    choices = model_choices(AppConfig(model=str(tiny_seq2seq), models_dir=models_dir))
    values = [v for _, v in choices]
    assert values[0] == str(tiny_seq2seq) and "default" in values
    assert str((models_dir / "tiny-causal").resolve()) in values
    assert not any("not-a-model" in v for v in values)


# ---- evidence: supporting sentences and faithfulness warnings --------------------------------
def test_support_finds_the_sentence_a_bullet_comes_from(example_reports):
    rep = parse_report(example_reports["clinic_vaccines.txt"])
    support = find_support(rep.key_developments, rep.text)
    assert len(support) == len(rep.key_developments)
    first = rep.text[slice(*support[0].spans[0])]
    assert "34" in first or "thirty-four" in first.lower()
    for s in support:
        assert s.spans and all(0 < x <= 1 for x in s.scores)


def test_support_ignores_bullets_with_nothing_in_common():
    source = "The council met on Tuesday. The budget passed."
    (s,) = find_support(["Zebras migrate north."], source)
    assert s.spans == []
    assert highlight_segments(source, [s]) == [(source, None)]


def test_support_prefers_the_sentence_that_says_only_that():
    source = "Clinics open after outbreak in three counties.\nThe Outbreak\nThe first case came in May."
    (s,) = find_support(["The Outbreak"], source, top_k=1)
    assert [source[a:b] for a, b in s.spans] == ["The Outbreak"]


def test_highlight_segments_tile_the_source(example_reports):
    for text in example_reports.values():
        rep = parse_report(text)
        segs = highlight_segments(rep.text, find_support(rep.key_developments, rep.text))
        assert "".join(t for t, _ in segs) == rep.text
        labels = {l for _, l in segs if l}
        assert labels and all(l.startswith("Bullet") for l in labels)


def test_shared_sentence_gets_both_bullet_numbers():
    source = "Mayor Ruiz opened the new Harbor bridge on Monday. Rain fell."
    segs = highlight_segments(source, find_support(["Ruiz opened the bridge.", "The Harbor bridge opened Monday."],
                                                   source))
    assert ("Mayor Ruiz opened the new Harbor bridge on Monday.", "Bullets 1 + 2") in segs


def test_source_sentences_split_headings_from_text():
    text = "The Vote\nAfter four hours, the council voted. It was late.\n\nFunding\nIt costs $62 million."
    assert [text[a:b] for a, b in source_sentences(text)] == [
        "The Vote", "After four hours, the council voted.", "It was late.", "Funding", "It costs $62 million."]


@pytest.mark.parametrize("bullet, missing", [
    ("The council approved a $62 million plan by a vote of 7-2.", []),
    ("Work will close the bridge for about 18 months.", []),  # source: "eighteen months"
    ("Work will close the bridge for about 20 months.", ["20"]),
    ("The plan costs $62,000,000.", []),  # source: "$62 million"
    ("The plan costs $75 million.", ["75 million"]),
    ("Mayor Elena Ruiz praised the vote.", []),
    ("Praise came from Governor Jane Doe.", ["Governor Jane Doe"]),
    ("Ruiz's office and NASA welcomed it.", ["NASA"]),
    ("Officials said it was late.", []),  # a capital at the start is not a name
    ("The vote came from the Mill City Council.", ["Mill City Council"]),  # real words, new name
    ("It was the end of a long wait, said Mayor Ruiz.", []),  # the title needs no match
])
def test_unsupported_facts(bullet, missing):
    source = ("The Riverton City Council voted 7-2 to replace the bridge, a $62 million plan. "
              "Work will close the crossing for about eighteen months. Mayor Elena Ruiz called it "
              "the end of a long wait. Officials said the city will borrow. Cars will use Mill Road.")
    assert unsupported_facts(bullet, source) == missing
