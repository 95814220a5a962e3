"""Where inference and training run, and the process settings that keep CPU runs fast.

Thread settings and inference precision are decided here, once, so no other
module second-guesses them. (Training picks its own mixed precision, bf16 on
CPUs that have it too: training/train.py.)
"""

import contextlib
import ctypes
import ctypes.util
import os
import sys

_configured = False

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _raise_malloc_thresholds() -> None:
    """Keep large buffers in the process between passes.

    By default glibc hands every large (>128 KiB-ish) buffer back to the OS after
    each inference pass and faults it in again on the next: thousands of page
    faults per pass and 2-5x slower, bimodal CPU timings. Raising both thresholds
    makes the allocator reuse them.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
        libc.mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1)
    except (OSError, AttributeError):
        pass  # not glibc (musl, ...): nothing to tune


def configure_runtime(threads: int | None = None) -> None:
    """Apply allocator and thread settings once per process (idempotent)."""
    global _configured
    import torch

    if threads:
        torch.set_num_threads(threads)
    if _configured:
        return
    _configured = True
    _raise_malloc_thresholds()
    if not threads:
        # One thread per physical core; hyperthreads slow convolutions down.
        torch.set_num_threads(max(1, min(torch.get_num_threads(), os.cpu_count() or 1)))
    # cv2 competes with torch for the same cores; torch does the heavy part.
    import cv2

    cv2.setNumThreads(max(1, torch.get_num_threads()))


def select_device(preference: str = "auto"):
    """'auto' -> CUDA when available, else CPU; 'cpu'; 'cuda' or 'cuda:N'."""
    import torch

    configure_runtime()
    if preference in ("auto", "", None):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was asked for, but this torch build or machine has no CUDA GPU")
    return device


def describe_device(device) -> str:
    import torch

    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def cuda_half_dtype(device):
    """The half precision a GPU computes fast: bf16 from compute capability 8
    (Ampere), fp16 on 7.x (Volta, Turing), none before (Pascal's fp16 is slow).

    Asked of the GPU in use, not of GPU 0. torch.cuda.is_bf16_supported() would say
    yes on older GPUs too (it counts emulation), where bf16 convolutions run slower
    than fp32 or fail in cuDNN.
    """
    import torch

    major, _ = torch.cuda.get_device_capability(device)
    return torch.bfloat16 if major >= 8 else torch.float16 if major == 7 else None


def autocast_context(device):
    """Mixed precision for inference: fp16/bf16 on CUDA. None on the CPU, so that a
    photo gets the same colors on every CPU (only some have bf16)."""
    import torch

    dtype = cuda_half_dtype(device) if device.type == "cuda" else None
    return torch.autocast("cuda", dtype=dtype) if dtype is not None else contextlib.nullcontext()
