"""Benchmark: articles/s of CTranslate2 against transformers, same models, same inputs.

    python benchmarks/bench_ct2.py                                   # both models, 8 articles
    python benchmarks/bench_ct2.py --models bart --n 8 --batch-sizes 1 8 --new-tokens 32
    python benchmarks/bench_ct2.py --workdir ~/.cache/key-developments/bench   # keep the random BART

Models: a BART-large-CNN-shaped model with random weights (d_model 1024, 12+12 layers,
vocabulary 50,265, BART-large-CNN's generation config; speed does not depend on the weights;
built once in --workdir with a byte-level BPE trained on the articles and padded to the
vocabulary size) and SmolLM2-135M-Instruct (`smollm2`). Configurations, each in its own
process so that its peak RSS is its own (model loading and conversion are timed apart and
left out of articles/s):

- `loop`: the named baseline, a hand-written loop of model.generate() on one article at a time;
- `tf N`: our `batch` (summarizer.batch.run_job) on transformers, batch size N;
- `ct2 f32 N`, `ct2 int8 N`: our `batch` on CTranslate2 at float32 and int8.

Each runs greedy and with 4 beams; every output is exactly `--new-tokens` long (min = max), so
the speed of a configuration does not depend on where its model stops. Outputs are compared
with the loop's (identical bullets). Articles come from ../shared/data/cnndm_validation_1000.jsonl,
cut to about --source-tokens tokens so that one call reads each. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cnndm_validation_1000.jsonl"
BART_VOCAB = 50265


def peak_rss_mb() -> float:
    """This process's peak RSS. On Linux from VmHWM: ru_maxrss starts at the parent's RSS at fork
    (exec keeps the larger), which would charge every child with the parent's random BART."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


# ---- the random BART-large-CNN-shaped model --------------------------------------------------------
def build_bart(folder: Path, corpus: list[str]) -> Path:
    """BART-large-CNN's shape and generation config, random weights, a BPE padded to its vocabulary."""
    if (folder / "model.safetensors").exists():
        return folder
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>"]  # BART's ids 0-3
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=8000, special_tokens=specials, show_progress=False,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    for i in range(len(vocab), BART_VOCAB):  # unreachable filler entries: the vocabulary of BART's size
        vocab[f"<filler_{i}>"] = i
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=1024)
    cfg = BartConfig(vocab_size=BART_VOCAB, d_model=1024, encoder_layers=12, decoder_layers=12,
                     encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
                     decoder_ffn_dim=4096, max_position_embeddings=1024, pad_token_id=1, bos_token_id=0,
                     eos_token_id=2, decoder_start_token_id=2, forced_bos_token_id=0, forced_eos_token_id=2)
    torch.manual_seed(0)
    model = BartForConditionalGeneration(cfg)
    gc = model.generation_config  # BART-large-CNN's decoding choices
    gc.num_beams, gc.length_penalty, gc.no_repeat_ngram_size, gc.early_stopping = 4, 2.0, 3, True
    gc.min_length, gc.max_length = 56, 142
    tmp = folder.with_name(folder.name + ".tmp")
    model.save_pretrained(tmp)
    fast.save_pretrained(tmp)
    tmp.rename(folder)
    return folder


# ---- one configuration per process -----------------------------------------------------------------
def settings_for(args):
    from summarizer import GenerationSettings

    return GenerationSettings(num_beams=args.beams, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens)


def load(args):
    import torch

    torch.set_num_threads(args.threads)
    from summarizer import Summarizer
    from summarizer.backends.ct2 import CT2Backend
    from summarizer.backends.transformers import TransformersBackend
    from summarizer.models import load_model

    t0 = time.perf_counter()
    if args.engine == "ct2":
        backend = CT2Backend.load(args.model, device="cpu", dtype=args.dtype)
    else:
        backend = TransformersBackend(load_model(args.model, device="cpu", dtype="float32"))
    return Summarizer(backend, settings_for(args)), time.perf_counter() - t0


