"""Command line: `python -m summarizer summarize|batch` (also the `summarizer` script).

Every command of the project (these two, `python -m eval`, `python -m finetune`,
`python -m training.selector`) runs through `run_main`, the one place that maps errors to
exit codes: 0 success, 2 bad usage or bad input, 1 any other failure, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM).
Messages are one line on stderr (`KD_DEBUG=1` shows tracebacks).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import fields
from pathlib import Path
from typing import Callable, NoReturn

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 too; keep its message to one line
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


class _Interrupts:
    """Python's own Ctrl-C handler that also remembers the Ctrl-C. A KeyboardInterrupt that lands
    inside a library's import can come out as another error (numpy's lazy attributes recurse,
    transformers reports "Could not import module"); after a Ctrl-C any failure is its doing.
    SIGTERM (`kill`, a scheduler's stop) is handled the same way, so a job closes its output
    and says so, and exits 143 as a killed process would."""

    seen = False
    code = EXIT_INTERRUPTED

    def __call__(self, signum, frame):
        if not self.seen:  # the first stop names it: TERM, then an impatient Ctrl-C, is still 143
            self.code = 128 + signum
        self.seen = True
        raise KeyboardInterrupt


def run_main(command: Callable[[], int]) -> int:
    """Run a command; turn what went wrong into one line on stderr and an exit code."""
    interrupts = _Interrupts()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig, default in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL)):
            if signal.getsignal(sig) is default:
                previous[sig] = signal.signal(sig, interrupts)
    try:
        return _run(command, interrupts)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(command: Callable[[], int], interrupts: _Interrupts) -> int:
    try:
        from .inputs import InputError
        from .names import ModelLoadError
        from .settings import SettingsError
        try:
            code = command()
        except (InputError, SettingsError, ModelLoadError) as e:
            print(f"error: {e}", file=sys.stderr)
            code = EXIT_USAGE
        return _interrupted(interrupts.code) if code != EXIT_OK and interrupts.seen else code
    except KeyboardInterrupt:  # also during the imports, which take seconds
        return _interrupted(interrupts.code)
    except BrokenPipeError:  # `... | head`: the reader left; nothing to report
        sys.stderr.close()
        return EXIT_OK
    except Exception as e:  # a last resort: one line, not a traceback
        if interrupts.seen:
            return _interrupted(interrupts.code)
        if os.environ.get("KD_DEBUG"):
            raise
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_FAIL


def _interrupted(code: int = EXIT_INTERRUPTED) -> int:
    print("interrupted" if code == EXIT_INTERRUPTED else "interrupted (terminated)", file=sys.stderr)
    # When Ctrl-C lands inside code an import runs through a string exec (dataclasses, namedtuple
    # do that), CPython flags it as unhandled even though we caught it, and `python -m` then kills
    # itself with SIGINT (exit -2, not 130). Any later string exec clears that flag.
    exec("None")
    return code


def exit_process(code: int) -> NoReturn:
    """Leave with `code`; after a Ctrl-C that left a CTranslate2 batch running, at once (os._exit):
    interpreter shutdown would otherwise wait for its worker threads (seconds to minutes)."""
    ct2 = sys.modules.get("summarizer.backends.ct2")
    if code in (EXIT_INTERRUPTED, 128 + signal.SIGTERM) and ct2 is not None and ct2._INTERRUPTED:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe or stream: nothing more to say
                pass
        os._exit(code)
    sys.exit(code)


def fill(cls, args: argparse.Namespace, **extra):
    """A config dataclass from parsed flags of the same names (no copying by hand)."""
    values = {**vars(args), **extra}
    return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})


# ---- shared flags ----------------------------------------------------------------------------
def add_generation_args(p) -> None:
    """Flags shared by every command that generates (summarize, batch, eval)."""
    p.add_argument("--model", default=None, help="hub id or local folder (default: the offline default model)")
    p.add_argument("--engine", default="transformers", choices=["transformers", "ct2"],
                   help="how generative models run: transformers (default) or ct2 (CTranslate2)")
    p.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps")
    p.add_argument("--dtype", default="auto",
                   help="auto (transformers: bf16 on capable GPUs, else fp32; ct2: int8 on CPU, fp32 for SmolLM2, "
                        "bf16/fp16 on CUDA), float32, bfloat16, float16; with --engine ct2 also int8, "
                        "int8_float32, int8_float16, int8_bfloat16, int16")
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

    return GenerationSettings().with_overrides(**{f.name: getattr(args, f.name, None)
                                                  for f in fields(GenerationSettings)})


def check_device_args(args: argparse.Namespace) -> None:
    """Refuse an impossible --device/--dtype before reading data or loading a model."""
    from .backends import check_device

    check_device(getattr(args, "model", None), args.device, args.dtype, args.engine)


# ---- summarize -------------------------------------------------------------------------------
def read_input(file: str, max_chars: int) -> str:
    from .inputs import read_path, read_stream

    if file == "-":
        if sys.stdin.isatty():
            print("reading the report from stdin; end with Ctrl-D", file=sys.stderr)
        return read_stream(sys.stdin.buffer, max_chars, "stdin")
    return read_path(file, max_chars)


def cmd_summarize(args: argparse.Namespace) -> int:
    from .pipeline import Summarizer, read_report

    settings = settings_from_args(args)
    check_device_args(args)
    text = read_input(args.file, settings.max_input_chars)
    report = read_report(text, settings)  # parsed once; bad input fails before the model loads
    summarizer = Summarizer.from_pretrained(args.model, device=args.device, dtype=args.dtype, settings=settings,
                                            engine=args.engine)
    result = summarizer.summarize(report)
    if args.format == "json":
        out = json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    elif args.format == "text":
        out = result.text
    else:
        out = result.markdown
    if result.bullets or args.format == "json":  # no empty heading for nothing; the reason goes to stderr
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return EXIT_OK if result.bullets else EXIT_FAIL


# ---- batch -----------------------------------------------------------------------------------
MAX_ERRORS_SHOWN = 10


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch import BatchConfig, run_job
    from .inputs import InputError

    if len(args.input) > 1:
        from .records import is_hub_name
        spec = " ".join(args.input)
        if not is_hub_name(spec) or len(args.input) > 3:
            raise InputError(f"batch takes one input (a file, a folder or a hub dataset), got {len(args.input)}: "
                             "put the files in one folder, or run one job per file")
    if args.engine_compat == "ray":
        args.runner = "ray"
    settings = settings_from_args(args)
    check_device_args(args)
    cfg = fill(BatchConfig, args, input=" ".join(args.input), output=Path(args.output), settings=settings)
    report = run_job(cfg)
    print(report.describe(), file=sys.stderr)
    for err in report.errors[:MAX_ERRORS_SHOWN]:
        print(f"  failed: {err}", file=sys.stderr)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        print(f"  ... and {len(report.errors) - MAX_ERRORS_SHOWN} more (see the error column of the output)",
              file=sys.stderr)
    failed = report.failed + report.failed_before
    if failed and not cfg.allow_failures:
        print(f"error: {failed} row(s) failed (pass --allow-failures to exit 0 anyway)", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def add_batch_parser(sub) -> None:
    from .records import ID_FIELDS, TEXT_FIELDS

    p = sub.add_parser(
        "batch", help="summarize many articles (JSONL/CSV/Parquet, a folder, or a hub dataset)",
        description="Summarize every row of INPUT into OUTPUT (JSONL, or CSV/Parquet by extension). "
                    "Rerunning with the same OUTPUT resumes where the last run stopped.")
    p.add_argument("input", nargs="+", metavar="INPUT",
                   help="one .jsonl/.csv/.tsv/.parquet file, a folder of .txt/.md reports, "
                        "or a hub dataset as NAME [CONFIG] SPLIT")
    p.add_argument("-o", "--output", required=True, help="result file: .jsonl (default), .csv or .parquet")
    p.add_argument("--batch-size", type=int, default=8, help="articles per generate() call (default 8)")
    p.add_argument("--text-field", default=None,
                   help=f"column with the article text (default: first of {', '.join(TEXT_FIELDS)})")
    p.add_argument("--id-field", default=None,
                   help=f"column with the row id (default: first of {', '.join(ID_FIELDS)}; "
                        "else line-N / row-N, or the file name for folders)")
    p.add_argument("--overwrite", action="store_true", help="start over instead of resuming OUTPUT")
    p.add_argument("--retry-failed", action="store_true", help="when resuming, try failed rows again")
    p.add_argument("--allow-failures", action="store_true", help="exit 0 even if some rows failed")
    p.add_argument("--window", type=int, default=None,
                   help="rows sorted by length together (default 10000; 100000 with --runner ray)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for torch (default: all cores; fewer is faster on a busy machine)")
    r = p.add_argument_group("cluster (Ray Data)")
    r.add_argument("--runner", choices=["local", "ray"], default="local",
                   help="local: this process (default); ray: an actor pool on a Ray cluster")
    r.add_argument("--ray-address", default=None, help="Ray cluster address (default: RAY_ADDRESS, else local)")
    r.add_argument("--num-workers", type=int, default=None, help="actors (default: one per GPU, else per CPU)")
    r.add_argument("--gpus-per-worker", type=float, default=None, help="default 1 when the cluster has GPUs")
    r.add_argument("--cpus-per-worker", type=float, default=1.0)
    add_generation_args(p)
    # `--engine ray` was the Ray flag before engines meant CTranslate2; it still works.
    for action in p._actions:
        if action.dest == "engine":
            action.choices = ["transformers", "ct2", "ray"]
    p.set_defaults(func=cmd_batch)


# ---- entry point -----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="summarizer", description="Key Developments bullets from news reports.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    s = sub.add_parser("summarize", help="summarize one report (.txt/.md/.html file, or - for stdin)")
    s.add_argument("file", nargs="?", default="-", help="report file, or - for stdin (default)")
    s.add_argument("--format", choices=["md", "text", "json"], default="md")
    add_generation_args(s)
    s.set_defaults(func=cmd_summarize)
    add_batch_parser(sub)
    return parser


def setup_logging(model: str | None = None) -> None:
    logging.basicConfig(level=os.environ.get("KD_LOG", "WARNING"), format="%(levelname)s: %(message)s")
    from .names import names_extractive

    if names_extractive(model):  # no weights load through transformers, and importing it takes a second
        return
    try:
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()  # weight-loading bars are noise on a command line
    except ImportError:
        pass


def main(argv: list[str] | None = None) -> int:
    def command() -> int:
        args = build_parser().parse_args(argv)
        if args.command == "batch":
            args.engine_compat = args.engine
            if args.engine == "ray":
                args.engine = "transformers"
        setup_logging(getattr(args, "model", None))
        return args.func(args)
    return run_main(command)


def entry() -> NoReturn:
    """The `summarizer` console script."""
    exit_process(main())
