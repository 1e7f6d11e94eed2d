"""Training-step and inference throughput of a lifter (random weights,
fake batches from :func:`metapose_plugin.testing.get_packed_inputs`)."""
import copy
from typing import Dict, Tuple

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from torch import nn

from metapose_plugin.models.layers import PerLevelDeformableAttention
from metapose_plugin.testing import get_packed_inputs

from .memory import PeakMemory
from .model_build import TextTowerCounter, text_cache_disabled
from .timing import interleaved_median_seconds, seconds_per_call

#: HRNet level l map size at a 256 x 192 input: (64 / 2^l, 48 / 2^l).
_LEVEL0_SIZE = (64, 48)


def bench_train(model: nn.Module, cfg: Config, batch_size: int, iters: int,
                device: str) -> Tuple[Dict[str, float], str]:
    """One training step: data preprocessor, forward, MPJPE (+ aux) loss,
    backward and optimizer step (``cfg.optim_wrapper``) on a fixed batch.

    The image encoder is frozen by the model itself. The first step is the
    untimed warm-up; its text tower runs are reported apart (a frozen-prompt
    model fills its cache there).

    Returns:
        tuple[dict, str]: The numbers and how the peak memory was measured
        (:attr:`PeakMemory.method`). Numbers: ``train_samples_per_s``, ``train_step_ms``,
        ``train_peak_mem_mib`` (growth during the steps) and
        ``train_process_peak_mem_mib`` (see :class:`PeakMemory`); with a text
        encoder also ``text_distinct_prompts``, ``text_tower_calls_first_step``,
        ``text_rows_first_step``, ``text_tower_calls_per_step``,
        ``text_rows_per_step`` (means over the timed steps); and the
        deformable-attention timings of :func:`bench_deformable_attention`.
    """
    model.train()
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    data = get_packed_inputs(batch_size)
    text_encoder = getattr(model, 'text_encoder', None)
    counter = TextTowerCounter(text_encoder) if text_encoder is not None else None

    def step() -> None:
        model.train_step(data, optim_wrapper)

    results = {}
    with PeakMemory(device) as memory:
        step()
        if counter is not None:
            results.update(text_tower_calls_first_step=counter.calls,
                           text_rows_first_step=counter.rows)
            counter.reset()
        seconds = seconds_per_call(step, iters, device, warmup=0)
    results.update(train_samples_per_s=batch_size / seconds, train_step_ms=seconds * 1e3,
                   train_peak_mem_mib=memory.growth_mib,
                   train_process_peak_mem_mib=memory.process_peak_mib)
    if counter is not None:
        actions = [sample.metainfo['action'] for sample in data['data_samples']]
        results.update(text_distinct_prompts=len(set(actions)),
                       text_tower_calls_per_step=counter.calls / iters,
                       text_rows_per_step=counter.rows / iters)
        counter.remove()
    results.update(bench_deformable_attention(model, batch_size, iters, device))
    return results, memory.method


def bench_infer(model: nn.Module, batch_size: int, iters: int, device: str,
                no_text_cache: bool) -> Dict[str, float]:
    """Inference (``test_step``: preprocessor and ``predict``, with the
    config's flip test) at batch 1 and at ``batch_size``.

    With ``no_text_cache`` and a text encoder, the same is also timed with
    the text features recomputed every batch, alternating with the cached
    runs (medians, :func:`interleaved_median_seconds`), and the cached /
    uncached throughput ratios are given.

    Returns:
        dict: ``infer_samples_per_s_b1``, ``infer_samples_per_s_large``;
        with ``no_text_cache`` also ``*_no_text_cache``,
        ``text_cache_speedup_b1``, ``text_cache_speedup_large`` and the CLIP
        tower runs of each side over its ``iters`` + 1 batches
        (``text_tower_calls_{cached,uncached}_{b1,large}``): the two sides
        run the same batches and differ only in these.
    """
    model.eval()
    text_encoder = getattr(model, 'text_encoder', None)
    results = {}
    for name, size in (('b1', 1), ('large', batch_size)):
        data = get_packed_inputs(size)

        def infer() -> None:
            with torch.no_grad():
                model.test_step(data)

        if no_text_cache and text_encoder is not None:
            counter = TextTowerCounter(text_encoder)
            calls = dict(cached=0, uncached=0)

            def infer_cached() -> None:
                before = counter.calls
                infer()
                calls['cached'] += counter.calls - before

            def infer_uncached() -> None:
                before = counter.calls
                with text_cache_disabled(text_encoder):
                    infer()
                calls['uncached'] += counter.calls - before

            seconds = interleaved_median_seconds(
                dict(cached=infer_cached, uncached=infer_uncached), iters, device)
            counter.remove()
            results[f'infer_samples_per_s_{name}'] = size / seconds['cached']
            results[f'infer_samples_per_s_{name}_no_text_cache'] = size / seconds['uncached']
            results[f'text_cache_speedup_{name}'] = seconds['uncached'] / seconds['cached']
            for side, count in calls.items():
                results[f'text_tower_calls_{side}_{name}'] = float(count)
        else:
            results[f'infer_samples_per_s_{name}'] = size / seconds_per_call(infer, iters, device)
    return results


def bench_deformable_attention(model: nn.Module, batch_size: int, iters: int,
                               device: str) -> Dict[str, float]:
    """Forward and forward + backward time of the model's first
    :class:`PerLevelDeformableAttention` at ``batch_size`` on HRNet-shaped
    random maps (256 x 192 input), on the path the module takes on
    ``device`` (pure PyTorch on CPU). Empty without such a module.

    Returns:
        dict: ``deform_attn_fwd_ms``, ``deform_attn_fwd_bwd_ms`` and
        ``deform_attn_kernel`` (1.0 if the MMCV kernel path ran, else 0.0).
    """
    attn = next((m for m in model.modules() if isinstance(m, PerLevelDeformableAttention)),
                None)
    if attn is None:
        return {}
    generator = torch.Generator().manual_seed(0)
    channels = [proj.in_features for proj in attn.embed_proj]
    feats = [
        torch.randn(batch_size, c, _LEVEL0_SIZE[0] >> level, _LEVEL0_SIZE[1] >> level,
                    generator=generator).to(device) for level, c in enumerate(channels)
    ]
    num_joints = 17
    query = torch.randn(batch_size, attn.num_levels, num_joints, attn.embed_dims,
                        generator=generator).to(device).requires_grad_()
    reference = (torch.rand(batch_size, num_joints, 2, generator=generator) * 1.6 - 0.8).to(device)

    def forward() -> None:
        with torch.no_grad():
            attn(query, reference, feats)

    def forward_backward() -> None:
        attn(query, reference, feats).sum().backward()

    return dict(
        deform_attn_fwd_ms=seconds_per_call(forward, iters, device) * 1e3,
        deform_attn_fwd_bwd_ms=seconds_per_call(forward_backward, iters, device) * 1e3,
        deform_attn_kernel=float(attn.use_kernel and str(device).startswith('cuda')))
