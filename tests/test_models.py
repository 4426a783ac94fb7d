import pytest
import torch

from summarizer.models import ModelLoadError, load_model, resolve_device, resolve_dtype


def test_families_are_detected(tiny_seq2seq, tiny_causal):
    s = load_model(str(tiny_seq2seq))
    c = load_model(str(tiny_causal))
    assert (s.family, c.family) == ("seq2seq", "causal")
    assert c.tokenizer.padding_side == "left"
    assert s.input_limit() == 128
    assert s.device.type == "cpu" and s.model.dtype == torch.float32


def test_missing_path():
    with pytest.raises(ModelLoadError, match="model path not found"):
        load_model("./no/such/model")


def test_hub_unreachable_gives_hint(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelLoadError, match="hub is unreachable.*local directory"):
        load_model("someorg/some-summarizer-that-is-not-cached")


def test_not_a_text_generation_model(tmp_path):
    from transformers import BertConfig, BertModel
    BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=32)).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="not a text-generation model"):
        load_model(str(tmp_path))


def test_pickle_weights_are_refused(tmp_path, tiny_seq2seq):
    """A checkpoint with only pickle (.bin) weights is not loaded: unpickling can run code."""
    import shutil
    from transformers import AutoModelForSeq2SeqLM
    model = AutoModelForSeq2SeqLM.from_pretrained(tiny_seq2seq)
    for f in tiny_seq2seq.iterdir():
        if f.suffix != ".safetensors":
            shutil.copy(f, tmp_path)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="safetensors"):
        load_model(str(tmp_path))


def test_device_and_dtype():
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    assert resolve_dtype("auto", torch.device("cpu")) == torch.float32
    with pytest.raises(ModelLoadError):
        resolve_dtype("int3", torch.device("cpu"))
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="no CUDA"):
            resolve_device("cuda")
