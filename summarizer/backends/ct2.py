"""The same generators through CTranslate2 (`engine="ct2"`): several times faster on CPU.

Decoder-only models run on `ctranslate2.Generator`, encoder-decoder ones (BART, PEGASUS, T5,
Marian) on `ctranslate2.Translator`. Prompts, chunking, map-reduce and bullets are the
transformers backend's; the token ids that go in are the ones `generate()` would read (without
padding), and the decoding settings map one to one: beams, length penalty, no-repeat n-grams,
repetition penalty, min/max new tokens, forced BOS (a target prefix) and forced EOS (one token
less to write, as transformers forces EOS into the last slot). Greedy outputs at float32 are
the transformers outputs. Beam search stops as transformers does with `early_stopping=True`.

The compute type is `--dtype`: auto, float32, int8, int8_float32, int16, and on CUDA float16,
bfloat16, int8_float16, int8_bfloat16. `auto` is int8 on CPU (float32 for models where int8
measurably loses quality, see AUTO_CPU) and bfloat16 (else float16) on CUDA.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Sequence

from .. import prompts
from ..devices import is_out_of_memory
from ..models import LoadedModel, detect_family, load_model, position_limit
from ..names import DEFAULT_NAME, ModelLoadError, resolve_model
from ..settings import SettingsError
from .base import OnText
from .ct2_convert import HF_DIR, cache_key, convert_into_cache, ct2_cache, is_converted
from .generator import Generator

if TYPE_CHECKING:
    from ..settings import GenerationSettings

log = logging.getLogger(__name__)

COMPUTE_TYPES = ("float32", "int8", "int8_float32", "int16", "float16", "bfloat16", "int8_float16", "int8_bfloat16")
_ALIASES = {"fp32": "float32", "fp16": "float16", "half": "float16", "bf16": "bfloat16"}
# `auto` on CPU where int8 loses more than 0.3 ROUGE-2 or ROUGE-Lsum on SummEval-100. SmolLM2-135M-
# Instruct (already a dequantized 4-bit model): float32 R2 14.35 / RLsum 33.29, int8 14.05 / 30.90
# (RLsum -2.39, paired 95% CI [-4.28, -0.69]).
AUTO_CPU = {DEFAULT_NAME: "float32"}

# A decoding step for n prompts costs about 1 + ROW_COST * (n - 1) one-prompt steps (SmolLM2 on CPU,
# measured with 1, 4 and 8 prompts): it prices the split of a batch by prompt length.
ROW_COST = 0.15

# Generation-config options CTranslate2 has no counterpart for, with the value that means "off".
_UNSUPPORTED = {"num_beam_groups": 1, "diversity_penalty": 0.0, "encoder_no_repeat_ngram_size": 0,
                "encoder_repetition_penalty": 1.0, "exponential_decay_length_penalty": None,
                "sequence_bias": None, "suppress_tokens": None, "begin_suppress_tokens": None,
                "force_words_ids": None, "penalty_alpha": None, "stop_strings": None, "guidance_scale": None}


def ct2_device(device: str) -> tuple[str, int]:
    """(CTranslate2 device, index) for our device names; CTranslate2 runs on CPU and CUDA only."""
    import ctranslate2

    name = "auto" if device is None else str(device).strip().lower()
    if name == "auto":
        return ("cuda", 0) if ctranslate2.get_cuda_device_count() > 0 else ("cpu", 0)
    if name == "cpu":
        return "cpu", 0
    if name == "cuda" or (name.startswith("cuda:") and name[5:].isdigit()):
        index, count = (int(name[5:]) if ":" in name else 0), ctranslate2.get_cuda_device_count()
        if index >= count:
            raise ModelLoadError(f"device {device!r} is not available to CTranslate2 ({count} CUDA GPU(s) found); "
                                 "use --device cpu (or auto)")
        return "cuda", index
    raise ModelLoadError(f"device {device!r} is not supported by --engine ct2; use auto, cpu, cuda or cuda:N")


def compute_type(dtype: str, device: str, model_name: str = "") -> str:
    """The CTranslate2 compute type for `--dtype`, or a one-line ModelLoadError."""
    import ctranslate2

    name = "auto" if dtype is None else str(dtype).strip().lower()
    name = _ALIASES.get(name, name)
    supported = ctranslate2.get_supported_compute_types(device)
    if name == "auto":
        if device == "cpu":
            return AUTO_CPU.get(model_name, "int8")
        return "bfloat16" if "bfloat16" in supported else "float16"
    if name not in COMPUTE_TYPES:
        raise ModelLoadError(f"unknown compute type {dtype!r} for --engine ct2; use auto, {', '.join(COMPUTE_TYPES)}")
    if name not in supported:
        raise ModelLoadError(f"compute type {name} is not supported on {device} here; "
                             f"use auto or one of {', '.join(sorted(supported))}")
    return name


class CT2Backend(Generator):
    def __init__(self, model: Any, tokenizer: Any, config: Any, generation_config: Any, name: str,
                 device: str, compute: str):
        self.model, self.tokenizer, self.config = model, tokenizer, config
        self.generation_config = generation_config
        self.name, self.device, self.compute_type = name, device, compute
        self.family = detect_family(config)
        self.by_sentence = self.family == "seq2seq"
        self.positions = position_limit(config, self.family)

    @classmethod
    def load(cls, name: str | None = None, device: str = "auto", dtype: str = "auto") -> "CT2Backend":
        """Load the converted model from the cache, converting it first if it is not there."""
        try:
            import ctranslate2
        except ImportError:
            raise ModelLoadError("--engine ct2 needs the ctranslate2 package: pip install ctranslate2") from None
        from transformers import AutoConfig, AutoTokenizer, GenerationConfig

        dev, index = ct2_device(device)
        path, display = resolve_model(name)
        compute = compute_type(dtype, dev, display)
        key = cache_key(display, path, compute)
        folder = ct2_cache() / key if key else None
        if folder is None or not is_converted(folder):
            folder = cls._convert(name, display, path, compute, folder)
        hf = folder / HF_DIR
        import torch  # the transformers backend's thread setting (set_num_threads) applies here too

        try:
            config = AutoConfig.from_pretrained(hf)
            cls_ = ctranslate2.Generator if detect_family(config) == "causal" else ctranslate2.Translator
            model = cls_(str(folder), device=dev, device_index=index, compute_type=compute,
                         intra_threads=torch.get_num_threads() if dev == "cpu" else 0)
            tokenizer = AutoTokenizer.from_pretrained(hf)  # saved after models.load_model set its pad token
        except ModelLoadError:
            raise
        except (RuntimeError, OSError, ValueError) as e:  # a damaged cache (a disk error, an edited file)
            if is_out_of_memory(e):
                raise
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise ModelLoadError(f"the converted model in {folder} cannot be read ({first}); delete that "
                                 "folder and run again to convert the model anew") from None
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        where = dev if dev == "cpu" else f"{dev}:{index}"
        return cls(model, tokenizer, config, GenerationConfig.from_pretrained(hf), display, where, compute)

    @staticmethod
    def _convert(name: str | None, display: str, path: str, compute: str, folder: Path | None) -> Path:
        import ctranslate2

        loaded = load_model(name, device="cpu", dtype="float32")  # merges adapters, downloads if allowed
        if folder is None:  # a hub id that was not in the local cache before loading
            folder = ct2_cache() / str(cache_key(display, path, compute))
        log.warning("converting %s to CTranslate2 (%s) in %s (first use only)", display, compute, folder)
        source = {"model": display, "path": path, "compute_type": compute, "family": loaded.family,
                  "ctranslate2": ctranslate2.__version__}
        return convert_into_cache(loaded, folder, compute, source)

    def describe(self) -> str:
        return f"{self.name} on {self.device} ({self.compute_type}, ctranslate2)"

    @property
    def model_type(self) -> str:
        return self.config.model_type

    def input_limit(self) -> int:
        # The transformers backend's rule, read from the same config and tokenizer.
        return LoadedModel.input_limit(SimpleNamespace(tokenizer=self.tokenizer, family=self.family,
                                                       model=SimpleNamespace(config=self.config)))

    def beams(self, settings: "GenerationSettings") -> int:
        return settings.generate_kwargs(self.generation_config)["num_beams"]

    def _prompt_ids(self, text: str, n_bullets: int) -> list[int]:
        return self.input_ids([text], n_bullets)[0] if self.family == "causal" else []

    def input_ids(self, texts: Sequence[str], n_bullets: int) -> list[list[int]]:
        """The ids `generate()` reads for each text, without padding."""
        tok = self.tokenizer
        if self.family == "causal":
            chats = [tok.apply_chat_template(prompts.chat_messages(t, n_bullets), tokenize=False,
                                             add_generation_prompt=True) for t in texts]
            return tok(chats, add_special_tokens=False)["input_ids"]
        sources = [prompts.seq2seq_source(t, self.model_type) for t in texts]
        return tok(sources, truncation=True, max_length=self.input_limit())["input_ids"]

    def decoding(self, settings: "GenerationSettings") -> dict[str, Any]:
        """The transformers decoding choices (settings over the model's generation config) as
        CTranslate2 options; SettingsError for one it cannot honour."""
        kw = settings.generate_kwargs(self.generation_config)
        gc = copy.deepcopy(self.generation_config)
        gc.update(**kw)
        for option, off in _UNSUPPORTED.items():
            value = getattr(gc, option, off)
            if value is not None and value != off:
                raise SettingsError(f"--engine ct2 cannot honour the model's generation setting {option}={value!r}; "
                                    "use --engine transformers for this model")
        eos = gc.eos_token_id if isinstance(gc.eos_token_id, list) else [gc.eos_token_id]
        end = [t for t in eos if t is not None]
        lo, hi = kw["min_new_tokens"], kw["max_new_tokens"]
        out: dict[str, Any] = {"beam_size": kw["num_beams"], "patience": 1, "end_token": end,
                               "length_penalty": float(kw["length_penalty"] if kw["num_beams"] == 1 else
                                                      gc.length_penalty if gc.length_penalty is not None else 1.0),
                               "no_repeat_ngram_size": int(gc.no_repeat_ngram_size or 0),
                               "repetition_penalty": float(gc.repetition_penalty or 1.0)}
        if gc.bad_words_ids:
            out["suppress_sequences"] = [self.tokenizer.convert_ids_to_tokens(s) for s in gc.bad_words_ids]
        prefix: list[str] = []
        if self.family == "seq2seq":
            if gc.forced_bos_token_id is not None:
                prefix = [self.tokenizer.convert_ids_to_tokens(gc.forced_bos_token_id)]
            if gc.forced_eos_token_id is not None:
                forced = gc.forced_eos_token_id if isinstance(gc.forced_eos_token_id, list) else [gc.forced_eos_token_id]
                if not set(forced) <= set(end):
                    raise SettingsError(f"--engine ct2 cannot force {forced} at the end: it is not an end token "
                                        f"of this model ({end})")
                hi -= 1  # transformers writes EOS into the last slot
            out.update(max_decoding_length=max(1, hi), min_decoding_length=min(lo, hi), max_input_length=0)
        else:
            out.update(max_length=hi, min_length=lo, include_prompt_in_result=False)
        out["prefix"] = prefix
        return out

    def check(self, settings: "GenerationSettings") -> None:
        super().check(settings)
        self.decoding(settings)

    def generate(self, texts: Sequence[str], settings: "GenerationSettings",
                 on_text: OnText | None = None) -> tuple[list[str], list[int]]:
        tok = self.tokenizer
        tokens = [tok.convert_ids_to_tokens(ids) for ids in self.input_ids(texts, settings.bullets)]
        opts = self.decoding(self.fit_output(settings, max(map(len, tokens), default=0)))
        prefix = opts.pop("prefix")
        stream = _Stream(tok, on_text) if on_text and opts["beam_size"] == 1 and len(texts) == 1 else None
        if stream:
            opts["callback"] = stream.step  # runs in this thread, where Ctrl-C lands
        else:
            opts["asynchronous"] = True  # waited for in short sleeps, so Ctrl-C is not held until the batch ends
        if self.family == "causal":
            ids: list[list[int]] = [[] for _ in tokens]
            for group in length_groups([len(t) for t in tokens], opts["max_length"]):
                results = _wait(self.model.generate_batch([tokens[k] for k in group], **opts), self.model)
                for k, r in zip(group, results):
                    ids[k] = r.sequences_ids[0]
        else:
            results = _wait(self.model.translate_batch(tokens, [prefix] * len(tokens) if prefix else None, **opts),
                            self.model)
            ids = [tok.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
        if stream:
            stream.finish()
        stop = {tok.pad_token_id, *opts["end_token"]}
        counts = [sum(1 for t in row if t not in stop) for row in ids]
        if self.family == "seq2seq" and self.generation_config.decoder_start_token_id not in stop:
            counts = [n + 1 for n in counts]  # transformers counts a decoder start that is no special stop token
        return tok.batch_decode(ids, skip_special_tokens=True), counts


def length_groups(lengths: Sequence[int], new_tokens: int, row_cost: float = ROW_COST) -> list[list[int]]:
    """Indices of prompts split into batches of similar length.

    CTranslate2's Generator reads a batch's prompts at once only up to the shortest; the rest it
    feeds one token per step, so a batch of prompts 300 tokens apart pays 300 extra decoding
    steps. Sorted by length, the split that minimises (steps x cost of one step of that batch)
    is found by dynamic programming (a batch of n costs 1 + row_cost * (n - 1) one-prompt steps).
    """
    order = sorted(range(len(lengths)), key=lambda k: lengths[k])
    sizes = [lengths[k] for k in order]
    best = [0.0] + [float("inf")] * len(sizes)
    cut = [0] * (len(sizes) + 1)
    for j in range(1, len(sizes) + 1):
        for i in range(j):
            cost = best[i] + (sizes[j - 1] - sizes[i] + new_tokens) * (1 + row_cost * (j - i - 1))
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups, j = [], len(sizes)
    while j > 0:
        groups.append(order[cut[j]:j])
        j = cut[j]
    return groups[::-1]


_INTERRUPTED: list[tuple[Any, list]] = []  # (model, results) of batches a Ctrl-C left running


def _wait(results: list, model: Any) -> list:
    """The results of a CTranslate2 call. An asynchronous call's are polled: a blocking wait
    inside the C++ library would hold a Ctrl-C until the whole batch is done (tens of seconds).
    On Ctrl-C the model is kept referenced until its batch ends (freeing it would wait for the
    batch just the same); the commands then leave with os._exit (`summarizer.cli.exit_process`)."""
    _INTERRUPTED[:] = [(m, rs) for m, rs in _INTERRUPTED if not all(r.done() for r in rs)]
    try:
        for r in results:
            while hasattr(r, "done") and not r.done():
                time.sleep(0.01)
    except KeyboardInterrupt:
        _INTERRUPTED.append((model, results))
        raise
    return [r.result() if hasattr(r, "done") else r for r in results]


class _Stream:
    """Turns CTranslate2's per-token callback into text pieces for `on_text`. An exception from
    `on_text` stops decoding (the callback answers True) and is raised again afterwards."""

    def __init__(self, tokenizer, on_text: OnText):
        self.tokenizer, self.on_text = tokenizer, on_text
        self.ids: list[int] = []
        self.sent = ""
        self.error: BaseException | None = None

    def step(self, result) -> bool:
        if self.error is not None:
            return True
        self.ids.append(result.token_id)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd") or not text.startswith(self.sent):
            return False  # half a character so far: wait for the rest
        piece, self.sent = text[len(self.sent):], text
        try:
            if piece:
                self.on_text(piece)
        except BaseException as e:  # noqa: BLE001 - handed back to the caller after decoding stops
            self.error = e
            return True
        return False

    def finish(self) -> None:
        if self.error is not None:
            raise self.error
