"""Run one benchmark mode on a config and format its report."""
import importlib
import inspect
import os
import platform
from typing import Optional

import torch
from mmengine.config import Config

from .data_mode import bench_data
from .model_build import build_random_model
from .model_modes import bench_infer, bench_train
from .pipeline_mode import POSE2D_CONFIG, bench_pipeline

# Modes of the sequence methods, each in its own module, imported on demand:
# mode -> (module, function). The function is called as
# ``fn(cfg, device=..., batch_size=..., iters=...)`` (``batch_size`` may be
# None: the mode picks its default), plus those of the tool's ``video`` and
# ``video_frames`` options it takes as arguments, and returns
# ``(results, notes)``.
METHOD_MODES = dict(
    diffusion=('metapose_plugin.utils.benchmark.diffusion_mode', 'bench_diffusion'),
    pretrain=('metapose_plugin.utils.benchmark.mpm_modes', 'bench_pretrain'),
    lift=('metapose_plugin.utils.benchmark.mpm_modes', 'bench_lift'),
    stage1=('metapose_plugin.utils.benchmark.multiview_mode', 'bench_stage1'),
    video=('metapose_plugin.utils.benchmark.video_mode', 'bench_video'))
MODES = ('train', 'infer', 'data', 'pipeline') + tuple(METHOD_MODES)


def machine_info(device: str) -> dict:
    """CPU model, core count, PyTorch version and threads, and the GPU."""
    cpu = platform.processor() or platform.machine()
    if os.path.exists('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as info:
            names = [line.split(':', 1)[1].strip() for line in info
                     if line.startswith('model name')]
        cpu = names[0] if names else cpu
    info = dict(cpu=cpu, cpu_count=os.cpu_count(), torch=torch.__version__,
                torch_threads=torch.get_num_threads())
    if str(device).startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name(device)
    return info


def run_benchmark(cfg: Config,
                  mode: str,
                  device: str = 'cpu',
                  batch_size: Optional[int] = None,
                  iters: int = 10,
                  no_text_cache: bool = False,
                  sample_root: str = 'data/h36m_sample',
                  video: str = 'data/videos/demo.mp4',
                  video_frames: Optional[int] = None) -> dict:
    """Measure one mode (see ``tools/benchmark.py``) and return the report.

    Args:
        cfg (Config): Lifter config (random weights are used).
        mode (str): ``'train'``, ``'infer'``, ``'data'``, ``'pipeline'`` or
            one of :data:`METHOD_MODES`.
        device (str): ``'cpu'`` or ``'cuda[:i]'``. Defaults to ``'cpu'``.
        batch_size (int, optional): Training batch / the large inference
            batch; the config's ``train_dataloader.batch_size`` when None.
        iters (int): Timed iterations (after one warm-up). Defaults to 10.
        no_text_cache (bool): In ``'infer'`` mode, also time MetaPose with
            text features recomputed every batch. Defaults to False.
        sample_root (str): npz sample folder of the ``'data'`` mode.
        video (str): Video of the ``'pipeline'`` and ``'video'`` modes.
        video_frames (int, optional): ``'video'`` mode: length of the
            benchmark video (the input played forth and back).

    Returns:
        dict: ``config``, ``mode``, ``device``, ``batch_size``, ``iters``,
        ``no_text_cache``, ``machine`` (:func:`machine_info`), ``results``
        (name -> positive number; units in the names: ``_ms``,
        ``_samples_per_s``, ``_fps``, ``_mib``; ratios without unit) and
        ``notes`` (name -> how it was measured).
    """
    if mode not in MODES:
        raise ValueError(f'unknown mode {mode!r}; expected one of {MODES}')
    if str(device).startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError(f'device {device!r} requested but CUDA is not available')
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    if mode in METHOD_MODES:
        module, function = METHOD_MODES[mode]
        bench = getattr(importlib.import_module(module), function)
        accepted = inspect.signature(bench).parameters
        options = {name: value for name, value in
                   dict(video=video, video_frames=video_frames).items() if name in accepted}
        results, notes = bench(cfg, device=device, batch_size=batch_size, iters=iters, **options)
        batch_size = notes.pop('batch_size', batch_size)
        return dict(config=cfg.filename, mode=mode, device=str(device), batch_size=batch_size,
                    iters=iters, no_text_cache=no_text_cache, machine=machine_info(device),
                    results=results, notes=notes)
    batch_size = batch_size or cfg.train_dataloader.batch_size
    notes = {}
    if mode == 'train':
        results, notes['peak_memory'] = bench_train(
            build_random_model(cfg, device), cfg, batch_size, iters, device)
        notes['train'] = ('model.train_step on a fixed get_packed_inputs batch: preprocessor, '
                          'forward, loss, backward, optimizer; frozen image encoder')
    elif mode == 'infer':
        results = bench_infer(build_random_model(cfg, device), batch_size, iters, device,
                              no_text_cache)
        notes['infer'] = (f'model.test_step under no_grad, flip_test='
                          f'{cfg.model.get("test_cfg", {}).get("flip_test", False)}')
    elif mode == 'data':
        results = bench_data(cfg, sample_root, iters)
        notes['data'] = ('one worker: cv2.setNumThreads(0), torch threads 1; frames of '
                         f'{sample_root} cycled (page cache)')
    else:
        results = bench_pipeline(cfg, video, iters, device)
        notes['pipeline'] = ("det_model='whole_image' (no detector); 2D model: MMPose "
                             f'{POSE2D_CONFIG[-1]} with the lifter HRNet stages; random weights')
    return dict(config=cfg.filename, mode=mode, device=str(device), batch_size=batch_size,
                iters=iters, no_text_cache=no_text_cache, machine=machine_info(device),
                results=results, notes=notes)


def format_table(report: dict) -> str:
    """The report as a two-column text table, then the notes."""
    rows = [(name, f'{value:.4g}') for name, value in report['results'].items()]
    width = max(len(name) for name, _ in rows) if rows else 10
    lines = [f'{report["mode"]} on {report["device"]} ({report["machine"]["cpu"]}), '
             f'batch {report["batch_size"]}, {report["iters"]} iters: {report["config"]}',
             f'{"metric":<{width}}  value', f'{"-" * width}  -----']
    lines += [f'{name:<{width}}  {value}' for name, value in rows]
    lines += [f'note {key}: {text}' for key, text in report['notes'].items()]
    return '\n'.join(lines)
