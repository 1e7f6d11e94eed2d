"""Benchmark modes of MPM: a pretraining step and the fine-tuned lifter.

Random weights, fake windows (normal 2D/3D, masks drawn as the configured
``GenerateMPMMasks`` does), the config's model and optimiser. Selected by
``tools/benchmark.py --mode pretrain|lift`` (see ``runner.METHOD_MODES``).
"""
import copy
import gc
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import InstanceData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample
from torch import nn

from metapose_plugin.structures.mpm_masks import draw_frame_mask, draw_joint_mask

from .memory import PeakMemory, fair_cpu_heap
from .timing import interleaved_median_seconds, seconds_per_call


def _build(cfg: Config, device: str) -> nn.Module:
    """The config's model with random weights (no pretrained checkpoint)."""
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.pop('init_cfg', None)
    return MODELS.build(model_cfg).to(device)


def _mask_settings(cfg: Config) -> Tuple[int, float]:
    """``(num_masked_joints, frame_mask_ratio)`` of the training pipeline's
    ``GenerateMPMMasks`` (random mode), else the reference's (5, 0.6)."""
    for step in cfg.train_dataloader.dataset.get('pipeline', []):
        if step.get('type') == 'GenerateMPMMasks' and step.get('mode', 'random') == 'random':
            return step.get('num_masked_joints', 5), step.get('frame_mask_ratio', 0.6)
    return 5, 0.6


def fake_windows(cfg: Config, batch_size: int, seed: int = 0) -> dict:
    """A packed batch of ``batch_size`` windows: ``inputs`` (list of (F, K, 2)
    tensors) and data samples with (F, K, 3) targets and random masks."""
    backbone = cfg.model.backbone
    F, K = backbone.num_frames, backbone.num_keypoints
    smn, ratio = _mask_settings(cfg)
    rng = np.random.RandomState(seed)
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(batch_size):
        meta = {}
        for dims in ('2d', '3d'):
            meta[f'mpm_joint_mask_{dims}'] = draw_joint_mask(rng, F, K, smn)
            meta[f'mpm_frame_mask_{dims}'] = draw_frame_mask(rng, F, ratio)
        sample = PoseDataSample(metainfo=meta)
        sample.gt_instance_labels = InstanceData(
            lifting_target_label=torch.randn(F, K, 3, generator=generator) * 0.3)
        samples.append(sample)
        inputs.append(torch.randn(F, K, 2, generator=generator) * 0.3)
    return dict(inputs=inputs, data_samples=samples)


def _train_step(model: nn.Module, cfg: Config, batch_size: int, iters: int,
                device: str) -> Tuple[Dict[str, float], str]:
    """``model.train_step`` (forward, loss, backward, optimiser) timings and
    the peak memory of the warm-up plus timed steps (growth and process
    peak, :class:`PeakMemory`)."""
    model.train()
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    data = fake_windows(cfg, batch_size)

    def step() -> None:
        model.train_step(data, optim_wrapper)

    with PeakMemory(device) as memory:
        step()
        seconds = seconds_per_call(step, iters, device, warmup=0)
    return dict(train_step_ms=seconds * 1e3, train_samples_per_s=batch_size / seconds,
                train_peak_mem_mib=memory.growth_mib,
                train_process_peak_mem_mib=memory.process_peak_mib,
                train_peak_mem_per_sample_mib=memory.growth_mib / batch_size), memory.method


class FrameCounter:
    """Counts the frames that go through a model's per-frame layers (the
    MPM encoder's pose embeddings), over the calls since the last
    :meth:`reset`."""

    def __init__(self, model: nn.Module) -> None:
        self.frames = 0
        self.handles = [embed.register_forward_pre_hook(self._count)
                        for embed in model.backbone.embeds.values()]

    def _count(self, module, args) -> None:
        self.frames += args[0].shape[0] * args[0].shape[1]

    def reset(self) -> None:
        self.frames = 0

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _pretrain_line(cfg: Config, backbone: dict, windows: int,
                   device: str) -> Tuple[Callable[[], None], nn.Module]:
    """A training step of the config's model with ``backbone`` options on
    ``windows`` fake windows (seeded), and the model."""
    line_cfg = copy.deepcopy(cfg)
    line_cfg.model.backbone.update(backbone)
    torch.manual_seed(0)
    model = _build(line_cfg, device).train()
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    data = fake_windows(line_cfg, windows)
    return (lambda: model.train_step(data, optim_wrapper)), model


