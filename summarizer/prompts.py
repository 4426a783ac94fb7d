"""What the model reads and writes, per family.

Inference and finetuning both import from here, so a finetuned model is trained on
exactly the prompt and target layout that `summarizer` uses and parses back.
"""

from __future__ import annotations

SYSTEM_PROMPT = "You write the Key Developments of news reports: short, factual bullet points."


def instruction(n_bullets: int) -> str:
    return (f"Write the Key Developments of this news report as at most {n_bullets} bullet points. "
            "Each bullet is one short sentence starting with \"- \" and states only facts from the report.")


def chat_messages(text: str, n_bullets: int) -> list[dict[str, str]]:
    """Chat messages for decoder-only instruct models; the report goes last."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"{instruction(n_bullets)}\n\nReport:\n{text.strip()}"},
    ]


def seq2seq_source(text: str, model_type: str, prefix: str | None = None) -> str:
    """Encoder input: T5-style models want their task prefix, BART/PEGASUS read text as is."""
    if prefix is None and model_type in {"t5", "mt5", "umt5", "longt5"}:
        prefix = "summarize: "
    return f"{prefix or ''}{text.strip()}"


# How bullets are laid out in the target text, by family. Tokenizers that drop
# newlines (sentencepiece T5) get sentences joined by spaces; PEGASUS reads "<n>".
def bullet_separator(model_type: str, family: str) -> str:
    if family == "causal":
        return "\n"
    if model_type == "pegasus":
        return "<n>"
    if model_type in {"t5", "mt5", "umt5", "longt5"}:
        return " "
    return "\n"


def format_target(bullets: list[str], model_type: str, family: str) -> str:
    """The text a model should produce for these bullets (finetuning targets)."""
    items = [b.strip() for b in bullets if b.strip()]
    if family == "causal":
        return "\n".join(f"- {b}" for b in items)
    sep = bullet_separator(model_type, family)
    if sep == " ":  # sentence boundaries are the only separator left: make sure each bullet ends one
        # a closing quote or bracket may follow the stop: 'He said "it is over."' needs none
        items = [b if b.rstrip("\"'”’)]")[-1:] in (".", "!", "?") else f"{b}." for b in items]
    return sep.join(items)
