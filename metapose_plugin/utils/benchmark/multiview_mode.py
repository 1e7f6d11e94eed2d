"""Benchmark mode ``stage1``: multi-view MetaPose's stage-1 solver on N
frames in one optimisation against the same frames solved one at a time, as
the reference does, both with the reference's settings."""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from ...parity.common import relative_tolerance
from ...parity.multiview import TOL_TRAJ
from ...testing.multiview_problem import random_stage1_problem
from .timing import interleaved_median_seconds, synchronize

#: The reference's stage-1 settings (its initialisation without view 0's own
#: estimate, Procrustes with reflections, one-step-lagged loss reports); the
#: step count and report cadence come from the config.
REFERENCE_SETTINGS = dict(init_with_view0=False, proper_init=False, report_mode='reference')
_OUTPUTS = ('loss', 'pose', 'rot', 'scale', 'shift')


def _stage1_cfg(cfg: Config) -> dict:
    stage1 = cfg.get('stage1')
    return dict(stage1) if stage1 else dict(type='MultiViewMetaPoseS1Solver')


def stage1_outputs_agree(batched: Dict[str, torch.Tensor],
                         per_frame: List[Dict[str, torch.Tensor]]) -> float:
    """Max difference of the batched solution's reports from the per-frame
    ones, relative to the parity tolerance of stage-1 trajectories
    (:data:`~metapose_plugin.parity.multiview.TOL_TRAJ`): at most 1 when
    they agree.

    Args:
        batched (dict): Solver output for B frames.
        per_frame (list[dict]): B solver outputs of one frame each.
    """
    worst = 0.0
    for name in _OUTPUTS:
        ours = torch.cat([out[name] for out in per_frame], dim=1)
        diff = (ours.double() - batched[name].double()).abs().max().item()
        worst = max(worst, diff / relative_tolerance(TOL_TRAJ, batched[name]))
    return worst


def bench_stage1(cfg: Config, device: str = 'cpu', batch_size: Optional[int] = None,
                 iters: int = 1) -> Tuple[Dict[str, float], Dict[str, str]]:
    """Frames/s of the stage-1 solver on N frames at once and frame by frame.

    Both sides solve the same N random 4-view, 17-joint, 4-component
    problems (:func:`random_stage1_problem`, N = ``batch_size``, default
    256) with the config's solver (``stage1``: steps, learning rate, report
    cadence) in the reference's settings (:data:`REFERENCE_SETTINGS`):
    ``batched`` in one optimisation, ``per_frame_reference_settings`` one
    frame at a time, the reference's way of running it. Their work (frames x
    views x steps) is counted and must be equal, and their reports must
    agree within the parity tolerance of stage-1 trajectories, before the
    ratio is given. The two are timed in ``iters`` interleaved rounds
    (medians) after a warm-up on two frames.

    Returns:
        tuple: results (``stage1_batched_frames_per_s``,
        ``stage1_per_frame_reference_settings_frames_per_s``,
        ``stage1_batched_speedup``, ``stage1_frames``,
        ``stage1_work_batched``, ``stage1_work_per_frame`` in frame x view x
        step units) and notes.

    Raises:
        RuntimeError: The two sides did different work or their outputs
            differ beyond the tolerance.
    """
    frames = batch_size or 256
    solver = MODELS.build(dict(_stage1_cfg(cfg), **REFERENCE_SETTINGS)).to(device)
    mono, mixtures, _ = random_stage1_problem(frames)
    mono, mixtures = mono.to(device), mixtures.to(device)
    work = dict(batched=0, per_frame=0)
    outputs = {}
    side = ['']

    def count(module, args) -> None:
        work[side[0]] += args[0].shape[0] * args[0].shape[1] * module.opt_steps

    def batched() -> None:
        side[0] = 'batched'
        outputs['batched'] = solver(mono, mixtures)

    def per_frame() -> None:
        side[0] = 'per_frame'
        outputs['per_frame'] = [solver(mono[i:i + 1], mixtures[i:i + 1]) for i in range(frames)]

    solver(mono[:2], mixtures[:2])  # warm-up (lazy inits), not counted
    synchronize(device)
    hook = solver.register_forward_pre_hook(count)
    try:
        seconds = interleaved_median_seconds(dict(batched=batched, per_frame=per_frame), iters,
                                             device, warmup=0)
    finally:
        hook.remove()
    if work['batched'] != work['per_frame']:
        raise RuntimeError(f'stage1 benchmark: unequal work {work}')
    agreement = stage1_outputs_agree(outputs['batched'], outputs['per_frame'])
    if agreement > 1:
        raise RuntimeError(f'stage1 benchmark: batched and per-frame reports differ by '
                           f'{agreement:.2f}x the parity tolerance')
    batched_rate = frames / seconds['batched']
    per_frame_rate = frames / seconds['per_frame']
    results = dict(stage1_batched_frames_per_s=batched_rate,
                   stage1_per_frame_reference_settings_frames_per_s=per_frame_rate,
                   stage1_batched_speedup=batched_rate / per_frame_rate,
                   stage1_frames=float(frames),
                   stage1_work_batched=float(work['batched'] // iters),
                   stage1_work_per_frame=float(work['per_frame'] // iters))
    notes = dict(
        batch_size=frames,
        stage1=(f'{solver.opt_steps} Keras-Adam steps, 4 views, 17 joints, 4 components, the '
                f'reference settings {REFERENCE_SETTINGS}; batched: {frames} frames in one '
                f'optimisation; per_frame_reference_settings: the same {frames} frames one at '
                f'a time; medians of {iters} interleaved rounds; torch threads '
                f'{torch.get_num_threads()}'),
        outputs=(f'every report of both sides agrees: max difference {agreement:.2g}x the '
                 'parity tolerance of stage-1 trajectories'),
        baseline=('measured in this run: our solver frame by frame with the reference\'s '
                  'settings (the TensorFlow reference itself does not run here)'))
    return results, notes
