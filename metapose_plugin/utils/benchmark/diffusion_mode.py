"""Benchmark mode ``diffusion``: DDIM sampling speed and peak memory of a
FinePOSE config, with before/after ratios of its optimisations in one run.

Variants, each timed on the same random batch of windows (random weights, a
random CLIP text tower of the config's geometry or ViT-B/32's, offline
tokenizer):

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
  denoiser calls per step (the reference's call pattern).
- ``reference_pattern``: all three of the reference's costs together: two
  calls per step, explicit attention and the text path recomputed for every
  denoiser call.
"""
import copy
import ctypes
from typing import Callable, Dict, Optional, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmpose.registry import MODELS

from metapose_plugin.models.language_models.clip_text_loading import TINY_CLIP_TOKENIZER
from metapose_plugin.models.utils.finepose.diffusion_noise import SeededNoise
from metapose_plugin.models.utils.finepose.diffusion_schedule import ddim_time_pairs
from metapose_plugin.structures.h36m_metainfo import h36m_flip_indices
from metapose_plugin.structures.pose_ops import mirror_poses

from .memory import PeakMemory
from .model_build import CLIP_TEXT_GEOMETRIES
from .timing import time_calls

_VOCAB, _TEXT_LENGTH = 49408, 77


def finepose_model_cfg(cfg: Config) -> ConfigDict:
    """A copy of the config's FinePOSE model whose text encoder, where it
    would load a pretrained CLIP, builds a random tower of ViT-B/32 geometry
    instead (no download), with the offline tokenizer."""
    model_cfg = copy.deepcopy(cfg.model)
    text = model_cfg.text_encoder
    if text.get('text_config') is None:
        geometry = dict(CLIP_TEXT_GEOMETRIES['clip-b32'])
        geometry.pop('projection_dim')
        text.update(model_name_or_path=None, tokenizer_name_or_path=TINY_CLIP_TOKENIZER,
                    text_config=dict(vocab_size=_VOCAB, max_position_embeddings=_TEXT_LENGTH,
                                     hidden_act='quick_gelu', **geometry))
    return model_cfg


def random_finepose(cfg: Config, device: str):
    """The config's :class:`FinePOSELifter` with random weights, its text
    tower as :func:`finepose_model_cfg` builds it."""
    model = MODELS.build(finepose_model_cfg(cfg))
    model.init_weights()
    return model.to(device).eval()


def _random_windows(model, batch_size: int, device: str) -> Tuple[torch.Tensor, list]:
    g = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch_size, model.num_frames, model.backbone.num_joints, 2,
                         generator=g).to(device)
    return inputs, [f'window{i}' for i in range(batch_size)]


def _reference_pattern_sample(model, keypoints_2d, text_fn, noise, flip_indices):
    """The reference's sampler call pattern: two denoiser calls per step
    (original, mirrored), each asking ``text_fn()`` for its text features
    (the reference ran its text path inside every denoiser call)."""
    cfg, schedule = model.test_cfg, model.schedule
    B, F, K, _ = keypoints_2d.shape
    mirrored = mirror_poses(keypoints_2d, flip_indices)
    x = noise.initial((B, cfg['num_hypotheses'], F, K, 3))
    steps = []
    for i, (t, t_next) in enumerate(ddim_time_pairs(schedule.num_timesteps, cfg['num_steps'])):
        times = torch.full((B, ), t, dtype=torch.long, device=x.device)
        x_in = schedule.clamp(x) / schedule.scale
        pred = model.backbone(keypoints_2d, x_in, times, *text_fn())
        pred_flip = model.backbone(mirrored, mirror_poses(x_in, flip_indices), times, *text_fn())
        x0 = schedule.clamp((pred + mirror_poses(pred_flip, flip_indices)) / 2 * schedule.scale)
        eps = schedule.predict_noise(x, times, x0)
        steps.append(x0)
        if t_next < 0:
            break
        x = schedule.ddim_step(x0, eps, t, t_next, cfg.get('eta', 1.0), noise.step(i, x))
    return torch.stack(steps, dim=1)


def _set_explicit_attention(model, explicit: bool) -> None:
    for blocks in (model.backbone.spatial_blocks, model.backbone.temporal_blocks):
        for block in blocks:
            block.attn.fused_attn = not explicit


