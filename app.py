"""Key Developments web UI: paste or upload a news report, read what happened.

    python app.py                       # http://127.0.0.1:7860, the offline default model
    python app.py --model ./my-model --models-dir ./models --port 8080

A thin Gradio layer over `summarizer.Summarizer`: models are loaded once and kept
in a small LRU cache, requests queue with a concurrency limit, and the summarize
function is also the API endpoint `/summarize` (first argument: the report text;
first result: the Key Developments as markdown).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import queue
import re
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home from a local tool
# Heartbeats every 5 s instead of 15: gradio_client gives up on a heartbeat after 20 s, and
# on a busy CPU a 15 s beat can be late enough that the server cancels a queued request.
os.environ.setdefault("GRADIO_HEARTBEAT_INTERVAL", "5")

import gradio as gr

from summarizer import (GenerationSettings, InputError, ModelLoadError, SettingsError, Summarizer,
                        evidence, keypoints, parse_report)
from summarizer.backends import ENGINES
from summarizer.cli import Parser, check_device_args
from summarizer.inputs import read_path
from summarizer.pipeline import read_report
from summarizer.names import DEFAULT_MODEL, DEFAULT_NAME, EXTRACTIVE_CONFIG, EXTRACTIVE_DIR, SMOLLM2
from summarizer.settings import LENGTH_PRESETS, MAX_BEAMS, MAX_BULLETS, MAX_NEW_TOKENS_LIMIT

log = logging.getLogger("app")

ROOT = Path(__file__).resolve().parent
EXAMPLES_DIR = ROOT / "examples"
UI_MAX_CHARS = 200_000  # a long feature article is ~50,000; bigger inputs belong to the CLI
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm"]
PALETTE = ["#fde68a", "#bfdbfe", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa", "#a5f3fc", "#e5e7eb"]


@dataclass
class AppConfig:
    model: str = DEFAULT_MODEL  # the model selected when the page opens
    models_dir: Path = field(default_factory=lambda: ROOT / "models")
    device: str = "auto"
    engine: str = "transformers"  # or "ct2" (CTranslate2) for the generative models
    dtype: str = "auto"  # torch dtype, or a CTranslate2 compute type with engine ct2
    cache_size: int = 2  # models kept loaded at once
    concurrency: int = 1  # summaries generated at once; one already uses every CPU core
    queue_size: int = 100  # waiting requests beyond this are turned away
    max_chars: int = UI_MAX_CHARS
    allow_hub_models: bool = False  # also load hub ids typed into the model box


# ---- models -----------------------------------------------------------------------------
class ModelCache:
    """Loaded summarizers by name; the least recently used is dropped when full, so
    trying many models does not grow memory without end."""

    def __init__(self, size: int = 2, device: str = "auto", engine: str = "transformers", dtype: str = "auto"):
        self.size, self.device, self.engine, self.dtype = max(1, size), device, engine, dtype
        self._items: OrderedDict[str, Summarizer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str) -> Summarizer:
        with self._lock:  # one load at a time: two requests for a new model load it once
            if name in self._items:
                self._items.move_to_end(name)
                return self._items[name]
            summ = Summarizer.from_pretrained(None if name == DEFAULT_MODEL else name, device=self.device,
                                              dtype=self.dtype, engine=self.engine)
            self._items[name] = summ
            while len(self._items) > self.size:
                self._items.popitem(last=False)
                gc.collect()
            return summ

    def names(self) -> list[str]:
        with self._lock:
            return list(self._items)


MODEL_FILES = ("config.json", "adapter_config.json", "extractive.json")  # what makes a folder a model


def model_choices(cfg: AppConfig) -> list[tuple[str, str]]:
    """(label, value) pairs: the start-up model, the built-in default and generative
    models, then the model folders found in the models directory."""
    # Read the default's identity from the library's constants: resolving the SmolLM2
    # alias would convert its weights (or fail when its package is missing) at page build.
    extractive_default = (EXTRACTIVE_DIR / EXTRACTIVE_CONFIG).exists()
    if extractive_default:
        choices = [("Default: key-developments-extractive", DEFAULT_MODEL),
                   (f"{DEFAULT_NAME} (generative)", SMOLLM2)]
    else:
        choices = [(f"Default: {DEFAULT_NAME}", DEFAULT_MODEL)]
    if cfg.model not in (DEFAULT_MODEL, SMOLLM2):
        choices.insert(0, (f"{Path(cfg.model).name or cfg.model} (start-up model)", cfg.model))
    taken = {str(EXTRACTIVE_DIR.resolve())} | {v for _, v in choices}
    folders = sorted(cfg.models_dir.iterdir()) if cfg.models_dir.is_dir() else []
    for d in folders:
        value = str(d.resolve())
        if any((d / f).exists() for f in MODEL_FILES) and value not in taken:
            choices.append((d.name, value))
            taken.add(value)
    return choices


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def allowed_model(name: str, cfg: AppConfig) -> bool:
    """Only the models the page lists (and hub ids with --allow-hub-models): a request can never
    make the server open an arbitrary path, and the answer is the same whether it exists or not."""
    if name in {v for _, v in model_choices(cfg)}:
        return True
    return cfg.allow_hub_models and bool(_HUB_ID.match(name)) and ".." not in name


def _whole_number(value, what: str, low: int, high: int) -> int:
    """A form value as an int, or a one-line error naming the control and its range."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(value, float) and value.is_integer():
        value, ok = int(value), True
    if not ok or not low <= value <= high:
        raise gr.Error(f"{what} must be a whole number from {low} to {high}, got {value!r}.", print_exception=False)
    return value


