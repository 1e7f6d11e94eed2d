"""Benchmark mode ``stage1``: multi-view MetaPose's stage-1 solver, batched vs per frame."""
import time
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from ...testing.multiview_problem import random_stage1_problem
from .timing import synchronize

#: The reference's TensorFlow stage 1 on a 2-core CPU (issue 14): 4.0 s per
#: frame (100 Adam steps, 4 cameras, 17 joints), i.e. 0.25 frames/s.
REFERENCE_FRAMES_PER_S = 0.25


def _stage1_cfg(cfg: Config) -> dict:
    stage1 = cfg.get('stage1')
    return dict(stage1) if stage1 else dict(type='MultiViewMetaPoseS1Solver')


def bench_stage1(cfg: Config, device: str = 'cpu', batch_size: Optional[int] = None,
                 iters: int = 1, per_frame_frames: int = 8) -> Tuple[Dict[str, float],
                                                                     Dict[str, str]]:
    """Frames/s of the stage-1 solver on N frames at once and frame by frame.

    Both runs use the same solver (the config's ``stage1``, 100 steps by
    default) on the same random 4-view, 17-joint, 4-component problems
    (:func:`random_stage1_problem`). The batched run solves N frames
    (``batch_size``, default 256) in one optimisation, ``iters`` times; the
    per-frame loop solves ``per_frame_frames`` of them one at a time.

    Returns:
        tuple: results (``stage1_batched_frames_per_s``,
        ``stage1_per_frame_frames_per_s``, ``stage1_batched_speedup``,
        ``stage1_speedup_vs_reference``) and notes.
    """
    frames = batch_size or 256
    solver = MODELS.build(_stage1_cfg(cfg)).to(device)
    mono, mixtures, _ = random_stage1_problem(frames)
    mono, mixtures = mono.to(device), mixtures.to(device)
    solver(mono[:2], mixtures[:2])  # warm-up
    synchronize(device)
    start = time.perf_counter()
    for _ in range(iters):
        solver(mono, mixtures)
    synchronize(device)
    batched = frames * iters / (time.perf_counter() - start)
    loop_frames = min(per_frame_frames, frames)
    start = time.perf_counter()
    for index in range(loop_frames):
        solver(mono[index:index + 1], mixtures[index:index + 1])
    synchronize(device)
    per_frame = loop_frames / (time.perf_counter() - start)
    results = dict(stage1_batched_frames_per_s=batched,
                   stage1_per_frame_frames_per_s=per_frame,
                   stage1_batched_speedup=batched / per_frame,
                   stage1_speedup_vs_reference=batched / REFERENCE_FRAMES_PER_S)
    notes = dict(
        batch_size=frames,
        stage1=(f'{solver.opt_steps} Keras-Adam steps, 4 views, 17 joints, 4 components; '
                f'batched: {frames} frames in one optimisation x {iters}; per frame: '
                f'{loop_frames} frames one at a time; torch threads {torch.get_num_threads()}'),
        reference=f'TensorFlow reference: {REFERENCE_FRAMES_PER_S} frames/s on a 2-core CPU '
        '(issue 14), not measured here')
    return results, notes
