"""Command line: `python -m summarizer summarize [FILE|-]` (also the `summarizer` script).

Exit codes: 0 success, 2 bad usage or bad input, 1 any other failure. Messages go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 too; keep its message to one line
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_generation_args(p: argparse.ArgumentParser) -> None:
    """Flags shared by every command that generates (summarize, batch, eval)."""
    p.add_argument("--model", default=None, help="hub id or local folder (default: the offline default model)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps")
    p.add_argument("--dtype", default="auto", help="auto (bf16 on capable GPUs, else fp32), float32, bfloat16")
    p.add_argument("--bullets", type=int, default=None, help="most bullets to return (default 3)")
    p.add_argument("--length", choices=["short", "medium", "long"], default=None, help="length preset")
    p.add_argument("--max-new-tokens", type=int, default=None)
    p.add_argument("--min-new-tokens", type=int, default=None)
    p.add_argument("--beams", type=int, default=None, dest="num_beams")
    p.add_argument("--no-repeat-ngram-size", type=int, default=None)
    p.add_argument("--length-penalty", type=float, default=None)
    p.add_argument("--max-input-tokens", type=int, default=None, help="chunk size in tokens")
    p.add_argument("--max-chars", type=int, default=None, dest="max_input_chars",
                   help="refuse inputs longer than this (default 10,000,000 characters)")


def settings_from_args(args: argparse.Namespace):
    from .settings import GenerationSettings

    keys = ["bullets", "length", "max_new_tokens", "min_new_tokens", "num_beams",
            "no_repeat_ngram_size", "length_penalty", "max_input_tokens", "max_input_chars"]
    return GenerationSettings().with_overrides(**{k: getattr(args, k) for k in keys})


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="summarizer", description="Key Developments bullets from news reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("summarize", help="summarize one report (.txt/.md/.html file, or - for stdin)")
    s.add_argument("file", nargs="?", default="-", help="report file, or - for stdin (default)")
    s.add_argument("--format", choices=["md", "text", "json"], default="md")
    add_generation_args(s)
    s.set_defaults(func=cmd_summarize)
    try:  # the batch command lives in its own module ([batch]); absent until it lands
        from .batch import add_batch_parser
        add_batch_parser(sub)
    except ImportError:
        pass
    return parser


def read_input(file: str) -> str:
    from .inputs import decode_bytes, read_path

    if file == "-":
        if sys.stdin.isatty():
            print("reading the report from stdin; end with Ctrl-D", file=sys.stderr)
        return decode_bytes(sys.stdin.buffer.read(), "stdin")
    return read_path(file)


def cmd_summarize(args: argparse.Namespace) -> int:
    from .summarize import Summarizer

    settings = settings_from_args(args)
    text = read_input(args.file)
    from .inputs import clean_text
    clean_text(text, settings.max_input_chars)  # fail on bad input before the model loads
    summarizer = Summarizer.from_pretrained(args.model, device=args.device, dtype=args.dtype, settings=settings)
    result = summarizer.summarize(text)
    if args.format == "json":
        out = json.dumps({k: v for k, v in result.to_dict().items()}, ensure_ascii=False, indent=2)
    elif args.format == "text":
        out = result.text
    else:
        out = result.markdown
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("KD_LOG", "WARNING"), format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()  # weight-loading bars are noise on a command line
    from .inputs import InputError
    from .models import ModelLoadError
    from .settings import SettingsError

    try:
        return args.func(args)
    except (InputError, SettingsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ModelLoadError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a last resort: one line, not a traceback (KD_DEBUG=1 shows it)
        if os.environ.get("KD_DEBUG"):
            raise
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_FAIL
