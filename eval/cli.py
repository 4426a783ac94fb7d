"""`python -m eval`: score summaries against references, or generate them first, then report.

    python -m eval --data FILE --prediction-field systems.bart      # outputs already in the data
    python -m eval --data FILE --predictions run/per_article.jsonl   # outputs in another file, joined on id
    python -m eval --data FILE --model lead-3                        # a baseline, no model needed
    python -m eval --data FILE [--model NAME_OR_PATH] --limit 50     # generate with a model, then score
    python -m eval --compare DIR_A DIR_B                             # paired bootstrap A vs B

Several systems can be scored in one run (several fields, files, plus one model); each then
gets a sub-folder of --output-dir, and the table, report and chart show them side by side.
Exit codes: 0 success, 2 bad usage or bad input, 1 any other failure, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from summarizer.cli import (EXIT_OK, Parser, add_generation_args, check_device_args, run_main, settings_from_args,
                            setup_logging)
from summarizer.journal import sidecar, unwritable

CHART = "rouge.png"
REPORT = "report.md"


@dataclass
class System:
    name: str
    kind: str  # "field", "file", "baseline" or "model"
    spec: str | None


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m eval", description="ROUGE evaluation of Key Developments against references.",
                formatter_class=argparse.RawDescriptionHelpFormatter,
                epilog="Scores: ROUGE-1/2/L/Lsum F1 x 100 (Porter stemming; Lsum with one sentence or bullet "
                       "per line), 95% bootstrap CIs, faithfulness proxies and lengths.")
    d = p.add_argument_group("data")
    d.add_argument("--data", nargs="+", metavar="PATH",
                   help="JSONL/CSV/TSV/Parquet file, folder of reports, or hub dataset 'name [config] split'")
    d.add_argument("--article-field", help="article column (default: article, document or text)")
    d.add_argument("--reference-field", help="reference column (default: highlights, summary or reference)")
    d.add_argument("--id-field", help="id column (default: id if present, else the line number)")
    d.add_argument("--limit", type=int, help="evaluate the first N rows only")
    d.add_argument("--human-field", metavar="FIELD",
                   help="human judgement per row (e.g. human_scores.bart.consistency): reported beside "
                        "each system's mean support, as a Spearman correlation")
    d.add_argument("--skip-bad-rows", action="store_true",
                   help="leave out unreadable rows (counted in the report) instead of stopping")
    s = p.add_argument_group("systems")
    s.add_argument("--prediction-field", nargs="+", default=[], metavar="FIELD",
                   help="score outputs stored in the data; dots reach into objects (systems.bart)")
    s.add_argument("--predictions", nargs="+", default=[], metavar="FILE",
                   help="score outputs in another file (e.g. a per_article.jsonl), joined on id")
    s.add_argument("--predictions-field", metavar="FIELD",
                   help="prediction column of --predictions files (default: prediction, output, summary, ...)")
    g = p.add_argument_group("generation (with --model, or when no predictions are given)")
    add_generation_args(g)
    for action in g._group_actions:
        if action.dest == "model":
            action.help = ("hub id or local folder (default: the offline default model), or a baseline "
                           "that needs no model: lead-3, lead-N, lead-k (as many sentences as the reference)")
    g.add_argument("--batch-size", type=int, default=8, help="articles per generate call (default 8)")
    o = p.add_argument_group("output")
    o.add_argument("--output-dir", help="where results go (default: runs/eval/SYSTEM-TIMESTAMP)")
    o.add_argument("--resume", action="store_true", help="continue an interrupted model run in --output-dir")
    o.add_argument("--overwrite", action="store_true", help="replace earlier results in --output-dir")
    o.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    o.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--compare", nargs=2, metavar=("DIR_A", "DIR_B"),
                   help="paired bootstrap test between two evaluation runs")
    return p


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "system"


def _systems(args: argparse.Namespace) -> list[System]:
    from .baselines import is_baseline

    systems = [System(_slug(f.split(".")[-1]), "field", f) for f in args.prediction_field]
    for path in args.predictions:
        p = Path(path)
        systems.append(System(_slug(p.parent.name if p.stem == "per_article" else p.stem), "file", path))
    if is_baseline(args.model):
        systems.append(System(args.model.lower(), "baseline", args.model.lower()))
    elif args.model or not systems:
        from summarizer.names import resolve_model

        label = Path(args.model).name if args.model else resolve_model(None)[1].replace(" (default)", "")
        systems.append(System(_slug(label), "model", args.model))
    seen: dict[str, int] = {}
    for s in systems:  # unique folder names
        seen[s.name] = seen.get(s.name, 0) + 1
        if seen[s.name] > 1:
            s.name = f"{s.name}_{seen[s.name]}"
    return systems


def _check_flags(args: argparse.Namespace) -> None:
    from summarizer.inputs import InputError

    if args.resume and args.overwrite:
        raise InputError("--resume keeps earlier results and --overwrite replaces them; pick one")
    if args.resume and not args.output_dir:
        raise InputError("--resume needs the --output-dir of the run to continue")
    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.bootstrap < 0:
        raise InputError(f"--bootstrap must be 0 or more, got {args.bootstrap}")


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare_runs, format_comparison
    from .report import write_json

    if args.data:
        from summarizer.inputs import InputError

        raise InputError("--compare reads two finished runs; drop --data")
    result = compare_runs(*args.compare, bootstrap=args.bootstrap, seed=args.seed)
    print(format_comparison(result))
    if args.output_dir:
        out = Path(args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "compare.json", result)
        print(f"wrote {out / 'compare.json'}", file=sys.stderr)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from summarizer.inputs import InputError

    from .data import load_data, predictions_from_field, predictions_from_file
    from .generate import baseline_predictions
    from .report import PER_ARTICLE

    _check_flags(args)
    systems = _systems(args)
    settings = settings_from_args(args)  # bad generation flags fail before any work
    check_device_args(args)
    data = load_data(" ".join(args.data), args.article_field, args.reference_field, args.id_field,
                     args.limit, args.skip_bad_rows,
                     need_article=any(s.kind in ("model", "baseline") for s in systems))
    for msg in data.skipped:
        print(f"note: skipped {msg}", file=sys.stderr)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    default_dir = Path("runs") / "eval" / f"{systems[0].name if len(systems) == 1 else 'systems'}-{stamp}"
    out_dir = Path(args.output_dir) if args.output_dir else default_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--output-dir {out_dir} is a file; name a folder")
    dirs = {s.name: out_dir if len(systems) == 1 else out_dir / s.name for s in systems}
    if not (args.resume or args.overwrite):
        taken = [str(d / PER_ARTICLE) for d in dirs.values() if (d / PER_ARTICLE).exists()]
        if taken:
            raise InputError(f"{taken[0]} exists; pass --resume to continue that run or --overwrite to replace it")
    if args.resume:  # a folder continues only the system that started it
        for s in systems:
            before = _started_by(dirs[s.name] / PER_ARTICLE)
            if before is not None and before != s.name:
                raise InputError(f"{dirs[s.name]} holds a run of {before!r}, not {s.name!r}; resume it with the "
                                 "same --model, or pick another --output-dir")
    # Cheap systems first, so a wrong field or file fails before an hour of generation.
    predictions: dict[str, tuple[list[str], str, list[str]]] = {}
    for s in systems:
        if s.kind == "field":
            predictions[s.name] = (predictions_from_field(data, s.spec), f"field `{s.spec}` of the data", [])
        elif s.kind == "file":
            preds, notes = predictions_from_file(data, s.spec, args.predictions_field, args.id_field)
            predictions[s.name] = (preds, f"file `{s.spec}` joined on id", notes)
        elif s.kind == "baseline":
            predictions[s.name] = (baseline_predictions(data, s.spec),
                                   f"baseline {s.spec} (first sentences of the article)", [])

    # made after the cheap systems, so a wrong field leaves no empty folder behind; before generation, so a
    # folder that cannot be made fails now, not after an hour of it
    made = [p for d in dirs.values() for p in (d, *d.parents) if not p.exists()]  # deepest first
    for d in dirs.values():
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"--output-dir: {unwritable(d, e)}") from None
    try:
        return _evaluate(args, systems, data, settings, predictions, out_dir, dirs)
    except BaseException:  # a run that failed before writing anything leaves no empty folder behind
        for d in sorted(set(made), key=lambda p: -len(p.parts)):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        raise


def _evaluate(args, systems, data, settings, predictions, out_dir, dirs) -> int:
    """Generate (model systems) and score every system into its folder; the table, report and chart."""
    from summarizer.inputs import InputError

    from .generate import ModelRun, model_rows
    from .report import METRICS, PER_ARTICLE, format_table, markdown_report, write_chart, write_json, write_jsonl
    from .scoring import score_rows, system_metrics

    results = []
    for s in systems:
        d = dirs[s.name]
        d.mkdir(parents=True, exist_ok=True)
        model, generation = None, None
        if s.kind == "model":
            run = ModelRun(s.spec, settings, args.device, args.dtype, args.engine, args.batch_size)
            rows, model = model_rows(data, d, run, s.name, resume=args.resume)
            source = "generated by the model"
            generation = {**settings.to_dict(), "batch_size": args.batch_size, "device": args.device,
                          "dtype": args.dtype, "engine": args.engine}
            refused = sum(1 for r in rows if r.get("error"))
            notes = [f"{refused} article(s) the model could not take (empty prediction, see 'error' in "
                     "per_article.jsonl)"] if refused else []
        else:
            preds, source, notes = predictions[s.name]
            rows = score_rows(data.examples, preds, s.name)
            if s.kind == "baseline":
                generation = {"baseline": s.spec}
        if s.kind != "model":  # these rows are no model run's: a later --resume must not take them for one
            try:
                sidecar(d / PER_ARTICLE).unlink(missing_ok=True)
            except OSError as e:
                raise InputError(unwritable(sidecar(d / PER_ARTICLE), e)) from None
        write_jsonl(d / PER_ARTICLE, rows)
        metrics = system_metrics(rows, data, s.name, source, model=model, generation=generation,
                                 bootstrap=args.bootstrap, seed=args.seed, notes=notes,
                                 human_field=args.human_field)
        write_json(d / METRICS, metrics)
        results.append(metrics)
        for n in metrics["notes"]:
            print(f"note: {s.name}: {n}", file=sys.stderr)

    print(format_table(results))
    if len(results) > 1:
        write_json(out_dir / "summary.json", {"systems": results})
    write_chart(out_dir / CHART, results)
    (out_dir / REPORT).write_text(markdown_report(results, CHART), encoding="utf-8")
    print(f"\nwrote {out_dir}/ ({', '.join([METRICS, PER_ARTICLE, REPORT, CHART])}"
          f"{'; one folder per system' if len(results) > 1 else ''})", file=sys.stderr)
    return EXIT_OK


def _started_by(per_article: Path) -> str | None:
    """The system whose model run wrote this per_article.jsonl (from its sidecar), if any."""
    try:
        return json.loads(sidecar(per_article).read_text(encoding="utf-8")).get("system")
    except (OSError, ValueError, AttributeError):
        return None


def main(argv: list[str] | None = None) -> int:
    def command() -> int:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.compare and not args.data:
            parser.error("--data is required (or --compare DIR_A DIR_B)")
        setup_logging(getattr(args, "model", None))
        if args.compare:
            return cmd_compare(args)
        try:
            return cmd_evaluate(args)
        except KeyboardInterrupt:
            if args.output_dir and any(s.kind == "model" for s in _systems(args)):  # only a model run saves as it goes
                print("\nfinished articles are saved in per_article.jsonl; rerun the same command "
                      "with --resume (and the same --output-dir) to continue", file=sys.stderr)
            raise
    return run_main(command)
