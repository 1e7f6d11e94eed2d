"""Benchmark mode ``video``: a video through :class:`MetaPose3DInferencer`
(sequence lifters offline, image lifters frame by frame) against MMPose's
own ``MMPoseInferencer(pose3d=...)`` (online: one window per frame) on the
same video, with the same 2D model and random weights at the config's
geometry.

Both run end to end: whole-image box (no detector), MMPose's COCO HRNet-W32
256x192 top-down 2D model (for image lifters with the lifter's HRNet stages
and shared weights, as the ``pipeline`` mode), tracking, lifting. Ours runs
on the whole benchmark video (the input's frames played forth and back up
to ``video_frames``); MMPose's on its first ``iters`` frames: every one of
its frames costs one window, so its rate does not depend on the length. The
lifter's time is the time inside its ``test_step`` (sequence lifters) or the
inferencer's ``forward`` (image lifters); windows are the samples that went
through it.
"""
import copy
import os.path as osp
import tempfile
import time
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Tuple

import cv2
import mmpose
import numpy as np
import torch
from mmengine.config import Config
from mmpose.apis import MMPoseInferencer
from mmpose.registry import MODELS

from metapose_plugin.apis import MetaPose3DInferencer
from metapose_plugin.apis.inferencers.lifter_config import is_image_lifter
from metapose_plugin.models.pose_estimators.finepose_lifter import FinePOSELifter

from .diffusion_mode import finepose_model_cfg
from .model_build import build_random_model
from .pipeline_mode import POSE2D_CONFIG, pose2d_config, read_frames, shared_checkpoints
from .timing import synchronize


def write_benchmark_video(video: str, num_frames: Optional[int], path: str) -> int:
    """Write the benchmark video: the frames of ``video`` played forth and
    back (a motion without jumps) up to ``num_frames`` frames (all of them
    once when None), at the input's frame rate. Returns the frame count."""
    capture = cv2.VideoCapture(video)
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    length = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    frames = read_frames(video, max(length, 1))
    cycle = frames + frames[-2:0:-1] if len(frames) > 1 else frames
    count = num_frames or len(frames)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    for index in range(count):
        writer.write(cycle[index % len(cycle)])
    writer.release()
    return count


