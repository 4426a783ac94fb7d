"""The model card (README.md) and the loss / ROUGE curves of a finetuning run."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CURVES_FILE = "training_curves.png"


def plot_curves(log_history: list[dict], path: Path) -> bool:
    """Training and validation loss beside validation ROUGE, by step; False when nothing was logged."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    valid = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    rouge = {k: [(e["step"], e[f"eval_{k}"]) for e in log_history if f"eval_{k}" in e]
             for k in ("rouge1", "rouge2", "rougeLsum")}
    if not train and not valid:
        return False
    fig, (ax_loss, ax_rouge) = plt.subplots(1, 2, figsize=(10, 4))
    if train:
        ax_loss.plot(*zip(*train), label="training loss")
    if valid:
        ax_loss.plot(*zip(*valid), marker="o", label="validation loss")
    ax_loss.set(xlabel="step", ylabel="loss", title="Loss")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    if any(rouge.values()):
        for k, points in rouge.items():
            if points:
                ax_rouge.plot(*zip(*points), marker="o", label=k)
        ax_rouge.set(xlabel="step", ylabel="F1 x 100", title="Validation ROUGE")
        ax_rouge.legend()
        ax_rouge.grid(alpha=0.3)
    else:
        ax_rouge.text(0.5, 0.5, "no validation ROUGE\n(no --valid data or --eval-steps 0)",
                      ha="center", va="center", transform=ax_rouge.transAxes)
        ax_rouge.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _data_line(notes) -> str:
    d = notes.to_dict()
    line = f"`{d['source']}`: {d['used']} of {d['rows']} rows used"
    if d["bad_rows"]:
        line += f" ({d['bad_rows']} bad rows skipped, e.g. {d['bad_row_examples'][0]})"
    extras = []
    if d["sources_cut"]:
        extras.append(f"{d['sources_cut']} articles cut to the token budget")
    if d["targets_shortened"] or d["targets_cut"]:
        extras.append(f"{d['targets_shortened'] + d['targets_cut']} targets over the length limit "
                      f"({d['targets_shortened']} lost trailing bullets, {d['targets_cut']} cut)")
    return line + ("; " + "; ".join(extras) if extras else "")


def write_card(out: Path, *, cfg, loaded, base_ref: str, train_notes, valid_notes, summary: dict[str, Any],
               log_history: list[dict], sample=None, precision: str = "fp32", world_size: int = 1) -> Path:
    import peft
    import torch
    import transformers

    has_curves = plot_curves(log_history, out / CURVES_FILE)
    method = (f"LoRA adapter (r={cfg.lora_r}, alpha={cfg.lora_alpha}, dropout={cfg.lora_dropout}, "
              f"targets={cfg.lora_target_modules}); loading merges it into the base" if cfg.lora
              else "full finetuning (all weights)")
    if torch.cuda.is_available() and not cfg.cpu:
        hardware = f"{world_size} x {torch.cuda.get_device_name(0)}"
    else:
        hardware = f"{world_size} x CPU ({platform.processor() or platform.machine()})"
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    layout = ("the summarizer chat prompt; loss on the answer tokens only" if loaded.family == "causal"
              else "report text in, bullets out as summarizer parses them")
    scores = summary.get("best_scores") or {}

    lines = [
        "---",
        f"base_model: {base_ref}",
        "library_name: " + ("peft" if cfg.lora else "transformers"),
        "tags: [summarization, key-developments]",
        "---",
        "",
        f"# Key Developments model finetuned from {loaded.name}",
        "",
        f"Trained {date} with `python -m finetune` to write the Key Developments of news reports as short "
        "bullets. Load it with `Summarizer.from_pretrained(\"<this folder>\")` or "
        "`summarizer summarize --model <this folder> REPORT`.",
        "",
        "## Model",
        "",
        f"- Base: `{base_ref}` ({loaded.family}, {loaded.model_type})",
        f"- Method: {method}",
        f"- Layout: {layout}",
        "",
        "## Data",
        "",
        f"- Training: {_data_line(train_notes)}",
        f"- Validation: {_data_line(valid_notes) if valid_notes else 'none'}",
        "",
        "## Results",
        "",
    ]
    if scores:
        lines += [
            f"Validation ROUGE (F1 x 100, stemmed; ROUGE-Lsum with one bullet per line) of the kept checkpoint "
            f"(step {summary.get('best_step')}), on {min(cfg.eval_samples, valid_notes.used if valid_notes else 0)} "
            "validation articles, generated through `summarizer` with greedy decoding:",
            "",
            "| ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum |",
            "| --- | --- | --- | --- |",
            "| " + " | ".join(f"{scores.get(k, float('nan')):.2f}" for k in ("rouge1", "rouge2", "rougeL", "rougeLsum"))
            + " |",
            "",
        ]
    else:
        lines += ["No validation ROUGE (no validation data, or evaluation turned off).", ""]
    lines += [
        f"- Steps: {summary['steps']} ({summary['epochs']} epochs), {summary['minutes']} minutes"
        + (f" (resumed at step {summary['resumed_from_step']})" if summary.get("resumed_from_step") else ""),
        f"- Throughput: {summary['examples_per_second']} examples/s (wall clock, evaluations included) on "
        f"{hardware}, precision {precision}",
        f"- Last logged training loss: {summary.get('train_loss')}",
        "",
    ]
    if has_curves:
        lines += [f"![loss and ROUGE curves]({CURVES_FILE})", ""]
    if sample:
        item, prediction = sample
        lines += ["## Example (first validation article)", "", "Reference:", ""]
        lines += [f"- {b}" for b in item.reference] + ["", "Model:", ""]
        lines += [f"- {b}" for b in prediction.split("\n") if b.strip()] or ["(no bullets)"]
        lines.append("")
    lines += ["## Settings", "", "| setting | value |", "| --- | --- |"]
    lines += [f"| {k} | `{v}` |" for k, v in cfg.to_dict().items()]
    lines += ["", f"Software: transformers {transformers.__version__}, torch {torch.__version__}, "
              f"peft {peft.__version__}. The full training log is `train_log.jsonl`.", ""]
    path = out / "README.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
