"""Loading models: the two families and the offline default model (devices: `summarizer.devices`).

- "seq2seq": encoder-decoder summarizers (BART, PEGASUS, T5) via AutoModelForSeq2SeqLM.
- "causal": decoder-only instruct models via AutoModelForCausalLM and the chat template.

Safetensors only and never remote code: loading a model must not run code from it.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import (AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM,
                          AutoTokenizer, PreTrainedModel)
from transformers.models.auto.modeling_auto import (MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
                                                    MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES)

from .devices import check_device_dtype
from .names import ModelLoadError, is_extractive, resolve_model

log = logging.getLogger(__name__)

Family = Literal["seq2seq", "causal"]
CAUSAL_INPUT_CAP = 2048  # chunk budget cap for decoder-only models: speed on CPU beats long context


@dataclass
class LoadedModel:
    model: PreTrainedModel
    tokenizer: Any
    family: Family
    name: str
    device: torch.device

    @property
    def model_type(self) -> str:
        return self.model.config.model_type

    def input_limit(self) -> int:
        """Most tokens the model reads at once (from tokenizer and config)."""
        limits = []
        tml = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tml, int) and 0 < tml < 1_000_000:
            limits.append(tml)
        cfg = self.model.config
        for key in ("max_position_embeddings", "n_positions", "max_source_positions"):
            v = getattr(cfg, key, None) or getattr(cfg.get_text_config(), key, None)
            if isinstance(v, int) and v > 0:
                limits.append(v)
                break
        if self.family == "causal":
            limits.append(CAUSAL_INPUT_CAP)
        return min(limits) if limits else 512


_GENERATIVE_HEADS = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration", "Seq2SeqLM")
_ENCODER_ONLY = {"bert", "roberta", "distilbert", "albert", "electra", "deberta", "deberta-v2",
                 "xlm-roberta", "camembert", "mpnet", "modernbert"}


RELATIVE_POSITIONS = ("t5", "mt5", "umt5", "longt5", "switch_transformers")
LEARNED_CAUSAL_POSITIONS = ("opt", "gpt_neo", "biogpt")  # decoder-only models with absolute positions


def position_limit(config, family: str) -> int | None:
    """Positions the decoder can address, where a token past them fails an embedding lookup
    (BART, PEGASUS, GPT-2: absolute positions); None for relative or rotary positions."""
    if family == "seq2seq":
        value = None if config.model_type in RELATIVE_POSITIONS else getattr(config, "max_position_embeddings", None)
    elif config.model_type in LEARNED_CAUSAL_POSITIONS:
        value = getattr(config, "max_position_embeddings", None)
    elif config.model_type in ("gptj", "codegen"):  # n_positions, but rotary: no hard limit
        value = None
    else:
        value = getattr(config, "n_positions", None)  # GPT-2 and its kin
    return value if isinstance(value, int) and value > 0 else None


def detect_family(config) -> Family:
    """seq2seq or causal; refuses encoders and classifiers, which cannot write text."""
    model_type = getattr(config, "model_type", "")
    archs = getattr(config, "architectures", None) or []
    generative = not archs or any(h in a for a in archs for h in _GENERATIVE_HEADS)
    if generative and model_type not in _ENCODER_ONLY:
        if model_type in MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES or getattr(config, "is_encoder_decoder", False):
            return "seq2seq"
        if model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
            return "causal"
    what = archs[0] if archs else type(config).__name__
    raise ModelLoadError(f"{what} ({model_type or 'unknown type'}) is not a text-generation model; "
                         "use an encoder-decoder summarizer (BART, PEGASUS, T5) or an instruct LM")


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def _looks_like_path(name: str) -> bool:
    """True for things only a filesystem path can be (./x, /x, ~/x, a/b/c)."""
    return name.startswith((".", "/", "~")) or not _HUB_ID.match(name)


def load_model(name_or_path: str | None = None, device: str | torch.device = "auto",
               dtype: str | torch.dtype = "auto") -> LoadedModel:
    """Load a summarization-capable model and its tokenizer, ready for generation."""
    dev, torch_dtype = check_device_dtype(device, dtype)
    return _load(name_or_path, dev, torch_dtype, ())


MAX_ADAPTER_CHAIN = 8  # an adapter on an adapter on ...: more than this is a mistake


class _AdapterError(ModelLoadError):
    """Already says which adapter failed; the adapters above it in a chain pass it on as it is."""


def _load(name_or_path: str | None, dev: torch.device, torch_dtype: torch.dtype,
          chain: tuple[str, ...]) -> LoadedModel:
    """load_model for a device and dtype already checked; `chain` holds the adapter folders
    that led here, so a folder that is (through others) its own base is refused, not recursed into."""
    path, display = resolve_model(name_or_path)
    name = name_or_path or display
    if _looks_like_path(name) and not os.path.exists(path):
        raise ModelLoadError(f"model path not found: {name}")
    if os.path.isfile(path):
        raise ModelLoadError(f"{name} is a file; pass the model's directory")
    if is_extractive(path):
        raise ModelLoadError(f"{name} is an extractive model (no generator); load it with Summarizer.from_pretrained")

    if not os.path.isdir(path) and not _in_hub_cache(path) and not _hub_reachable():
        raise _hub_error(name, OSError("hub unreachable"))
    if os.path.isdir(path) and os.path.exists(os.path.join(path, "adapter_config.json")):
        return _load_adapter(path, display, dev, torch_dtype, chain)
    error = _folder_error if os.path.isdir(path) else _hub_error
    try:
        config = AutoConfig.from_pretrained(path, trust_remote_code=False)
    except (OSError, ValueError) as e:
        if os.path.isfile(os.path.join(path, "config.json")):  # there, but it does not read
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ModelLoadError(f"cannot load '{name}': its config.json does not read ({msg})") from None
        raise error(name, e) from None
    family = detect_family(config)
    auto = AutoModelForSeq2SeqLM if family == "seq2seq" else AutoModelForCausalLM
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        model = auto.from_pretrained(path, dtype=torch_dtype, use_safetensors=True,
                                     trust_remote_code=False)
    except (OSError, ValueError) as e:
        raise error(name, e) from None
    return _finish(model, tokenizer, family, display, dev)


def adapter_base(path: str | Path) -> str:
    """The base model an adapter folder names (its adapter_config.json), or a one-line ModelLoadError."""
    import json

    cfg_file = Path(path, "adapter_config.json")
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except OSError as e:
        raise ModelLoadError(f"cannot read {cfg_file}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ModelLoadError(f"{cfg_file} is not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise ModelLoadError(f"{cfg_file} is not valid JSON ({e.msg} at line {e.lineno})") from None
    base = cfg.get("base_model_name_or_path") if isinstance(cfg, dict) else None
    if not isinstance(base, str) or not base.strip():
        raise ModelLoadError(f"adapter {path} does not name its base model (base_model_name_or_path in "
                             "adapter_config.json); add it, or load the base and the adapter yourself")
    return base.strip()


def _load_adapter(path: str, display: str, dev: torch.device, torch_dtype: torch.dtype,
                  chain: tuple[str, ...] = ()) -> LoadedModel:
    """A LoRA adapter folder (from `finetune --lora`): load its base, attach, merge."""
    here = os.path.realpath(path)
    base = adapter_base(path)
    base_path = os.path.expanduser(base)  # aliases never name adapter folders
    if os.path.isdir(base_path) and os.path.realpath(base_path) == here:
        raise _AdapterError(f"adapter {path} names itself as its base model; "
                            "set base_model_name_or_path in adapter_config.json to the model it was trained on")
    if here in chain:
        loop = " -> ".join([*chain[chain.index(here):], here])
        raise _AdapterError(f"adapters name each other as base models in a loop: {loop}")
    if len(chain) >= MAX_ADAPTER_CHAIN:
        raise _AdapterError(f"adapter {path} sits on more than {MAX_ADAPTER_CHAIN} adapters; "
                            "merge some into a full model first")
    try:
        from peft import PeftModel
    except ImportError:
        raise ModelLoadError("loading a LoRA adapter needs the peft package: pip install peft") from None

    try:
        inner = _load(base, dev, torch_dtype, (*chain, here))
    except _AdapterError:
        raise
    except ModelLoadError as e:
        raise _AdapterError(f"cannot load the base model of adapter {path} ({base}): {e}") from None
    try:
        merged = PeftModel.from_pretrained(inner.model, path).merge_and_unload()
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as e:  # peft and safetensors raise many types for an adapter that does not fit its base
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelLoadError(f"cannot load adapter {path} on {base}: {first}") from None
    return _finish(merged, tokenizer, inner.family, display, dev)


def _finish(model, tokenizer, family: Family, display: str, dev: torch.device) -> LoadedModel:
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if family == "causal":
        tokenizer.padding_side = "left"  # generation continues from the right edge
        if not getattr(tokenizer, "chat_template", None):
            raise ModelLoadError(f"{display} has no chat template; decoder-only models must be instruct models")
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.to(dev).eval()
    return LoadedModel(model=model, tokenizer=tokenizer, family=family, name=display, device=dev)


def _in_hub_cache(repo_id: str) -> bool:
    """True when the hub id's config is already in the local cache (then no network is needed)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # a malformed id: let from_pretrained produce the error
        return False


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick connect to the hub, so an offline machine fails in seconds instead of
    after huggingface_hub's retries (about 30 s)."""
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}:
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "spiece.model", "sentencepiece.bpe.model")


