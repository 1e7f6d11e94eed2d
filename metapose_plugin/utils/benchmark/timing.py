"""Synchronised wall-clock timing of a callable, after warm-up."""
import time
from typing import Callable

import torch


def synchronize(device: str) -> None:
    """Wait for queued kernels (``torch.cuda.synchronize``) on CUDA; no-op
    on CPU."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize(device)


def seconds_per_call(fn: Callable[[], object], iters: int, device: str,
                     warmup: int = 1) -> float:
    """Mean wall-clock seconds of one ``fn()`` call.

    ``warmup`` untimed calls run first (allocator, caches, lazy inits); the
    timer starts and stops after a device synchronisation, so queued CUDA
    work is counted.

    Args:
        fn (Callable): The work to time, called without arguments.
        iters (int): Timed calls (at least 1).
        device (str): ``'cpu'`` or ``'cuda[:i]'``.
        warmup (int): Untimed calls before timing. Defaults to 1.

    Returns:
        float: Seconds per call.
    """
    if iters < 1:
        raise ValueError(f'seconds_per_call: iters must be >= 1, got {iters}')
    for _ in range(warmup):
        fn()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    synchronize(device)
    return (time.perf_counter() - start) / iters