def _fair_cpu_heap(device: str) -> None:
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
        tuple: results (``<variant>_windows_per_s``, ``<variant>_peak_mib``,
        ``speedup_<variant>`` = ours / variant windows per second,
        ``memory_ratio_<variant>`` = ours / variant peak) and notes.
    """
    torch.manual_seed(0)
    batch_size = batch_size or 4
    model = random_finepose(cfg, device)
    inputs, keys = _random_windows(model, batch_size, device)
    flip = list(range(17)) if model.backbone.num_joints != 17 else h36m_flip_indices()
    actions = ['Walking'] * batch_size
    with_flip = model.test_cfg.get('flip_test', True)

    def ours():
        text = model.text_encoder(actions)
        return model.sample(inputs, text, SeededNoise(keys, 0, device), flip if with_flip else None)

    def reference_pattern():
        model.text_encoder.prompt_cache.enabled = False
        try:
            return _reference_pattern_sample(model, inputs, lambda: model.text_encoder(actions),
                                             SeededNoise(keys, 0, device), flip)
        finally:
            model.text_encoder.prompt_cache.enabled = True

    def two_calls():
        text = model.text_encoder(actions)
        return _reference_pattern_sample(model, inputs, lambda: text, SeededNoise(keys, 0, device),
                                         flip)

    tokens_per_pass = model.backbone.cpu_tokens_per_pass
    variants: Dict[str, Tuple[Callable, bool, Optional[int]]] = dict(
        ours=(ours, False, tokens_per_pass), explicit_attn=(ours, True, None),
        two_calls=(two_calls, False, None), reference_pattern=(reference_pattern, True, None))
    if tokens_per_pass is not None:
        variants['one_pass'] = (ours, False, None)
    results: Dict[str, float] = {}
    outputs, seconds = {}, {name: 0.0 for name in variants}

    def run(name: str):
        fn, explicit, per_pass = variants[name]
        _set_explicit_attention(model, explicit)
        model.backbone.cpu_tokens_per_pass = per_pass
        outputs[name] = fn()

    _fair_cpu_heap(device)
    with torch.no_grad():
        # warm-up of every code path at H = 1, one step (lazy inits, kernels)
        full = dict(model.test_cfg)
        model.test_cfg.update(num_hypotheses=1, num_steps=1)
        for name in variants:
            run(name)
        model.test_cfg.update(full)
        # peak memory, one variant at a time (also the first timing round)
        for name in variants:
            _fair_cpu_heap(device)
            with PeakMemory(device) as memory:
                wall, _ = time_calls(lambda: run(name), 1, device, warmup=0)
            seconds[name] += wall
            results[f'{name}_peak_mib'] = memory.peak_mib
        # further rounds interleave the variants, rotated, so that a change
        # of machine load hits all of them alike
        names = list(variants)
        for i in range(1, iters):
            for name in names[i % len(names):] + names[:i % len(names)]:
                wall, _ = time_calls(lambda: run(name), 1, device, warmup=0)
                seconds[name] += wall
        _set_explicit_attention(model, False)
        model.backbone.cpu_tokens_per_pass = tokens_per_pass
    for name in variants:
        results[f'{name}_windows_per_s'] = batch_size * iters / seconds[name]
    for name in variants:
        if name != 'ours':
            results[f'speedup_vs_{name}'] = (results['ours_windows_per_s'] /
                                             results[f'{name}_windows_per_s'])
            results[f'memory_ratio_vs_{name}'] = (results['ours_peak_mib'] /
                                                  max(results[f'{name}_peak_mib'], 1e-9))
    max_diff = max((outputs[n] - outputs['ours']).abs().max().item() for n in outputs)
    notes = dict(
        batch_size=batch_size,
        geometry=(f'F={model.num_frames}, H={model.test_cfg.get("num_hypotheses", 20)}, '
                  f'N={model.test_cfg.get("num_steps", 10)}, C={model.backbone.embed_dims}, '
                  f'depth={len(model.backbone.spatial_blocks)}, flip={with_flip}, '
                  f'cpu_tokens_per_pass={tokens_per_pass}'),
        memory=memory.method,
        outputs=f'max |variant - ours| over all variants: {max_diff:.2e} m (same noise)',
        timing=(f'{iters} batch(es) per variant after a warm-up at H = 1, one step; round 1 '
                'runs the variants one by one (memory), later rounds interleaved'))
    return results, notes
