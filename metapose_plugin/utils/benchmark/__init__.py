"""Benchmarks of the lifters, the data pipeline and video inference
(``tools/benchmark.py``)."""
from .memory import PeakMemory
from .model_build import (CLIP_TEXT_GEOMETRIES, TextTowerCounter, build_random_model,
                          text_cache_disabled, use_random_text_tower)
from .runner import MODES, format_table, machine_info, run_benchmark
from .timing import interleaved_median_seconds, seconds_per_call, synchronize, time_calls

__all__ = [
    'CLIP_TEXT_GEOMETRIES', 'MODES', 'PeakMemory', 'TextTowerCounter', 'build_random_model',
    'format_table', 'interleaved_median_seconds', 'machine_info', 'run_benchmark',
    'seconds_per_call', 'synchronize', 'text_cache_disabled', 'time_calls',
    'use_random_text_tower'
]
