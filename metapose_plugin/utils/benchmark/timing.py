"""Synchronised wall-clock (and process CPU) timing of a callable, after
warm-up."""
import statistics
import time
from typing import Callable, Dict, Tuple

import torch


def synchronize(device: str) -> None:
    """Wait for queued kernels (``torch.cuda.synchronize``) on CUDA; no-op
    on CPU."""
    if str(device).startswith('cuda'):
        torch.cuda.synchronize(device)


def time_calls(fn: Callable[[], object], iters: int, device: str,
               warmup: int = 1) -> Tuple[float, float]:
    """Mean wall-clock and process-CPU seconds of one ``fn()`` call.

    ``warmup`` untimed calls run first (allocator, caches, lazy inits); the
    timers start and stop after a device synchronisation, so queued CUDA
    work is counted. The CPU time (``time.process_time``, all threads of
    the process) is the cost on a shared machine, where the wall clock also
    counts waiting for a core.

    Args:
        fn (Callable): The work to time, called without arguments.
        iters (int): Timed calls (at least 1).
        device (str): ``'cpu'`` or ``'cuda[:i]'``.
        warmup (int): Untimed calls before timing. Defaults to 1.

    Returns:
        tuple[float, float]: Wall-clock and CPU seconds per call.
    """
    if iters < 1:
        raise ValueError(f'time_calls: iters must be >= 1, got {iters}')
    for _ in range(warmup):
        fn()
    synchronize(device)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(iters):
        fn()
    synchronize(device)
    return (time.perf_counter() - wall) / iters, (time.process_time() - cpu) / iters


def seconds_per_call(fn: Callable[[], object], iters: int, device: str,
                     warmup: int = 1) -> float:
    """Mean wall-clock seconds of one ``fn()`` call (see :func:`time_calls`)."""
    return time_calls(fn, iters, device, warmup)[0]


def interleaved_median_seconds(fns: Dict[str, Callable[[], object]], iters: int, device: str,
                               warmup: int = 1) -> Dict[str, float]:
    """Median wall-clock seconds per call of several callables timed in
    round robin (one call of each per round), so that a burst of load from
    other processes hits all of them alike and their ratios stay meaningful.

    Args:
        fns (dict[str, Callable]): Name -> work, called without arguments.
        iters (int): Rounds (at least 1).
        device (str): ``'cpu'`` or ``'cuda[:i]'``.
        warmup (int): Untimed rounds first. Defaults to 1.

    Returns:
        dict[str, float]: Name -> median seconds per call.
    """
    if iters < 1:
        raise ValueError(f'interleaved_median_seconds: iters must be >= 1, got {iters}')
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples = {name: [] for name in fns}
    for _ in range(iters):
        for name, fn in fns.items():
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}