def _folder_error(name: str, err: Exception) -> ModelLoadError:
    """A local folder that does not load: say what it lacks, not that the hub is unreachable."""
    folder = Path(os.path.expanduser(name))
    missing = [what for what, ok in [
        ("config.json", (folder / "config.json").is_file()),
        ("tokenizer files", any((folder / f).is_file() for f in _TOKENIZER_FILES)),
        ("safetensors weights", any(folder.glob("*.safetensors")))] if not ok]
    if missing:
        return ModelLoadError(f"{name} is not a complete model folder: it has no {' and no '.join(missing)}")
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    return ModelLoadError(f"cannot load the model folder {name}: {msg}")


def _hub_error(name: str, err: Exception) -> ModelLoadError:
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    low = str(err).lower()
    if "safetensors" in low or "use_safetensors" in low:
        return ModelLoadError(f"{name} has no safetensors weights; only safetensors checkpoints are loaded")
    if any(k in low for k in ("offline", "connect", "unreachable", "resolve", "couldn't", "could not", "not a local folder",
                              "does not appear to have", "is not a valid model identifier", "huggingface.co")):
        return ModelLoadError(
            f"cannot load '{name}': not a local model folder and the model hub is unreachable "
            "(pass a local directory, or omit --model to use the offline default model)")
    return ModelLoadError(f"cannot load '{name}': {msg}")