# ---- streaming ----------------------------------------------------------------------------
class _Cancelled(Exception):
    pass


# ---- presentation helpers -----------------------------------------------------------------
def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text)


def warnings_markdown(summary) -> str:
    """Each bullet's support score, and a visible warning on the ones below the calibrated
    threshold, naming what the source does not back."""
    if not summary.bullets:
        notes = " ".join(summary.notes)
        return f"⚠️ The model returned no bullets for this text. {_md_escape(notes)}".strip()
    scores = " · ".join(f"Bullet {i}: {s.score:.2f}" for i, s in enumerate(summary.support, 1))
    lines = [f"Support by the source (1 = said there): {scores}"] + [f"- ℹ️ {_md_escape(n)}" for n in summary.notes]
    for i, sup in enumerate(summary.support, 1):
        if sup.warn:
            items = ", ".join(f"“{_md_escape(m)}”" for m in sup.unsupported[:4]) or "its wording"
            lines.append(f"- ⚠️ **Bullet {i}** (support {sup.score:.2f}): {items} not found in the source: check it.")
    return "\n".join(lines)


def stats_line(s) -> str:
    return (f"Model: {s.runtime or s.model} · chunks: {s.chunks} · tokens: {s.input_tokens:,} in, "
            f"{s.output_tokens:,} out · {s.seconds:.2f} s")


def color_map(n: int) -> dict[str, str]:
    return {evidence.bullet_label([i]): PALETTE[i % len(PALETTE)] for i in range(n)}


