"""`summarizer batch --runner ray`: the same planned batches through Ray Data.

An actor pool runs one Summarizer per actor (GPUs per actor when the cluster has them); each
input row of the Ray dataset is one planned batch, so batches on the cluster are exactly the
batches the local runner would run. The driver still reads, plans and writes, so resume and
error rows work the same way.
"""

from __future__ import annotations

import json
import sys
from typing import Iterator

from typing import Callable

from .inputs import InputError
from .settings import GenerationSettings

# (summarizer, rows as dicts, settings) -> result rows: the local runner's own batch function
Work = Callable[..., list[dict]]


class RayWorker:
    def __init__(self, work: Work, model: str | None, engine: str, device: str, dtype: str, settings: dict,
                 threads: int | None):
        import torch

        from .pipeline import Summarizer

        if threads:
            torch.set_num_threads(threads)
        self.work = work
        self.settings = GenerationSettings(**settings)
        self.summarizer = Summarizer.from_pretrained(model, device=device, dtype=dtype, settings=self.settings,
                                                     engine=engine)

    def __call__(self, batch: dict) -> dict:
        out = []
        for payload in batch["batch"]:
            out.append(json.dumps(self.work(self.summarizer, json.loads(payload), self.settings), ensure_ascii=False))
        return {"rows": out}


def require_ray():
    """Ray, or the one-line reason there is none (checked before an --overwrite empties anything)."""
    try:
        import ray
    except ImportError:
        raise InputError("--runner ray needs Ray Data: pip install 'ray[data]' "
                         "(or the project's [ray] extra)") from None
    return ray


def ray_engine(cfg, work: Work):
    """(engine, finish) for the job's `BatchConfig` (batch.py imports this module, not the
    other way round): connects to RAY_ADDRESS / --ray-address, or starts a local Ray instance.
    `work` summarizes one planned batch on an actor, exactly as the local runner does."""
    ray = require_ray()
    started = not ray.is_initialized()
    if started:
        ray.init(address=cfg.ray_address, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False  # our own bar counts articles
    resources = ray.cluster_resources()
    gpus = cfg.gpus_per_worker if cfg.gpus_per_worker is not None else (1.0 if resources.get("GPU") else 0.0)
    if cfg.num_workers:
        workers = cfg.num_workers
    elif gpus:
        workers = max(1, int(resources.get("GPU", 0) // gpus))
    else:
        workers = max(1, int(resources.get("CPU", 1) // cfg.cpus_per_worker))
    device = cfg.device if cfg.device != "auto" or gpus else "cpu"
    print(f"batch: Ray Data with {workers} worker(s), {gpus:g} GPU and {cfg.cpus_per_worker:g} CPU each, "
          f"batch size {cfg.batch_size}", file=sys.stderr)

    def run(batches: list[list]) -> Iterator[list[dict]]:
        if not batches:
            return
        payloads = [{"batch": json.dumps([it.__dict__ for it in b], ensure_ascii=False)} for b in batches]
        # One planned batch per block: results stream back (and are flushed) batch by batch.
        ds = ray.data.from_items(payloads, override_num_blocks=len(payloads))
        ds = ds.map_batches(RayWorker, batch_size=1, batch_format="numpy",
                            compute=ray.data.ActorPoolStrategy(size=min(workers, len(payloads))),
                            fn_constructor_kwargs={"work": work, "model": cfg.model, "engine": cfg.engine, "device": device,
                                                   "dtype": cfg.dtype, "settings": cfg.settings.to_dict(),
                                                   "threads": cfg.threads or max(1, int(cfg.cpus_per_worker))},
                            num_gpus=gpus, num_cpus=cfg.cpus_per_worker)
        for out in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for payload in out["rows"]:
                yield json.loads(payload)

    def finish() -> None:
        if started:
            ray.shutdown()

    return run, finish
