"""Which device and dtype a model runs on, checked before anything loads, and how torch says it
ran out of memory. Bad names and hardware this machine lacks are one-line `ModelLoadError`s."""

from __future__ import annotations


import torch

from .names import DEVICE_HELP, DEVICE_NAME, DTYPE_HELP, ModelLoadError


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
           "float16": torch.float16, "fp16": torch.float16, "half": torch.float16}


def _auto_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def _check_device(device: str | torch.device) -> torch.device:
    if isinstance(device, torch.device):
        dev = device
    else:
        name = "auto" if device is None else str(device).strip().lower()
        if name == "auto":
            return _auto_device()
        if not DEVICE_NAME.fullmatch(name):
            raise ModelLoadError(f"unknown device {device!r}; use {DEVICE_HELP}")
        dev = torch.device(name)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelLoadError(f"device {str(dev)!r} was asked for but no CUDA GPU is available here; "
                                 "use --device cpu (or auto)")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ModelLoadError(f"device {str(dev)!r} does not exist: this machine has {count} CUDA GPU(s), "
                                 f"cuda:0 to cuda:{count - 1}")
    elif dev.type == "mps":
        if not _mps_available():
            raise ModelLoadError("device 'mps' was asked for but no Apple GPU (MPS) is available here; "
                                 "use --device cpu (or auto)")
    elif dev.type != "cpu":
        raise ModelLoadError(f"unsupported device {str(dev)!r}; use {DEVICE_HELP}")
    return dev


def _check_dtype(dtype: str | torch.dtype, dev: torch.device) -> torch.dtype:
    if isinstance(dtype, torch.dtype):
        if dtype not in set(_DTYPES.values()):
            raise ModelLoadError(f"unsupported dtype {dtype}; use {DTYPE_HELP}")
        out = dtype
    else:
        name = "auto" if dtype is None else str(dtype).strip().lower()
        if name == "auto":
            if dev.type == "cuda" and torch.cuda.is_bf16_supported():
                return torch.bfloat16
            return torch.float32
        if name not in _DTYPES:
            raise ModelLoadError(f"unknown dtype {dtype!r}; use {DTYPE_HELP}")
        out = _DTYPES[name]
    if out == torch.bfloat16 and dev.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ModelLoadError(f"this GPU ({torch.cuda.get_device_name(dev)}) does not support bfloat16; "
                             "use --dtype float16 or float32")
    return out


def check_device_dtype(device: str | torch.device = "auto",
                       dtype: str | torch.dtype = "auto") -> tuple[torch.device, torch.dtype]:
    """The device and dtype a model would load on, or a one-line ModelLoadError for an unknown
    name or one this machine does not have (no CUDA, cuda:N past the GPU count, no MPS).

    Cheap (no model is touched): run it before loading anything, so a typo fails at once.
    """
    dev = _check_device(device)
    return dev, _check_dtype(dtype, dev)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    return _check_device(device)


def resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    return _check_dtype(dtype, device)


# How torch says it ran out: CUDA/MPS "out of memory", CPU "DefaultCPUAllocator: can't allocate
# memory" (Linux) or "not enough memory" (Windows).
_OOM_TEXT = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory",
             "failed to allocate memory")


def is_out_of_memory(err: BaseException) -> bool:
    """True for any allocation failure on any device, and for Python's MemoryError."""
    if isinstance(err, MemoryError):
        return True
    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    return isinstance(err, oom) or (isinstance(err, RuntimeError) and any(t in str(err).lower() for t in _OOM_TEXT))