def bench_pretrain(cfg: Config, device: str = 'cpu', batch_size: Optional[int] = None,
                   iters: int = 3) -> Tuple[Dict[str, float], Dict[str, str]]:
    """Pretraining steps (2D and 3D masked forward, losses, backward, Adam)
    of an :class:`MPMMaskedPoseModel` config, on two lines:

    - ``reference_work``: the work of the reference's step at ``-b B``
      (``batch_size``): its shuffled loader gives about B/2 2D-only and B/2
      3D-only items, so B/2 windows here (each one 2D and one 3D sequence),
      every frame through the per-frame layers (``encode_masked_frames=True``).
    - ``default``: the config's model on the same B/2 windows (the default
      config embeds only the kept frames).

    Both are built from one seed. Memory: one step of each line alone,
    from a released heap, on both bases (:class:`PeakMemory`), the frames
    through the per-frame layers counted. Time: both lines built again and
    timed in ``iters`` interleaved rounds (medians) after a warm-up step.

    Returns:
        tuple[dict, dict]: per line ``<line>_step_ms``,
        ``<line>_sequences_per_s`` (2D + 3D sequences), ``<line>_frames``
        (through the per-frame layers per step), ``<line>_process_peak_mib``,
        ``<line>_growth_mib``, ``<line>_growth_per_window_mib``; and
        ``sequences_2d``, ``sequences_3d`` (per step, each line),
        ``default_time_ratio`` (default / reference work step time); notes.
    """
    batch_size = batch_size or 32
    windows = max(1, batch_size // 2)
    lines = dict(reference_work=dict(encode_masked_frames=True), default={})
    results: Dict[str, float] = {}
    method = ''
    # memory, one line at a time from a released heap: a model, its step,
    # freed before the next, so that neither line sees the other's memory
    for line, backbone in lines.items():
        fair_cpu_heap(device)
        step, model = _pretrain_line(cfg, backbone, windows, device)
        counter = FrameCounter(model)
        with PeakMemory(device) as memory:
            step()
        method = memory.method
        counter.remove()
        results.update({f'{line}_process_peak_mib': memory.process_peak_mib,
                        f'{line}_growth_mib': memory.growth_mib,
                        f'{line}_growth_per_window_mib': memory.growth_mib / windows,
                        f'{line}_frames': float(counter.frames)})
        del step, model
        gc.collect()
    # time: both lines built again, interleaved after a warm-up step each
    steps = {line: _pretrain_line(cfg, backbone, windows, device)[0]
             for line, backbone in lines.items()}
    seconds = interleaved_median_seconds(steps, iters, device, warmup=1)
    for line in lines:
        results[f'{line}_step_ms'] = seconds[line] * 1e3
        results[f'{line}_sequences_per_s'] = 2 * windows / seconds[line]
    results.update(sequences_2d=float(windows), sequences_3d=float(windows),
                   default_time_ratio=seconds['default'] / seconds['reference_work'])
    backbone = cfg.model.backbone
    notes = dict(
        batch_size=batch_size,
        pretrain=(f'model.train_step on fake windows: F={backbone.num_frames}, '
                  f'K={backbone.num_keypoints}, C={backbone.embed_dims}, '
                  f'D={backbone.hidden_dims}, L={backbone.num_layers}, tasks '
                  f'{tuple(cfg.model.tasks)}, fused_attn={backbone.get("fused_attn", True)}, '
                  f'with_cp={backbone.get("with_cp", False)}; default: encode_masked_frames='
                  f'{backbone.get("encode_masked_frames", True)}'),
        batch=(f'the reference\'s -b {batch_size} holds about {windows} 2D-only and {windows} '
               f'3D-only items: both lines run {windows} windows, each a 2D and a 3D '
               'sequence'),
        timing=f'medians of {iters} interleaved steps per line after a warm-up step each',
        peak_memory=method)
    return results, notes


def bench_lift(cfg: Config, device: str = 'cpu', batch_size: Optional[int] = None,
               iters: int = 3) -> Tuple[Dict[str, float], Dict[str, str]]:
    """The fine-tuned lifter (:class:`MPMSequenceLifter` config): forward
    without flip test under ``no_grad`` in eval mode, and a training step.

    Returns:
        tuple[dict, dict]: ``forward_ms``, ``forward_samples_per_s``,
        ``train_step_ms``, ``train_samples_per_s``, ``train_peak_mem_mib``
        (growth), ``train_process_peak_mem_mib``,
        ``train_peak_mem_per_sample_mib`` (growth); notes.
    """
    batch_size = batch_size or 32
    model = _build(cfg, device).eval()
    data = fake_windows(cfg, batch_size)
    inputs = torch.stack(data['inputs']).to(device)

    def forward() -> None:
        with torch.no_grad():
            model.lift(inputs)

    seconds = seconds_per_call(forward, iters, device)
    results = dict(forward_ms=seconds * 1e3, forward_samples_per_s=batch_size / seconds)
    train, method = _train_step(model, cfg, batch_size, iters, device)
    results.update(train)
    backbone = cfg.model.backbone
    notes = dict(batch_size=batch_size,
                 lift=(f'forward: model.lift (centre + all frames, no flip test) under '
                       f'no_grad; train: model.train_step; F={backbone.num_frames}, '
                       f'C={backbone.embed_dims}, L={backbone.num_layers}'),
                 peak_memory=method)
    return results, notes


__all__: List[str] = ['bench_lift', 'bench_pretrain', 'fake_windows']
