"""Generation settings: the one place where decoding choices live.

Every choice a user can make (CLI flag, UI control, API argument) lands in
`GenerationSettings`; `validate()` turns a bad combination into a clear
`SettingsError` before it can reach `generate()` and fail there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

Length = Literal["short", "medium", "long"]

# Token budgets per length preset: (max_new_tokens, min_new_tokens).
LENGTH_PRESETS: dict[str, tuple[int, int]] = {
    "short": (64, 8),
    "medium": (128, 16),
    "long": (256, 32),
}

MAX_BULLETS = 20
MAX_NEW_TOKENS_LIMIT = 1024
MAX_BEAMS = 16


class SettingsError(ValueError):
    """A generation setting that cannot work; the message says which and why."""


@dataclass(frozen=True)
class GenerationSettings:
    bullets: int = 3
    length: Length = "medium"
    max_new_tokens: int | None = None  # None: from the length preset
    min_new_tokens: int | None = None  # None: from the length preset
    num_beams: int | None = None  # None: the model's generation_config (greedy if unset)
    no_repeat_ngram_size: int | None = None  # None: the model's generation_config
    length_penalty: float | None = None  # only used with beam search
    max_input_tokens: int | None = None  # chunk budget; None: the model's input limit
    max_input_chars: int = 10_000_000  # larger inputs are refused, not truncated

    def validate(self) -> "GenerationSettings":
        def check(ok: bool, msg: str) -> None:
            if not ok:
                raise SettingsError(msg)

        check(isinstance(self.bullets, int) and 1 <= self.bullets <= MAX_BULLETS,
              f"bullets must be an integer from 1 to {MAX_BULLETS}, got {self.bullets!r}")
        check(self.length in LENGTH_PRESETS,
              f"length must be one of {', '.join(LENGTH_PRESETS)}, got {self.length!r}")
        for name, lo, hi in [("max_new_tokens", 1, MAX_NEW_TOKENS_LIMIT),
                             ("min_new_tokens", 0, MAX_NEW_TOKENS_LIMIT),
                             ("num_beams", 1, MAX_BEAMS),
                             ("no_repeat_ngram_size", 0, 20),
                             ("max_input_tokens", 16, 1_000_000)]:
            v = getattr(self, name)
            check(v is None or (isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi),
                  f"{name} must be an integer from {lo} to {hi}, got {v!r}")
        check(self.length_penalty is None or (isinstance(self.length_penalty, (int, float))
                                              and -10.0 <= self.length_penalty <= 10.0),
              f"length_penalty must be a number from -10 to 10, got {self.length_penalty!r}")
        check(isinstance(self.max_input_chars, int) and self.max_input_chars > 0,
              f"max_input_chars must be a positive integer, got {self.max_input_chars!r}")
        lo, hi = self.token_range()
        check(lo <= hi, f"min_new_tokens ({lo}) must not exceed max_new_tokens ({hi})")
        return self

    def token_range(self) -> tuple[int, int]:
        """(min_new_tokens, max_new_tokens) after applying the length preset.

        An explicit max below the preset's minimum lowers the minimum with it, so
        `--max-new-tokens 5` alone is a valid request.
        """
        preset_max, preset_min = LENGTH_PRESETS[self.length]
        hi = self.max_new_tokens if self.max_new_tokens is not None else preset_max
        lo = self.min_new_tokens if self.min_new_tokens is not None else min(preset_min, hi)
        return lo, hi

    def generate_kwargs(self, model_generation_config: Any = None) -> dict[str, Any]:
        """Keyword arguments for `model.generate()`.

        Only what the user set (or the preset decides) is passed; everything else
        comes from the model's own generation_config. Sampling is always off.
        """
        self.validate()
        lo, hi = self.token_range()
        kw: dict[str, Any] = {"max_new_tokens": hi, "min_new_tokens": lo, "do_sample": False}
        beams = self.num_beams
        if beams is None:
            beams = getattr(model_generation_config, "num_beams", None) or 1
        kw["num_beams"] = beams
        if self.no_repeat_ngram_size is not None:
            kw["no_repeat_ngram_size"] = self.no_repeat_ngram_size
        if beams > 1:
            if self.length_penalty is not None:
                kw["length_penalty"] = float(self.length_penalty)
        else:
            # Beam-only options from the model's config would only trigger warnings.
            kw["length_penalty"] = 1.0
            kw["early_stopping"] = False
        # Never let the model's own config switch sampling on behind our back.
        kw["temperature"] = None
        kw["top_p"] = None
        kw["top_k"] = None
        return kw

    def with_overrides(self, **overrides: Any) -> "GenerationSettings":
        """A copy with the non-None overrides applied (handy for CLI/UI/API layers)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise SettingsError(f"unknown generation setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None}).validate()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
