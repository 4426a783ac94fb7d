"""`--engine ct2`: CTranslate2 gives the transformers outputs (greedy, float32), converts once,
refuses what it cannot honour. Tiny random models of both families, made "lively" (scaled
weights) so that what they write depends on what they read."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("ctranslate2")

from conftest import CHAT_TEMPLATE, EXAMPLES, _corpus, build_tokenizer, shared_data  # noqa: E402

from summarizer import GenerationSettings, SettingsError, Summarizer  # noqa: E402
from summarizer.backends import ct2_convert  # noqa: E402
from summarizer.backends.ct2 import CT2Backend, compute_type  # noqa: E402
from summarizer.backends.transformers import TransformersBackend  # noqa: E402
from summarizer.models import LoadedModel, ModelLoadError, load_model  # noqa: E402
from summarizer.names import DEFAULT_NAME  # noqa: E402

ARTICLES = [
    "The city council voted 7-2 on Tuesday to close the Elm Street bridge for repairs. Engineers "
    "found cracks in two support beams last month. The work will cost $4.2 million and take a year.",
    "Heavy rain flooded parts of the valley overnight. About 300 homes lost power, the utility said, "
    "and two schools stayed closed. No injuries were reported.",
    "The company reported a 12 percent rise in quarterly profit. It plans to hire 500 workers and "
    "open a plant in Ohio next spring, its chief executive told investors.",
    "Officials confirmed a second case of bird flu on a dairy farm. The state ordered tests of "
    "nearby herds. Milk from the farm has been destroyed.",
    "A teenager won the national spelling bee after 14 rounds. She spelled the final word, a "
    "botanical term, without hesitation and will receive $50,000.",
]


def texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.*"))] + ARTICLES


def _scale(model, seed: int = 1) -> None:
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 3.0 / p.shape[-1] ** 0.5, generator=gen)


def _save(model, tok, path):
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="module", autouse=True)
def ct2_cache(tmp_path_factory):
    """Conversions of this module go to a cache of its own."""
    mp = pytest.MonkeyPatch()
    mp.setenv("KD_CACHE", str(tmp_path_factory.mktemp("kd-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def lively_bart(tmp_path_factory):
    """A tiny BART with scaled weights and a bias towards EOS, so that outputs vary and end."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    tok = build_tokenizer(max_length=128)
    cfg = BartConfig(vocab_size=len(tok), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                     decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=160,
                     pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                     decoder_start_token_id=tok.eos_token_id, forced_eos_token_id=tok.eos_token_id)
    model = BartForConditionalGeneration(cfg)
    _scale(model)
    with torch.no_grad():
        model.final_logits_bias[0, tok.eos_token_id] = 2.0
    # Writing "." and newlines now and then gives the bullet parser sentences to cut.
    with torch.no_grad():
        for t in ("\u010a", "."):  # byte-level "\n" and "."
            model.final_logits_bias[0, tok.convert_tokens_to_ids(t)] = 2.5
    return _save(model, tok, tmp_path_factory.mktemp("lively-bart"))


@pytest.fixture(scope="module", params=["lively_bart", "lively_model"])
def pair(request):
    """(transformers backend, ct2 backend) of the same model at float32."""
    path = str(request.getfixturevalue(request.param))
    return (TransformersBackend(load_model(path, device="cpu", dtype="float32")),
            CT2Backend.load(path, device="cpu", dtype="float32"))


def test_greedy_bullets_identical(pair):
    """The whole pipeline (chunking, map-reduce, bullets, token counts) gives the same summaries."""
    hf, ct = pair
    settings = GenerationSettings(max_new_tokens=48, num_beams=1)
    a = Summarizer(hf, settings).summarize_many(texts())
    b = Summarizer(ct, settings).summarize_many(texts())
    assert [r.bullets for r in a] == [r.bullets for r in b]
    assert [(r.output_tokens, r.chunks, r.input_tokens) for r in a] == [(r.output_tokens, r.chunks, r.input_tokens)
                                                                       for r in b]
    bullets = [tuple(r.bullets) for r in a]
    assert sum(map(bool, bullets)) >= len(bullets) // 2 and len(set(bullets)) > len(bullets) // 2  # not trivial
    assert "(float32, ctranslate2)" in b[0].runtime