def phase_loop(args) -> dict:
    """The baseline: one article, one model.generate() call at a time, as a user would write it."""
    import torch

    from summarizer import parse_report, prompts
    from summarizer.inputs import clean_text

    s, load_s = load(args)
    lm, tok = s.backend.loaded, s.backend.tokenizer
    model, settings = lm.model, s.settings
    rows = [json.loads(line) for line in Path(args.input).read_text(encoding="utf-8").splitlines()]
    results = {}
    t0 = time.perf_counter()
    with torch.inference_mode():
        for row in rows:
            text = parse_report(clean_text(row["article"])).text  # what `batch` gives the model
            if lm.family == "causal":
                prompt = tok.apply_chat_template(prompts.chat_messages(text, settings.bullets), tokenize=False,
                                                 add_generation_prompt=True)
                enc = tok(prompt, return_tensors="pt", add_special_tokens=False)
            else:
                enc = tok(prompts.seq2seq_source(text, lm.model_type), return_tensors="pt", truncation=True,
                          max_length=lm.input_limit())
            out = model.generate(**enc, **settings.generate_kwargs(model.generation_config))
            new = out[0, enc["input_ids"].shape[1]:] if lm.family == "causal" else out[0]
            eos = model.generation_config.eos_token_id
            stop = {tok.pad_token_id, *(eos if isinstance(eos, list) else [eos])}
            raw = tok.decode(new, skip_special_tokens=True)
            results[row["id"]] = s.backend.bullets(raw, settings, sum(int(t) not in stop for t in new))
    return {"seconds": time.perf_counter() - t0, "load_s": load_s, "results": results, "peak_rss_mb": peak_rss_mb()}


def phase_batch(args) -> dict:
    from summarizer.batch import BatchConfig, run_job

    s, load_s = load(args)
    out = Path(args.workdir) / f"out-{os.getpid()}.jsonl"
    cfg = BatchConfig(input=args.input, output=out, settings=s.settings, batch_size=args.batch_size,
                      overwrite=True, progress=False)
    t0 = time.perf_counter()
    report = run_job(cfg, summarizer=s)
    seconds = time.perf_counter() - t0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    out.unlink()
    assert report.failed == 0, report.errors
    return {"seconds": seconds, "load_s": load_s, "results": {r["id"]: r["bullets"] for r in rows},
            "runtime": s.backend.describe(), "peak_rss_mb": peak_rss_mb()}


