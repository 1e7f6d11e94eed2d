"""Peak memory of a block of work, on CPU (process RSS) or CUDA."""
import ctypes
import resource
from typing import Optional

import torch

_MIB = 1024.0**2


def _status_kib(field: str) -> int:
    """A ``kB`` field of ``/proc/self/status`` (e.g. ``VmRSS``)."""
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(f'/proc/self/status has no field {field!r}')


def _reset_rss_peak() -> bool:
    """Reset the kernel's peak RSS (VmHWM) of this process; False where
    ``/proc/self/clear_refs`` is not available (non-Linux)."""
    try:
        with open('/proc/self/clear_refs', 'w') as refs:
            refs.write('5')
        return True
    except OSError:
        return False


class PeakMemory:
    """Context manager measuring the peak memory of the block on two bases.

    - ``process_peak_mib``: the peak of everything held, before and during
      the block: on CUDA ``torch.cuda.max_memory_allocated`` after
      ``reset_peak_memory_stats`` (PyTorch's tensors on the device, weights
      included); on CPU (Linux) the process RSS high-water mark
      (``VmHWM``, reset on entry through ``/proc/self/clear_refs``: the
      interpreter, libraries and weights included).
    - ``growth_mib``: what the block added at its peak, the process peak
      minus what was held on entry (CUDA ``memory_allocated``, CPU
      ``VmRSS``): activations, gradients, optimizer state, not the weights
      built before.

    Where the CPU reset is unavailable, both come from
    ``resource.getrusage(...).ru_maxrss`` (the growth is then a lower
    bound). ``tracemalloc`` is not used: it does not see PyTorch's
    allocator.

    Attributes:
        process_peak_mib (float): Process (device) peak, MiB.
        growth_mib (float): Peak growth during the block, MiB.
        method (str): How both were measured.
    """

    def __init__(self, device: str) -> None:
        self.device = str(device)
        self.process_peak_mib: Optional[float] = None
        self.growth_mib: Optional[float] = None
        self.method = ''
        self._start_kib = 0.0

    def __enter__(self) -> 'PeakMemory':
        if self.device.startswith('cuda'):
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start_kib = torch.cuda.memory_allocated(self.device) / 1024.0
            self.method = ('CUDA: max_memory_allocated (process peak, weights included) and '
                           'its growth over memory_allocated at start')
        elif _reset_rss_peak():
            self._start_kib = _status_kib('VmRSS')
            self.method = ('CPU: VmHWM reset via /proc/self/clear_refs (process peak) and its '
                           'growth over VmRSS at start')
        else:
            self._start_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.method = 'CPU: ru_maxrss (process peak) and its growth (a lower bound)'
        return self

    def __exit__(self, *exc_info) -> None:
        if self.device.startswith('cuda'):
            torch.cuda.synchronize(self.device)
            peak_kib = torch.cuda.max_memory_allocated(self.device) / 1024.0
        elif 'VmHWM' in self.method:
            peak_kib = _status_kib('VmHWM')
        else:
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.process_peak_mib = peak_kib / 1024.0
        self.growth_mib = (peak_kib - self._start_kib) / 1024.0


def fair_cpu_heap(device: str) -> None:
    """On CPU with glibc, fix the allocator at the state its dynamic
    thresholds reach in a long run on 64-bit (blocks up to 32 MiB reused
    from the heap, larger ones mapped and unmapped, heap trimmed above 64
    MiB) and give freed memory back to the OS (``malloc_trim``), so that the
    RSS peak of one variant is not hidden by memory a previous one left in
    the heap and no variant's timing depends on how far the thresholds had
    grown. (A small fixed mapping threshold would instead make every pass of
    cache-sized blocks fault in fresh pages: 1.4x slower, not what
    ``tools/test.py`` sees.)"""
    if str(device).startswith('cuda'):
        return
    try:
        libc = ctypes.CDLL('libc.so.6')
    except OSError:
        return
    libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
    libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
    libc.malloc_trim(0)
