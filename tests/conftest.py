"""Shared fixtures: tiny, randomly initialised models built offline once per session.

They go through exactly the code paths a real model does (loading from a folder,
chat templates, batching, chunking), but generate in milliseconds.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest
from hypothesis import settings

# A suite started in the background (`make test &`, a CI runner's job) inherits an ignored SIGINT,
# and so would every process the Ctrl-C tests start: they would never be interrupted. Give the
# suite the terminal's default, which the processes it starts then take up.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Property tests draw the same examples on every run, so CI never fails on a draw the last run did
# not make; HYPOTHESIS_PROFILE=explore draws fresh ones (the slow set's 10,000-example runs too).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _corpus() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.*"))]
    texts.append("- Key Developments: the council voted, officials said, 2024, 12 percent.")
    return texts


def build_tokenizer(max_length: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<s>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_corpus(), trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>",
                                   eos_token="</s>", unk_token="<unk>", model_max_length=max_length)


def build_tiny_seq2seq(path: Path) -> Path:
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    tok = build_tokenizer(max_length=128)
    cfg = BartConfig(vocab_size=len(tok), d_model=32, encoder_layers=1, decoder_layers=1,
                     encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                     decoder_ffn_dim=64, max_position_embeddings=128, pad_token_id=tok.pad_token_id,
                     bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                     decoder_start_token_id=tok.eos_token_id, forced_eos_token_id=tok.eos_token_id)
    model = BartForConditionalGeneration(cfg)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def build_tiny_causal(path: Path) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tok = build_tokenizer(max_length=512)
    tok.chat_template = CHAT_TEMPLATE
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                      pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                      eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"), tie_word_embeddings=True)
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread for the tiny models: on a busy 2-core machine two threads that
    wait on each other are several times slower than one."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_seq2seq(tmp_path_factory) -> Path:
    """Folder of a tiny BART (random weights, 128-token input limit)."""
    return build_tiny_seq2seq(tmp_path_factory.mktemp("tiny-bart"))


@pytest.fixture(scope="session")
def tiny_causal(tmp_path_factory) -> Path:
    """Folder of a tiny Llama instruct model with a chat template (random weights)."""
    return build_tiny_causal(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def lively_model(tiny_causal, tmp_path_factory) -> Path:
    """The tiny Llama with its weights scaled up, so that what it writes depends on what it
    reads (the plain random one writes the same filler for every text, and often nothing a
    bullet can be made of), which makes tests of outputs able to fail."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_causal)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 3.0 / p.shape[-1] ** 0.5, generator=gen)
    path = tmp_path_factory.mktemp("lively-llama")
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny_causal).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def example_reports() -> dict[str, str]:
    """The project's own example reports, by file name."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.*"))}


def shared_data(name: str) -> Path:
    """A file from ../shared/data, or skip the test with a visible reason."""
    p = SHARED_DATA / name
    if not p.exists():
        pytest.skip(f"{p} is absent (reference data lives beside the checkout in ../shared)")
    return p