def test_greedy_bullets_identical_on_cnn_articles(pair):
    """20 CNN articles, their first 800 characters (still chunked and map-reduced by the tiny BART,
    which reads 128 tokens; whole articles make this test minutes long)."""
    rows = shared_data("cnndm_validation_1000.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    articles = [json.loads(line)["article"][:800] for line in rows]
    hf, ct = pair
    settings = GenerationSettings(max_new_tokens=32, num_beams=1)
    a = Summarizer(hf, settings).summarize_many(articles)
    b = Summarizer(ct, settings).summarize_many(articles)
    assert [r.bullets for r in a] == [r.bullets for r in b]
    assert [r.output_tokens for r in a] == [r.output_tokens for r in b]


@pytest.mark.parametrize("overrides", [
    {"min_new_tokens": 20, "max_new_tokens": 40},
    {"no_repeat_ngram_size": 2, "max_new_tokens": 40},
    {"max_new_tokens": 5},
])
def test_greedy_settings_map_one_to_one(pair, overrides):
    """Raw texts and new-token counts of one batched call equal transformers' (min/max new tokens,
    no-repeat n-grams; BART's forced EOS takes the last slot)."""
    hf, ct = pair
    s = GenerationSettings(num_beams=1, **overrides)
    assert hf.generate(texts(), s) == ct.generate(texts(), s)


def test_outputs_past_the_decoder_positions_are_cut_alike(pair):
    """Asked for more tokens than BART's 160 positions hold, both engines stop at 159, not crash."""
    hf, ct = pair
    s = GenerationSettings(num_beams=1, min_new_tokens=290, max_new_tokens=300)
    a = hf.generate(texts()[:2], s)
    assert a == ct.generate(texts()[:2], s)
    assert max(a[1]) <= (hf.positions - 1 if hf.positions else 300) and min(a[1]) >= 150


def test_ctrl_c_is_not_held_by_a_running_batch():
    """A blocking CTranslate2 call holds Ctrl-C until its batch ends; results are polled instead,
    and the model is kept referenced (freeing it would wait for the batch as well)."""
    import os
    import signal
    import threading

    from summarizer.backends import ct2

    class Pending:  # an asynchronous result whose batch never ends
        def done(self) -> bool:
            return False

    model, pending = object(), Pending()
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        ct2._wait([pending], model)
    assert ct2._INTERRUPTED[-1][0] is model
    pending.done = lambda: True  # its batch ended: the next call lets the model go
    ct2._wait([], None)
    assert all(m is not model for m, _ in ct2._INTERRUPTED)


def test_forced_bos_is_a_target_prefix(lively_bart):
    from transformers import GenerationConfig

    gc = GenerationConfig.from_pretrained(lively_bart)
    gc.forced_bos_token_id = 1  # as BART-large-CNN: <s> first
    gc.save_pretrained(lively_bart)
    try:
        hf = TransformersBackend(load_model(str(lively_bart), device="cpu", dtype="float32"))
        ct = CT2Backend.load(str(lively_bart), device="cpu", dtype="float32")  # a changed folder converts again
        s = GenerationSettings(num_beams=1, max_new_tokens=30, min_new_tokens=4)
        assert ct.decoding(s)["max_decoding_length"] == 29
        out_hf, out_ct = hf.generate(texts(), s), ct.generate(texts(), s)
        assert out_hf == out_ct
    finally:
        gc.forced_bos_token_id = None
        gc.save_pretrained(lively_bart)


def test_beam_search_without_forced_tokens_matches(tmp_path):
    """Beam search stops as transformers' early_stopping=True; with no min length and no forced
    tokens the hypotheses are the same. (With a min length, a forced BOS or a forced EOS at the
    cap the two searches can pick different hypotheses: see the benchmark's report.)"""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    tok = build_tokenizer(max_length=128)
    cfg = BartConfig(vocab_size=len(tok), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                     decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=160,
                     pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                     decoder_start_token_id=tok.eos_token_id)
    model = BartForConditionalGeneration(cfg)
    _scale(model)
    with torch.no_grad():
        model.final_logits_bias[0, tok.eos_token_id] = 3.0
    model.generation_config.num_beams, model.generation_config.early_stopping = 4, True
    path = str(_save(model, tok, tmp_path / "bart"))
    hf = TransformersBackend(load_model(path, device="cpu", dtype="float32"))
    ct = CT2Backend.load(path, device="cpu", dtype="float32")
    s = GenerationSettings(num_beams=4, min_new_tokens=0, max_new_tokens=100, length_penalty=1.0)
    a, b = hf.generate(texts(), s), ct.generate(texts(), s)
    assert a == b
    assert len(set(a[0])) > 3


def test_conversion_is_cached(lively_model, monkeypatch):
    first = CT2Backend.load(str(lively_model), device="cpu", dtype="float32")
    calls = []
    monkeypatch.setattr(ct2_convert, "convert", lambda *a, **k: calls.append(a))
    again = CT2Backend.load(str(lively_model), device="cpu", dtype="float32")
    assert calls == [] and again.describe() == first.describe()
    folders = list(ct2_convert.ct2_cache().glob("lively-llama*-float32"))
    assert len(folders) == 1 and not list(ct2_convert.ct2_cache().glob("*.tmp-*"))
    src = json.loads((folders[0] / ct2_convert.SOURCE_FILE).read_text())
    assert src["compute_type"] == "float32" and src["family"] == "causal"


def test_int8_converts_apart_and_still_writes(lively_model):
    ct = CT2Backend.load(str(lively_model), device="cpu", dtype="int8")
    assert ct.describe().endswith("(int8, ctranslate2)")
    assert len(list(ct2_convert.ct2_cache().glob("lively-llama*-int8"))) == 1
    texts_out, counts = ct.generate(ARTICLES[:2], GenerationSettings(max_new_tokens=8))
    assert all(counts) and all(isinstance(t, str) for t in texts_out)


def test_every_entry_point_takes_ct2_compute_types(lively_model, tmp_path, capsys):
    """int8 is no torch dtype: the pipeline and the CLI must not check it as one."""
    from summarizer.cli import main

    s = Summarizer.from_pretrained(str(lively_model), device="cpu", dtype="int8", engine="ct2")
    assert s.backend.describe().endswith("(int8, ctranslate2)")
    text = tmp_path / "a.txt"
    text.write_text(ARTICLES[0])
    assert main(["summarize", str(text), "--model", str(lively_model), "--engine", "ct2", "--dtype", "int8",
                 "--max-new-tokens", "8", "--format", "json"]) in (0, 1)  # 1: a random model may say nothing
    assert '"runtime"' in capsys.readouterr().out
    assert main(["summarize", str(text), "--model", str(lively_model), "--engine", "ct2", "--dtype", "int3"]) == 2
    err = capsys.readouterr().err
    assert "int3" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("dtype", ["int3", "float64", "float16"])
def test_bad_compute_type_is_one_line(lively_model, dtype):
    with pytest.raises(ModelLoadError) as e:
        CT2Backend.load(str(lively_model), device="cpu", dtype=dtype)
    assert "\n" not in str(e.value) and dtype in str(e.value)


def test_auto_compute_type():
    assert compute_type("auto", "cpu", "some/model") == "int8"
    assert compute_type("auto", "cpu", DEFAULT_NAME) == "float32"  # int8 loses 2.4 ROUGE-Lsum on SummEval-100
    assert compute_type("FP32", "cpu") == "float32"


def test_check_refuses_what_it_cannot_honour(lively_model):
    ct = CT2Backend.load(str(lively_model), device="cpu", dtype="float32")
    s = Summarizer(ct, GenerationSettings(max_new_tokens=8))
    ct.generation_config.encoder_no_repeat_ngram_size = 3
    try:
        with pytest.raises(SettingsError, match="encoder_no_repeat_ngram_size"):
            s.summarize(ARTICLES[0])
    finally:
        ct.generation_config.encoder_no_repeat_ngram_size = None
    ct.generation_config.num_beam_groups, ct.generation_config.diversity_penalty = 2, 0.5
    try:
        with pytest.raises(SettingsError, match="num_beam_groups"):
            s.resolve(num_beams=4)
    finally:
        ct.generation_config.num_beam_groups, ct.generation_config.diversity_penalty = 1, 0.0
    s.resolve(num_beams=4)  # back to fine


def test_streaming_matches_the_result(lively_model):
    ct = CT2Backend.load(str(lively_model), device="cpu", dtype="float32")
    s = GenerationSettings(max_new_tokens=40, num_beams=1)
    pieces: list[str] = []
    out, _ = ct.generate([ARTICLES[1]], s, on_text=pieces.append)
    assert len(pieces) > 3 and "".join(pieces) == out[0]

    def stop(_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ct.generate([ARTICLES[1]], s, on_text=stop)
    assert ct.can_stream(s) and not ct.can_stream(s.with_overrides(num_beams=2))


# ---- the converter's transformers-5 gaps, per architecture ----------------------------------------

def _marian_tokenizer():
    """Byte-level BPE like the fixture's, with Marian's layout: </s>, <unk> first, <pad> last."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(_corpus(), trainers.BpeTrainer(vocab_size=400, special_tokens=["</s>", "<unk>"],
                                                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                           show_progress=False))
    tok.add_special_tokens(["<pad>"])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=128)


def _tiny(kind: str):
    import torch
    import transformers as tf

    torch.manual_seed(0)
    tok = _marian_tokenizer() if kind == "marian" else build_tokenizer(max_length=128)
    ids = dict(vocab_size=len(tok), pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    layers = dict(d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                  encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128)
    if kind == "llama":
        tok.chat_template = CHAT_TEMPLATE
        model = tf.LlamaForCausalLM(tf.LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                                   num_attention_heads=2, num_key_value_heads=1, rope_theta=50000.0,
                                                   max_position_embeddings=128, **ids))
    elif kind == "bart":
        model = tf.BartForConditionalGeneration(tf.BartConfig(**layers, **ids, decoder_start_token_id=tok.eos_token_id))
    elif kind == "pegasus":
        model = tf.PegasusForConditionalGeneration(tf.PegasusConfig(**layers, **ids,
                                                                    decoder_start_token_id=tok.pad_token_id))
    elif kind == "marian":
        model = tf.MarianMTModel(tf.MarianConfig(**layers, **ids, decoder_start_token_id=tok.pad_token_id,
                                                 decoder_vocab_size=len(tok)))
    else:
        model = tf.T5ForConditionalGeneration(tf.T5Config(d_model=32, d_kv=16, num_layers=1, num_decoder_layers=1,
                                                          num_heads=2, d_ff=64, decoder_start_token_id=tok.pad_token_id,
                                                          **ids))
    _scale(model)
    model.generation_config.forced_eos_token_id = None  # compare the decoders alone
    if kind == "marian":  # Marian starts the decoder from the pad embedding, which real checkpoints keep at zero
        with torch.no_grad():
            model.get_input_embeddings().weight[tok.pad_token_id].zero_()
    return model.eval(), tok


@pytest.mark.parametrize("kind", ["bart", "llama", "pegasus", "t5", "marian"])
def test_converter_gaps_are_patched(kind, tmp_path):
    """Each architecture converts on transformers 5 and decodes greedily as transformers does."""
    import copy

    import ctranslate2
    import torch

    model, tok = _tiny(kind)
    family = "causal" if kind == "llama" else "seq2seq"
    ct2_convert.convert(LoadedModel(copy.deepcopy(model), tok, family, kind, torch.device("cpu")),
                        tmp_path / kind, "float32")
    sources = [t[:300] for t in ARTICLES]
    with torch.inference_mode():
        for text in sources:
            ids = tok(text, truncation=True, max_length=100)["input_ids"]
            out = model.generate(torch.tensor([ids]), max_new_tokens=12, min_new_tokens=12, num_beams=1,
                                 do_sample=False)[0].tolist()
            if family == "causal":
                got = ctranslate2.Generator(str(tmp_path / kind)).generate_batch(
                    [tok.convert_ids_to_tokens(ids)], max_length=12, min_length=12,
                    include_prompt_in_result=False)[0].sequences_ids[0]
                assert got == out[len(ids):]
            else:
                hyp = ctranslate2.Translator(str(tmp_path / kind)).translate_batch(
                    [tok.convert_ids_to_tokens(ids)], beam_size=1, max_decoding_length=12, min_decoding_length=12,
                    max_input_length=0)[0].hypotheses[0]
                assert tok.convert_tokens_to_ids(hyp) == out[1:]


# ---- real data (slow) -------------------------------------------------------------------------------

@pytest.mark.slow
def test_smollm2_cnn_articles_identical():
    """SmolLM2, greedy, float32: the same bullets on 20 CNN articles (about 10-20 minutes on 2 CPU cores)."""
    path = shared_data("cnndm_validation_1000.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:20]]
    try:
        ct = CT2Backend.load("smollm2", device="cpu", dtype="float32")
    except ModelLoadError as e:
        pytest.skip(str(e))
    hf = TransformersBackend(load_model("smollm2", device="cpu", dtype="float32"))
    settings = GenerationSettings(num_beams=1)
    a = Summarizer(hf, settings).summarize_many([r["article"] for r in rows])
    b = Summarizer(ct, settings).summarize_many([r["article"] for r in rows])
    assert [r.bullets for r in a] == [r.bullets for r in b]


def test_ct2_device_check_uses_ctranslate2_devices(monkeypatch):
    """On a Mac torch's `auto` is mps, which CTranslate2 does not have: the ct2 check must ask
    CTranslate2 (CPU or CUDA), not torch."""
    import argparse

    import summarizer.devices as devices
    from summarizer.cli import check_device_args

    monkeypatch.setattr(devices, "_mps_available", lambda: True)
    check_device_args(argparse.Namespace(engine="ct2", device="auto", dtype="int8"))  # no error
    with pytest.raises(ModelLoadError):
        check_device_args(argparse.Namespace(engine="ct2", device="mps", dtype="auto"))


def test_a_damaged_conversion_is_one_line_naming_the_folder(lively_model):
    CT2Backend.load(str(lively_model), device="cpu", dtype="float32")
    folder = next(ct2_convert.ct2_cache().glob("lively-llama*-float32"))
    weights = folder / "model.bin"
    good = weights.read_bytes()
    try:
        weights.write_bytes(good[: len(good) // 2])
        with pytest.raises(ModelLoadError) as e:
            CT2Backend.load(str(lively_model), device="cpu", dtype="float32")
        assert str(folder) in str(e.value) and "delete that folder" in str(e.value) and "\n" not in str(e.value)
    finally:
        weights.write_bytes(good)
