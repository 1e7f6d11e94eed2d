"""Benchmark mode ``diffusion``: DDIM sampling speed and peak memory of a
FinePOSE config, with before/after ratios of its optimisations in one run.

Variants, each timed on the same random batch of windows (random weights, a
random CLIP text tower of the config's geometry or ViT-B/32's, offline
tokenizer) with the same per-sample noise and the config's ``flip_test``:

- ``ours``: the estimator's sampler: text features once per distinct prompt
  (cached), the original and mirrored views and all H hypotheses in one
  denoiser call per step, attention through
  ``F.scaled_dot_product_attention``; on a CPU the denoiser runs groups of
  pose sequences of at most ``cpu_tokens_per_pass`` tokens when the config
  sets it.
- ``one_pass``: ``ours`` with all pose sequences in one pass (only when the
  config sets ``cpu_tokens_per_pass``).
- ``explicit_attn``: ``one_pass`` with the blocks' explicit softmax
  attention (the (rows, M, F, F) score tensor is materialised, as in the
  reference).
- ``two_calls``: ``one_pass`` with the original and mirrored views in two
  denoiser calls per step (the reference's call pattern; only with flip
  test).
- ``reference_standin``: a stand-in for the reference, not its code: our
  denoiser run with all three of the reference's costs: one denoiser call
  per view and step, explicit attention and the text path recomputed for
  every denoiser call.

Every variant's work is counted (pose sequences through the denoiser: B x H
x views x steps) and must equal ours, and its samples must equal ours within
the FinePOSE parity tolerance, before any ratio is given. Memory is given
on two bases for every variant (:class:`PeakMemory`): the process peak and
the growth during the sampling.
"""
import copy
from typing import Callable, Dict, Optional, Tuple

import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from metapose_plugin.models.language_models.clip_text_loading import TINY_CLIP_TOKENIZER
from metapose_plugin.models.utils.finepose.diffusion_noise import SeededNoise
from metapose_plugin.models.utils.finepose.diffusion_schedule import ddim_time_pairs
from metapose_plugin.parity.finepose import TOLERANCE
from metapose_plugin.structures.h36m_metainfo import h36m_flip_indices
from metapose_plugin.structures.pose_ops import mirror_poses

from .memory import PeakMemory, fair_cpu_heap
from .model_build import CLIP_TEXT_GEOMETRIES
from .timing import time_calls

_VOCAB, _TEXT_LENGTH = 49408, 77


def random_finepose(cfg: Config, device: str):
    """The config's :class:`FinePOSELifter` with random weights; a text
    encoder that would load a pretrained CLIP gets a random tower of ViT-B/32
    geometry (no download) and the offline tokenizer."""
    model_cfg = copy.deepcopy(cfg.model)
    text = model_cfg.text_encoder
    if text.get('text_config') is None:
        geometry = dict(CLIP_TEXT_GEOMETRIES['clip-b32'])
        geometry.pop('projection_dim')
        text.update(model_name_or_path=None, tokenizer_name_or_path=TINY_CLIP_TOKENIZER,
                    text_config=dict(vocab_size=_VOCAB, max_position_embeddings=_TEXT_LENGTH,
                                     hidden_act='quick_gelu', **geometry))
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(device).eval()


def _random_windows(model, batch_size: int, device: str) -> Tuple[torch.Tensor, list]:
    g = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch_size, model.num_frames, model.backbone.num_joints, 2,
                         generator=g).to(device)
    return inputs, [f'window{i}' for i in range(batch_size)]


