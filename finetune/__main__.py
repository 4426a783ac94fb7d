"""`python -m finetune --train PATH --valid PATH --output-dir DIR [--model INIT] [options]`

Exit codes: 0 done, 2 bad arguments or input (one-line message, no traceback), 1 other failures,
130 interrupted (continue with --resume).
"""

from __future__ import annotations

import logging
import os
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    from summarizer.cli import run_main

    def command() -> int:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s", stream=sys.stderr)
        # torchrun / accelerate launch: only the first process speaks, except for errors
        logging.getLogger("finetune").setLevel(logging.INFO if int(os.environ.get("RANK", "0")) == 0 else logging.ERROR)
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_warning()
        from summarizer.inputs import InputError
        from summarizer.names import ModelLoadError
        from summarizer.settings import SettingsError

        from .config import FinetuneError, parse_args
        from .train import format_summary, run

        cfg = parse_args(argv)
        try:
            summary = run(cfg)
        except (FinetuneError, InputError, ModelLoadError, SettingsError) as e:
            print(f"finetune: error: {e}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("finetune: continue with the same command and --resume", file=sys.stderr)
            raise
        except Exception as e:  # one line a user can act on: memory, disk, else the error itself
            if os.environ.get("KD_DEBUG"):
                raise
            print(f"finetune: error: {describe_failure(e)}", file=sys.stderr)
            return EXIT_FAIL
        if summary:
            print(format_summary(summary))
        return EXIT_OK

    return run_main(command)


def describe_failure(e: BaseException) -> str:
    """A failure users can act on, in one line: out of memory (GPU or CPU), disk errors, else the error itself."""
    from summarizer.devices import is_out_of_memory

    if is_out_of_memory(e):
        return ("out of memory; lower --batch-size (raise --gradient-accumulation-steps to keep the effective "
                "batch), shorten --max-source-length or add --gradient-checkpointing")
    if isinstance(e, OSError) and e.strerror:
        return f"{e.strerror}" + (f": {e.filename}" if e.filename else "")
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first}" + " (set KD_DEBUG=1 for the traceback)"


if __name__ == "__main__":
    sys.exit(main())
