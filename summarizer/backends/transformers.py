"""Seq2seq summarizers (BART, PEGASUS, T5) and instruct LMs through transformers' `generate()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import torch
from transformers import TextStreamer

from .. import prompts
from ..models import LoadedModel, position_limit
from .base import OnText
from .generator import Generator

if TYPE_CHECKING:
    from ..settings import GenerationSettings


class _CallbackStreamer(TextStreamer):
    """Hands each finished piece of text to a callback; an exception from the callback
    stops generate() (how the UI cancels a request nobody waits for)."""

    def __init__(self, tokenizer, on_text: OnText):
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.on_text = on_text

    def on_finalized_text(self, text: str, stream_end: bool = False):
        if text:
            self.on_text(text)


class TransformersBackend(Generator):
    def __init__(self, loaded: LoadedModel):
        self.loaded = loaded
        self.tokenizer = loaded.tokenizer
        self.name = loaded.name
        self.family, self.model_type = loaded.family, loaded.model_type
        self.by_sentence = loaded.family == "seq2seq"
        self.positions = position_limit(loaded.model.config, loaded.family)

    def describe(self) -> str:
        dtype = next(self.loaded.model.parameters()).dtype
        return f"{self.name} on {self.loaded.device} ({str(dtype).replace('torch.', '')}, transformers)"

    def beams(self, settings: "GenerationSettings") -> int:
        return settings.generate_kwargs(self.loaded.model.generation_config)["num_beams"]

    def input_limit(self) -> int:
        return self.loaded.input_limit()

    def _prompt_ids(self, text: str, n_bullets: int) -> list[int]:
        prompt = self.tokenizer.apply_chat_template(prompts.chat_messages(text, n_bullets), tokenize=False,
                                                    add_generation_prompt=True)
        return self.tokenizer(prompt, add_special_tokens=False)["input_ids"]

    def encode(self, texts: Sequence[str], settings: "GenerationSettings"):
        """The model's input ids for a batch (left-padded prompts for decoder-only models)."""
        lm, tok = self.loaded, self.tokenizer
        if lm.family == "causal":
            chats = [tok.apply_chat_template(prompts.chat_messages(t, settings.bullets), tokenize=False,
                                             add_generation_prompt=True) for t in texts]
            return tok(chats, return_tensors="pt", padding=True, add_special_tokens=False)
        sources = [prompts.seq2seq_source(t, lm.model_type) for t in texts]
        return tok(sources, return_tensors="pt", padding=True, truncation=True, max_length=lm.input_limit())

    @torch.inference_mode()
    def generate(self, texts: Sequence[str], settings: "GenerationSettings",
                 on_text: OnText | None = None) -> tuple[list[str], list[int]]:
        lm, tok = self.loaded, self.tokenizer
        enc = self.encode(texts, settings).to(lm.device)
        streamer = _CallbackStreamer(tok, on_text) if on_text else None
        settings = self.fit_output(settings, enc["input_ids"].shape[1])
        out = lm.model.generate(**enc, **settings.generate_kwargs(lm.model.generation_config), streamer=streamer)
        if lm.family == "causal":
            out = out[:, enc["input_ids"].shape[1]:]
        pad, eos = tok.pad_token_id, lm.model.generation_config.eos_token_id
        stop = {pad, *(eos if isinstance(eos, list) else [eos])}
        counts = [sum(1 for t in row.tolist() if t not in stop) for row in out]
        return tok.batch_decode(out, skip_special_tokens=True), counts
