from .checkpoint_safe_globals import checkpoint_safe_globals, register_checkpoint_safe_globals
from .device_cfg import adapt_dist_to_cpu, init_cpu_process_group, select_amp_dtype
from .fileio import AtomicLocalBackend, UnreadableFileError
from .hooks import AtomicCheckpointHook
from .mmpose_tools import load_mmpose_tool, run_mmpose_tool
from .optimizers import KerasAdam
from .runner import CheckpointMismatchError, StrictLoadRunner

register_checkpoint_safe_globals()

__all__ = [
    'AtomicCheckpointHook', 'AtomicLocalBackend', 'CheckpointMismatchError', 'KerasAdam',
    'StrictLoadRunner', 'UnreadableFileError', 'adapt_dist_to_cpu', 'checkpoint_safe_globals',
    'init_cpu_process_group', 'load_mmpose_tool', 'register_checkpoint_safe_globals',
    'run_mmpose_tool', 'select_amp_dtype'
]
