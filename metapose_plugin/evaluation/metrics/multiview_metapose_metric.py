"""Metrics of multi-view MetaPose (Usman et al., CVPR 2022)."""
from collections import defaultdict
from typing import Dict, Iterable, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmpose.registry import METRICS

from ..functional.finite_check import check_finite
from ..functional.multiview_metrics import PCK_THRESHOLD, solution_metrics


@METRICS.register_module()
class MultiViewMetaPoseMetric(BaseMetric):
    """PMPJPE (two alignments), NMPJPE and PCK@150 of multi-view solutions, per view count.

    Keys (``multiview/`` prefix), means over frames, ground-truth unit (mm):
    ``pmpjpe_ref`` (the reference's Procrustes: reflections allowed, norm-ratio
    scale; the number the paper's code reports), ``pmpjpe`` (similarity
    Procrustes: proper rotation, least-squares scale), ``nmpjpe`` and
    ``pck150`` (the reference's normalisation in view 0's frame, z-mirror
    allowed), ``objective`` (the stage-1 objective of the solution, a 2D-only
    criterion usable for model selection without 3D), and the same with a
    ``V<n>/`` infix per camera count.

    Inputs per data sample: ``pred_instances.keypoints`` (1, K, 3) (any
    scale) and ``pred_instances.rot0`` (1, 3, 3), optional
    ``pred_instances.objective`` (1,); ``gt_instance_labels.pose3d`` (1, K, 3)
    mm and ``gt_instance_labels.pose3d_cam0`` (1, K, 3) mm in view 0's camera
    frame; ``num_views`` metainfo.

    Args:
        allow_mirror (bool): NMPJPE / PCK try the z-mirrored solution too.
            Defaults to True (the reference).
        collect_device (str): See :class:`BaseMetric`. Defaults to 'cpu'.
        prefix (str, optional): Defaults to ``'multiview'``.
    """

    default_prefix: Optional[str] = 'multiview'

    def __init__(self, allow_mirror: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.allow_mirror = allow_mirror

    def process(self, data_batch: Optional[dict], data_samples: Sequence[dict]) -> None:
        """Store the per-frame errors and the view count of each sample."""
        for index, sample in enumerate(data_samples):
            pred, labels = sample.get('pred_instances'), sample.get('gt_instance_labels')
            if pred is None or labels is None or 'pose3d' not in labels:
                raise ValueError(f'MultiViewMetaPoseMetric: data sample {index} needs '
                                 'pred_instances and gt_instance_labels.pose3d')
            pose = torch.as_tensor(pred['keypoints']).double().reshape(1, -1, 3)
            check_finite(pose.numpy(), 'MultiViewMetaPoseMetric',
                         f'data sample {index} ({sample.get("subject", "")} '
                         f'{sample.get("action", "")} frame {sample.get("frame", "?")})')
            rot0 = torch.as_tensor(pred['rot0']).double().reshape(1, 3, 3)
            gt = torch.as_tensor(labels['pose3d']).double().reshape(1, -1, 3)
            gt_cam0 = torch.as_tensor(labels['pose3d_cam0']).double().reshape(1, -1, 3)
            values = solution_metrics(pose, rot0, gt, gt_cam0, self.allow_mirror, PCK_THRESHOLD)
            record = {'pmpjpe_ref': values['pmpjpe'].item(),
                      'pmpjpe': values['pmpjpe_proper'].item(),
                      'nmpjpe': values['nmpjpe'].item(), 'pck150': values['pck'].item(),
                      'num_views': int(sample.get('num_views', rot0.new_tensor(0)))}
            if 'objective' in pred:
                record['objective'] = float(torch.as_tensor(pred['objective']).reshape(-1)[0])
            self.results.append(record)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Means over all frames and per view count."""
        groups = defaultdict(list)
        for record in results:
            groups[None].append(record)
            groups[record['num_views']].append(record)
        metrics = {}
        for views, records in groups.items():
            infix = '' if views is None else f'V{views}/'
            for key in records[0]:
                if key != 'num_views':
                    metrics[infix + key] = float(np.mean([r[key] for r in records if key in r]))
        return metrics


def score_multiview_poses(poses: Iterable[np.ndarray], rot0s: Iterable[np.ndarray],
                          frames: Iterable[dict], **metric_kwargs) -> Dict[str, float]:
    """Score per-frame poses of any solver as ``tools/test.py`` scores stage 2.

    For baselines and stage 1: builds the data samples
    :class:`MultiViewMetaPoseMetric` reads and returns its numbers (without
    the ``multiview/`` prefix).

    Args:
        poses (Iterable[np.ndarray]): (K, 3) per frame, any scale and frame.
        rot0s (Iterable[np.ndarray]): (3, 3) per frame: ``pose @ rot0`` is
            the pose in view 0's camera frame (identity for a pose already
            there).
        frames (Iterable[dict]): The frames' data infos
            (:class:`H36MMultiViewDataset`): ``pose3d``, ``pose3d_cam0`` (mm),
            ``num_views``.
        **metric_kwargs: Arguments of :class:`MultiViewMetaPoseMetric`
            (e.g. ``allow_mirror``).

    Returns:
        dict: ``pmpjpe_ref``, ``pmpjpe``, ``nmpjpe``, ``pck150`` and the same
        per view count (``V<n>/``).
    """
    metric = MultiViewMetaPoseMetric(**metric_kwargs)
    samples = [
        dict(pred_instances=dict(keypoints=torch.as_tensor(np.asarray(pose))[None],
                                 rot0=torch.as_tensor(np.asarray(rot0))[None]),
             gt_instance_labels=dict(pose3d=torch.as_tensor(frame['pose3d'])[None],
                                     pose3d_cam0=torch.as_tensor(frame['pose3d_cam0'])[None]),
             num_views=frame['num_views'])
        for pose, rot0, frame in zip(poses, rot0s, frames)]
    if not samples:
        raise ValueError('score_multiview_poses: no frames')
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)
