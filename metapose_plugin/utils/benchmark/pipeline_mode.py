"""Per-frame time of video inference (:class:`MetaPose3DInferencer`) with and
without 2D-feature reuse, against the 2D-only part (detection + 2D)."""
import copy
import itertools
import os.path as osp
import tempfile
from typing import Callable, Dict, List

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from metapose_plugin.apis import MetaPose3DInferencer

from .model_build import build_random_model
from .timing import interleaved_median_seconds

#: MMPose's top-down COCO HRNet-W32 256x192 config (its HRNet stages are
#: replaced by the lifter's, so the 2D model matches the image encoder).
POSE2D_CONFIG = ('body_2d_keypoint', 'topdown_heatmap', 'coco',
                 'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py')


def pose2d_config(lifter_cfg: Config) -> Config:
    """MMPose's COCO HRNet 256x192 top-down config with the HRNet stages of
    the lifter's image encoder (W32 for the real configs), random init."""
    import mmpose
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', *POSE2D_CONFIG)
    cfg = Config.fromfile(path)
    extra = copy.deepcopy(lifter_cfg.model.backbone.extra)
    cfg.model.backbone.extra = extra
    cfg.model.backbone.init_cfg = None
    cfg.model.head.in_channels = extra.stage4.num_channels[0]
    return cfg


def shared_checkpoints(lifter_cfg: Config, pose2d_cfg: Config, folder: str) -> List[str]:
    """Random 2D and lifter checkpoints whose HRNet weights are the same (as
    with the real COCO HRNet-W32), so that features can be reused."""
    torch.manual_seed(0)
    pose2d = MODELS.build(pose2d_cfg.model)
    pose2d.init_weights()
    state_2d = pose2d.state_dict()
    lifter_state = build_random_model(lifter_cfg, 'cpu').state_dict()
    state_3d = {key: state_2d[key] if key.startswith('backbone.') else value
                for key, value in lifter_state.items()}
    paths = [osp.join(folder, 'pose2d.pth'), osp.join(folder, 'lifter.pth')]
    torch.save(dict(state_dict=state_2d), paths[0])
    torch.save(dict(state_dict=state_3d), paths[1])
    return paths


def read_frames(video: str, count: int) -> List[np.ndarray]:
    """The first ``count`` BGR frames of ``video`` (fewer if it is shorter)."""
    capture = cv2.VideoCapture(video)
    frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise ValueError(f'cannot read frames from video {video!r}')
    return frames


def bench_pipeline(lifter_cfg: Config, video: str, iters: int, device: str) -> Dict[str, float]:
    """Per-frame milliseconds of the 2D part alone and of the whole 3D
    inferencer with and without feature reuse, on the frames of ``video``:
    medians over ``iters`` rounds in which the three run in turn
    (:func:`interleaved_median_seconds`).

    Detection is ``det_model='whole_image'`` (one box per frame, no
    detector): the ratios are those of 2D + lifting. All models have random
    weights.

    Returns:
        dict: ``pipeline_2d_ms``, ``pipeline_3d_reuse_ms``,
        ``pipeline_3d_no_reuse_ms``, ``ratio_3d_over_2d_reuse``,
        ``ratio_3d_over_2d_no_reuse``, ``feature_reuse`` (1.0 if the reuse
        inferencer could reuse features).
    """
    pose2d_cfg = pose2d_config(lifter_cfg)
    frames = read_frames(video, iters)
    lifter = copy.deepcopy(lifter_cfg)
    lifter.model.backbone.init_cfg = None
    with tempfile.TemporaryDirectory() as folder:
        pose2d_ckpt, lifter_ckpt = shared_checkpoints(lifter_cfg, pose2d_cfg, folder)
        inferencers = {
            reuse: MetaPose3DInferencer(pose3d=lifter, pose3d_weights=lifter_ckpt,
                                        pose2d=copy.deepcopy(pose2d_cfg),
                                        pose2d_weights=pose2d_ckpt, det_model='whole_image',
                                        device=device, reuse_features=reuse)
            for reuse in (True, False)
        }
    position = itertools.count()

    def next_frame() -> np.ndarray:
        return frames[next(position) % len(frames)]

    def run_2d() -> None:
        next(inferencers[True].pose2d_model(next_frame(), merge_results=False,
                                            return_datasamples=True))

    def run_3d(reuse: bool) -> Callable[[], None]:

        def run() -> None:
            for _ in inferencers[reuse](next_frame()):
                pass

        return run

    seconds = interleaved_median_seconds(
        dict(pipeline_2d_ms=run_2d, pipeline_3d_reuse_ms=run_3d(True),
             pipeline_3d_no_reuse_ms=run_3d(False)), iters, device)
    results = {name: value * 1e3 for name, value in seconds.items()}
    for name in ('reuse', 'no_reuse'):
        results[f'ratio_3d_over_2d_{name}'] = (results[f'pipeline_3d_{name}_ms'] /
                                               results['pipeline_2d_ms'])
    results['feature_reuse'] = float(inferencers[True].feature_reuse)
    return results