class Downloads:
    """Per-request .md and .json files in one temp folder; files older than an hour are
    swept on each write (Gradio serves its own copy by then)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="key-developments-app-"))

    def write(self, markdown: str, payload: dict) -> tuple[str, str]:
        cutoff = time.time() - 3600
        for old in self.dir.glob("*/*"):
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
                try:
                    old.parent.rmdir()
                except OSError:
                    pass
        folder = self.dir / uuid.uuid4().hex[:12]
        folder.mkdir()
        md, js = folder / "key-developments.md", folder / "key-developments.json"
        md.write_text(markdown, encoding="utf-8")
        js.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        return str(md), str(js)


# ---- the app --------------------------------------------------------------------------------
def build_app(cfg: AppConfig, cache: ModelCache | None = None) -> gr.Blocks:
    cache = cache or ModelCache(cfg.cache_size, cfg.device, cfg.engine, cfg.dtype)
    downloads = Downloads()
    choices = model_choices(cfg)

    def load_file(path: str | None) -> str:
        """Uploaded file -> report text in the text box (HTML reduced to its text)."""
        if not path:
            return gr.skip()
        if Path(path).suffix.lower() not in UPLOAD_TYPES:
            raise gr.Error(f"{Path(path).name}: upload a .txt, .md or .html file.", print_exception=False)
        try:
            text = read_path(path)
        except InputError as e:
            raise gr.Error(str(e).replace(str(Path(path).parent) + os.sep, ""), print_exception=False)
        if len(text) > cfg.max_chars:
            raise gr.Error(f"{Path(path).name} holds {len(text):,} characters; the limit here is "
                           f"{cfg.max_chars:,}.", print_exception=False)
        return text

    def summarize(text: str, model: str = cfg.model, bullets: int = 3, length: str = "medium",
                  beams: int = 0, max_new_tokens: int = 0, progress=gr.Progress()):
        """Key Developments of one report: markdown bullets, the source with supporting
        sentences highlighted, faithfulness warnings, a stats line and two download files."""
        if text is not None and not isinstance(text, str):
            raise gr.Error(f"text must be a string, got {type(text).__name__}.", print_exception=False)
        if model is not None and not isinstance(model, str):
            raise gr.Error(f"model must be a name from the model list, got {type(model).__name__}.",
                           print_exception=False)
        if not isinstance(length, str) or length not in LENGTH_PRESETS:  # a list is not hashable: no traceback
            raise gr.Error(f"length must be one of {', '.join(LENGTH_PRESETS)}, got {length!r}.", print_exception=False)
        bullets = _whole_number(bullets, "bullets", 1, MAX_BULLETS)
        beams = _whole_number(beams, "beams", 0, MAX_BEAMS)
        max_new_tokens = _whole_number(max_new_tokens, "max_new_tokens", 0, MAX_NEW_TOKENS_LIMIT)
        text = text or ""
        if not text.strip():
            raise gr.Error("There is no text to summarize: paste a report or upload a .txt, .md "
                           "or .html file.", print_exception=False)
        if len(text) > cfg.max_chars:
            raise gr.Error(f"The report is {len(text):,} characters long; the limit here is "
                           f"{cfg.max_chars:,} characters. Summarize longer texts with the command "
                           "line: summarizer summarize FILE.", print_exception=False)
        try:
            settings = GenerationSettings(max_input_chars=cfg.max_chars).with_overrides(
                bullets=int(bullets), length=length, num_beams=int(beams) or None,
                max_new_tokens=int(max_new_tokens) or None)
            report = read_report(text, settings)  # parsed once, before any model loads
        except (InputError, SettingsError) as e:
            raise gr.Error(str(e), print_exception=False)
        name = (model or cfg.model).strip()
        if not allowed_model(name, cfg):
            raise gr.Error(f"The model could not be loaded: {name!r} is not offered here; pick one from the "
                           "model list.", print_exception=False)
        progress(0, desc=f"Loading {name}…" if name not in cache.names() else "Summarizing…")
        try:
            summ = cache.get(name)
        except ModelLoadError as e:
            raise gr.Error(f"The model could not be loaded: {e}", print_exception=False)
        except Exception as e:  # a broken folder can fail in many ways; the user gets one line
            log.exception("loading %s failed", name)
            first = (str(e).splitlines() or [type(e).__name__])[0]
            raise gr.Error(f"The model could not be loaded: {name}: {first}", print_exception=False)

        events: queue.Queue = queue.Queue()
        cancelled = threading.Event()

        def on_text(piece: str) -> None:
            if cancelled.is_set():
                raise _Cancelled()  # stops generation when the page went away mid-stream
            events.put(("text", piece))

        # Tokens stream only from a generator with one beam; otherwise the bullets arrive at the end.
        try:
            stream = summ.backend.can_stream(summ.resolve(settings))
        except SettingsError as e:
            raise gr.Error(str(e), print_exception=False)

        def work() -> None:
            try:
                result = summ.summarize(report, settings,
                                        progress=lambda done, total: events.put(("progress", (done, total))),
                                        on_text=on_text if stream else None)
                events.put(("done", result))
            except BaseException as e:  # handed to the request thread, which reports it
                events.put(("error", e))

        yield "", None, "", "Summarizing…", None, None
        threading.Thread(target=work, daemon=True, name="summarize").start()
        partial, last = "", 0.0
        try:
            while True:
                kind, value = events.get()
                if kind == "text":
                    partial += value
                    if time.monotonic() - last > 0.2:  # a browser needs no more than ~5 updates a second
                        last = time.monotonic()
                        md = keypoints.to_markdown(summ.backend.preview(partial, settings))
                        yield md, gr.skip(), gr.skip(), "Generating…", gr.skip(), gr.skip()
                elif kind == "progress":
                    done, total = value
                    progress((done, total), desc="Summarizing chunks", unit="chunks")
                elif kind == "error":
                    if isinstance(value, (InputError, SettingsError)):
                        raise gr.Error(str(value), print_exception=False)
                    log.error("summarizing failed", exc_info=value)
                    first = (str(value).splitlines() or [type(value).__name__])[0]
                    raise gr.Error(f"Summarizing failed: {type(value).__name__}: {first}", print_exception=False)
                else:
                    summary = value
                    break
        finally:
            cancelled.set()

        source = summary.source  # what the model read: the report without its own bullets
        spans = [evidence.Support(i, sup.sentences) for i, sup in enumerate(summary.support)]
        segments = evidence.highlight_segments(source, spans)
        payload = summary.to_dict() | {"settings": settings.to_dict()}
        md_path, json_path = downloads.write(summary.markdown, payload)
        yield summary.markdown, segments, warnings_markdown(summary), stats_line(summary), md_path, json_path

    examples = []
    for p in sorted(EXAMPLES_DIR.glob("*")):
        if p.suffix.lower() in UPLOAD_TYPES:
            text = read_path(p)
            examples.append((parse_report(text).title or p.stem, text))

    with gr.Blocks(title="Key Developments", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# Key Developments\nPaste a news report (or upload one) and get a short list "
                    "of what happened. Each bullet's supporting sentences are highlighted in the source.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1):
                report = gr.Textbox(label="Report", lines=14, max_lines=30, elem_id="report",
                                    placeholder="Paste the text of a news report here…",
                                    info=f"Plain text, markdown or HTML; up to {cfg.max_chars:,} characters.")
                upload = gr.File(label="…or upload a .txt, .md or .html file", file_types=UPLOAD_TYPES,
                                 type="filepath", height=120, elem_id="upload")
                model = gr.Dropdown(choices=choices, value=cfg.model, label="Model", allow_custom_value=True,
                                    info="A local model folder from the list, or type a folder path or hub id.")
                with gr.Row():
                    n_bullets = gr.Slider(1, MAX_BULLETS, value=GenerationSettings().bullets, step=1,
                                          label="Bullets (at most)")
                    length = gr.Radio(list(LENGTH_PRESETS), value="medium", label="Length")
                with gr.Accordion("Advanced", open=False):
                    beams = gr.Slider(0, MAX_BEAMS, value=0, step=1, label="Beams",
                                      info="0: the model's own setting. Bullets stream in only with 1 beam.")
                    max_new = gr.Slider(0, MAX_NEW_TOKENS_LIMIT, value=0, step=8, label="Max new tokens",
                                        info="0: from the length preset.")
                button = gr.Button("Summarize", variant="primary", elem_id="summarize")
            with gr.Column(scale=1):
                bullets_md = gr.Markdown(label="Key Developments", buttons=["copy"], elem_id="bullets",
                                         container=True, min_height=120)
                warnings = gr.Markdown(label="Warnings", show_label=False, elem_id="warnings")
                stats = gr.Markdown(label="Stats", show_label=False, elem_id="stats")
                with gr.Row():
                    dl_md = gr.DownloadButton("Download .md", size="sm", elem_id="download-md")
                    dl_json = gr.DownloadButton("Download .json", size="sm", elem_id="download-json")
        # Each highlight is labelled inline with its bullet, so no legend (it would list all colours).
        highlights = gr.HighlightedText(label="Source: the sentences behind each bullet", show_legend=False,
                                        show_inline_category=True, color_map=color_map(MAX_BULLETS),
                                        elem_id="highlights")
        gr.Examples(examples=[[t] for _, t in examples], inputs=[report],
                    example_labels=[title for title, _ in examples], label="Example reports")

        upload.upload(load_file, upload, report, api_visibility="private")
        button.click(summarize, [report, model, n_bullets, length, beams, max_new],
                     [bullets_md, highlights, warnings, stats, dl_md, dl_json],
                     api_name="summarize", concurrency_limit=cfg.concurrency, concurrency_id="generate",
                     preprocess=False)  # plain values in; `summarize` checks each and answers with the reason
    demo.queue(max_size=cfg.queue_size, default_concurrency_limit=cfg.concurrency)
    demo.cache = cache  # for start-up preloading and tests
    return demo


# Gradio lays highlighted text out as flex boxes with break-all, which cuts words in two;
# let the source flow like a paragraph instead.
CSS = """
#highlights .textfield { display: block; word-break: normal; overflow-wrap: break-word; line-height: 1.8; }
#highlights .line-break { display: block; }
#highlights .token-container { display: inline; }
#warnings ul { color: #92400e; background: #fffbeb; border-radius: 6px; padding: 6px 6px 6px 28px; }
#stats { color: var(--body-text-color-subdued); font-size: 0.9em; }
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = Parser(description="Key Developments web UI.")  # a bad flag: one line, not the usage block
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help="model selected when the page opens: a local folder or hub id (default: the offline default)")
    p.add_argument("--models-dir", type=Path, default=ROOT / "models",
                   help="folder whose model subfolders are offered in the model list (default: ./models)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (0.0.0.0 for every interface)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--share", action="store_true", help="also create a public gradio.live link")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--engine", choices=ENGINES, default="transformers",
                   help="how generative models run: transformers, or ct2 (CTranslate2, faster on CPU and GPU)")
    p.add_argument("--dtype", default="auto", help="auto, float32, bfloat16, float16; with --engine ct2 also int8")
    p.add_argument("--concurrency", type=int, default=1, help="summaries generated at once (default 1)")
    p.add_argument("--cache-size", type=int, default=2, help="models kept in memory (default 2)")
    p.add_argument("--max-chars", type=int, default=UI_MAX_CHARS, help="longest input accepted, in characters")
    p.add_argument("--allow-hub-models", action="store_true",
                   help="also load hub ids typed into the model box (default: only the listed models)")
    args = p.parse_args(argv)
    for flag, value, low, high in [("--port", args.port, 1, 65535), ("--max-chars", args.max_chars, 1, 10**9),
                                   ("--concurrency", args.concurrency, 1, 1024), ("--cache-size", args.cache_size, 1, 64)]:
        if not low <= value <= high:
            p.error(f"{flag} must be from {low} to {high}, got {value}")
    try:
        check_device_args(args)
    except ModelLoadError as e:
        p.error(str(e))
    if not args.share and not _port_free(args.host, args.port):
        p.error(f"port {args.port} on {args.host} is in use (or the address cannot be used); pick another with --port")
    return args


def _port_free(host: str, port: int) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.bind((host, port))
        return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    model = args.model
    if model != DEFAULT_MODEL and os.path.exists(os.path.expanduser(model)):
        model = str(Path(model).expanduser().resolve())
    cfg = AppConfig(model=model, models_dir=args.models_dir, device=args.device, engine=args.engine,
                    dtype=args.dtype, cache_size=args.cache_size,
                    concurrency=args.concurrency, max_chars=args.max_chars, allow_hub_models=args.allow_hub_models)
    demo = build_app(cfg)
    try:  # load the start-up model now, so the first visitor does not wait for it
        demo.cache.get(cfg.model)
    except Exception as e:  # the page still opens; the model error shows on the first request
        log.warning("could not preload %s: %s", cfg.model, str(e).splitlines()[0] if str(e) else e)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, max_file_size="5mb",
                theme=gr.themes.Soft(), css=CSS)


if __name__ == "__main__":
    main()
