"""Per-worker throughput of the H36M image pipeline on the shipped frames."""
import copy
import itertools
import os.path as osp
from contextlib import contextmanager
from typing import Dict, Iterator

import cv2
import torch
from mmengine.config import Config
from mmpose.registry import DATASETS, TRANSFORMS

from .timing import seconds_per_call


@contextmanager
def single_worker_threads() -> Iterator[None]:
    """Run as one data-loader worker does under MMEngine's default
    ``env_cfg.mp_cfg`` (``opencv_num_threads=0``: OpenCV runs serially) with
    one PyTorch thread, so rates are per CPU core."""
    cv2_threads, torch_threads = cv2.getNumThreads(), torch.get_num_threads()
    cv2.setNumThreads(0)
    torch.set_num_threads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(cv2_threads)
        torch.set_num_threads(torch_threads)


def sample_dataset_cfg(cfg: Config, sample_root: str) -> dict:
    """The config's training dataset and pipeline, pointed at the MMPose npz
    sample ``sample_root`` (e.g. ``data/h36m_sample``, ground-truth 2D)."""
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset.update(
        data_root=sample_root,
        ann_file='test_h36m_body3d.npz',
        camera_param_file='cameras.pkl',
        keypoint_2d_src='gt',
        keypoint_2d_det_file=None,
        data_prefix=dict(img=''))
    return dataset


def bench_data(cfg: Config, sample_root: str, iters: int) -> Dict[str, float]:
    """Frames per second of one worker: the crop transform alone (decode +
    crop, with full and with reduced JPEG decode) and the whole training
    pipeline of the config (decode, crop, flip, pack), cycling over the
    sample's frames (read from the page cache after the first pass).

    Args:
        cfg (Config): Config whose ``train_dataloader.dataset`` pipeline
            starts with ``LoadPersonCrop``.
        sample_root (str): Folder of the npz sample.
        iters (int): Timed samples per measurement.

    Returns:
        dict: ``decode_crop_fps_full``, ``decode_crop_fps_reduced``,
        ``pipeline_fps`` (as configured), ``num_frames`` (distinct files).
    """
    if not osp.isdir(sample_root):
        raise FileNotFoundError(f'data sample folder {sample_root!r} does not exist')
    dataset = DATASETS.build(sample_dataset_cfg(cfg, sample_root))
    load_cfg = copy.deepcopy(cfg.train_dataloader.dataset.pipeline[0])
    if load_cfg['type'] not in ('LoadPersonCrop', 'mmpose.LoadPersonCrop'):
        raise ValueError(f'{cfg.filename}: train pipeline starts with {load_cfg["type"]!r}, '
                         'expected LoadPersonCrop')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    results = dict(num_frames=len({info['img_path'] for info in infos}))
    with single_worker_threads():
        for name, reduced in (('full', False), ('reduced', True)):
            load = TRANSFORMS.build(dict(load_cfg, reduced_decode=reduced))
            position = itertools.count()

            def crop() -> None:
                load(dict(infos[next(position) % len(infos)]))

            results[f'decode_crop_fps_{name}'] = 1 / seconds_per_call(crop, iters, 'cpu')
        counter = itertools.count()

        def pipeline() -> None:
            dataset[next(counter) % len(dataset)]

        results['pipeline_fps'] = 1 / seconds_per_call(pipeline, iters, 'cpu')
    return results
