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

from .timing import time_calls


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
    crop) and the whole training pipeline of the config (data info, decode,
    crop, flip, pack), each with full and with reduced JPEG decode
    (``LoadPersonCrop.reduced_decode``), cycling over the sample's frames
    (read from the page cache after the first pass).

    Args:
        cfg (Config): Config whose ``train_dataloader.dataset`` pipeline
            starts with ``LoadPersonCrop``.
        sample_root (str): Folder of the npz sample.
        iters (int): Timed samples per measurement.

    Returns:
        dict: ``decode_crop_fps_{full,reduced}``,
        ``pipeline_fps_{full,reduced}``, each also per CPU-second of the
        process (``*_fps_per_cpu_s*``: frames per second of one busy core,
        whatever else the machine runs), and ``num_frames`` (distinct
        files).
    """
    if not osp.isdir(sample_root):
        raise FileNotFoundError(f'data sample folder {sample_root!r} does not exist')
    load_cfg = copy.deepcopy(cfg.train_dataloader.dataset.pipeline[0])
    if load_cfg['type'] not in ('LoadPersonCrop', 'mmpose.LoadPersonCrop'):
        raise ValueError(f'{cfg.filename}: train pipeline starts with {load_cfg["type"]!r}, '
                         'expected LoadPersonCrop')
    results = {}
    with single_worker_threads():
        for name, reduced in (('full', False), ('reduced', True)):
            dataset_cfg = sample_dataset_cfg(cfg, sample_root)
            dataset_cfg.pipeline[0] = dict(load_cfg, reduced_decode=reduced)
            dataset = DATASETS.build(dataset_cfg)
            infos = [dataset.get_data_info(i) for i in range(len(dataset))]
            load = TRANSFORMS.build(dataset_cfg.pipeline[0])
            position = itertools.count()

            def crop() -> None:
                load(dict(infos[next(position) % len(infos)]))

            def pipeline() -> None:
                dataset[next(position) % len(dataset)]

            for stage, fn in (('decode_crop', crop), ('pipeline', pipeline)):
                wall, cpu = time_calls(fn, iters, 'cpu')
                results[f'{stage}_fps_{name}'] = 1 / wall
                results[f'{stage}_fps_per_cpu_s_{name}'] = 1 / cpu
    results['num_frames'] = len({info['img_path'] for info in infos})
    return results
