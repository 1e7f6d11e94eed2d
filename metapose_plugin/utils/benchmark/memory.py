"""Peak memory of a block of work, on CPU (process RSS) or CUDA."""
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
    """Context manager measuring the peak memory used inside the block.

    - CUDA: ``torch.cuda.max_memory_allocated`` after
      ``reset_peak_memory_stats``: peak of the tensors allocated by PyTorch
      on the device, model weights included.
    - CPU (Linux): the process RSS high-water mark (``VmHWM``, reset on
      entry through ``/proc/self/clear_refs``) minus the RSS on entry: what
      the block added at its peak (activations, gradients, optimizer state;
      not the weights built before). Where the reset is unavailable, the
      growth of ``resource.getrusage(...).ru_maxrss`` (a lower bound).
      ``tracemalloc`` is not used: it does not see PyTorch's allocator.

    Attributes:
        peak_mib (float): Measured peak, MiB (after the block).
        method (str): How it was measured.
    """

    def __init__(self, device: str) -> None:
        self.device = str(device)
        self.peak_mib: Optional[float] = None
        self.method = ''
        self._start_kib = 0

    def __enter__(self) -> 'PeakMemory':
        if self.device.startswith('cuda'):
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.method = 'torch.cuda.max_memory_allocated (weights included)'
        elif _reset_rss_peak():
            self._start_kib = _status_kib('VmRSS')
            self.method = ('CPU RSS peak growth: VmHWM (reset via /proc/self/clear_refs) '
                           'minus VmRSS at start')
        else:
            self._start_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.method = 'CPU ru_maxrss growth (lower bound)'
        return self

    def __exit__(self, *exc_info) -> None:
        if self.device.startswith('cuda'):
            torch.cuda.synchronize(self.device)
            self.peak_mib = torch.cuda.max_memory_allocated(self.device) / _MIB
        elif self.method.startswith('CPU RSS'):
            self.peak_mib = (_status_kib('VmHWM') - self._start_kib) / 1024.0
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.peak_mib = (peak - self._start_kib) / 1024.0