# ---- the parent ------------------------------------------------------------------------------------
def pick_articles(n: int, tokens: int, path: Path) -> list[dict]:
    """The first n articles, each cut at a sentence end to about `tokens` words-and-pieces."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            words, text = row["article"].split(), []
            for w in words:  # about 1.3 tokens per word for these tokenizers
                text.append(w)
                if len(text) * 1.3 >= tokens and w.endswith("."):
                    break
            rows.append({"id": row["id"], "article": " ".join(text)})
            if len(rows) == n:
                return rows
    return rows


def run(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode or line is None:
        sys.exit(f"{' '.join(cmd[-12:])} failed: {proc.stderr.strip().splitlines()[-3:]}")
    return json.loads(line[len("RESULT "):])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["bart", "smollm2"], help="bart (random, BART-large-CNN-shaped), "
                    "smollm2, or any model folder")
    ap.add_argument("--n", type=int, default=8, help="articles (default 8)")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--beams", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--new-tokens", type=int, default=32, help="tokens every output has (default 32)")
    ap.add_argument("--source-tokens", type=int, default=700, help="about this many tokens per article")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads of every run (default 1)")
    ap.add_argument("--dtypes", nargs="+", default=["float32", "int8"], help="CTranslate2 compute types")
    ap.add_argument("--workdir", type=Path, default=None, help="where the random BART is built (default: a temp dir)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--phase", choices=["loop", "batch"], help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="transformers", help=argparse.SUPPRESS)
    ap.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    ap.add_argument("--beams-one", type=int, dest="beams_one", help=argparse.SUPPRESS)
    ap.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    if args.phase:  # a child: one configuration, its figures as JSON
        args.beams = args.beams_one
        print("RESULT " + json.dumps(phase_loop(args) if args.phase == "loop" else phase_batch(args)))
        return

    if not args.data.exists():
        sys.exit(f"{args.data} is absent (the benchmark reads ../shared/data)")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_ct2_"))
    work.mkdir(parents=True, exist_ok=True)
    rows = pick_articles(args.n, args.source_tokens, args.data)
    src = work / "articles.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    sizes = sorted({min(b, len(rows)) for b in args.batch_sizes})  # a batch larger than the set is the set
    print(f"{len(rows)} articles, {args.new_tokens} new tokens each, {args.threads} thread(s) of "
          f"{os.cpu_count()} cores; batch sizes {sizes}", flush=True)

    table = []
    for name in args.models:
        model = str(build_bart(work / "bart-large-cnn-random", [r["article"] for r in rows] +
                               [json.loads(x)["article"] for x in args.data.read_text().splitlines()[:300]])
                    ) if name == "bart" else name
        for beams in args.beams:
            common = [sys.executable, __file__, "--model", model, "--input", str(src), "--workdir", str(work),
                      "--threads", str(args.threads), "--new-tokens", str(args.new_tokens), "--beams-one", str(beams)]
            plan = [("loop", "transformers", "float32", 1)]
            plan += [("batch", "transformers", "float32", b) for b in sizes]
            plan += [("batch", "ct2", dt, b) for dt in args.dtypes for b in sizes]
            for dt in args.dtypes:  # convert once before timing anything (conversion is a first-use cost)
                run(common + ["--phase", "batch", "--engine", "ct2", "--dtype", dt, "--batch-size", "1",
                              "--input", str(_one(src, work))])
            loop = None
            for phase, engine, dt, b in plan:
                r = run(common + ["--phase", phase, "--engine", engine, "--dtype", dt, "--batch-size", str(b)])
                label = "loop" if phase == "loop" else (f"tf {b}" if engine == "transformers" else
                                                        f"ct2 {dt.replace('float32', 'f32')} {b}")
                r["articles_per_s"] = len(r["results"]) / r["seconds"]
                loop = loop or r
                same = sum(loop["results"][k] == r["results"].get(k) for k in loop["results"])
                row = {"model": Path(name).name, "beams": beams, "config": label, "batch_size": b,
                       "articles_per_s": round(r["articles_per_s"], 4),
                       "x_loop": round(r["articles_per_s"] / loop["articles_per_s"], 2),
                       "identical": f"{same}/{len(loop['results'])}", "peak_rss_mb": r["peak_rss_mb"],
                       "load_s": round(r["load_s"], 1)}
                table.append(row)
                print(f"{row['model']:>8} beams {beams} {label:>12}: {row['articles_per_s']:7.3f} articles/s "
                      f"{row['x_loop']:5.2f}x loop  identical {row['identical']:>5}  peak RSS {row['peak_rss_mb']:6.0f} MB"
                      f"  (load {row['load_s']} s)", flush=True)

    print("\n| model | beams | config | articles/s | x loop | identical to loop | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for row in table:
        print(f"| {row['model']} | {row['beams']} | {row['config']} | {row['articles_per_s']:.3f} | {row['x_loop']:.2f} "
              f"| {row['identical']} | {row['peak_rss_mb']:.0f} |")
    print(json.dumps({"bench": "ct2", "articles": len(rows), "new_tokens": args.new_tokens, "threads": args.threads,
                      "rows": table}))


def _one(src: Path, work: Path) -> Path:
    """The first article alone: enough to trigger (and time) a conversion."""
    one = work / "one.jsonl"
    one.write_text(src.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return one


if __name__ == "__main__":
    main()