def _call_per_view_sample(model, keypoints_2d, text_fn, noise, flip_indices):
    """The reference's sampler call pattern: one denoiser call per view and
    step (original, then mirrored when ``flip_indices`` is given), each
    asking ``text_fn()`` for its text features (the reference ran its text
    path inside every denoiser call)."""
    cfg, schedule = model.test_cfg, model.schedule
    B, F, K, _ = keypoints_2d.shape
    x = noise.initial((B, cfg['num_hypotheses'], F, K, 3))
    steps = []
    for i, (t, t_next) in enumerate(ddim_time_pairs(schedule.num_timesteps, cfg['num_steps'])):
        times = torch.full((B, ), t, dtype=torch.long, device=x.device)
        x_in = schedule.clamp(x) / schedule.scale
        pred = model.backbone(keypoints_2d, x_in, times, *text_fn())
        if flip_indices is not None:
            pred_flip = model.backbone(mirror_poses(keypoints_2d, flip_indices),
                                       mirror_poses(x_in, flip_indices), times, *text_fn())
            pred = (pred + mirror_poses(pred_flip, flip_indices)) / 2
        x0 = schedule.clamp(pred * schedule.scale)
        eps = schedule.predict_noise(x, times, x0)
        steps.append(x0)
        if t_next < 0:
            break
        x = schedule.ddim_step(x0, eps, t, t_next, cfg.get('eta', 1.0), noise.step(i, x))
    return torch.stack(steps, dim=1)


class SequenceCounter:
    """Counts the pose sequences (B x H of each call) that go through a
    denoiser, per variant (``variant`` names the one running)."""

    def __init__(self, backbone) -> None:
        self.counts: Dict[str, int] = {}
        self.variant = ''
        self.handle = backbone.register_forward_pre_hook(self._count)

    def _count(self, module, args) -> None:
        x_t = args[1]
        self.counts[self.variant] = self.counts.get(self.variant, 0) + x_t.shape[0] * x_t.shape[1]

    def remove(self) -> None:
        self.handle.remove()


def _set_explicit_attention(model, explicit: bool) -> None:
    for blocks in (model.backbone.spatial_blocks, model.backbone.temporal_blocks):
        for block in blocks:
            block.attn.fused_attn = not explicit