class LifterClock:
    """Seconds spent in, calls of, and samples through a method of an
    object, while :meth:`watch` is active."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.seconds = 0.0
        self.windows = 0

    @contextmanager
    def watch(self, owner, method: str) -> Iterator[None]:
        """Time ``owner.<method>(data)`` calls; ``data`` is a collated batch
        (``data_samples``) or a list of samples."""
        original = getattr(owner, method)

        def timed(data, *args, **kwargs):
            synchronize(self.device)
            start = time.perf_counter()
            outputs = original(data, *args, **kwargs)
            synchronize(self.device)
            self.seconds += time.perf_counter() - start
            samples = data['data_samples'] if isinstance(data, dict) else data
            self.windows += len(samples)
            return outputs

        setattr(owner, method, timed)
        try:
            yield
        finally:
            delattr(owner, method)


def _run(inferencer, target, method: str, video: str, device: str,
         **kwargs) -> Tuple[int, float, float, LifterClock]:
    """Frames, wall and CPU seconds of a whole inferencer call, and its
    lifter clock."""
    clock = LifterClock(device)
    with clock.watch(target, method):
        wall, cpu = time.perf_counter(), time.process_time()
        frames = sum(1 for _ in inferencer(video, **kwargs))
        synchronize(device)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return frames, wall, cpu, clock


def sequence_pose2d_config() -> Config:
    """The 2D model of both paths for sequence lifters: MMPose's COCO
    HRNet-W32 256x192 top-down config, random init."""
    pose2d = Config.fromfile(osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs',
                                      *POSE2D_CONFIG))
    pose2d.model.backbone.init_cfg = None
    return pose2d


def _models(cfg: Config, image_lifter: bool, folder: str) -> Tuple[Config, str, Config, str]:
    """The lifter config and random checkpoint, the 2D config and random
    checkpoint (for image lifters sharing the lifter's HRNet weights)."""
    lifter = copy.deepcopy(cfg)
    lifter.model.backbone.init_cfg = None
    if lifter.model.get('text_encoder') is not None and issubclass(
            MODELS.get(lifter.model.type), FinePOSELifter):
        lifter.model = finepose_model_cfg(lifter)
    if image_lifter:
        pose2d = pose2d_config(cfg)
        pose2d_ckpt, lifter_ckpt = shared_checkpoints(lifter, pose2d, folder)
        return lifter, lifter_ckpt, pose2d, pose2d_ckpt
    pose2d = sequence_pose2d_config()
    torch.manual_seed(0)
    paths = [osp.join(folder, 'pose2d.pth'), osp.join(folder, 'lifter.pth')]
    pose2d_model = MODELS.build(pose2d.model)
    pose2d_model.init_weights()
    torch.save(dict(state_dict=pose2d_model.state_dict()), paths[0])
    torch.save(dict(state_dict=build_random_model(lifter, 'cpu').state_dict()), paths[1])
    return lifter, paths[1], pose2d, paths[0]


def bench_video(cfg: Config, device: str = 'cpu', batch_size: Optional[int] = None,
                iters: int = 3, video: str = 'data/videos/demo.mp4',
                video_frames: Optional[int] = None) -> Tuple[Dict[str, float], Dict[str, str]]:
    """End-to-end video frames/s, the lifter's share of the time and the
    windows lifted per output frame, ours against MMPose's path.

    Args:
        cfg (Config): A lifter config (any the inferencer takes).
        device (str): ``'cpu'`` or ``'cuda[:i]'``.
        batch_size (int, optional): Windows per lifter call on our path;
            the config's ``test_dataloader.batch_size`` when None (image
            lifters: one frame per call, always).
        iters (int): Frames MMPose's path lifts.
        video (str): The input video.
        video_frames (int, optional): Length of the benchmark video (the
            input played forth and back); the input's when None.

    Returns:
        tuple: results (``frames``, ``ours_fps``, ``ours_fps_per_cpu_s``,
        ``ours_lifter_share``, ``ours_windows_per_frame``; for sequence
        lifters the same ``mmpose_*`` keys, ``mmpose_frames``,
        ``fps_ratio``, ``fps_per_cpu_s_ratio`` and
        ``windows_per_frame_ratio`` = MMPose's / ours) and notes.
    """
    image_lifter = is_image_lifter(cfg, cfg.filename or 'config')
    # image lifters lift frame by frame, the people of one frame together
    batch_size = 1 if image_lifter else batch_size or cfg.test_dataloader.get('batch_size', 1)
    results: Dict[str, float] = {}
    notes: Dict[str, str] = dict(batch_size=batch_size)
    with tempfile.TemporaryDirectory() as folder:
        lifter, lifter_ckpt, pose2d, pose2d_ckpt = _models(cfg, image_lifter, folder)
        path = osp.join(folder, 'benchmark.mp4')
        frames = write_benchmark_video(video, video_frames, path)
        ours = MetaPose3DInferencer(pose3d=lifter, pose3d_weights=lifter_ckpt,
                                    pose2d=copy.deepcopy(pose2d), pose2d_weights=pose2d_ckpt,
                                    det_model='whole_image', device=device)
        first = read_frames(path, 1)[0]
        next(ours.pose2d_model(first))  # warm-up of the 2D model
        options = {} if image_lifter else dict(batch_size=batch_size)
        target, method = (ours, 'forward') if image_lifter else (ours.model, 'test_step')
        count, wall, cpu, clock = _run(ours, target, method, path, device, **options)
        results.update(_rates('ours', count, wall, cpu, clock))
        results['frames'] = float(frames)
        if image_lifter:
            notes['mmpose'] = ("MMPose's MMPoseInferencer cannot lift image-context lifters "
                               '(its 3D path gets no frames): ours only')
        else:
            short = osp.join(folder, 'mmpose.mp4')
            write_benchmark_video(path, min(iters, frames), short)
            try:
                results.update(_mmpose_rates(lifter, lifter_ckpt, pose2d, pose2d_ckpt, short,
                                             device, first))
            except (ValueError, AssertionError, KeyError) as error:
                # MMPose's own inferencer fails on some lifters (MotionBERT's
                # codec on its windows): reported, ours still measured
                notes['mmpose'] = (f"MMPoseInferencer(pose3d=...) fails: {type(error).__name__}: "
                                   f'{error}; ours only')
                return results, dict(notes, **_notes(video, frames, iters, image_lifter))
            notes['mmpose'] = ("MMPoseInferencer(pose3d=...): FinePOSE with output_frames="
                               "'centre', codecs without normalize_camera (it gives no "
                               'intrinsics; the 2D normalisation is the same)')
            for key in ('fps', 'fps_per_cpu_s'):
                results[f'{key}_ratio'] = results[f'ours_{key}'] / results[f'mmpose_{key}']
            results['windows_per_frame_ratio'] = (results['mmpose_windows_per_frame'] /
                                                  results['ours_windows_per_frame'])
    return results, dict(notes, **_notes(video, frames, iters, image_lifter))


def _notes(video: str, frames: int, iters: int, image_lifter: bool) -> Dict[str, str]:
    """How the ``video`` mode measured."""
    return dict(
        video=f'{video} played forth and back to {frames} frames; MMPose: first '
        f'{min(iters, frames)}',
        models=(f'random weights; 2D: MMPose {POSE2D_CONFIG[-1]}'
                f'{" with the lifter HRNet stages" if image_lifter else ""}, whole-image box'),
        timing=('one end-to-end call per path (2D warmed up, lifter not: its first window is '
                'timed); lifter share = time in the lifter / total'))


def _rates(prefix: str, frames: int, wall: float, cpu: float,
           clock: LifterClock) -> Dict[str, float]:
    return {f'{prefix}_fps': frames / wall, f'{prefix}_fps_per_cpu_s': frames / cpu,
            f'{prefix}_lifter_share': clock.seconds / wall,
            f'{prefix}_windows_per_frame': clock.windows / frames}


def _mmpose_rates(lifter: Config, lifter_ckpt: str, pose2d: Config, pose2d_ckpt: str,
                  video: str, device: str, first: np.ndarray) -> Dict[str, float]:
    """MMPose's ``MMPoseInferencer(pose3d=...)`` on ``video``. FinePOSE
    keeps the centre frame of each window there (its online setting); a
    codec that normalises camera intrinsics (MPM's) does not there, as
    MMPose's inferencer gives none (the 2D normalisation is the same)."""
    online = copy.deepcopy(lifter)
    if issubclass(MODELS.get(online.model.type), FinePOSELifter):
        online.model.test_cfg.output_frames = 'centre'
    for transform in online.test_dataloader.dataset.pipeline:
        if transform.get('encoder', {}).get('normalize_camera'):
            transform.encoder.normalize_camera = False
    inferencer = MMPoseInferencer(pose2d=copy.deepcopy(pose2d), pose2d_weights=pose2d_ckpt,
                                  pose3d=online, pose3d_weights=lifter_ckpt,
                                  det_model='whole_image', device=device)
    next(inferencer.inferencer.pose2d_model(first))  # warm-up of the 2D model
    count, wall, cpu, clock = _run(inferencer, inferencer.inferencer.model, 'test_step', video,
                                   device)
    rates = _rates('mmpose', count, wall, cpu, clock)
    rates['mmpose_frames'] = float(count)
    return rates
