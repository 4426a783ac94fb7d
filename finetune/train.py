"""The training run: HF Trainer/Seq2SeqTrainer with summarizer-based ROUGE evaluation.

- Dynamic padding (DataCollatorForSeq2Seq), length-grouped batches, bf16 on capable GPUs,
  optional activation (gradient) checkpointing, LoRA (peft) or full finetuning.
- Every `--eval-steps`: validation loss, then generation through `summarizer.Summarizer` on a
  validation subset scored with ROUGE; the best ROUGE-Lsum checkpoint is kept and loaded at
  the end, and early stopping watches the same metric.
- Resumable: checkpoints hold weights, optimizer, scheduler, RNG and trainer state, and the
  length-grouped order of each epoch depends only on (seed, epoch), so a resumed run sees the
  same batches as an uninterrupted one.
- Multi-GPU: run the same command under `torchrun` or `accelerate launch`.

Set FINETUNE_STEP_DELAY (seconds) to sleep after every optimizer step; the kill-and-resume
test uses it to SIGKILL a real run at a known point.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import torch
from transformers import (DataCollatorForSeq2Seq, EarlyStoppingCallback, Seq2SeqTrainer,
                          Seq2SeqTrainingArguments, Trainer, TrainerCallback, set_seed)
from transformers.trainer_pt_utils import LengthGroupedSampler

from summarizer.models import LoadedModel, load_model
from summarizer.backends.transformers import TransformersBackend
from summarizer.pipeline import Summarizer

from .config import FinetuneConfig, FinetuneError
from .data import EvalItem, ExampleBuilder, read_pairs
from .output import ARGS_FILE, LOG_FILE, RESULTS_FILE, checkpoints, check_output_dir, clear_output_dir
from .scoring import score_pairs

log = logging.getLogger("finetune")

BEST_METRIC = "rougeLsum"


# ---- the model to start from ---------------------------------------------------------------
def default_base() -> str:
    """The model finetuning starts from by default: SmolLM2-135M-Instruct, by its summarizer alias
    (portable: an adapter that names it loads on any machine with the PyPI package)."""
    from summarizer.names import SMOLLM2

    return SMOLLM2


def resolve_init(name: str | None) -> tuple[str, str]:
    """(what to pass to load_model, how an adapter names its base so that load_model finds it again)."""
    from summarizer.names import DEFAULT_MODEL

    if name in (None, "", DEFAULT_MODEL):  # "default" is the shipped extractive model: nothing to finetune
        return default_base(), default_base()
    path = os.path.expanduser(name)
    if os.path.isdir(path):
        return path, os.path.abspath(path)
    return name, name  # an alias or a hub id


# ---- trainer pieces ----------------------------------------------------------------------------
class EpochLengthGroupedSampler(LengthGroupedSampler):
    """Length-grouped order that depends only on (seed, epoch), so a resumed run replays it exactly."""

    def __init__(self, batch_size: int, lengths: list[int], seed: int):
        super().__init__(batch_size, lengths=lengths, generator=torch.Generator())
        self.seed = seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.generator.manual_seed(self.seed + epoch)  # in place: accelerate may hold a reference


def tied_parameter_names(model) -> set[str]:
    every = {n for n, _ in model.named_parameters(remove_duplicate=False)}
    return every - {n for n, _ in model.named_parameters()}


class _KeyDevelopmentsMixin:
    """Adds generation + ROUGE to each evaluation, and the epoch-seeded length-grouped sampler."""

    def __init__(self, *args, eval_items: list[EvalItem] = (), gen_tokenizer=None, family: str = "causal",
                 gen_settings=None, train_lengths: list[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.eval_items = list(eval_items)
        self.gen_tokenizer = gen_tokenizer
        self.family = family
        self.gen_settings = gen_settings
        self.train_lengths = train_lengths
        self.last_predictions: list[str] = []

    def _issue_warnings_after_load(self, load_result):
        """Tied weights (embeddings shared with the output layer) are stored once: not missing."""
        tied = tied_parameter_names(self.accelerator.unwrap_model(self.model))
        missing = [k for k in load_result.missing_keys if k not in tied]
        super()._issue_warnings_after_load(load_result._replace(missing_keys=missing))

    def _get_train_sampler(self, train_dataset=None):
        if self.args.train_sampling_strategy == "group_by_length" and self.train_lengths is not None:
            return EpochLengthGroupedSampler(self.args.train_batch_size * self.args.gradient_accumulation_steps,
                                             self.train_lengths, self.args.data_seed or self.args.seed)
        return super()._get_train_sampler(train_dataset)

    def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None,
                        metric_key_prefix="eval"):
        output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys,
                                         metric_key_prefix)
        if self.eval_items and metric_key_prefix == "eval":
            output.metrics.update({f"{metric_key_prefix}_{k}": round(v, 4)
                                   for k, v in self.generate_and_score().items()})
        return output

    @torch.no_grad()
    def generate_and_score(self) -> dict[str, float]:
        """Bullets for the validation subset through summarizer itself, scored with ROUGE."""
        from tqdm.auto import tqdm

        model = self.accelerator.unwrap_model(self.model)
        was_training = model.training
        model.eval()
        loaded = LoadedModel(model=model, tokenizer=self.gen_tokenizer, family=self.family,
                             name="finetuning", device=self.args.device)
        summarizer = Summarizer(TransformersBackend(loaded), self.gen_settings)
        rank, world = self.args.process_index, self.args.world_size
        mine = list(range(rank, len(self.eval_items), world))
        bar = tqdm(total=len(mine), desc="generating", leave=False, disable=not self.is_world_process_zero())
        autocast = (torch.autocast(self.args.device.type, dtype=torch.bfloat16) if self.args.bf16
                    else nullcontext())
        with autocast:
            summaries = summarizer.summarize_many([self.eval_items[i].source for i in mine],
                                                  batch_size=self.args.per_device_eval_batch_size,
                                                  progress=lambda done, total: bar.update(done - bar.n))
        bar.close()
        pairs = [(i, "\n".join(s.bullets)) for i, s in zip(mine, summaries)]
        if world > 1 and torch.distributed.is_initialized():
            gathered: list[Any] = [None] * world
            torch.distributed.all_gather_object(gathered, pairs)
            pairs = [p for part in gathered for p in part]
        preds = [p for _, p in sorted(pairs)]
        refs = ["\n".join(item.reference) for item in self.eval_items]
        model.train(was_training)
        self.last_predictions = preds
        return score_pairs(preds, refs)


class KeyDevelopmentsTrainer(_KeyDevelopmentsMixin, Trainer):
    pass


class KeyDevelopmentsSeq2SeqTrainer(_KeyDevelopmentsMixin, Seq2SeqTrainer):
    pass


class JsonlLog(TrainerCallback):
    """DIR/train_log.jsonl: data notes first, then every log entry as it happens (resume-safe)."""

    def __init__(self, path: Path, header: list[dict]):
        self.path = path
        self.header = header

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:  # a resumed run restarts the file from the checkpoint's history
            with self.path.open("w", encoding="utf-8") as f:
                for entry in self.header + list(state.log_history):
                    f.write(json.dumps(entry) + "\n")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and state.log_history:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(state.log_history[-1]) + "\n")


class StepDelay(TrainerCallback):
    def __init__(self, seconds: float):
        self.seconds = seconds

    def on_step_end(self, args, state, control, **kwargs):
        time.sleep(self.seconds)


# ---- the run -----------------------------------------------------------------------------------
def mixed_precision(cfg: FinetuneConfig) -> str:
    if cfg.precision != "auto":
        return cfg.precision
    if not cfg.cpu and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"


def training_arguments(cfg: FinetuneConfig, **overrides) -> Seq2SeqTrainingArguments:
    precision = mixed_precision(cfg)
    evaluating = cfg.eval_enabled
    kw: dict[str, Any] = dict(
        output_dir=cfg.output_dir,
        num_train_epochs=cfg.epochs, max_steps=cfg.max_steps,
        learning_rate=cfg.lr, lr_scheduler_type=cfg.lr_scheduler,
        warmup_steps=cfg.warmup if cfg.warmup < 1 else int(cfg.warmup),
        weight_decay=cfg.weight_decay,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size or cfg.batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        bf16=precision == "bf16", fp16=precision == "fp16",
        activation_checkpointing=cfg.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if cfg.gradient_checkpointing else None,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        logging_steps=cfg.logging_steps, logging_first_step=True,
        eval_strategy="steps" if evaluating else "no", eval_steps=cfg.eval_steps if evaluating else None,
        save_strategy="steps", save_steps=cfg.checkpoint_steps, save_total_limit=cfg.save_total_limit,
        load_best_model_at_end=evaluating, metric_for_best_model=BEST_METRIC if evaluating else None,
        greater_is_better=True if evaluating else None,
        restore_callback_states_from_checkpoint=True,
        prediction_loss_only=True, remove_unused_columns=False,
        seed=cfg.seed, data_seed=cfg.seed,
        # several processes and no GPU (torchrun on CPU): the Trainer only goes distributed (gloo) with use_cpu
        use_cpu=cfg.cpu or (not torch.cuda.is_available() and int(os.environ.get("WORLD_SIZE", "1")) > 1),
        dataloader_num_workers=cfg.num_workers, dataloader_pin_memory=torch.cuda.is_available() and not cfg.cpu,
        report_to="none",
    )
    kw.update(overrides)
    try:
        return Seq2SeqTrainingArguments(**kw)
    except ValueError as e:  # e.g. an unknown --lr-scheduler
        raise FinetuneError(str(e).strip().splitlines()[0]) from None


def add_lora(model, family: str, cfg: FinetuneConfig, base_ref: str):
    from peft import LoraConfig, TaskType, get_peft_model

    targets: Any = cfg.lora_target_modules
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    lora = LoraConfig(task_type=TaskType.SEQ_2_SEQ_LM if family == "seq2seq" else TaskType.CAUSAL_LM,
                      r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=targets)
    try:
        peft_model = get_peft_model(model, lora)
    except ValueError as e:
        raise FinetuneError(f"cannot add LoRA: {str(e).splitlines()[0]} (see --lora-target-modules)") from None
    # summarizer loads an adapter by loading this base first: it must be a path or hub id it accepts
    peft_model.peft_config["default"].base_model_name_or_path = base_ref
    return peft_model


def build_trainer(cfg: FinetuneConfig, loaded: LoadedModel, train_ds, train_lengths, eval_ds=None,
                  eval_items=(), gen_settings=None, callbacks=(), **arg_overrides):
    """The Trainer for a loaded model and tokenized data (also used by the benchmark)."""
    args = training_arguments(cfg, **arg_overrides)
    train_tok = copy.deepcopy(loaded.tokenizer)
    train_tok.padding_side = "right"  # positions count from the left edge while training
    collator = DataCollatorForSeq2Seq(train_tok, model=loaded.model if loaded.family == "seq2seq" else None,
                                      label_pad_token_id=-100,
                                      pad_to_multiple_of=8 if (args.bf16 or args.fp16) else None)
    cls = KeyDevelopmentsSeq2SeqTrainer if loaded.family == "seq2seq" else KeyDevelopmentsTrainer
    return cls(model=loaded.model, args=args, data_collator=collator, train_dataset=train_ds,
               eval_dataset=eval_ds if args.eval_strategy != "no" else None,
               processing_class=loaded.tokenizer, callbacks=list(callbacks),
               eval_items=eval_items, gen_tokenizer=loaded.tokenizer, family=loaded.family,
               gen_settings=gen_settings, train_lengths=train_lengths)


@contextmanager
def kept_special_tokens(model):
    """Keep the model's own stop/pad/bos ids: `Trainer.train` rewrites them from the tokenizer
    (e.g. an instruct model that stops on <|im_end|> would get the tokenizer's </s> as its eos)."""
    import transformers.trainer_utils as tu

    objects = [model.config.get_text_config(), model.generation_config]
    names = ("eos_token_id", "bos_token_id", "pad_token_id")
    saved = [(o, n, copy.deepcopy(getattr(o, n, None))) for o in objects for n in names]
    quiet = logging.getLogger(tu.__name__)
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        yield
    finally:
        quiet.setLevel(level)
        for o, n, v in saved:
            setattr(o, n, v)


def run(cfg: FinetuneConfig) -> dict[str, Any] | None:
    """Read, tokenize, train, keep the best, save a folder summarizer loads; returns the summary
    (on the main process; None on the others)."""
    cfg.validate()
    training_arguments(cfg)  # a setting the Trainer refuses fails now, not after loading and tokenizing
    out = Path(cfg.output_dir)
    resume_from = check_output_dir(cfg)

    train_pairs, train_notes = read_pairs(cfg.train, cfg.article_column, cfg.reference_column,
                                          cfg.skip_bad_rows, cfg.max_train_samples)
    valid_pairs, valid_notes = [], None
    if cfg.valid:
        valid_pairs, valid_notes = read_pairs(cfg.valid, cfg.article_column, cfg.reference_column,
                                              cfg.skip_bad_rows, cfg.eval_samples)
    elif cfg.eval_steps:
        log.warning("no --valid data: no ROUGE, no early stopping; the last step is kept")

    load_name, base_ref = resolve_init(cfg.model)
    if cfg.lora and os.path.isfile(os.path.join(os.path.expanduser(load_name), "adapter_config.json")):
        raise FinetuneError(f"{cfg.model} is a LoRA adapter; train a new adapter on its base "
                            "(--model BASE) or finetune it fully without --lora")
    loaded = load_model(load_name, device="cpu", dtype="float32")  # the Trainer places it and casts
    log.info("loaded %s (%s, %s)", loaded.name, loaded.family, loaded.model_type)

    builder = ExampleBuilder(loaded, cfg.bullets, cfg.max_source_length, cfg.max_target_length)
    train_ds, train_lengths = builder.build(train_pairs, train_notes, "tokenizing train")
    eval_ds, eval_items = None, []
    if valid_pairs:
        eval_ds, _ = builder.build(valid_pairs, valid_notes, "tokenizing valid")
        eval_items = builder.eval_items(valid_pairs)

    set_seed(cfg.seed)
    if cfg.lora:
        loaded.model = add_lora(loaded.model, loaded.family, cfg, base_ref)

    header = [{"event": "data", "split": "train", **train_notes.to_dict()}]
    if valid_notes:
        header.append({"event": "data", "split": "valid", **valid_notes.to_dict()})
    callbacks: list[TrainerCallback] = [JsonlLog(out / LOG_FILE, header)]
    if cfg.eval_enabled and cfg.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.early_stopping_patience))
    if os.environ.get("FINETUNE_STEP_DELAY"):
        callbacks.append(StepDelay(float(os.environ["FINETUNE_STEP_DELAY"])))

    trainer = build_trainer(cfg, loaded, train_ds, train_lengths, eval_ds, eval_items, builder.settings, callbacks)
    args = trainer.args
    with args.main_process_first(desc="preparing the output folder", local=False):
        if trainer.is_world_process_zero():
            out.mkdir(parents=True, exist_ok=True)
            if cfg.overwrite:
                clear_output_dir(out)
            (out / ARGS_FILE).write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")

    start_step = 0
    if resume_from:
        start_step = json.loads(Path(resume_from, "trainer_state.json").read_text()).get("global_step", 0)
        log.info("resuming from %s (step %d)", resume_from, start_step)
    t0 = time.perf_counter()
    with kept_special_tokens(loaded.model):
        trainer.train(resume_from_checkpoint=resume_from)
    seconds = time.perf_counter() - t0

    state = trainer.state
    steps_done = state.global_step - start_step
    examples = steps_done * args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
    summary: dict[str, Any] = {
        "steps": state.global_step, "epochs": round(state.epoch or 0.0, 3), "minutes": round(seconds / 60, 2),
        "examples_per_second": round(examples / seconds, 3) if seconds > 0 else None,
        "train_loss": last_logged(state.log_history, "loss"),
        "best_metric": BEST_METRIC if state.best_metric is not None else None,
        "best_rougeLsum": round(state.best_metric, 2) if state.best_metric is not None else None,
        "best_step": state.best_global_step, "resumed_from_step": start_step or None,
        "output_dir": str(out),
    }
    trainer.save_model(cfg.output_dir)  # the best checkpoint when evaluating (loaded at the end), else the last
    if trainer.is_world_process_zero():
        from .card import write_card

        final_scores = best_eval_scores(state.log_history, state.best_global_step)
        summary["best_scores"] = final_scores
        (out / RESULTS_FILE).write_text(json.dumps(summary, indent=2) + "\n")
        write_card(out, cfg=cfg, loaded=loaded, base_ref=base_ref, train_notes=train_notes,
                   valid_notes=valid_notes, summary=summary, log_history=state.log_history,
                   sample=(eval_items[0], trainer.last_predictions[0]) if eval_items and trainer.last_predictions
                   else None, precision=mixed_precision(cfg), world_size=args.world_size)
        if not cfg.keep_checkpoints:
            for _, p in checkpoints(out):
                shutil.rmtree(p, ignore_errors=True)
        return summary
    return None  # other processes of a multi-process run report nothing


def last_logged(log_history: list[dict], key: str) -> float | None:
    values = [e[key] for e in log_history if key in e]
    return round(values[-1], 4) if values else None


def best_eval_scores(log_history: list[dict], step: int | None) -> dict[str, float]:
    """ROUGE of the kept checkpoint (the best one), from the evaluation log."""
    evals = [e for e in log_history if f"eval_{BEST_METRIC}" in e]
    if not evals:
        return {}
    chosen = next((e for e in evals if e.get("step") == step), evals[-1])
    return {k[5:]: v for k, v in chosen.items() if k.startswith("eval_rouge")}


def format_summary(s: dict[str, Any]) -> str:
    parts = [f"{s['steps']} steps ({s['epochs']} epochs) in {s['minutes']} min",
             f"{s['examples_per_second']} examples/s"]
    if s.get("train_loss") is not None:
        parts.append(f"last training loss {s['train_loss']}")
    if s.get("best_rougeLsum") is not None:
        parts.append(f"best ROUGE-Lsum {s['best_rougeLsum']} at step {s['best_step']}")
    return "finetune: done: " + ", ".join(parts) + f"; saved to {s['output_dir']}"