def bench_diffusion(cfg: Config, device: str = 'cpu', batch_size: Optional[int] = None,
                    iters: int = 1) -> Tuple[Dict[str, float], Dict[str, str]]:
    """Windows per second and peak memory of each variant (see module doc).

    Args:
        cfg (Config): A FinePOSE config; reduce F or H with its options
            (``model.backbone.num_frames``, ``model.test_cfg.num_hypotheses``).
        device (str): ``'cpu'`` or ``'cuda[:i]'``.
        batch_size (int, optional): Windows per batch. Defaults to 4 (the
            reference's ``-b 4``).
        iters (int): Timed batches per variant (after one warm-up).

    Returns:
        tuple: results (``<variant>_windows_per_s``,
        ``<variant>_process_peak_mib``, ``<variant>_growth_mib``,
        ``<variant>_sequences`` (denoiser work of one sampling),
        ``speedup_vs_<variant>`` = ours / variant windows per second,
        ``process_peak_ratio_vs_<variant>`` and ``growth_ratio_vs_<variant>``
        = ours / variant memory) and notes.

    Raises:
        RuntimeError: A variant did other work than ours or its samples
            differ from ours beyond the parity tolerance.
    """
    torch.manual_seed(0)
    batch_size = batch_size or 4
    model = random_finepose(cfg, device)
    inputs, keys = _random_windows(model, batch_size, device)
    actions = ['Walking'] * batch_size
    with_flip = model.test_cfg.get('flip_test', True)
    flip = None
    if with_flip:
        flip = list(range(17)) if model.backbone.num_joints != 17 else h36m_flip_indices()

    def ours():
        text = model.text_encoder(actions)
        return model.sample(inputs, text, SeededNoise(keys, 0, device), flip)

    def reference_standin():
        model.text_encoder.prompt_cache.enabled = False
        try:
            return _call_per_view_sample(model, inputs, lambda: model.text_encoder(actions),
                                         SeededNoise(keys, 0, device), flip)
        finally:
            model.text_encoder.prompt_cache.enabled = True

    def two_calls():
        text = model.text_encoder(actions)
        return _call_per_view_sample(model, inputs, lambda: text, SeededNoise(keys, 0, device),
                                     flip)

    tokens_per_pass = model.backbone.cpu_tokens_per_pass
    variants: Dict[str, Tuple[Callable, bool, Optional[int]]] = dict(
        ours=(ours, False, tokens_per_pass), explicit_attn=(ours, True, None),
        reference_standin=(reference_standin, True, None))
    if with_flip:
        variants['two_calls'] = (two_calls, False, None)
    if tokens_per_pass is not None:
        variants['one_pass'] = (ours, False, None)
    results: Dict[str, float] = {}
    outputs, seconds = {}, {name: 0.0 for name in variants}
    counter = SequenceCounter(model.backbone)

    def run(name: str):
        fn, explicit, per_pass = variants[name]
        _set_explicit_attention(model, explicit)
        model.backbone.cpu_tokens_per_pass = per_pass
        counter.variant = name
        outputs[name] = fn()

    fair_cpu_heap(device)
    try:
        with torch.no_grad():
            # warm-up of every code path at H = 1, one step (lazy inits, kernels)
            full = dict(model.test_cfg)
            model.test_cfg.update(num_hypotheses=1, num_steps=1)
            for name in variants:
                run(name)
            model.test_cfg.update(full)
            counter.counts.clear()
            # peak memory, one variant at a time (also the first timing round)
            for name in variants:
                fair_cpu_heap(device)
                with PeakMemory(device) as memory:
                    wall, _ = time_calls(lambda: run(name), 1, device, warmup=0)
                seconds[name] += wall
                results[f'{name}_process_peak_mib'] = memory.process_peak_mib
                results[f'{name}_growth_mib'] = memory.growth_mib
            # further rounds interleave the variants, rotated, so that a change
            # of machine load hits all of them alike
            names = list(variants)
            for i in range(1, iters):
                for name in names[i % len(names):] + names[:i % len(names)]:
                    wall, _ = time_calls(lambda: run(name), 1, device, warmup=0)
                    seconds[name] += wall
    finally:
        counter.remove()
        _set_explicit_attention(model, False)
        model.backbone.cpu_tokens_per_pass = tokens_per_pass
    work = {name: counter.counts.get(name, 0) // iters for name in variants}
    if len(set(work.values())) != 1:
        raise RuntimeError(f'diffusion benchmark: the variants did unequal work (pose sequences '
                           f'through the denoiser per sampling): {work}')
    max_diff = max((outputs[n] - outputs['ours']).abs().max().item() for n in outputs)
    if max_diff > TOLERANCE:
        raise RuntimeError(f'diffusion benchmark: a variant\'s samples differ from ours by '
                           f'{max_diff:.2e} m (parity tolerance {TOLERANCE:g})')
    for name in variants:
        results[f'{name}_windows_per_s'] = batch_size * iters / seconds[name]
        results[f'{name}_sequences'] = float(work[name])
    for name in variants:
        if name != 'ours':
            results[f'speedup_vs_{name}'] = (results['ours_windows_per_s'] /
                                             results[f'{name}_windows_per_s'])
            for basis in ('process_peak', 'growth'):
                results[f'{basis}_ratio_vs_{name}'] = (
                    results[f'ours_{basis}_mib'] / max(results[f'{name}_{basis}_mib'], 1e-9))
    notes = dict(
        batch_size=batch_size,
        geometry=(f'F={model.num_frames}, H={model.test_cfg.get("num_hypotheses", 20)}, '
                  f'N={model.test_cfg.get("num_steps", 10)}, C={model.backbone.embed_dims}, '
                  f'depth={len(model.backbone.spatial_blocks)}, flip={with_flip}, '
                  f'cpu_tokens_per_pass={tokens_per_pass}'),
        work=(f'every variant: {work["ours"]} pose sequences (window x hypothesis x view x '
              'step) through the denoiser per sampling'),
        memory=memory.method,
        outputs=(f'max |variant - ours| over all variants: {max_diff:.2e} m (same noise; '
                 f'parity tolerance {TOLERANCE:g})'),
        reference_standin=('our denoiser in the reference\'s call pattern (a call per view '
                           'and step, explicit attention, text path per call), not the '
                           'reference\'s code'),
        timing=(f'{iters} batch(es) per variant after a warm-up at H = 1, one step; round 1 '
                'runs the variants one by one (memory), later rounds interleaved'))
    return results, notes
